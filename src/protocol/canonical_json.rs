//! Whether a JSON text is exactly what serde_json writes for the value it holds: compact, keys
//! unique, strings escaped as serde_json escapes them, integers as serde_json reads them. A text
//! that is can be copied where a re-serialised `Value` would go, with the same bytes; a text that
//! is not (floats, whitespace, other escapes, duplicate keys) is left to the owned path.

/// Nesting deeper than this is left to the owned path (serde_json refuses past 128 anyway).
const MAX_DEPTH: usize = 128;

/// `text` must be valid JSON (a `RawValue`'s text); the answer is whether it is canonical.
pub fn is_canonical(text: &str) -> bool {
    let mut i = 0;
    value(text, &mut i, 0) && i == text.len()
}

fn value(t: &str, i: &mut usize, depth: usize) -> bool {
    let b = t.as_bytes();
    match b.get(*i) {
        Some(b'"') => string(b, i),
        Some(b'{') if depth < MAX_DEPTH => object(t, i, depth),
        Some(b'[') if depth < MAX_DEPTH => array(t, i, depth),
        Some(b't') => literal(b, i, b"true"),
        Some(b'f') => literal(b, i, b"false"),
        Some(b'n') => literal(b, i, b"null"),
        Some(b'-' | b'0'..=b'9') => integer(t, i),
        _ => false,
    }
}

fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> bool {
    if b[*i..].starts_with(word) {
        *i += word.len();
        return true;
    }
    false
}

/// A string at `i` (its opening quote) as serde_json writes one: `\"`, `\\`, the five short
/// escapes, and `\u00xx` (lower-case hex) only for the other control characters.
fn string(b: &[u8], i: &mut usize) -> bool {
    *i += 1;
    loop {
        let Some(at) = memchr::memchr2(b'"', b'\\', &b[*i..]) else { return false };
        if b[*i..*i + at].iter().any(|c| *c < 0x20) {
            return false;
        }
        *i += at;
        if b[*i] == b'"' {
            *i += 1;
            return true;
        }
        match b.get(*i + 1) {
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => *i += 2,
            Some(b'u') => match b.get(*i + 2..*i + 6) {
                Some([b'0', b'0', high @ (b'0' | b'1'), low @ (b'0'..=b'9' | b'a'..=b'f')]) => {
                    let low = if low.is_ascii_digit() { low - b'0' } else { low - b'a' + 10 };
                    let c = (high - b'0') * 16 + low;
                    if matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                        return false;
                    }
                    *i += 6;
                }
                _ => return false,
            },
            _ => return false,
        }
    }
}

/// An integer serde_json reads as one (u64, or i64 when negative) and writes back the same.
fn integer(t: &str, i: &mut usize) -> bool {
    let b = t.as_bytes();
    let start = *i;
    if b[*i] == b'-' {
        *i += 1;
    }
    let digits = *i;
    while matches!(b.get(*i), Some(b'0'..=b'9')) {
        *i += 1;
    }
    if matches!(b.get(*i), Some(b'.' | b'e' | b'E')) || *i == digits {
        return false;
    }
    if b[digits] == b'0' && *i - digits > 1 {
        return false;
    }
    let text = &t[start..*i];
    if start == digits {
        text.parse::<u64>().is_ok()
    } else {
        text != "-0" && text.parse::<i64>().is_ok()
    }
}

fn object(t: &str, i: &mut usize, depth: usize) -> bool {
    let b = t.as_bytes();
    *i += 1;
    if b.get(*i) == Some(&b'}') {
        *i += 1;
        return true;
    }
    // serde_json keeps one of two equal keys: such an object is written back differently.
    let mut keys: Vec<&[u8]> = Vec::new();
    loop {
        let key = *i;
        if b.get(*i) != Some(&b'"') || !string(b, i) {
            return false;
        }
        let key = &b[key..*i];
        if keys.contains(&key) {
            return false;
        }
        keys.push(key);
        if b.get(*i) != Some(&b':') {
            return false;
        }
        *i += 1;
        if !value(t, i, depth + 1) {
            return false;
        }
        match b.get(*i) {
            Some(b',') => *i += 1,
            Some(b'}') => {
                *i += 1;
                return true;
            }
            _ => return false,
        }
    }
}

fn array(t: &str, i: &mut usize, depth: usize) -> bool {
    let b = t.as_bytes();
    *i += 1;
    if b.get(*i) == Some(&b']') {
        *i += 1;
        return true;
    }
    loop {
        if !value(t, i, depth + 1) {
            return false;
        }
        match b.get(*i) {
            Some(b',') => *i += 1,
            Some(b']') => {
                *i += 1;
                return true;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_canonical;

    /// What serde_json writes back for a text's value.
    fn rewritten(text: &str) -> String {
        serde_json::from_str::<serde_json::Value>(text).map(|v| v.to_string()).unwrap_or_default()
    }

    #[test]
    fn canonical_exactly_when_serde_json_writes_the_same_bytes() {
        for text in [
            r#""plain""#,
            r#""tab\tquote\"slash\\ nl\n""#,
            r#""\u001f\u0000""#,
            r#""\u0009""#,
            r#""\u00e9""#,
            r#""\/""#,
            r#""é ✓ 😀""#,
            "0",
            "-0",
            "-1",
            "007",
            "1.5",
            "1e3",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "true",
            "null",
            "[]",
            "[1,\"a\",[null]]",
            "[1, 2]",
            r#"{"a":1,"b":{"c":[true]}}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a" :1}"#,
            "{}",
        ] {
            // Never canonical when serde_json writes other bytes (floats are left out even when
            // they would come back the same: the owned path handles them).
            let same = rewritten(text) == text;
            assert!(!is_canonical(text) || same, "{text}: serde_json writes {}", rewritten(text));
            let float = matches!(text, "1.5" | "1e3");
            assert_eq!(is_canonical(text), same && !float, "{text}");
        }
    }
}
