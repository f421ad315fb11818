//! Owns copying to the clipboard: the system clipboard (arboard) when there is a display,
//! else OSC 52, which the terminal (and tmux with `set-clipboard on`, and SSH) carries to the
//! user's own clipboard.

use std::io::Write;

/// OSC 52 payloads past this are refused by many terminals; say so instead of failing silently.
const OSC52_MAX_BYTES: usize = 100_000;

/// How a copy was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    System,
    Osc52,
}

#[derive(Default)]
pub struct Clipboard {
    /// Kept alive: on X11 the copied text is served by this instance.
    system: Option<arboard::Clipboard>,
}

fn has_display() -> bool {
    cfg!(any(target_os = "macos", windows))
        || std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
}

impl Clipboard {
    /// Copies `text`; `out` is the terminal (for OSC 52).
    pub fn copy(&mut self, text: &str, out: &mut impl Write) -> Result<Via, String> {
        if has_display() {
            if self.system.is_none() {
                self.system = arboard::Clipboard::new()
                    .map_err(|e| tracing::info!("system clipboard unavailable: {e}"))
                    .ok();
            }
            if let Some(c) = self.system.as_mut() {
                match c.set_text(text) {
                    Ok(()) => return Ok(Via::System),
                    Err(e) => {
                        tracing::info!("system clipboard refused the text: {e}; trying OSC 52");
                        self.system = None;
                    }
                }
            }
        }
        osc52(text, out)
    }
}

/// Writes the OSC 52 sequence that asks the terminal to set its clipboard.
pub fn osc52(text: &str, out: &mut impl Write) -> Result<Via, String> {
    if text.len() > OSC52_MAX_BYTES {
        return Err(format!(
            "not copied: {} KB is too large for the terminal clipboard (OSC 52, no display here)",
            text.len() / 1024
        ));
    }
    crossterm::execute!(out, crossterm::clipboard::CopyToClipboard::to_clipboard_from(text))
        .map(|_| Via::Osc52)
        .map_err(|e| format!("not copied: could not write to the terminal: {e}"))
}

/// The toast after a copy.
pub fn message(what: &str, bytes: usize, via: Via) -> String {
    let size = super::panes::fmt_bytes(bytes as u64);
    match via {
        Via::System => format!("Copied {what} ({size}) to the clipboard"),
        Via::Osc52 => format!("Copied {what} ({size}) via OSC 52 (terminal clipboard; no display)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_writes_the_sequence_and_refuses_huge_text() {
        let mut out = Vec::new();
        assert_eq!(osc52("hi", &mut out), Ok(Via::Osc52));
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("\x1b]52;c;aGk="), "{s:?}");
        let big = "x".repeat(OSC52_MAX_BYTES + 1);
        assert!(osc52(&big, &mut Vec::new()).unwrap_err().contains("too large"));
    }
}
