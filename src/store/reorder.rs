//! The reorder window: Console and Network events are held for a short while after they arrive
//! and released in event-time order, so one that arrives late (a "Failed to load resource" sent
//! by another route than the page's own logs) is listed by its timestamp and a following list
//! never jumps. One held longer than the window is released anyway; an event arriving after a
//! later-stamped one was released is appended where it arrives (documented in docs/protocol.md).
//!
//! The window adapts, between 0 and the configured `reorder_window_ms` (the most any event is
//! held): it holds only as long as the events seen lately needed. It starts at the most (the
//! first page load after start is ordered) and halves every 250 ms while everything arrives in
//! order, so a page whose events arrive in order is listed at once. An event stamped before
//! one already seen shows how late its route runs (the gap between the two stamps); the window
//! then covers twice that plus 10 ms for 30 s, and afterwards halves every 2 s.

use std::collections::{BTreeMap, VecDeque};

use super::StoredEvent;

/// The most events held at once; past it everything held is released (a flood).
pub const MAX_HELD: usize = 20_000;

/// How long the start-up hold takes to halve (ms).
const START_HALF_LIFE_MS: f64 = 250.0;
/// How long a learned hold lasts in full after the late event that set it (ms), and how long
/// it then takes to halve.
const LEARNED_HOLD_MS: i64 = 30_000;
const LEARNED_HALF_LIFE_MS: f64 = 2_000.0;
/// Below this the window is 0: events are listed at once.
const NEGLIGIBLE_MS: f64 = 1.0;

/// Held events, kept sorted by (timestamp, arrival).
#[derive(Debug, Default)]
pub struct Reorder {
    /// The most an event is held (the configured window); 0: nothing is ever held.
    window_ms: i64,
    /// Held events by (event timestamp, arrival number): a late one is placed in O(log n),
    /// with no shifting (a sorted `VecDeque` spent 28 % of a saturated ingest in memmove).
    held: BTreeMap<(i64, u64), StoredEvent>,
    /// (when due, event timestamp, arrival number) in arrival order: the front is due first.
    arrived: VecDeque<(i64, i64, u64)>,
    arrivals: u64,
    /// When the first event arrived (the start-up hold decays from it).
    first_arrival: Option<i64>,
    /// The hold the latest late event asked for, and when it arrived.
    learned: Option<(f64, i64)>,
    /// The latest timestamp of an event admitted so far.
    latest_ts: Option<i64>,
    /// The latest due time handed out (due times never go back, so `arrived` stays sorted).
    last_due: i64,
}

impl Reorder {
    pub fn new(window_ms: i64) -> Self {
        Reorder { window_ms: window_ms.max(0), ..Reorder::default() }
    }

    /// The most an event is held (ms): the configured window.
    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// How long an event arriving at `now` is held (ms, at most the configured window).
    pub fn effective_window_ms(&self, now: i64) -> i64 {
        let most = self.window_ms as f64;
        let start = self.first_arrival.map_or(most, |first| decay(most, now - first, START_HALF_LIFE_MS));
        let w = start.max(self.learned_at(now)).min(most);
        if w < NEGLIGIBLE_MS {
            0
        } else {
            w.ceil() as i64
        }
    }

    /// Takes `event`, which arrived at `now` (ms): held, or handed back to be listed at once
    /// when nothing is held and the window is 0.
    pub fn admit(&mut self, event: StoredEvent, now: i64) -> Option<StoredEvent> {
        // Decided before learning from it: a late event with nothing held to place it among
        // is listed at once; what it teaches applies to the events after it.
        let at_once = self.held.is_empty() && self.effective_window_ms(now) == 0;
        self.learn(event.timestamp_ms, now);
        if at_once {
            return Some(event);
        }
        self.hold(event, now);
        None
    }

    /// Holds `event`, which arrived at `now` (ms), for the window.
    pub fn push(&mut self, event: StoredEvent, now: i64) {
        self.learn(event.timestamp_ms, now);
        self.hold(event, now);
    }

    /// What is left at `now` of the hold the latest late event asked for (ms).
    fn learned_at(&self, now: i64) -> f64 {
        self.learned.map_or(0.0, |(hold, at)| decay(hold, now - at - LEARNED_HOLD_MS, LEARNED_HALF_LIFE_MS))
    }

    /// An event stamped before the latest one seen shows its route runs late by the gap.
    fn learn(&mut self, ts: i64, now: i64) {
        self.first_arrival.get_or_insert(now);
        match self.latest_ts {
            Some(latest) if ts < latest => {
                let want = (2 * (latest - ts) + 10).min(self.window_ms) as f64;
                self.learned = Some((want.max(self.learned_at(now)), now));
            }
            _ => self.latest_ts = Some(ts),
        }
    }

