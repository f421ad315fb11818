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
//!
//! Typing a filter narrows as you type: when the new filter only narrows the current one
//! (`ord` → `orde`), only the current matches are matched again (`pending`), then the scan goes
//! on from where it was; the results of each shorter prefix are kept (`history`, bounded), so a
//! backspace restores them and catches up with what arrived since.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::store::Entries;

use super::filter::Filter;
pub use super::group::{dedupe_key, Group};

/// How many entries are scanned between two looks at the clock.
/// (Tests use small steps, so that syncs cut short by the clock happen with a few events.)
const CLOCK_EVERY: u64 = if cfg!(test) { 4 } else { 8192 };

/// The most rows the kept results of earlier filters may hold, per view (24 B each).
const HISTORY_ITEMS: usize = 2_000_000;

/// A filter's complete results, kept so a backspace to it needs no rescan.
#[derive(Debug, Clone)]
struct Kept {
    filter: Option<Filter>,
    items: VecDeque<u64>,
    keys: VecDeque<Option<u64>>,
    dups: HashMap<u64, Group>,
    folded: usize,
    last_key: Option<u64>,
    last_taken: Option<u64>,
    scanned: u64,
}

/// The log indexes among `n` (the `p`th is `index(p)`, ascending) that `take` takes, with
/// what it gives, in order; a full chunk is done as two halves on two threads.
fn match_batch(
    n: usize,
    index: impl Fn(usize) -> (u64, Option<u64>) + Sync,
    take: impl Fn((u64, Option<u64>)) -> Option<Option<u64>> + Sync,
) -> Vec<(u64, Option<u64>)> {
    let matching = |from: usize, to: usize| -> Vec<(u64, Option<u64>)> {
        (from..to).map(&index).filter_map(|jk| take(jk).map(|k| (jk.0, k))).collect()
    };
    if n < CLOCK_EVERY as usize || !parallel() {
        return matching(0, n);
    }
    let mid = n / 2;
    let (low, high) = std::thread::scope(|scope| {
        let low = scope.spawn(|| matching(0, mid));
        let high = matching(mid, n);
        (low.join(), high)
    });
    let mut low = low.unwrap_or_else(|_| matching(0, mid));
    low.extend(high);
    low
}

/// What rows are grouped by (the console's dedupe key).
type GroupKey<T> = fn(&T) -> Option<u64>;

/// Whether `new` passes only events `old` passes (no filter passes all).
fn narrows(new: &Option<Filter>, old: &Option<Filter>) -> bool {
    match (new, old) {
        (Some(new), Some(old)) => new.narrows(old),
        (Some(new), None) => !new.uses_marks(),
        (None, _) => false,
    }
}

/// Whether a second core is there to share a long filter scan.
fn parallel() -> bool {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) > 1
}

#[derive(Debug, Clone)]
pub struct ListView {
    /// Log indexes of the rows, oldest first (each row's first event when collapsed).
    pub items: VecDeque<u64>,
    /// Each row's grouping key (its group's members share it), so a narrowing never recomputes one.
    keys: VecDeque<Option<u64>>,
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
    /// A rebuild is under way that the user is waiting for (a filter typed, grouping toggled,
    /// the store replaced), not just events arriving: the UI loop gives it the time between
    /// frames too. Ends when the scan first reaches the end of the log.
    pub rebuilding: bool,
    /// Log indexes (below `scanned`, oldest first) still to be matched against a narrowed
    /// filter, with their grouping keys.
    pending: VecDeque<(u64, Option<u64>)>,
    /// How many `pending` held when the narrowing started, for progress.
    pending_total: u64,
    /// Results of the filters this one narrows, shortest last-but-one (see the module doc).
    history: Vec<Kept>,
}

impl Default for ListView {
    fn default() -> Self {
        ListView {
            items: VecDeque::new(),
            keys: VecDeque::new(),
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
            rebuilding: false,
            pending: VecDeque::new(),
            pending_total: 0,
            history: Vec::new(),
        }
    }
}

impl ListView {
    fn reset_items(&mut self) {
        self.items.clear();
        self.keys.clear();
        self.dups.clear();
        self.folded = 0;
        self.last_key = None;
        self.last_taken = None;
        self.top = 0;
    }

    /// Forgets the kept results and the pending narrowing (they no longer describe this view).
    fn forget_history(&mut self) {
        self.history.clear();
        self.pending.clear();
        self.pending_total = 0;
    }

    /// Hides everything the log holds up to `log_end` (this pane only; the store keeps it).
    pub fn clear_to(&mut self, log_end: u64) {
        self.forget_history();
        self.reset_items();
        self.cleared_before = log_end;
        self.scanned = self.scanned.max(log_end);
        self.scan_start = self.scanned;
        self.selected = None;
    }

