//! The bounded event store: what the connector received, in arrival order, per pane.
//!
//! Owns the event logs (console, network, elements), the frame log, and the counters of what was
//! stored and evicted. Appends are O(1) (ring buffers); each log keeps a monotonic index so readers
//! (the UI, `/mcp-ws` subscribers) hold cursors that stay valid across evictions and clears.
//!
//! An event keeps the bytes its sender wrote (shared with the frame that carried them) plus the few
//! fields that lists and filters need; the canonical envelope is rebuilt on read. That keeps the
//! resident size close to the size of the JSON received.

pub mod frames;
pub mod screenshots;

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::{Envelope, MessageType, Timestamp};
pub use frames::{Direction, FrameLog, FrameOrigin, FrameRecord};

/// Bytes as received, shared by an event and the frame that carried it: one exact-size
/// allocation behind a 16-byte handle (a socket's read buffer is never kept alive by it).
pub type Raw = Arc<[u8]>;

/// A session's id as the server assigned it (the `sessionId` of `connection-ack`).
pub type SessionId = Arc<str>;

/// Which log (and which pane) an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Console,
    Network,
    Elements,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Console, Category::Network, Category::Elements];

    /// Where a stored message type lives; `None` for types that are not stored as events.
    pub fn of(ty: MessageType) -> Option<Category> {
        match ty {
            MessageType::ConsoleLog
            | MessageType::ConsoleError
            | MessageType::ScreenshotResponse
            | MessageType::BrowserEvent => Some(Category::Console),
            MessageType::NetworkRequest | MessageType::NetworkError => Some(Category::Network),
            MessageType::ElementSelected => Some(Category::Elements),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Console => "console",
            Category::Network => "network",
            Category::Elements => "elements",
        }
    }
}

/// DevTools' console levels, ordered by severity. Network events are `Error` when they failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Log,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "trace" | "verbose" => Level::Trace,
            "debug" => Level::Debug,
            "log" => Level::Log,
            "info" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" | "severe" | "assert" | "exception" => Level::Error,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Log => "log",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One stored event. Cheap to clone (the bytes are shared).
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Global arrival order across every log; never reused.
    pub seq: u64,
    pub ty: MessageType,
    pub level: Level,
    /// HTTP status for network events, 0 otherwise.
    pub status: u16,
    /// The sender's timestamp, or the arrival time when it gave none.
    pub timestamp_ms: i64,
    pub session: SessionId,
    /// The envelope's JSON as received (or as rewritten on ingest, e.g. after redaction).
    pub raw: Raw,
}

impl StoredEvent {
    /// The canonical envelope: epoch-ms timestamp, `data` (never `payload`), an `id`, and
    /// `metadata.sessionId` set to the connector session it arrived on.
    pub fn envelope(&self) -> Envelope {
        let mut env: Envelope = serde_json::from_slice(&self.raw)
            .unwrap_or_else(|_| Envelope::new(self.ty.as_str(), Value::Null));
        if env.id.is_none() {
            env.id = Some(format!("evt-{}", self.seq));
        }
        env.timestamp = Some(Timestamp(self.timestamp_ms));
        env.kind = self.ty.as_str().to_string();
        env.set_meta("sessionId", Value::String(self.session.to_string()));
        env
    }

    pub fn envelope_json(&self) -> String {
        self.envelope().to_json()
    }

    /// The raw JSON as text (it arrived as a text frame, so it is UTF-8).
    pub fn raw_str(&self) -> &str {
        std::str::from_utf8(&self.raw).unwrap_or("")
    }
}

/// What an entry of a log costs in memory, as the byte budget counts it.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// Bookkeeping per entry beyond its bytes: the entry itself, the `Arc` header, the ring slot.
const ENTRY_OVERHEAD: usize = 16;

impl Weigh for StoredEvent {
    fn weight(&self) -> usize {
        std::mem::size_of::<StoredEvent>() + ENTRY_OVERHEAD + self.raw.len()
    }
}

/// The byte budget when the config sets none: enough for hours of busy pages, far from a
/// laptop's memory.
pub const DEFAULT_MAX_STORE_BYTES: usize = 512 * 1024 * 1024;

/// Capacities of the logs. Oldest entries are evicted (and counted) past these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capacities {
    pub console: usize,
    pub network: usize,
    pub elements: usize,
    pub frames: usize,
}

impl Default for Capacities {
    fn default() -> Self {
        Capacities { console: 200_000, network: 50_000, elements: 5_000, frames: 100_000 }
    }
}

/// A ring buffer with a monotonic index: entry `i` of the log lives at `items[i - first]`.
#[derive(Debug)]
pub struct Log<T> {
    items: VecDeque<T>,
    first: u64,
    capacity: usize,
    /// Entries evicted because the log was full (its count capacity).
    evicted: u64,
    /// Entries evicted to keep the store within its byte budget.
    evicted_for_bytes: u64,
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

