//! The bounded event store: what the connector received, in arrival order, per pane.
//!
//! Owns the event logs (console, network, elements), the frame log, and the counters of what was
//! stored and evicted. Appends are O(1) (ring buffers); each log keeps a monotonic index so readers
//! (the UI, `/mcp-ws` subscribers) hold cursors that stay valid across evictions and clears.
//!
//! An event keeps the bytes its sender wrote (shared with the frame that carried them) plus the few
//! fields that lists and filters need; the canonical envelope is rebuilt on read. That keeps the
//! resident size close to the size of the JSON received.

mod cursor;
mod entries;
mod event_log;
pub mod frames;
mod log;
pub mod reorder;
pub mod screenshots;
pub mod sealed;
pub mod text_index;

use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::{Envelope, MessageType, Timestamp};
pub use cursor::{Cursor, Read};
pub use entries::Entries;
pub use event_log::{Ev, EventLog};
pub use frames::{Direction, FrameLog, FrameOrigin, FrameRecord};
pub use log::{Log, Weigh};
pub use sealed::{spawn_sealer, Body};

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
            | MessageType::BrowserEvent
            | MessageType::AssistantCommand
            | MessageType::Marker => Some(Category::Console),
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
    /// The envelope's JSON as received (or as rewritten on ingest, e.g. after redaction); old
    /// events' bytes are sealed into a compressed pack ([`sealed`]) and read the same.
    pub raw: Body,
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

impl Weigh for StoredEvent {
    fn weight(&self) -> usize {
        std::mem::size_of::<StoredEvent>() + self.raw.weight()
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
    logs: [EventLog; 3],
    pub frames: FrameLog,
    next_seq: u64,
    stored_total: u64,
    /// Bumped by every clear, so readers know their views are stale.
    generation: u64,
    /// The most the held events and frames may weigh; the oldest go first past it.
    max_bytes: usize,
    /// Console and Network events waiting to be placed by their timestamp (window 0: none).
    reorder: reorder::Reorder,
    /// Each event log's free-text index, in step with the log.
    text: [text_index::TextIndex; 3],
}

/// The store as the connector, the UI and the API share it.
pub type SharedStore = Arc<RwLock<Store>>;

impl Store {
    pub fn new(capacities: Capacities) -> Self {
        Store {
            logs: [
                EventLog::new(capacities.console),
                EventLog::new(capacities.network),
                EventLog::new(capacities.elements),
            ],
            frames: FrameLog::new(capacities.frames),
            next_seq: 0,
            stored_total: 0,
            generation: 0,
            max_bytes: DEFAULT_MAX_STORE_BYTES,
            reorder: reorder::Reorder::new(0),
            text: Default::default(),
        }
    }

    /// Sets the reorder window (ms); 0 releases what is held and appends as events arrive.
    pub fn set_reorder_window(&mut self, window_ms: i64) {
        let held = self.reorder.take_all();
        self.reorder = reorder::Reorder::new(window_ms);
        self.append_all(held);
    }

    /// When the next held event falls due (epoch ms).
    pub fn reorder_next_due(&self) -> Option<i64> {
        self.reorder.next_due()
    }

    /// Appends the held events due by `now`; returns how many.
    pub fn release_due(&mut self, now: i64) -> usize {
        let due = self.reorder.take_due(now);
        self.append_all(due)
    }

    /// Appends everything held (shutdown: nothing is lost); returns how many.
    pub fn release_all(&mut self) -> usize {
        let held = self.reorder.take_all();
        self.append_all(held)
    }

    fn append_all(&mut self, events: Vec<StoredEvent>) -> usize {
        events.into_iter().filter_map(|e| self.append(e)).count()
    }

    /// Sets the byte budget (and applies it at once).
    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes.max(1);
        self.enforce_budget();
    }

    /// What the held events and frames weigh.
    pub fn bytes(&self) -> usize {
        self.logs.iter().map(EventLog::bytes).sum::<usize>()
            + self.frames.log().bytes()
            + self.text.iter().map(text_index::TextIndex::bytes).sum::<usize>()
    }

    /// The free-text index of an event log.
    pub fn text_index(&self, category: Category) -> &text_index::TextIndex {
        &self.text[category.index()]
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
                    self.text[i].trim(self.logs[i].first());
                }
                (_, Some(_)) => {
                    self.frames.evict_oldest_for_bytes();
                }
                (Some((_, i)), None) => {
                    self.logs[i].evict_oldest_for_bytes();
                    self.text[i].trim(self.logs[i].first());
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

    pub fn log(&self, category: Category) -> &EventLog {
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
        let c = category.index();
        let index = self.logs[c].push(event);
        if let Some(e) = self.logs[c].get(index) {
            self.text[c].push(index, &e);
        }
        // A full log evicted its oldest event.
        self.text[c].trim(self.logs[c].first());
        self.enforce_budget();
        Some((category, index))
    }

    /// Drops every event and frame (what `clear-logs` does locally).
    pub fn clear(&mut self) {
        for (log, text) in self.logs.iter_mut().zip(&mut self.text) {
            log.clear();
            text.clear(log.end());
        }
        self.frames.clear_all();
        self.reorder.take_all();
        self.generation += 1;
    }

    /// Events matching `query`, oldest first, and how many matched in all (before `limit`).
    pub fn query(&self, query: &EventQuery) -> (Vec<StoredEvent>, usize) {
        enum Hit<'a> {
            Event(Ev<'a>),
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
                Hit::Event(e) => e.into_owned(),
                Hit::Frame(f) => f.as_event(),
            })
            .collect();
        (events, total)
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
        MessageType::ScreenshotResponse | MessageType::AssistantCommand => {
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
    /// Appends items another connector already listed in time order (read from the broker), at
    /// once, past the reorder window. Returns how many were events.
    pub fn append_listed(&mut self, batch: impl IntoIterator<Item = Staged>) -> usize {
        let mut events = 0;
        for item in batch {
            match item {
                Staged::Event(e) => events += usize::from(self.append(e).is_some()),
                Staged::Frame(f) => self.append_frame(f),
            }
        }
        events
    }

    fn append_frame(&mut self, mut f: FrameRecord) {
        f.seq = self.next_seq();
        self.frames.push(f);
        self.enforce_budget();
    }

    /// Appends staged items in order, assigning their seqs; console messages and requests go
    /// through the reorder window when one is set (screenshots, navigations: at once). Returns how many were events (held ones too).
    pub fn append_staged(&mut self, batch: impl IntoIterator<Item = Staged>) -> usize {
        let mut events = 0;
        let now = crate::protocol::timestamp::now_ms();
        let window = self.reorder.window_ms() > 0;
        for item in batch {
            match item {
                Staged::Event(e)
                    if window
                        && matches!(
                            e.ty,
                            MessageType::ConsoleLog
                                | MessageType::ConsoleError
                                | MessageType::NetworkRequest
                                | MessageType::NetworkError
                        ) =>
                {
                    events += 1;
                    if let Some(e) = self.reorder.admit(e, now) {
                        self.append(e);
                    }
                }
                Staged::Event(e) => {
                    if self.append(e).is_some() {
                        events += 1;
                    }
                }
                Staged::Frame(f) => self.append_frame(f),
            }
        }
        // Bounded: a flood larger than this within one window is released as it stands.
        if self.reorder.len() > reorder::MAX_HELD {
            self.release_all();
        }
        self.release_due(now);
        events
    }
}

#[cfg(test)]
mod tests;
