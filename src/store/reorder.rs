//! The reorder window: Console and Network events are held for a short while after they arrive
//! and released in event-time order, so one that arrives late (a "Failed to load resource" sent
//! by another route than the page's own logs) is listed by its timestamp and a following list
//! never jumps. One held longer than the window is released anyway; an event arriving after a
//! later-stamped one was released is appended where it arrives (documented in docs/protocol.md).

use std::collections::VecDeque;

use super::StoredEvent;

/// The most events held at once; past it everything held is released (a flood).
pub const MAX_HELD: usize = 20_000;

/// Held events, kept sorted by (timestamp, arrival).
#[derive(Debug, Default)]
pub struct Reorder {
    window_ms: i64,
    /// (event timestamp, arrival number, event), ascending.
    held: VecDeque<(i64, u64, StoredEvent)>,
    /// (arrival time, event timestamp, arrival number) in arrival order: the front is due first.
    arrived: VecDeque<(i64, i64, u64)>,
    arrivals: u64,
}

impl Reorder {
    pub fn new(window_ms: i64) -> Self {
        Reorder { window_ms: window_ms.max(0), ..Reorder::default() }
    }

    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Holds `event`, which arrived at `now` (ms). O(log n + shift) for a small buffer.
    pub fn push(&mut self, event: StoredEvent, now: i64) {
        self.arrivals += 1;
        let key = (event.timestamp_ms, self.arrivals);
        // Most events arrive in order: found from the back in one step.
        let at = if self.held.back().is_none_or(|(ts, n, _)| (*ts, *n) <= key) {
            self.held.len()
        } else {
            self.held.partition_point(|(ts, n, _)| (*ts, *n) <= key)
        };
        self.held.insert(at, (event.timestamp_ms, self.arrivals, event));
        self.arrived.push_back((now, event_ts(&self.held, at), self.arrivals));
    }

    /// When the next held event falls due (ms), if any.
    pub fn next_due(&self) -> Option<i64> {
        self.arrived.front().map(|(at, _, _)| at + self.window_ms)
    }

    /// Releases, in timestamp order, every event held for the window by `now`, and every event
    /// stamped no later than one of those (it must not be listed after it).
    pub fn take_due(&mut self, now: i64) -> Vec<StoredEvent> {
        let mut last: Option<(i64, u64)> = None;
        while let Some(&(at, ts, n)) = self.arrived.front() {
            if at + self.window_ms > now {
                break;
            }
            self.arrived.pop_front();
            last = last.max(Some((ts, n)));
        }
        let Some(key) = last else { return Vec::new() };
        let end = self.held.partition_point(|(ts, n, _)| (*ts, *n) <= key);
        // Arrival entries of events released early with these stay until their turn: popping
        // them releases nothing held or only later arrivals stamped before a listed event,
        // which could not be placed anyway.
        let out = self.held.drain(..end).map(|(_, _, e)| e).collect();
        if self.held.is_empty() {
            self.arrived.clear();
        }
        out
    }

    /// Everything held, in timestamp order (shutdown, or the window set to 0).
    pub fn take_all(&mut self) -> Vec<StoredEvent> {
        self.arrived.clear();
        self.held.drain(..).map(|(_, _, e)| e).collect()
    }
}

fn event_ts(held: &VecDeque<(i64, u64, StoredEvent)>, at: usize) -> i64 {
    held[at].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::{Level, Raw};

    fn ev(ts: i64, tag: &str) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ty: MessageType::ConsoleLog,
            level: Level::Log,
            status: 0,
            timestamp_ms: ts,
            session: "s".into(),
            raw: Raw::from(tag.as_bytes()),
        }
    }

    fn tags(v: &[StoredEvent]) -> Vec<String> {
        v.iter().map(|e| String::from_utf8_lossy(&e.raw).into_owned()).collect()
    }

    #[test]
    fn a_late_event_within_the_window_is_placed_by_its_timestamp() {
        let mut r = Reorder::new(250);
        // The case: the failures stamped .030–.060 arrive first, the page's log (.999
        // of the second before) 40 ms later.
        r.push(ev(47_030, "failed-1"), 1_000);
        r.push(ev(47_060, "failed-2"), 1_001);
        r.push(ev(46_999, "page log"), 1_040);
        assert!(r.take_due(1_249).is_empty(), "nothing held for 250 ms yet");
        assert_eq!(r.next_due(), Some(1_250));
        // failed-1 is due; the page log is stamped earlier, so it goes first, with it.
        assert_eq!(tags(&r.take_due(1_250)), ["page log", "failed-1"]);
        assert_eq!(tags(&r.take_due(1_251)), ["failed-2"]);
        assert!(r.is_empty() && r.next_due().is_none());
    }

    #[test]
    fn equal_timestamps_keep_arrival_order_and_take_all_drains() {
        let mut r = Reorder::new(100);
        for t in ["a", "b", "c"] {
            r.push(ev(5, t), 0);
        }
        r.push(ev(1, "first"), 10);
        assert_eq!(tags(&r.take_all()), ["first", "a", "b", "c"]);
        assert_eq!(r.len(), 0);
    }
}