    /// Evicts the oldest entry to free memory (counted apart from capacity evictions).
    fn evict_oldest_for_bytes(&mut self) -> bool {
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

/// What `/api/events` and the UI filter by.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub types: Vec<MessageType>,
    /// Only these levels (empty: all).
    pub levels: Vec<Level>,
    pub session: Option<String>,
    /// Only events with a timestamp at or after this (epoch ms).
    pub since_ms: Option<i64>,
    /// Keep the newest `limit` matches.
    pub limit: Option<usize>,
    /// Only events stored before this seq (a page cursor: the `nextBefore` of a cut response).
    pub before_seq: Option<u64>,
}

impl EventQuery {
    pub fn matches(&self, e: &StoredEvent) -> bool {
        (self.types.is_empty() || self.types.contains(&e.ty))
            && (self.levels.is_empty() || self.levels.contains(&e.level))
            && self.session.as_deref().is_none_or(|s| &*e.session == s)
            && self.since_ms.is_none_or(|t| e.timestamp_ms >= t)
            && self.before_seq.is_none_or(|b| e.seq < b)
    }
}

/// A reader's position in every log (see [`Store::read_since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub logs: [u64; 3],
    pub frames: u64,
}

/// Totals for `/health` and `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreStats {
    pub held: u64,
    pub stored_total: u64,
    pub evicted_total: u64,
    pub console: u64,
    pub network: u64,
    pub elements: u64,
    pub frames: u64,
    pub evicted_console: u64,
    pub evicted_network: u64,
    pub evicted_elements: u64,
    pub evicted_frames: u64,
    /// What the held events and frames weigh, and the budget they are kept within.
    pub bytes: u64,
    pub max_bytes: u64,
    /// Evicted to stay within the byte budget (included in `evicted_total`), by log.
    pub evicted_for_bytes_console: u64,
    pub evicted_for_bytes_network: u64,
    pub evicted_for_bytes_elements: u64,
    pub evicted_for_bytes_frames: u64,
}

#[derive(Debug)]
pub struct Store {
    logs: [Log<StoredEvent>; 3],
    pub frames: FrameLog,
    next_seq: u64,
    stored_total: u64,
    /// Bumped by every clear, so readers know their views are stale.
    generation: u64,
    /// The most the held events and frames may weigh; the oldest go first past it.
    max_bytes: usize,
}

/// The store as the connector, the UI and the API share it.
pub type SharedStore = Arc<RwLock<Store>>;

impl Store {
    pub fn new(capacities: Capacities) -> Self {
        Store {
            logs: [Log::new(capacities.console), Log::new(capacities.network), Log::new(capacities.elements)],
            frames: FrameLog::new(capacities.frames),
            next_seq: 0,
            stored_total: 0,
            generation: 0,
            max_bytes: DEFAULT_MAX_STORE_BYTES,
        }
    }

