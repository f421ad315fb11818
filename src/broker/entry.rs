//! The layout of one stream entry, written by the publisher and read by the consumer.
//!
//! An entry is `c` (the connector), `n` (how many events) and `b`: the events packed one after
//! another, each as three length-prefixed parts (session, type, raw envelope), every length a
//! 4-byte little-endian integer. One field per entry keeps Redis's per-field work and the
//! client's per-event formatting off the ingest path. Entries of the earlier layouts (`s0 t0 e0`,
//! `s1 t1 e1`, … with `n`, or a single `s t e`) are still read.

use redis::streams::StreamId;
use redis::Value;

use crate::store::StoredEvent;

/// Events per stream entry at most.
pub const PACK: usize = 64;

/// The field names of the current layout.
pub const CONNECTOR: &str = "c";
pub const COUNT: &str = "n";
pub const BATCH: &str = "b";

/// One event as an entry carries it.
#[derive(Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub session: &'a str,
    pub ty: &'a str,
    pub raw: &'a [u8],
}

/// Packs `events` into `out` (cleared first) as the `b` field.
pub fn pack(events: &[StoredEvent], out: &mut Vec<u8>) {
    out.clear();
    let size: usize = events.iter().map(|e| 12 + e.session.len() + e.ty.as_str().len() + e.raw.len()).sum();
    out.reserve(size);
    for e in events {
        for part in [e.session.as_bytes(), e.ty.as_str().as_bytes(), &e.raw] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
}

/// The events of a packed `b` field; `None` when it is cut short or a part is not UTF-8 where
/// text is due (the whole entry is then skipped, never half-read).
pub fn unpack(mut bytes: &[u8], count: usize) -> Option<Vec<Event<'_>>> {
    let mut part = || -> Option<&[u8]> {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        let (head, tail) = rest.split_at(len);
        bytes = tail;
        Some(head)
    };
    let mut events = Vec::with_capacity(count.min(PACK));
    while events.len() < count.min(PACK) {
        let session = std::str::from_utf8(part()?).ok()?;
        let ty = std::str::from_utf8(part()?).ok()?;
        let raw = part()?;
        events.push(Event { session, ty, raw });
    }
    Some(events)
}

/// The events of an entry in any layout; empty for an entry that holds none or is malformed.
pub fn events(entry: &StreamId) -> Vec<Event<'_>> {
    let text = |k: &str| match entry.map.get(k) {
        Some(Value::BulkString(b)) => std::str::from_utf8(b).ok(),
        Some(Value::SimpleString(s)) => Some(s.as_str()),
        _ => None,
    };
    let bytes = |k: &str| match entry.map.get(k) {
        Some(Value::BulkString(b)) => Some(&b[..]),
        Some(Value::SimpleString(s)) => Some(s.as_bytes()),
        _ => None,
    };
    let count = text(COUNT).and_then(|n| n.parse::<usize>().ok());
    let old = |i: &str| {
        Some(Event {
            session: text(&format!("s{i}"))?,
            ty: text(&format!("t{i}"))?,
            raw: bytes(&format!("e{i}"))?,
        })
    };
    match (bytes(BATCH), count) {
        (Some(b), Some(n)) => unpack(b, n).unwrap_or_default(),
        (None, Some(n)) => (0..n.min(PACK)).filter_map(|i| old(&i.to_string())).collect(),
        _ => old("").into_iter().collect(),
    }
}

/// The connector that wrote an entry.
pub fn connector(entry: &StreamId) -> Option<String> {
    entry.get(CONNECTOR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::{Level, SessionId};

    fn event(session: &str, raw: &str) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ty: MessageType::parse("console-log").unwrap(),
            level: Level::Log,
            status: 0,
            timestamp_ms: 0,
            session: SessionId::from(session),
            raw: raw.as_bytes().into(),
        }
    }

    fn entry(fields: &[(&str, &[u8])]) -> StreamId {
        let map = fields.iter().map(|(k, v)| (k.to_string(), Value::BulkString(v.to_vec()))).collect();
        StreamId { id: "1-0".into(), map, ..Default::default() }
    }

    #[test]
    fn a_packed_batch_reads_back_in_order() {
        let mut b = Vec::new();
        pack(&[event("ext-1", "{\"a\":1}"), event("ext-é", "")], &mut b);
        let e = entry(&[("c", b"A"), ("n", b"2"), ("b", &b)]);
        let got = events(&e);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Event { session: "ext-1", ty: "console-log", raw: b"{\"a\":1}" });
        assert_eq!(got[1], Event { session: "ext-é", ty: "console-log", raw: b"" });
    }

    #[test]
    fn a_cut_or_lying_batch_is_skipped_whole() {
        let mut b = Vec::new();
        pack(&[event("ext-1", "{}"), event("ext-2", "{}")], &mut b);
        assert!(events(&entry(&[("n", b"2"), ("b", &b[..b.len() - 1])])).is_empty());
        assert!(events(&entry(&[("n", b"3"), ("b", &b)])).is_empty());
        assert!(events(&entry(&[("n", b"2"), ("b", &[0xff, 0xff, 0xff, 0xff])])).is_empty());
    }

    #[test]
    fn earlier_layouts_still_read() {
        let one = entry(&[("c", b"A"), ("s", b"ext-1"), ("t", b"console-log"), ("e", b"{}")]);
        assert_eq!(events(&one), vec![Event { session: "ext-1", ty: "console-log", raw: b"{}" }]);
        let two = entry(&[
            ("n", b"2"),
            ("s0", b"x"),
            ("t0", b"console-log"),
            ("e0", b"{}"),
            ("s1", b"y"),
            ("t1", b"console-log"),
            ("e1", b"[]"),
        ]);
        let got = events(&two);
        assert_eq!(got.iter().map(|e| e.session).collect::<Vec<_>>(), ["x", "y"]);
    }
}