    /// Turns collapsing of identical consecutive events on or off (the view is rebuilt).
    pub fn set_grouping(&mut self, on: bool) {
        self.grouping = on;
        self.forget_history();
        let filter = self.filter.take();
        self.rescan(filter);
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

    /// Replaces the filter; the view is rebuilt on the next syncs: from the kept results when
    /// the filter is one this view had before (a backspace), from the current matches when it
    /// narrows the current filter (a key typed), else from the oldest held event.
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        let same = |a: &Option<Filter>, b: &Option<Filter>| {
            a.as_ref().map(Filter::text) == b.as_ref().map(Filter::text)
                && !a.as_ref().is_some_and(Filter::uses_marks)
        };
        if let Some(at) = self.history.iter().rposition(|k| same(&k.filter, &filter)) {
            self.history.truncate(at + 1);
            if let Some(k) = self.history.pop() {
                self.pending.clear();
                self.pending_total = 0;
                self.restore(k);
                return;
            }
        }
        let narrows = narrows(&filter, &self.filter);
        if !narrows {
            // Wider or different: start from the latest kept results it narrows, if any.
            if let Some(at) = self.history.iter().rposition(|k| self::narrows(&filter, &k.filter)) {
                self.history.truncate(at + 1);
                if let Some(k) = self.history.pop() {
                    self.pending.clear();
                    self.pending_total = 0;
                    self.restore(k);
                    return self.set_filter(filter);
                }
            }
            self.forget_history();
        } else if self.pending.is_empty() && !self.filter.as_ref().is_some_and(Filter::uses_marks) {
            self.keep_current();
        }
        match (narrows, self.filter.is_some()) {
            (true, _) => {
                // Only the current matches can pass: match them again, oldest first, before
                // the scan goes on from where it is (what was not yet matched stays pending).
                let mut again = VecDeque::with_capacity(self.event_count() + self.pending.len());
                for (&row, &key) in self.items.iter().zip(&self.keys) {
                    let last = self.dups.get(&row).map_or(row, |g| g.last);
                    again.extend((row..=last).map(|j| (j, key)));
                }
                again.extend(self.pending.drain(..));
                self.pending_total = again.len() as u64;
                self.pending = again;
                self.reset_items();
                self.scan_start = self.scanned;
            }
            _ => return self.rescan(filter),
        }
        self.filter = filter;
        self.scanning = true;
        self.rebuilding = true;
    }

    /// Rebuilds the view with `filter` from the oldest held event.
    fn rescan(&mut self, filter: Option<Filter>) {
        self.pending.clear();
        self.pending_total = 0;
        self.reset_items();
        self.scanned = self.cleared_before;
        self.scan_start = self.cleared_before;
        self.filter = filter;
        self.scanning = true;
        self.rebuilding = true;
    }

    /// Keeps the current (complete) results on the history, within its bound.
    fn keep_current(&mut self) {
        self.history.push(Kept {
            filter: self.filter.clone(),
            items: self.items.clone(),
            keys: self.keys.clone(),
            dups: self.dups.clone(),
            folded: self.folded,
            last_key: self.last_key,
            last_taken: self.last_taken,
            scanned: self.scanned,
        });
        let mut held: usize = self.history.iter().map(|k| k.items.len()).sum();
        while held > HISTORY_ITEMS && !self.history.is_empty() {
            held -= self.history.remove(0).items.len();
        }
    }

    fn restore(&mut self, k: Kept) {
        self.filter = k.filter;
        self.items = k.items;
        self.keys = k.keys;
        self.dups = k.dups;
        self.folded = k.folded;
        self.last_key = k.last_key;
        self.last_taken = k.last_taken;
        // What arrived since is matched by the scan as usual.
        self.scanned = k.scanned.max(self.cleared_before);
        self.scan_start = self.scanned;
        self.top = 0;
        self.scanning = true;
        self.rebuilding = true;
    }