    /// Sets the byte budget (and applies it at once).
    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes.max(1);
        self.enforce_budget();
    }

    /// What the held events and frames weigh.
    pub fn bytes(&self) -> usize {
        self.logs.iter().map(Log::bytes).sum::<usize>() + self.frames.log().bytes()
    }

    /// Evicts the oldest entries, across every log, until the store is within its byte budget.
    pub fn enforce_budget(&mut self) {
        let mut bytes = self.bytes();
        while bytes > self.max_bytes {
            // The oldest entry of all: the smallest seq at the front of a log.
            let oldest_event = (0..3).filter_map(|i| self.logs[i].front().map(|e| (e.seq, i))).min();
            let oldest_frame = self.frames.log().front().map(|f| f.seq);
            let before = bytes;
            match (oldest_event, oldest_frame) {
                (Some((seq, i)), Some(f)) if seq < f => {
                    self.logs[i].evict_oldest_for_bytes();
                }
                (_, Some(_)) => {
                    self.frames.evict_oldest_for_bytes();
                }
                (Some((_, i)), None) => {
                    self.logs[i].evict_oldest_for_bytes();
                }
                (None, None) => break,
            }
            bytes = self.bytes();
            if bytes >= before {
                break;
            }
        }
    }

    pub fn shared(capacities: Capacities) -> SharedStore {
        Arc::new(RwLock::new(Store::new(capacities)))
    }

    pub fn log(&self, category: Category) -> &Log<StoredEvent> {
        &self.logs[category.index()]
    }

    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The seq the next stored item will get (also: how many were ever stored).
    pub fn peek_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Stores an event; `event.seq` is assigned here. Returns its category and index.
    pub fn append(&mut self, mut event: StoredEvent) -> Option<(Category, u64)> {
        let category = Category::of(event.ty)?;
        event.seq = self.next_seq();
        self.stored_total += 1;
        let index = self.logs[category.index()].push(event);
        self.enforce_budget();
        Some((category, index))
    }

    /// Drops every event and frame (what `clear-logs` does locally).
    pub fn clear(&mut self) {
        for log in &mut self.logs {
            log.clear();
        }
        self.frames.clear_all();
        self.generation += 1;
    }

    /// Events matching `query`, oldest first, and how many matched in all (before `limit`).
    pub fn query(&self, query: &EventQuery) -> (Vec<StoredEvent>, usize) {
        enum Hit<'a> {
            Event(&'a StoredEvent),
            Frame(&'a FrameRecord),
        }
        // Match on the index fields only; nothing is copied until the `limit` newest are known.
        let mut hits: Vec<(u64, Hit)> = Vec::new();
        for category in Category::ALL {
            if !query.types.is_empty() && !query.types.iter().any(|t| Category::of(*t) == Some(category)) {
                continue;
            }
            // Timestamps are the sender's and may go backwards: every held event is checked.
            hits.extend(
                self.log(category)
                    .iter()
                    .filter(|(_, e)| query.matches(e))
                    .map(|(_, e)| (e.seq, Hit::Event(e))),
            );
        }
        // Page frames are events too (type websocket-frame, level info).
        if query.types.is_empty() || query.types.contains(&MessageType::WebsocketFrame) {
            let frame_matches = |f: &FrameRecord| {
                f.origin == FrameOrigin::Page
                    && (query.levels.is_empty() || query.levels.contains(&Level::Info))
                    && query.session.as_deref().is_none_or(|s| &*f.session == s)
                    && query.since_ms.is_none_or(|t| f.timestamp_ms >= t)
                    && query.before_seq.is_none_or(|b| f.seq < b)
            };
            hits.extend(
                self.frames
                    .log()
                    .iter()
                    .filter(|(_, f)| frame_matches(f))
                    .map(|(_, f)| (f.seq, Hit::Frame(f))),
            );
        }
        hits.sort_unstable_by_key(|(seq, _)| *seq);
        let total = hits.len();
        let skip = query.limit.map_or(0, |limit| total.saturating_sub(limit));
        let events = hits
            .into_iter()
            .skip(skip)
            .map(|(_, hit)| match hit {
                Hit::Event(e) => e.clone(),
                Hit::Frame(f) => f.as_event(),
            })
            .collect();
        (events, total)
    }

    /// A cursor at the current end of every log: reading from it yields only what comes next.
    pub fn cursor_now(&self) -> Cursor {
        Cursor {
            logs: [self.logs[0].end(), self.logs[1].end(), self.logs[2].end()],
            frames: self.frames.log().end(),
        }
    }

    /// Events (and page frames) after `cursor`, oldest first, at most `max`; advances the cursor.
    /// Also returns how many the reader missed because they were evicted before it got to them.
    pub fn read_since(&self, cursor: &mut Cursor, max: usize) -> (Vec<StoredEvent>, u64) {
        self.read_since_within(cursor, max, usize::MAX)
    }

    /// As [`Store::read_since`], stopping once the events' bytes reach `max_bytes` (at least one
    /// event is returned when any is there), so a reader takes only what it has room for.
    pub fn read_since_within(
        &self,
        cursor: &mut Cursor,
        max: usize,
        max_bytes: usize,
    ) -> (Vec<StoredEvent>, u64) {
        let mut missed = 0;
        // (source: 0-2 logs, 3 frames; index; event)
        let mut batch: Vec<(usize, u64, StoredEvent)> = Vec::new();
        for (i, log) in self.logs.iter().enumerate() {
            if cursor.logs[i] < log.first() {
                missed += log.first() - cursor.logs[i];
                cursor.logs[i] = log.first();
            }
            batch.extend(log.iter_from(cursor.logs[i]).take(max).map(|(idx, e)| (i, idx, e.clone())));
        }
        let flog = self.frames.log();
        if cursor.frames < flog.first() {
            // Connector frames are not events: count only what could have been a page frame.
            cursor.frames = flog.first();
        }
        let mut frames_scanned_to = cursor.frames;
        let mut page_frames = 0;
        for (idx, f) in flog.iter_from(cursor.frames) {
            if page_frames == max {
                break;
            }
            frames_scanned_to = idx + 1;
            if f.origin == FrameOrigin::Page {
                batch.push((3, idx, f.as_event()));
                page_frames += 1;
            }
        }
        batch.sort_by_key(|(_, _, e)| e.seq);
        batch.truncate(max);
        if max_bytes != usize::MAX {
            let mut bytes = 0usize;
            let keep = batch
                .iter()
                .position(|(_, _, e)| {
                    bytes += e.raw.len();
                    bytes > max_bytes
                })
                .map_or(batch.len(), |i| i.max(1));
            batch.truncate(keep);
        }
        for (src, idx, _) in &batch {
            match *src {
                3 => cursor.frames = cursor.frames.max(idx + 1),
                i => cursor.logs[i] = cursor.logs[i].max(idx + 1),
            }
        }
        if batch.iter().filter(|(src, _, _)| *src == 3).count() == page_frames {
            // Every page frame scanned was delivered: skip the connector frames around them too.
            cursor.frames = cursor.frames.max(frames_scanned_to);
        }
        (batch.into_iter().map(|(_, _, e)| e).collect(), missed)
    }

    /// How many events (not counting page frames) were stored after `cursor`.
    pub fn backlog(&self, cursor: &Cursor) -> u64 {
        self.logs.iter().zip(cursor.logs).map(|(log, at)| log.end().saturating_sub(at)).sum()
    }

    /// Moves `cursor` to the end of every log; returns how many events and page frames it skipped.
    pub fn skip_to_end(&self, cursor: &mut Cursor) -> u64 {
        let now = self.cursor_now();
        // Whether still held or already evicted, every event after the cursor is missed.
        let events = self.backlog(cursor);
        let page_frames =
            self.frames.log().iter_from(cursor.frames).filter(|(_, f)| f.origin == FrameOrigin::Page).count();
        *cursor = now;
        events + page_frames as u64
    }

    pub fn stats(&self) -> StoreStats {
        let [c, n, e] = &self.logs;
        let f = self.frames.log();
        StoreStats {
            held: (c.len() + n.len() + e.len() + f.len()) as u64,
            stored_total: self.stored_total + self.frames.stored_total(),
            evicted_total: [c, n, e].iter().map(|l| l.evicted() + l.evicted_for_bytes()).sum::<u64>()
                + f.evicted()
                + f.evicted_for_bytes(),
            console: c.len() as u64,
            network: n.len() as u64,
            elements: e.len() as u64,
            frames: f.len() as u64,
            evicted_console: c.evicted(),
            evicted_network: n.evicted(),
            evicted_elements: e.evicted(),
            evicted_frames: f.evicted(),
            bytes: self.bytes() as u64,
            max_bytes: self.max_bytes as u64,
            evicted_for_bytes_console: c.evicted_for_bytes(),
            evicted_for_bytes_network: n.evicted_for_bytes(),
            evicted_for_bytes_elements: e.evicted_for_bytes(),
            evicted_for_bytes_frames: f.evicted_for_bytes(),
        }
    }
}

