//! Recorded WebSocket frames (seed 003): every frame of every connector connection, and the
//! page's own frames that the extension forwards as `websocket-frame`.

use std::collections::HashSet;

use base64::Engine;
use serde_json::{json, Value};

use super::{Level, Log, Raw, SessionId, StoredEvent, Weigh};
use crate::protocol::MessageType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "client-to-server",
            Direction::ServerToClient => "server-to-client",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "client-to-server" | "sent" | "outgoing" => Some(Direction::ClientToServer),
            "server-to-client" | "received" | "incoming" => Some(Direction::ServerToClient),
            _ => None,
        }
    }
}

/// Whose frame it is: a connector connection's, or one the page exchanged with its own server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameOrigin {
    Connector,
    Page,
}

/// One frame. `data` holds at most the configured payload cap; `length` is the real size.
#[derive(Debug, Clone)]
pub struct FrameRecord {
    pub seq: u64,
    /// The connection: the connector session id, or the page socket's id from the extension.
    pub traffic_id: SessionId,
    /// The connector session the frame was seen on (for page frames: the extension's session).
    pub session: SessionId,
    pub timestamp_ms: i64,
    pub direction: Direction,
    pub opcode: u8,
    pub data: Option<Raw>,
    pub length: u64,
    pub origin: FrameOrigin,
    /// The page socket's URL, for page frames.
    pub url: Option<Box<str>>,
}

impl Weigh for FrameRecord {
    fn weight(&self) -> usize {
        std::mem::size_of::<FrameRecord>()
            + super::log::ENTRY_OVERHEAD
            + self.data.as_ref().map_or(0, |d| d.len())
            + self.url.as_ref().map_or(0, |u| u.len())
    }
}

impl FrameRecord {
    pub fn id(&self) -> String {
        format!("frame-{}", self.seq)
    }

    pub fn is_binary(&self) -> bool {
        self.opcode == 2
    }

    pub fn truncated(&self) -> bool {
        self.data.as_ref().map_or(0, |d| d.len() as u64) < self.length && self.data.is_some()
    }

    pub fn opcode_name(&self) -> &'static str {
        opcode_name(self.opcode)
    }

    /// Seed 003's JSON shape (plus `url`/`truncated` when they apply).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id(),
            "trafficId": &*self.traffic_id,
            "timestamp": self.timestamp_ms,
            "direction": self.direction.as_str(),
            "opcode": self.opcode,
            // Seed 003: a control frame (close, ping, pong) with no payload has `"data": null`.
            "data": self.data.as_ref().filter(|d| !(self.opcode >= 8 && d.is_empty()))
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
            "isBinary": self.is_binary(),
            "length": self.length,
        });
        if let Some(url) = &self.url {
            v["url"] = json!(&**url);
        }
        if self.truncated() {
            v["truncated"] = json!(true);
        }
        v
    }

    /// A page frame seen as an event (`type: websocket-frame`), for `/api/events` and subscribers.
    pub fn as_event(&self) -> StoredEvent {
        let env = json!({
            "id": self.id(),
            "type": "websocket-frame",
            "timestamp": self.timestamp_ms,
            "data": self.to_json(),
            "metadata": { "sessionId": &*self.session },
        });
        StoredEvent {
            seq: self.seq,
            ty: MessageType::WebsocketFrame,
            level: Level::Info,
            status: 0,
            timestamp_ms: self.timestamp_ms,
            session: self.session.clone(),
            raw: Raw::from(env.to_string().into_bytes()).into(),
        }
    }
}

pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "continuation",
        1 => "text",
        2 => "binary",
        8 => "close",
        9 => "ping",
        10 => "pong",
        _ => "reserved",
    }
}

#[derive(Debug)]
pub struct FrameLog {
    log: Log<FrameRecord>,
    stored_total: u64,
    /// Every traffic id seen, so a connection whose frames were deleted still counts 0, not 404.
    known: HashSet<SessionId>,
    /// Indexes of the page frames held, in order: live readers look for these only, and the
    /// connector's own frames (one per delivery to every `/mcp-ws` client) far outnumber them, so
    /// scanning the whole log made each reader pay for every other reader's deliveries.
    page: std::collections::VecDeque<u64>,
}

