//! Owns a pane's filtered view of one store log: the matching log indexes, kept up to date
//! incrementally, plus selection, scroll position and follow mode.
//!
//! The view remembers how far it has scanned; each sync looks only at what arrived since
//! (bounded by a deadline, so a rebuild over a million events never stalls the UI), drops what
//! the store evicted, and starts over when the store was cleared (its generation changed).
//! Identical console messages that follow each other in the unfiltered log (same type, level,
//! session, text, args, source and stack, decided on raw bytes) collapse into one row with a
//! count and the group's last index; a filter never joins events that others separated.
//! A pane can be cleared on its own: a watermark hides what the log held at that moment.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::store::Log;

use super::filter::Filter;
pub use super::group::{dedupe_key, Group};

/// How many entries are scanned between two looks at the clock.
const CLOCK_EVERY: u64 = 8192;

/// Whether a second core is there to share a long filter scan.
fn parallel() -> bool {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) > 1
}

#[derive(Debug, Clone)]
pub struct ListView {
    /// Log indexes of the rows, oldest first (each row's first event when collapsed).
    pub items: VecDeque<u64>,
    /// Rows standing for several identical consecutive events: first index → group.
    pub dups: HashMap<u64, Group>,
    /// Events folded into earlier rows (sum of `dups` counts minus one each).
    folded: usize,
    last_key: Option<u64>,
    /// The log index of the last event taken into the view (a row or a group member).
    last_taken: Option<u64>,
    /// Events before this log index are hidden (the pane was cleared on its own).
    pub cleared_before: u64,
    /// Where follow was paused: the log index from which rows count as "arrived since".
    pause_base: Option<u64>,
    /// Collapse identical consecutive events (off: every event its own row).
    pub grouping: bool,
    /// The next log index to look at.
    pub scanned: u64,
    /// Where the current (re)build started, for progress.
    scan_start: u64,
    generation: u64,
    /// The selected row's log index: the selection stays on its event while others arrive.
    pub selected: Option<u64>,
    /// The first visible row (a position in `items`).
    pub top: usize,
    /// Keep the newest row selected and in view.
    pub follow: bool,
    pub filter: Option<Filter>,
    /// Whether the scan has not yet reached the end of the log.
    pub scanning: bool,
}

impl Default for ListView {
    fn default() -> Self {
        ListView {
            items: VecDeque::new(),
            dups: HashMap::new(),
            folded: 0,
            last_key: None,
            last_taken: None,
            cleared_before: 0,
            pause_base: None,
            grouping: true,
            scanned: 0,
            scan_start: 0,
            generation: u64::MAX,
            selected: None,
            top: 0,
            follow: true,
            filter: None,
            scanning: false,
        }
    }
}

impl ListView {
    fn reset_items(&mut self) {
        self.items.clear();
        self.dups.clear();
        self.folded = 0;
        self.last_key = None;
        self.last_taken = None;
        self.top = 0;
    }

    /// Hides everything the log holds up to `log_end` (this pane only; the store keeps it).
    pub fn clear_to(&mut self, log_end: u64) {
        self.reset_items();
        self.cleared_before = log_end;
        self.scanned = self.scanned.max(log_end);
        self.scan_start = self.scanned;
        self.selected = None;
    }

    /// Turns collapsing of identical consecutive events on or off (the view is rebuilt).
    pub fn set_grouping(&mut self, on: bool) {
        self.grouping = on;
        let filter = self.filter.take();
        self.set_filter(filter);
    }

    /// Stops following; rows arriving from now on are counted for the PAUSED badge.
    pub fn pause(&mut self) {
        if self.follow || self.pause_base.is_none() {
            self.pause_base = Some(self.scanned);
        }
        self.follow = false;
    }

    /// Rows that arrived since follow was paused.
    pub fn arrived_since_pause(&self) -> usize {
        match (self.follow, self.pause_base) {
            (false, Some(base)) => self.items.len() - self.items.partition_point(|&i| i < base),
            _ => 0,
        }
    }

