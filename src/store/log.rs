//! The ring buffer every store log is made of: O(1) appends, a monotonic index that readers'
//! cursors hold across evictions and clears, and the weight of what it holds (for the byte budget).

use std::collections::VecDeque;

/// What an entry of a log costs in memory, as the byte budget counts it.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// Bookkeeping per entry beyond its bytes: the entry itself, the `Arc` header, the ring slot.
pub(super) const ENTRY_OVERHEAD: usize = 16;

/// A ring buffer with a monotonic index: entry `i` of the log lives at `items[i - first]`.
#[derive(Debug)]
pub struct Log<T> {
    items: VecDeque<T>,
    pub(super) first: u64,
    capacity: usize,
    /// Entries evicted because the log was full (its count capacity).
    pub(super) evicted: u64,
    /// Entries evicted to keep the store within its byte budget.
    pub(super) evicted_for_bytes: u64,
    /// What the held entries weigh.
    bytes: usize,
}

impl<T: Weigh> Log<T> {
    pub fn new(capacity: usize) -> Self {
        Log {
            items: VecDeque::new(),
            first: 0,
            capacity: capacity.max(1),
            evicted: 0,
            evicted_for_bytes: 0,
            bytes: 0,
        }
    }

    /// Appends and returns the new entry's index; evicts the oldest entry when full.
    pub fn push(&mut self, item: T) -> u64 {
        if self.items.len() == self.capacity {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= old.weight();
            }
            self.first += 1;
            self.evicted += 1;
        }
        self.bytes += item.weight();
        self.items.push_back(item);
        self.end() - 1
    }

    /// Takes the oldest entry out (the caller counts it).
    pub(super) fn pop_front_entry(&mut self) -> Option<T> {
        let old = self.items.pop_front()?;
        self.bytes -= old.weight();
        self.first += 1;
        Some(old)
    }

    /// Drops the oldest entry (the caller counts it); false when empty.
    pub(super) fn pop_front(&mut self) -> bool {
        self.pop_front_entry().is_some()
    }

    /// Evicts the oldest entry to free memory (counted apart from capacity evictions).
    pub(super) fn evict_oldest_for_bytes(&mut self) -> bool {
        let Some(old) = self.items.pop_front() else { return false };
        self.bytes -= old.weight();
        self.first += 1;
        self.evicted_for_bytes += 1;
        true
    }
}

impl<T> Log<T> {
    pub fn front(&self) -> Option<&T> {
        self.items.front()
    }

    /// What the held entries weigh, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn evicted_for_bytes(&self) -> u64 {
        self.evicted_for_bytes
    }

    /// Index of the oldest entry still held.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// One past the newest entry's index.
    pub fn end(&self) -> u64 {
        self.first + self.items.len() as u64
    }

    pub fn get(&self, index: u64) -> Option<&T> {
        let offset = index.checked_sub(self.first)?;
        self.items.get(usize::try_from(offset).ok()?)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drops every entry; indexes keep counting from where they were.
    pub fn clear(&mut self) {
        self.first = self.end();
        self.items.clear();
        self.bytes = 0;
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &T)> + '_ {
        let first = self.first;
        self.items.iter().enumerate().map(move |(i, item)| (first + i as u64, item))
    }

    /// Entries from index `from` on (clamped to what is held).
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = (u64, &T)> + '_ {
        let skip = from.saturating_sub(self.first) as usize;
        let first = self.first;
        self.items.iter().enumerate().skip(skip).map(move |(i, item)| (first + i as u64, item))
    }

    /// The first index whose entry satisfies `pred`, given `pred` is false then true along the log.
    pub fn partition_point(&self, pred: impl Fn(&T) -> bool) -> u64 {
        self.first + self.items.partition_point(|x| !pred(x)) as u64
    }
}