    /// Brings the view up to date with `log`, until `deadline`. Returns true when work remains.
    pub fn sync<L: Entries>(
        &mut self,
        log: &L,
        generation: u64,
        deadline: Instant,
        accept: impl Fn(&Filter, &L::Entry) -> bool + Sync,
        candidate: impl Fn(u64) -> bool + Sync,
        key: Option<GroupKey<L::Entry>>,
    ) -> bool {
        if self.generation != generation {
            // The store was cleared (or this is the first sync): nothing held is ours any more.
            self.generation = generation;
            self.forget_history();
            self.reset_items();
            self.selected = None;
            self.cleared_before = 0;
            self.pause_base = None;
            self.scanned = log.first();
            self.scan_start = self.scanned;
            self.rebuilding = true;
        }
        let first = log.first();
        self.evict(first);
        if self.scanned < first {
            self.scanned = first;
            self.scan_start = self.scan_start.max(first);
        }
        let end = log.end();
        let key = key.filter(|_| self.grouping);
        // What the workers do per log index: the filter (after the index says the event may
        // pass) and the grouping key, so both run on two threads for a long scan.
        let filter = self.filter.clone();
        let take = |j: u64| -> Option<Option<u64>> {
            // The index says no before the entry is read (a sealed one is not even made).
            if filter.is_some() && !candidate(j) {
                return None;
            }
            log.with(j, |item| {
                let pass = filter.as_ref().is_none_or(|f| accept(f, item));
                pass.then(|| key.and_then(|k| k(item)))
            })
            .flatten()
        };
        // A narrowed filter first matches what the previous one passed, then scans on.
        let mut out_of_time = false;
        while !self.pending.is_empty() && !out_of_time {
            let n = self.pending.len().min(CLOCK_EVERY as usize);
            let batch: Vec<(u64, Option<u64>)> =
                self.pending.drain(..n).filter(|&(j, _)| j >= first).collect();
            let passes = |j: u64| {
                (filter.is_none() || candidate(j))
                    && log.with(j, |e| filter.as_ref().is_none_or(|f| accept(f, e))).unwrap_or(false)
            };
            for (j, k) in match_batch(batch.len(), |p| batch[p], |(j, k)| passes(j).then_some(k)) {
                self.push(j, k);
            }
            out_of_time = Instant::now() >= deadline;
        }
        if !self.pending.is_empty() {
            self.scanning = true;
            self.settle_selection();
            return true;
        }
        self.pending_total = 0;
        let mut i = self.scanned;
        while i < end && !out_of_time {
            let chunk_end = (i + CLOCK_EVERY).min(end);
            for (j, k) in match_batch((chunk_end - i) as usize, |p| (i + p as u64, None), |(j, _)| take(j)) {
                self.push(j, k);
            }
            i = chunk_end;
            out_of_time = Instant::now() >= deadline;
        }
        self.scanned = i;
        self.scanning = i < end;
        self.rebuilding &= self.scanning;
        self.settle_selection();
        self.scanning
    }

    /// Keeps the selection on a row after a sync: the newest when following.
    fn settle_selection(&mut self) {
        if self.follow {
            self.selected = self.items.back().copied();
        } else if self.selected.is_none() {
            self.selected = self.items.front().copied();
        } else if !self.scanning && !self.holds_selected() {
            // The selected event is not in this view (a new filter): take the nearest row.
            self.selected = self.position().and_then(|p| self.items.get(p).copied());
        }
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
        self.keys.push_back(key);
    }

    fn evict(&mut self, first: u64) {
        let mut gone = self.items.partition_point(|&i| i < first);
        if gone == 0 {
            return;
        }
        // The newest evicted row may stand for a group whose newer members are still held: they
        // stay, as a row at the oldest held member (as a rebuild would show them).
        let row = self.items[gone - 1];
        let split =
            self.dups.get(&row).copied().filter(|g| g.last >= first).map(|g| (g, self.keys[gone - 1]));
        if self.dups.is_empty() {
            self.items.drain(..gone);
            self.keys.drain(..gone);
        } else {
            self.keys.drain(..gone);
            for i in self.items.drain(..gone) {
                if let Some(g) = self.dups.remove(&i) {
                    self.folded -= g.count as usize - 1;
                }
            }
        }
        if let Some((g, key)) = split {
            let count = (g.last - first + 1) as u32;
            self.items.push_front(first);
            self.keys.push_front(key);
            if count > 1 {
                self.dups.insert(first, Group { count, last: g.last });
                self.folded += count as usize - 1;
            }
            gone -= 1;
        }
        self.top = self.top.saturating_sub(gone);
        if self.selected.is_some_and(|s| s < first) {
            self.selected = self.items.front().copied();
        }
    }

    /// Share of the log scanned so far, while a rebuild runs (0–100).
    pub fn progress(&self, log_end: u64) -> u8 {
        let total = self.scan_total(log_end).max(1);
        let done =
            self.pending_total - self.pending.len() as u64 + self.scanned.saturating_sub(self.scan_start);
        (done * 100 / total).min(100) as u8
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
        self.pending_total + log_end.saturating_sub(self.scan_start)
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
mod tests;