    /// O(log n).
    fn hold(&mut self, event: StoredEvent, now: i64) {
        self.arrivals += 1;
        let ts = event.timestamp_ms;
        self.held.insert((ts, self.arrivals), event);
        let due = (now + self.effective_window_ms(now)).max(self.last_due);
        self.last_due = due;
        self.arrived.push_back((due, ts, self.arrivals));
    }

    /// When the next held event falls due (ms), if any.
    pub fn next_due(&self) -> Option<i64> {
        self.arrived.front().map(|(due, _, _)| *due)
    }

    /// Releases, in timestamp order, every event held for its window by `now`, and every event
    /// stamped no later than one of those (it must not be listed after it).
    pub fn take_due(&mut self, now: i64) -> Vec<StoredEvent> {
        let mut last: Option<(i64, u64)> = None;
        while let Some(&(due, ts, n)) = self.arrived.front() {
            if due > now {
                break;
            }
            self.arrived.pop_front();
            last = last.max(Some((ts, n)));
        }
        let Some(key) = last else { return Vec::new() };
        // Arrival entries of events released early with these stay until their turn: popping
        // them releases nothing held or only later arrivals stamped before a listed event,
        // which could not be placed anyway.
        let later = self.held.split_off(&(key.0, key.1 + 1));
        let out = std::mem::replace(&mut self.held, later).into_values().collect();
        if self.held.is_empty() {
            self.arrived.clear();
        }
        out
    }

    /// Everything held, in timestamp order (shutdown, or the window set to 0).
    pub fn take_all(&mut self) -> Vec<StoredEvent> {
        self.arrived.clear();
        std::mem::take(&mut self.held).into_values().collect()
    }
}

/// `value` halved every `half_life` ms after `elapsed` ms (in full before: `elapsed` ≤ 0).
fn decay(value: f64, elapsed: i64, half_life: f64) -> f64 {
    if elapsed <= 0 {
        value
    } else {
        value * (-(elapsed as f64) / half_life).exp2()
    }
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
            raw: Raw::from(tag.as_bytes()).into(),
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

    #[test]
    fn in_order_events_are_listed_at_once_once_the_start_up_hold_has_decayed() {
        let mut r = Reorder::new(250);
        assert!(r.admit(ev(1, "first"), 0).is_none(), "held at start");
        assert_eq!(r.effective_window_ms(0), 250);
        assert_eq!(tags(&r.take_due(250)), ["first"]);
        // Ten half-lives later the start-up hold is under a millisecond.
        assert_eq!(r.effective_window_ms(2_500), 0);
        assert_eq!(tags(&r.admit(ev(2, "in order"), 2_500).into_iter().collect::<Vec<_>>()), ["in order"]);
    }

    #[test]
    fn a_late_event_makes_the_window_cover_its_lateness_for_a_while() {
        let mut r = Reorder::new(250);
        let t0 = 10_000;
        assert!(r.admit(ev(100, "a"), t0).is_none());
        r.take_due(t0 + 250);
        let t = t0 + 5_000;
        assert!(r.admit(ev(200, "b"), t).is_some(), "window decayed to 0");
        // Stamped 40 ms before the latest seen: it was appended late, and the window now
        // covers 2 × 40 + 10 ms.
        assert!(r.admit(ev(160, "late"), t + 1).is_some(), "nothing held: appended as it arrives");
        assert_eq!(r.effective_window_ms(t + 2), 90);
        assert_eq!(r.effective_window_ms(t + 1 + LEARNED_HOLD_MS), 90, "in full for 30 s");
        assert_eq!(r.effective_window_ms(t + 1 + LEARNED_HOLD_MS + 2_000), 45, "then halves every 2 s");
        // Within those 30 s the route's lateness is covered: a late one is placed by its time.
        assert!(r.admit(ev(300, "c"), t + 10).is_none());
        assert!(r.admit(ev(260, "late again"), t + 50).is_none());
        assert_eq!(tags(&r.take_due(t + 100)), ["late again", "c"]);
    }

    #[test]
    fn the_window_never_exceeds_the_configured_one_and_0_holds_nothing() {
        let mut r = Reorder::new(100);
        r.admit(ev(10_000, "a"), 0);
        r.admit(ev(0, "very late"), 1);
        assert_eq!(r.effective_window_ms(2), 100);
        let mut off = Reorder::new(0);
        assert!(off.admit(ev(5, "x"), 0).is_some());
        assert!(off.admit(ev(1, "y"), 1).is_some());
        assert!(off.is_empty());
    }
}
