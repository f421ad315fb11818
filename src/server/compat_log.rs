//! The borrowed hot path of browser-tools' `POST /extension-log`: a console entry read from the
//! body's text without a `serde_json::Value` tree, and stored as the very bytes the owned path
//! (`compat_http::translate_log`) stores. What this path does not take — network entries and
//! selected elements (redaction and their translation work on the owned tree), a duplicate key,
//! a value serde_json would write back differently (floats, whitespace, other escapes) — goes
//! down the owned path, which answers and stores as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::protocol::canonical_json::is_canonical;
use crate::protocol::{MessageType, Timestamp};
use crate::store::{classify_parts, Level};

/// A console entry, translated: what the store keeps of it.
#[derive(Debug, PartialEq)]
pub struct LogEntry {
    pub kind: MessageType,
    pub level: Level,
    pub timestamp_ms: i64,
    /// The canonical envelope, byte for byte what the owned path writes.
    pub json: String,
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

/// An object's members in order, borrowed; `None` when a key repeats (serde_json keeps one).
struct Members<'a>(Option<Vec<(Cow<'a, str>, &'a RawValue)>>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::with_capacity(8);
                let mut unique = true;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    unique &= !members.iter().any(|(k, _)| *k == key);
                    members.push((key, value));
                }
                Ok(Members(unique.then_some(members)))
            }
        }
        d.deserialize_map(V)
    }
}

/// The body's console entry, translated as [`super::compat_http::translate_log`] translates it;
/// `None` leaves the body to it. `now` stamps an entry that carries no usable timestamp.
pub fn translate_log_borrowed(body: &[u8], now: impl FnOnce() -> i64) -> Option<LogEntry> {
    let text = std::str::from_utf8(body).ok()?;
    // The derive would read an array as the struct; the owned path finds no `data` in one.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let body: Body = serde_json::from_str(text).ok()?;
    let mut members = serde_json::from_str::<Members>(body.data.get()).ok()?.0?;
    let field = |members: &[(Cow<str>, &RawValue)], name: &str| members.iter().position(|(k, _)| k == name);
    let ty_at = field(&members, "type")?;
    let ty: Cow<str> = serde_json::from_str(members[ty_at].1.get()).ok()?;
    let kind = match ty.as_ref() {
        "console-log" => MessageType::ConsoleLog,
        "console-error" => MessageType::ConsoleError,
        _ => return None,
    };
    let timestamp_ms = field(&members, "timestamp")
        .and_then(|at| serde_json::from_str::<Timestamp>(members[at].1.get()).ok())
        .map_or_else(now, |t| t.0);
    // The owned path removes from a `preserve_order` map, which swaps the last member into the
    // gap: the same order falls out of `Vec::swap_remove`.
    members.swap_remove(ty_at);
    if let Some(at) = field(&members, "timestamp") {
        members.swap_remove(at);
    }
    if !members.iter().all(|(_, v)| is_canonical(v.get())) {
        return None;
    }
    let level_text = match field(&members, "level") {
        Some(at) => serde_json::from_str::<Cow<str>>(members[at].1.get()).ok(),
        None => None,
    };
    let (level, _) = classify_parts(kind, level_text.as_deref(), None, None);
    let default_level = field(&members, "level").is_none();
    let mut json = String::with_capacity(body.data.get().len() + 96);
    json.push_str(r#"{"type":""#);
    json.push_str(kind.as_str());
    json.push_str(r#"","timestamp":"#);
    json.push_str(&timestamp_ms.to_string());
    json.push_str(r#","data":{"#);
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(key.as_ref()).ok()?);
        json.push(':');
        json.push_str(value.get());
    }
    if default_level {
        if !members.is_empty() {
            json.push(',');
        }
        json.push_str(if kind == MessageType::ConsoleError {
            r#""level":"error""#
        } else {
            r#""level":"log""#
        });
    }
    json.push_str(r#"},"metadata":{"source":"browser-tools"}}"#);
    Some(LogEntry { kind, level, timestamp_ms, json })
}

#[cfg(test)]
mod tests {
    use super::translate_log_borrowed;
    use crate::server::compat_http::translate_log;

    /// What the owned path stores for a body.
    fn owned(body: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        translate_log(v.get("data")?).ok().map(|(env, _)| env.to_json())
    }

    #[test]
    fn stores_the_owned_paths_bytes() {
        for body in [
            r#"{"data":{"type":"console-log","level":"warn","message":"a \"b\"\n","timestamp":1704067200000},"settings":{"logLimit":50}}"#,
            r#"{"data":{"timestamp":1704067200001,"message":"x","type":"console-error"}}"#,
            r#"{"data":{"type":"console-log","args":[1,"two",{"three":null}],"timestamp":"2024-01-01T00:00:00Z","extra":true}}"#,
            r#"{"data":{"type":"console-log","message":"é ✓","timestamp":-5}}"#,
        ] {
            let fast = translate_log_borrowed(body.as_bytes(), || 0).expect(body);
            assert_eq!(Some(fast.json), owned(body), "{body}");
        }
    }

    #[test]
    fn leaves_to_the_owned_path_what_it_would_write_otherwise() {
        for body in [
            r#"{"data":{"type":"network-request","status":200,"timestamp":1}}"#,
            r#"{"data":{"type":"console-log","n":1.5,"timestamp":1}}"#,
            r#"{"data":{"type":"console-log","message":"\u0041","timestamp":1}}"#,
            r#"{"data":{"type":"console-log","o":{"a" : 1},"timestamp":1}}"#,
            r#"{"data":{"type":"console-log","m":"a","m":"b","timestamp":1}}"#,
            r#"{"data":{"type":"console-log"},"data":{"type":"console-log"}}"#,
            r#"[{"type":"console-log"}]"#,
            r#"{"data":"console-log"}"#,
            r#"{"data":{"type":7}}"#,
            "{\"data\":{\"type\":\"console-log\"}} trailing",
        ] {
            assert_eq!(translate_log_borrowed(body.as_bytes(), || 0), None, "{body}");
        }
    }
}
