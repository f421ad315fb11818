//! Owns the console export: the Console pane's events as NDJSON (one envelope a line, as the
//! REST API gives them) or as plain text (a line per row as the pane shows it: UTC time, level,
//! source, message), streamed to a `Write`.

use std::io::{self, BufWriter, Write};

use crate::store::StoredEvent;
use crate::ui::panes::console;

/// How console messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsoleFormat {
    #[default]
    Ndjson,
    Text,
}

impl ConsoleFormat {
    /// `ndjson` or `text` (any case); anything else is a clear error.
    pub fn parse(s: &str) -> Result<ConsoleFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ndjson" | "" => Ok(ConsoleFormat::Ndjson),
            "text" | "txt" => Ok(ConsoleFormat::Text),
            other => Err(format!("format {other:?}: use ndjson or text")),
        }
    }

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            ConsoleFormat::Ndjson => "ndjson",
            ConsoleFormat::Text => "txt",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ConsoleFormat::Ndjson => "application/x-ndjson",
            ConsoleFormat::Text => "text/plain; charset=utf-8",
        }
    }
}

/// Writes the events in `format`; returns how many were written.
pub fn write_to<W: Write>(out: W, events: &[StoredEvent], format: ConsoleFormat) -> io::Result<usize> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    for e in events {
        let env = e.envelope();
        match format {
            ConsoleFormat::Ndjson => serde_json::to_writer(&mut out, &env)?,
            ConsoleFormat::Text => {
                // The pane's cells (already one line each, control characters neutralised),
                // with the full UTC date and time in place of the pane's clock.
                let row = console::row(e, &env, true);
                let time = chrono::DateTime::from_timestamp_millis(e.timestamp_ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                out.write_all(time.as_bytes())?;
                for cell in row.cells.iter().skip(1) {
                    write!(out, "  {cell}")?;
                }
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(events.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::{Level, Raw};

    fn event(seq: u64, level: Level, ty: MessageType, raw: &str) -> StoredEvent {
        StoredEvent {
            seq,
            ty,
            level,
            status: 0,
            timestamp_ms: 1_767_225_600_123,
            session: "ext-1".into(),
            raw: Raw::from(raw.as_bytes().to_vec()).into(),
        }
    }

    #[test]
    fn ndjson_and_text_hold_each_message_once_a_line() {
        let events = [
            event(
                1,
                Level::Warn,
                MessageType::ConsoleLog,
                r#"{"type":"console-log","data":{"level":"warn","message":"low stock\n\u001b[31mred"}}"#,
            ),
            event(
                2,
                Level::Error,
                MessageType::ConsoleError,
                r#"{"type":"console-error","data":{"level":"error","message":"boom"}}"#,
            ),
        ];
        let mut nd = Vec::new();
        assert_eq!(write_to(&mut nd, &events, ConsoleFormat::Ndjson).unwrap(), 2);
        let lines: Vec<serde_json::Value> =
            String::from_utf8(nd).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["data"]["message"], "low stock\n\u{1b}[31mred");
        assert_eq!(lines[1]["metadata"]["sessionId"], "ext-1");
        let mut text = Vec::new();
        write_to(&mut text, &events, ConsoleFormat::Text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("2026-01-01T00:00:00.123Z  warn  "), "{text}");
        assert!(lines[0].contains("low stock") && !text.contains('\u{1b}'), "{text}");
        assert!(lines[1].contains("error") && lines[1].ends_with("boom"), "{text}");
        assert_eq!(ConsoleFormat::parse("TEXT"), Ok(ConsoleFormat::Text));
        assert!(ConsoleFormat::parse("xml").unwrap_err().contains("ndjson or text"));
    }
}