/// Past this many traffic ids, the oldest knowledge is dropped (ids then only live while framed).
const KNOWN_TRAFFIC_CAP: usize = 10_000;

impl FrameLog {
    pub fn new(capacity: usize) -> Self {
        FrameLog { log: Log::new(capacity), stored_total: 0, known: HashSet::new(), page: Default::default() }
    }

    pub fn log(&self) -> &Log<FrameRecord> {
        &self.log
    }

    /// Appends a frame whose `seq` the caller took from the store's sequence.
    pub fn push(&mut self, frame: FrameRecord) -> u64 {
        self.stored_total += 1;
        if !self.known.contains(&frame.traffic_id) {
            if self.known.len() >= KNOWN_TRAFFIC_CAP {
                self.known.clear();
            }
            self.known.insert(frame.traffic_id.clone());
        }
        let page = frame.origin == FrameOrigin::Page;
        let index = self.log.push(frame);
        if page {
            self.page.push_back(index);
        }
        self.forget_evicted_pages();
        index
    }

    fn forget_evicted_pages(&mut self) {
        while self.page.front().is_some_and(|&i| i < self.log.first()) {
            self.page.pop_front();
        }
    }

    /// The page frames from index `from` on, at most `max`, and how far a scan for them got:
    /// just past the last one taken when `max` stopped it, else the end of the log.
    pub fn page_frames_from(&self, from: u64, max: usize) -> (Vec<(u64, &FrameRecord)>, u64) {
        let from = from.max(self.log.first());
        let start = self.page.partition_point(|&i| i < from);
        let taken: Vec<(u64, &FrameRecord)> =
            self.page.range(start..).take(max).filter_map(|&i| self.log.get(i).map(|f| (i, f))).collect();
        let scanned_to = match taken.last() {
            _ if max == 0 => from,
            Some((i, _)) if taken.len() == max => i + 1,
            _ => self.log.end().max(from),
        };
        (taken, scanned_to)
    }

    /// How many page frames are held from index `from` on.
    pub fn page_frames_after(&self, from: u64) -> usize {
        let from = from.max(self.log.first());
        self.page.len() - self.page.partition_point(|&i| i < from)
    }

    pub fn stored_total(&self) -> u64 {
        self.stored_total
    }

    /// Whether frames were ever recorded for this connection.
    pub fn knows(&self, traffic_id: &str) -> bool {
        self.known.contains(traffic_id)
    }

    pub fn by_traffic<'a>(&'a self, traffic_id: &'a str) -> impl Iterator<Item = &'a FrameRecord> + 'a {
        self.log.iter().map(|(_, f)| f).filter(move |f| &*f.traffic_id == traffic_id)
    }

    pub fn find(&self, id: &str) -> Option<&FrameRecord> {
        let seq: u64 = id.strip_prefix("frame-")?.parse().ok()?;
        let index = self.log.partition_point(|f| f.seq >= seq);
        self.log.get(index).filter(|f| f.seq == seq)
    }

    /// Removes the frames of one connection; returns how many went.
    pub fn delete_traffic(&mut self, traffic_id: &str) -> usize {
        let before = self.log.len();
        let kept: Vec<FrameRecord> =
            self.log.iter().map(|(_, f)| f).filter(|f| &*f.traffic_id != traffic_id).cloned().collect();
        let removed = before - kept.len();
        if removed > 0 {
            let capacity = self.log.capacity();
            let mut log = Log::new(capacity);
            log.first = self.log.first();
            log.evicted = self.log.evicted();
            log.evicted_for_bytes = self.log.evicted_for_bytes();
            self.page.clear();
            for f in kept {
                let page = f.origin == FrameOrigin::Page;
                let index = log.push(f);
                if page {
                    self.page.push_back(index);
                }
            }
            self.log = log;
        }
        removed
    }

    pub(super) fn evict_oldest_for_bytes(&mut self) -> bool {
        let evicted = self.log.evict_oldest_for_bytes();
        self.forget_evicted_pages();
        evicted
    }

    pub fn clear_all(&mut self) {
        self.log.clear();
        self.page.clear();
    }
}