/// Derives the index fields of an event from its parsed envelope.
pub fn classify(envelope: &Envelope, ty: MessageType) -> (Level, u16) {
    let data = &envelope.data;
    let status = match data.get("status") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    classify_parts(
        ty,
        data.get("level").and_then(Value::as_str),
        status,
        data.get("success").and_then(Value::as_bool),
    )
}

/// The index fields from the few data fields they depend on (shared by the owned and the
/// borrowed ingest paths, so both classify alike).
pub fn classify_parts(
    ty: MessageType,
    level: Option<&str>,
    status: Option<u64>,
    success: Option<bool>,
) -> (Level, u16) {
    match ty {
        MessageType::ConsoleLog | MessageType::ConsoleError => {
            let default = if ty == MessageType::ConsoleError { Level::Error } else { Level::Log };
            (level.and_then(Level::parse).unwrap_or(default), 0)
        }
        MessageType::NetworkRequest | MessageType::NetworkError => {
            let status = status.unwrap_or(0).min(u64::from(u16::MAX)) as u16;
            let failed = ty == MessageType::NetworkError || status >= 400;
            (if failed { Level::Error } else { Level::Info }, status)
        }
        MessageType::ScreenshotResponse => {
            (if success == Some(false) { Level::Error } else { Level::Info }, 0)
        }
        _ => (Level::Info, 0),
    }
}

/// Something a connection stages for the store; a batch is appended under one lock.
#[derive(Debug)]
pub enum Staged {
    Event(StoredEvent),
    Frame(FrameRecord),
}

impl Store {
    /// Appends staged items in order, assigning their seqs. Returns how many were events.
    pub fn append_staged(&mut self, batch: impl IntoIterator<Item = Staged>) -> usize {
        let mut events = 0;
        for item in batch {
            match item {
                Staged::Event(e) => {
                    if self.append(e).is_some() {
                        events += 1;
                    }
                }
                Staged::Frame(mut f) => {
                    f.seq = self.next_seq();
                    self.frames.push(f);
                    self.enforce_budget();
                }
            }
        }
        events
    }
}

#[cfg(test)]
mod tests;
