//! Owns what makes console events "the same" for grouping: a key over the parts of an event
//! that repeats share (type, level, session, message, args, source, location, stack; not time
//! or id), computed on raw bytes without parsing, and the group a row then stands for.

use std::hash::{Hash, Hasher};

use super::filter::json_str_field;
use crate::store::StoredEvent;

/// A row standing for several identical consecutive events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub count: u32,
    /// The log index of the group's newest event.
    pub last: u64,
}

/// What makes two console lines "the same" for collapsing: type, level, session, message,
/// args, source, location and stack. Time and ids differ between repeats and are left out.
pub fn dedupe_key(e: &StoredEvent) -> Option<u64> {
    let message = json_str_field(&e.raw, b"message")?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (e.ty as u8).hash(&mut h);
    e.level.hash(&mut h);
    e.session.hash(&mut h);
    message.hash(&mut h);
    for key in [&b"args"[..], b"source", b"stack", b"url", b"line", b"column", b"lineNumber"] {
        json_value_span(&e.raw, key).hash(&mut h);
    }
    Some(h.finish())
}

/// The raw bytes of the first value of `"key": …` in a JSON text (string, number, object,
/// array), without parsing it. Used only to compare events.
pub fn json_value_span<'a>(raw: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut pat = Vec::with_capacity(key.len() + 2);
    pat.push(b'"');
    pat.extend_from_slice(key);
    pat.push(b'"');
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&raw[from..], &pat) {
        let mut i = from + pos + pat.len();
        from = i;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        if raw.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        let (mut depth, mut in_str) = (0usize, false);
        while i < raw.len() {
            let c = raw[i];
            if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => {
                        in_str = false;
                        if depth == 0 {
                            return Some(&raw[start..=i]);
                        }
                    }
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => return Some(&raw[start..i]),
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(&raw[start..=i]);
                        }
                    }
                    b',' if depth == 0 => return Some(&raw[start..i]),
                    _ => {}
                }
            }
            i += 1;
        }
        return Some(&raw[start..]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_spans_cover_strings_numbers_objects_and_arrays() {
        let raw = br#"{"a":"x\"y","n": 42,"o":{"k":[1,{"z":"}"}]},"arr":[1,2] ,"last":true}"#;
        assert_eq!(json_value_span(raw, b"a"), Some(&br#""x\"y""#[..]));
        assert_eq!(json_value_span(raw, b"n"), Some(&b"42"[..]));
        assert_eq!(json_value_span(raw, b"o"), Some(&br#"{"k":[1,{"z":"}"}]}"#[..]));
        assert_eq!(json_value_span(raw, b"arr"), Some(&b"[1,2]"[..]));
        assert_eq!(json_value_span(raw, b"last"), Some(&b"true"[..]));
        assert_eq!(json_value_span(raw, b"none"), None);
    }
}