    /// Replaces the filter; the view is rebuilt from the oldest held event on the next syncs.
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.filter = filter;
        self.reset_items();
        self.scanned = self.cleared_before;
        self.scan_start = self.cleared_before;
        self.scanning = true;
    }

    /// Brings the view up to date with `log`, until `deadline`. Returns true when work remains.
    pub fn sync<T: Sync>(
        &mut self,
        log: &Log<T>,
        generation: u64,
        deadline: Instant,
        accept: impl Fn(&Filter, &T) -> bool + Sync,
        key: Option<fn(&T) -> Option<u64>>,
    ) -> bool {
        if self.generation != generation {
            // The store was cleared (or this is the first sync): nothing held is ours any more.
            self.generation = generation;
            self.reset_items();
            self.selected = None;
            self.cleared_before = 0;
            self.pause_base = None;
            self.scanned = log.first();
            self.scan_start = self.scanned;
        }
        let first = log.first();
        self.evict(first);
        if self.scanned < first {
            self.scanned = first;
            self.scan_start = self.scan_start.max(first);
        }
        let end = log.end();
        let key = key.filter(|_| self.grouping);
        let mut i = self.scanned;
        while i < end {
            let chunk_end = (i + CLOCK_EVERY).min(end);
            match self.filter.as_ref() {
                // A long scan with a filter: match the chunk's two halves on two threads (the
                // match is the costly part); appending stays in order on this one.
                Some(f) if chunk_end - i == CLOCK_EVERY && parallel() => {
                    let mid = i + CLOCK_EVERY / 2;
                    let matching = |from: u64, to: u64| -> Vec<u64> {
                        (from..to).filter(|&j| log.get(j).is_some_and(|item| accept(f, item))).collect()
                    };
                    let (low, high) = std::thread::scope(|scope| {
                        let low = scope.spawn(|| matching(i, mid));
                        let high = matching(mid, chunk_end);
                        (low.join(), high)
                    });
                    let low = low.unwrap_or_else(|_| matching(i, mid));
                    for j in low.into_iter().chain(high) {
                        let k = key.and_then(|k| log.get(j).and_then(k));
                        self.push(j, k);
                    }
                }
                _ => {
                    for j in i..chunk_end {
                        if let Some(item) = log.get(j) {
                            if self.filter.as_ref().is_none_or(|f| accept(f, item)) {
                                self.push(j, key.and_then(|k| k(item)));
                            }
                        }
                    }
                }
            }
            i = chunk_end;
            if Instant::now() >= deadline {
                break;
            }
        }
        self.scanned = i;
        self.scanning = i < end;
        if self.follow {
            self.selected = self.items.back().copied();
        } else if self.selected.is_none() {
            self.selected = self.items.front().copied();
        } else if !self.scanning && !self.holds_selected() {
            // The selected event is not in this view (a new filter): take the nearest row.
            self.selected = self.position().and_then(|p| self.items.get(p).copied());
        }
        self.scanning
    }

    /// Whether the selected log index is one of the rows.
    pub fn holds_selected(&self) -> bool {
        self.selected.is_some_and(|s| self.items.binary_search(&s).is_ok())
    }

    fn push(&mut self, index: u64, key: Option<u64>) {
        // Only events next to each other in the log (nothing between them, filtered or not)
        // and with the same key form a group.
        let adjacent = self.last_taken.is_some_and(|t| t + 1 == index);
        self.last_taken = Some(index);
        if adjacent && key.is_some() && key == self.last_key {
            if let Some(&row) = self.items.back() {
                let g = self.dups.entry(row).or_insert(Group { count: 1, last: row });
                g.count += 1;
                g.last = index;
                self.folded += 1;
                return;
            }
        }
        self.last_key = key;
        self.items.push_back(index);
    }

    fn evict(&mut self, first: u64) {
        let gone = self.items.partition_point(|&i| i < first);
        if gone == 0 {
            return;
        }
        if self.dups.is_empty() {
            self.items.drain(..gone);
        } else {
            for i in self.items.drain(..gone) {
                if let Some(g) = self.dups.remove(&i) {
                    self.folded -= g.count as usize - 1;
                }
            }
        }
        self.top = self.top.saturating_sub(gone);
        if self.selected.is_some_and(|s| s < first) {
            self.selected = self.items.front().copied();
        }
    }

    /// Share of the log scanned so far, while a rebuild runs (0–100).
    pub fn progress(&self, log_end: u64) -> u8 {
        let total = log_end.saturating_sub(self.scan_start).max(1);
        ((self.scanned.saturating_sub(self.scan_start)) * 100 / total).min(100) as u8
    }

    /// The events a row stands for.
    pub fn count_of(&self, index: u64) -> u32 {
        self.dups.get(&index).map_or(1, |g| g.count)
    }

    /// The group a row stands for, when it stands for more than one event.
    pub fn group_of(&self, index: u64) -> Option<Group> {
        self.dups.get(&index).copied()
    }

    /// How many events the current scan still has to look at, from where it started.
    pub fn scan_total(&self, log_end: u64) -> u64 {
        log_end.saturating_sub(self.scan_start)
    }

    /// How many events the rows stand for.
    pub fn event_count(&self) -> usize {
        self.items.len() + self.folded
    }

    /// The selected row's position in `items`.
    pub fn position(&self) -> Option<usize> {
        let sel = self.selected?;
        if self.items.is_empty() {
            return None;
        }
        Some(match self.items.binary_search(&sel) {
            Ok(p) => p,
            Err(p) => p.min(self.items.len() - 1),
        })
    }

    /// Moves the selection by `delta` rows; moving up pauses follow.
    pub fn move_by(&mut self, delta: isize) {
        if self.items.is_empty() {
            return;
        }
        let pos = self.position().unwrap_or(0) as isize;
        let new = (pos + delta).clamp(0, self.items.len() as isize - 1) as usize;
        if delta < 0 {
            self.pause();
        }
        self.selected = self.items.get(new).copied();
    }

    pub fn select_position(&mut self, pos: usize) {
        if let Some(&i) = self.items.get(pos) {
            self.pause();
            self.selected = Some(i);
        }
    }

    pub fn go_top(&mut self) {
        self.pause();
        self.selected = self.items.front().copied();
        self.top = 0;
    }

    pub fn go_bottom(&mut self) {
        self.follow = true;
        self.pause_base = None;
        self.selected = self.items.back().copied();
    }

    /// Adjusts `top` so the selection is within `height` visible rows.
    pub fn ensure_visible(&mut self, height: usize) {
        let len = self.items.len();
        let height = height.max(1);
        if self.follow {
            self.top = len.saturating_sub(height);
            return;
        }
        if let Some(p) = self.position() {
            if p < self.top {
                self.top = p;
            } else if p >= self.top + height {
                self.top = p + 1 - height;
            }
        }
        self.top = self.top.min(len.saturating_sub(height));
    }

    /// The log indexes of the `height` rows from `top` (O(1) to reach, whatever the length).
    pub fn visible(&self, height: usize) -> impl Iterator<Item = &u64> + '_ {
        let start = self.top.min(self.items.len());
        let end = (start + height).min(self.items.len());
        self.items.range(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::Raw;
    use crate::store::{Level, Store, StoredEvent};

    fn console(msg: &str, level: Level) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ty: MessageType::ConsoleLog,
            level,
            status: 0,
            timestamp_ms: 0,
            session: "s".into(),
            raw: Raw::from(format!(r#"{{"type":"console-log","data":{{"message":"{msg}"}}}}"#).into_bytes()),
        }
    }

    fn sync(v: &mut ListView, store: &Store) -> bool {
        let log = store.log(crate::store::Category::Console);
        let far = Instant::now() + std::time::Duration::from_secs(5);
        v.sync(log, store.generation(), far, |f, e| f.matches_event(e), Some(dedupe_key))
    }

    #[test]
    fn incremental_sync_collapses_evicts_and_resets_on_clear() {
        let mut store = Store::new(crate::store::Capacities { console: 5, ..Default::default() });
        let mut v = ListView::default();
        for m in ["a", "b", "b", "b", "c"] {
            store.append(console(m, Level::Log));
        }
        assert!(!sync(&mut v, &store));
        assert_eq!(v.items, [0, 1, 4]);
        assert_eq!(v.count_of(1), 3);
        assert_eq!(v.event_count(), 5);
        assert_eq!(v.selected, Some(4), "follow selects the newest");

        // Pause on "b", then let two new events evict "a" and the first "b".
        v.move_by(-1);
        assert!(!v.follow);
        assert_eq!(v.selected, Some(1));
        store.append(console("zulu", Level::Log));
        store.append(console("echo", Level::Log));
        sync(&mut v, &store);
        assert_eq!(v.items, [4, 5, 6]);
        assert_eq!(v.selected, Some(4), "selection moved to the oldest held row when its event went");

        // Filter rebuild, then a clear resets.
        v.set_filter(crate::ui::filter::Filter::parse("-zulu").unwrap());
        sync(&mut v, &store);
        // Rebuilt from the oldest held event: the two "b" still held collapse again.
        assert_eq!(v.items, [2, 4, 6]);
        assert_eq!(v.count_of(2), 2);
        store.clear();
        sync(&mut v, &store);
        assert!(v.items.is_empty());
        store.append(console("z", Level::Error));
        sync(&mut v, &store);
        assert_eq!(v.items, [7]);
    }

    #[test]
    fn selection_stays_on_its_event_while_new_ones_arrive() {
        let mut store = Store::new(Default::default());
        let mut v = ListView::default();
        for i in 0..10 {
            store.append(console(&format!("m{i}"), Level::Log));
        }
        sync(&mut v, &store);
        v.go_top();
        v.move_by(3);
        for i in 10..20 {
            store.append(console(&format!("m{i}"), Level::Log));
        }
        sync(&mut v, &store);
        assert_eq!(v.selected, Some(3));
        v.ensure_visible(5);
        assert_eq!(v.top, 0);
        v.go_bottom();
        v.ensure_visible(5);
        assert_eq!(v.top, 15);
    }
}
