//! Owns what makes console events "the same" for grouping: a key over the parts of an event
//! that repeats share (type, level, session, message, args, source, location, stack; not time
//! or id), computed on raw bytes without parsing, and the group a row then stands for.

use std::hash::{Hash, Hasher};

use super::filter::{json_str_field, json_value_span};
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
