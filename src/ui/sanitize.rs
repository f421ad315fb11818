//! Owns the neutralising of page-supplied text before it reaches the terminal.
//!
//! Web pages write console messages, URLs, headers and frame payloads: any of them may carry
//! ESC/CSI/OSC sequences, C1 controls or bidi overrides that would move the cursor, retitle the
//! window, write to the clipboard or reorder what the user reads. Every such character is replaced
//! by a visible stand-in, so the sequence shows as inert text. Also: display-width cutting.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Bidi embeddings, overrides, isolates and marks (the "Trojan Source" characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether a character must not reach the terminal as is.
pub fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    u < 0x20 || u == 0x7f || (0x80..=0x9f).contains(&u) || is_bidi_control(c)
}

/// The visible stand-in for an unsafe character.
fn stand_in(c: char) -> char {
    let u = c as u32;
    match u {
        // C0 controls as their Control Pictures (ESC shows as ␛).
        0x00..=0x1f => char::from_u32(0x2400 + u).unwrap_or('\u{FFFD}'),
        0x7f => '\u{2421}',
        _ => '\u{FFFD}',
    }
}

/// One line of text: every control (newlines included) shown as a visible stand-in; tabs as a space.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\t' => ' ',
                '\n' => '\u{23CE}',
                c if is_unsafe(c) => stand_in(c),
                c => c,
            })
            .collect(),
    )
}

/// A block of text: split into lines (`\n`, `\r\n`), tabs expanded, other controls neutralised.
pub fn block(s: &str) -> Vec<String> {
    s.split('\n')
        .map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            if !l.chars().any(is_unsafe) {
                return l.to_string();
            }
            let mut out = String::with_capacity(l.len());
            for c in l.chars() {
                match c {
                    '\t' => out.push_str("    "),
                    c if is_unsafe(c) => out.push(stand_in(c)),
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Display width of a (sanitised) string.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `max` columns, ending with `…` when something was cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if max == 0 {
        return Cow::Borrowed("");
    }
    // Fast path: short ASCII needs no width computation.
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > max.saturating_sub(1) {
            // Does the rest fit exactly?
            if width(&s[i..]) + used <= max {
                return Cow::Borrowed(s);
            }
            let mut out = String::with_capacity(i + 3);
            out.push_str(&s[..i]);
            out.push('…');
            return Cow::Owned(out);
        }
        used += w;
    }
    Cow::Borrowed(s)
}

/// Pads or cuts `s` to exactly `cols` columns.
pub fn cell(s: &str, cols: usize) -> String {
    let cut = fit(s, cols);
    let w = width(&cut);
    let mut out = cut.into_owned();
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// Wraps one line into chunks of at most `cols` columns (character wrap: nothing is lost).
pub fn wrap(s: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(1);
    if s.len() <= cols {
        return vec![s.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > cols && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push(c);
        used += w;
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// Wraps one line at spaces into lines of at most `cols` columns; a word longer than a line is
/// cut. Continuation lines start with `indent` spaces (a stack frame stays readable as one).
pub fn wrap_words(s: &str, cols: usize, indent: usize) -> Vec<String> {
    let cols = cols.max(indent + 8);
    if width(s) <= cols {
        return vec![s.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    let lead = " ".repeat(indent);
    for word in s.split_inclusive(' ') {
        let w = width(word.trim_end());
        if used + w > cols && !cur.trim().is_empty() {
            out.push(std::mem::take(&mut cur).trim_end().to_string());
            cur.push_str(&lead);
            used = indent;
        }
        if used + w > cols {
            // One word longer than a line: cut it.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > cols {
                    out.push(std::mem::take(&mut cur));
                    cur.push_str(&lead);
                    used = indent;
                }
                cur.push(c);
                used += cw;
            }
            continue;
        }
        cur.push_str(word);
        used += width(word);
    }
    if !cur.trim().is_empty() || out.is_empty() {
        out.push(cur.trim_end().to_string());
    }
    out
}

/// Cuts `s` to at most `max` columns by taking out its middle (`https://ex…/app.js`).
pub fn fit_middle(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max <= 1 {
        return Cow::Owned("…".chars().take(max).collect());
    }
    let keep = max - 1;
    let tail_w = keep / 2 + keep % 2;
    let head_w = keep - tail_w;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_w {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_w {
            break;
        }
        used += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    Cow::Owned(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_inert_text() {
        let hostile = "red \x1b[31mX\x1b[0m title \x1b]0;pwned\x07 c1 \u{9b}2J bidi \u{202E}txt\u{202C}";
        let out = line(hostile);
        assert!(!out.chars().any(is_unsafe), "{out:?}");
        assert!(out.contains("␛[31m"), "{out:?}");
        assert!(out.contains("␛]0;pwned␇"), "{out:?}");
        assert!(!out.contains('\u{202E}'));
        assert!(!out.contains('\u{9b}'));
    }

    #[test]
    fn block_splits_lines_and_expands_tabs() {
        assert_eq!(block("a\tb\r\nc\x1bd"), vec!["a    b".to_string(), "c␛d".to_string()]);
        assert_eq!(line("a\nb"), "a⏎b");
    }

    #[test]
    fn fit_and_wrap_respect_display_width() {
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(cell("ab", 4), "ab  ");
        assert_eq!(wrap("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(wrap("", 3), vec![""]);
        assert_eq!(fit_middle("https://example.com/static/app.js", 16), "https:/…c/app.js");
        assert_eq!(fit_middle("short", 16), "short");
    }

    #[test]
    fn stack_frames_wrap_at_words_never_mid_token() {
        let frame = "    at Object.handleClick (https://shop.example.com/static/js/vendor.js:655:7)";
        let lines = wrap_words(frame, 40, 6);
        assert!(lines.iter().all(|l| width(l) <= 40), "{lines:?}");
        assert_eq!(lines[0], "    at Object.handleClick", "{lines:?}");
        // The file:line:col token is never split when it fits on a line.
        let short = "    at f (vendor.js:655:7)";
        let lines = wrap_words(&format!("{short} {short}"), 30, 6);
        assert!(lines.iter().any(|l| l.contains("(vendor.js:655:7)")), "{lines:?}");
        assert!(lines.iter().skip(1).all(|l| l.starts_with("      ")), "{lines:?}");
    }
}
