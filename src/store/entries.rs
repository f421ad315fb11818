//! Owns what a list view needs of a log: entries by a monotonic index, read one at a time, the
//! same way for an event log (whose sealed entries are made on the spot) and the frame log.

use super::{EventLog, Log, StoredEvent};

/// What a list view reads: entries by a monotonic index (an event log, the frame log).
pub trait Entries: Sync {
    type Entry;
    /// Index of the oldest entry held.
    fn first(&self) -> u64;
    /// One past the newest entry's index.
    fn end(&self) -> u64;
    /// Runs `f` on entry `index`, when held.
    fn with<R>(&self, index: u64, f: impl FnOnce(&Self::Entry) -> R) -> Option<R>;
}

impl<T: Sync> Entries for Log<T> {
    type Entry = T;
    fn first(&self) -> u64 {
        Log::first(self)
    }
    fn end(&self) -> u64 {
        Log::end(self)
    }
    fn with<R>(&self, index: u64, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.get(index).map(f)
    }
}

impl Entries for EventLog {
    type Entry = StoredEvent;
    fn first(&self) -> u64 {
        EventLog::first(self)
    }
    fn end(&self) -> u64 {
        EventLog::end(self)
    }
    fn with<R>(&self, index: u64, f: impl FnOnce(&StoredEvent) -> R) -> Option<R> {
        self.get(index).map(|e| f(&e))
    }
}
