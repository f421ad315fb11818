//! One serialisation of each stored event for every live-stream client. The first `/mcp-ws`
//! client to send an event builds its canonical JSON; the others send the same shared buffer,
//! so a hundred clients cost one serialisation an event, not a hundred.

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;

use crate::store::{Raw, StoredEvent};

/// Recent events' wire text, by `seq`. Clients streaming in step find an event here; one far
/// behind rebuilds what it needs (the slot was taken by a newer event), which is only slower.
const SLOTS: usize = 2048;

pub(crate) struct FanoutCache {
    slots: Box<[Mutex<Option<Built>>]>,
}

/// An event's canonical JSON, as the frame log keeps it and as the socket sends it (one buffer).
#[derive(Clone)]
pub(crate) struct Built {
    seq: u64,
    pub raw: Raw,
    pub text: Utf8Bytes,
}

impl Default for FanoutCache {
    fn default() -> Self {
        FanoutCache { slots: (0..SLOTS).map(|_| Mutex::new(None)).collect() }
    }
}

impl FanoutCache {
    /// The event's canonical envelope JSON, built once while it is recent.
    pub(crate) fn get(&self, e: &StoredEvent) -> Built {
        let slot = &self.slots[(e.seq % SLOTS as u64) as usize];
        if let Some(b) = slot.lock().as_ref().filter(|b| b.seq == e.seq) {
            return b.clone();
        }
        let raw: Raw = Raw::from(e.envelope_json().into_bytes());
        let text = Utf8Bytes::try_from(Bytes::from_owner(raw.clone()))
            .unwrap_or_else(|_| Utf8Bytes::from(String::from_utf8_lossy(&raw).into_owned()));
        let built = Built { seq: e.seq, raw, text };
        *slot.lock() = Some(built.clone());
        built
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::Level;

    fn event(seq: u64, message: &str) -> StoredEvent {
        let raw = format!(r#"{{"type":"console-log","data":{{"message":"{message}"}}}}"#);
        StoredEvent {
            seq,
            ty: MessageType::ConsoleLog,
            level: Level::Log,
            status: 0,
            timestamp_ms: 1000,
            session: "tab".into(),
            raw: Raw::from(raw.into_bytes()).into(),
        }
    }

    #[test]
    fn clients_share_one_serialisation_of_an_event() {
        let cache = FanoutCache::default();
        let e = event(7, "hello");
        let (first, second) = (cache.get(&e), cache.get(&e));
        assert!(std::sync::Arc::ptr_eq(&first.raw, &second.raw), "the second client rebuilt the JSON");
        assert_eq!(first.text.as_str(), e.envelope_json());
        assert_eq!(&*first.raw, first.text.as_bytes());
    }

    #[test]
    fn a_newer_event_in_the_same_slot_is_not_mistaken_for_the_old_one() {
        let cache = FanoutCache::default();
        let old = event(3, "old");
        let new = event(3 + SLOTS as u64, "new");
        assert!(cache.get(&old).text.contains("old"));
        assert!(cache.get(&new).text.contains("new"));
        assert!(cache.get(&old).text.contains("old"));
    }
}
