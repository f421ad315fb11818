//! Owns an event log in two tiers: the newest events as received (live), and older ones sealed
//! [`CHUNK`] at a time into a [`Chunk`]: their index fields in a compact column, their bytes in one
//! compressed [`Packed`] frame. Indexes run across both tiers, as in [`Log`]: entry `i` is the
//! `i`th event ever appended, and readers' cursors stay valid across sealing and eviction.
//!
//! A sealed event is read as a [`StoredEvent`] made on the spot ([`Ev::Sealed`]): its index
//! fields are copied out, its body points into the pack, which decodes only when the bytes are
//! read. What one sealed console message weighs is its 18 bytes of columns, its 4-byte end and its share
//! of the frame (~50 bytes for ~350 bytes of JSON with zstd level 1).

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::Arc;

use super::sealed::{Body, Packed, CHUNK, CHUNK_BYTES, LIVE, LIVE_BYTES};
use super::{Level, Log, SessionId, StoredEvent};
use crate::protocol::MessageType;

/// Consecutive events of a log (up to [`CHUNK`] of them, or [`CHUNK_BYTES`]), sealed: their
/// index fields in columns (18 bytes an event), their bytes in the pack.
#[derive(Debug)]
pub(super) struct Chunk {
    /// Log index of the first event.
    base: u64,
    /// Events evicted from the front (the chunk is dropped once all are).
    skip: usize,
    /// The first event's seq; each event's is this plus its `seq` entry.
    first_seq: u64,
    seq: Box<[u32]>,
    timestamp_ms: Box<[i64]>,
    status: Box<[u16]>,
    /// Into `sessions`.
    session: Box<[u16]>,
    ty: Box<[MessageType]>,
    level: Box<[Level]>,
    sessions: Box<[SessionId]>,
    pub(super) pack: Arc<Packed>,
}

/// What a sealed event's columns weigh.
const ROW: usize = 4 + 8 + 2 + 2 + 1 + 1;

impl Chunk {
    fn len(&self) -> usize {
        self.seq.len()
    }

    fn event(&self, i: usize) -> StoredEvent {
        StoredEvent {
            seq: self.first_seq + u64::from(self.seq[i]),
            ty: self.ty[i],
            level: self.level[i],
            status: self.status[i],
            timestamp_ms: self.timestamp_ms[i],
            session: self.sessions[self.session[i] as usize].clone(),
            raw: Body::Sealed(self.pack.clone(), i as u32),
        }
    }

    /// What one of its events weighs in the byte budget.
    fn weight_each(&self) -> usize {
        ROW + self.pack.share()
    }

    fn held(&self) -> usize {
        self.len() - self.skip
    }
}

/// An event read from an [`EventLog`]: borrowed when live, made from its row when sealed.
/// Reads as a [`StoredEvent`].
#[derive(Debug)]
pub enum Ev<'a> {
    Live(&'a StoredEvent),
    Sealed(StoredEvent),
}

impl Ev<'_> {
    pub fn into_owned(self) -> StoredEvent {
        match self {
            Ev::Live(e) => e.clone(),
            Ev::Sealed(e) => e,
        }
    }
}

impl Deref for Ev<'_> {
    type Target = StoredEvent;
    fn deref(&self) -> &StoredEvent {
        match self {
            Ev::Live(e) => e,
            Ev::Sealed(e) => e,
        }
    }
}

/// A log of events: sealed chunks, oldest first, then the live ring.
#[derive(Debug)]
pub struct EventLog {
    chunks: VecDeque<Chunk>,
    /// The live events; `live.first()` is where the sealed chunks end.
    live: Log<StoredEvent>,
    capacity: usize,
    evicted: u64,
    evicted_for_bytes: u64,
    /// What the sealed events weigh (the live ring counts its own).
    sealed_bytes: usize,
}

impl EventLog {
    pub fn new(capacity: usize) -> Self {
        EventLog {
            chunks: VecDeque::new(),
            // The live ring never evicts by itself: this log applies the capacity to both tiers.
            live: Log::new(usize::MAX),
            capacity: capacity.max(1),
            evicted: 0,
            evicted_for_bytes: 0,
            sealed_bytes: 0,
        }
    }

    /// Appends and returns the new entry's index; evicts the oldest entry when full.
    pub fn push(&mut self, event: StoredEvent) -> u64 {
        if self.len() >= self.capacity && self.evict_oldest() {
            self.evicted += 1;
        }
        self.live.push(event)
    }

    /// Evicts the oldest entry to free memory (counted apart from capacity evictions).
    pub(super) fn evict_oldest_for_bytes(&mut self) -> bool {
        let gone = self.evict_oldest();
        self.evicted_for_bytes += u64::from(gone);
        gone
    }

    fn evict_oldest(&mut self) -> bool {
        if let Some(chunk) = self.chunks.front_mut() {
            self.sealed_bytes -= chunk.weight_each();
            chunk.skip += 1;
            if chunk.held() == 0 {
                self.chunks.pop_front();
            }
            return true;
        }
        self.live.pop_front()
    }

    pub fn front(&self) -> Option<Ev<'_>> {
        self.get(self.first())
    }

    /// What the held entries weigh, in bytes.
    pub fn bytes(&self) -> usize {
        self.sealed_bytes + self.live.bytes()
    }

    pub fn evicted_for_bytes(&self) -> u64 {
        self.evicted_for_bytes
    }

    /// Index of the oldest entry still held.
    pub fn first(&self) -> u64 {
        self.chunks.front().map_or(self.live.first(), |c| c.base + c.skip as u64)
    }

    /// One past the newest entry's index.
    pub fn end(&self) -> u64 {
        self.live.end()
    }

    /// Where the live tier starts: entries before it are sealed.
    pub fn live_first(&self) -> u64 {
        self.live.first()
    }

    pub fn get(&self, index: u64) -> Option<Ev<'_>> {
        if index >= self.live.first() {
            return self.live.get(index).map(Ev::Live);
        }
        let front = self.chunks.front()?;
        if index < front.base + front.skip as u64 {
            return None;
        }
        // Chunks follow one another: the one holding `index` is the last to start at or before it.
        let k = self.chunks.partition_point(|c| c.base + c.len() as u64 <= index);
        let chunk = self.chunks.get(k)?;
        Some(Ev::Sealed(chunk.event(usize::try_from(index - chunk.base).ok()?)))
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(Chunk::held).sum::<usize>() + self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries are sealed.
    pub fn sealed_len(&self) -> usize {
        self.chunks.iter().map(Chunk::held).sum()
    }

    /// What the held chunks' frames weigh compressed.
    pub fn sealed_compressed_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.pack.compressed_len()).sum()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drops every entry; indexes keep counting from where they were.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.sealed_bytes = 0;
        self.live.clear();
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, Ev<'_>)> + '_ {
        (self.first()..self.end()).filter_map(move |i| self.get(i).map(|e| (i, e)))
    }

    /// Entries from index `from` on (clamped to what is held).
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = (u64, Ev<'_>)> + '_ {
        (from.max(self.first())..self.end()).filter_map(move |i| self.get(i).map(|e| (i, e)))
    }

    /// The first index whose entry satisfies `pred`, given `pred` is false then true along the log.
    pub fn partition_point(&self, pred: impl Fn(&StoredEvent) -> bool) -> u64 {
        let (mut lo, mut hi) = (self.first(), self.end());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(|e| pred(&e)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The handles of the oldest live events' bytes, a full chunk of them, when what stays
    /// live after sealing them still holds [`LIVE`] events or [`LIVE_BYTES`].
    pub(super) fn due_to_seal(&self) -> Option<(u64, Vec<super::Raw>)> {
        let (mut n, mut bytes) = (0, 0);
        let first_seq = self.live.front()?.seq;
        for (_, e) in self.live.iter() {
            if n == CHUNK || bytes >= CHUNK_BYTES {
                break;
            }
            if e.seq - first_seq > u64::from(u32::MAX) {
                // A row keeps its seq in 32 bits: the chunk ends here.
                bytes = CHUNK_BYTES;
                break;
            }
            n += 1;
            bytes += e.raw.len();
        }
        let full = n == CHUNK || bytes >= CHUNK_BYTES;
        let rest_len = self.live.len() - n;
        let rest_bytes = self.live.bytes().saturating_sub(bytes);
        if !full || (rest_len < LIVE && rest_bytes < LIVE_BYTES) {
            return None;
        }
        let base = self.live.first();
        let raws = self.live.iter().take(n).map(|(_, e)| e.raw.to_raw()).collect();
        Some((base, raws))
    }

    /// Moves the oldest live events, starting at `base`, into a chunk with `pack` (one per
    /// event). False when they are no longer the oldest live ones (evicted or sealed since).
    pub(super) fn seal(&mut self, base: u64, pack: Packed) -> bool {
        let n = pack.len();
        if self.live.first() != base || self.live.len() < n || n == 0 {
            return false;
        }
        let mut sessions: Vec<SessionId> = Vec::new();
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            let Some(e) = self.live.pop_front_entry() else { break };
            events.push(e);
        }
        let first_seq = events.first().map_or(0, |e| e.seq);
        let session = events
            .iter()
            .map(|e| {
                // Sessions repeat in runs: the last ones are checked first. A chunk holds at most
                // CHUNK (< 65 536) events, so at most as many sessions.
                let k = sessions.iter().rposition(|s| Arc::ptr_eq(s, &e.session) || *s == e.session);
                k.unwrap_or_else(|| {
                    sessions.push(e.session.clone());
                    sessions.len() - 1
                }) as u16
            })
            .collect();
        let chunk = Chunk {
            base,
            skip: 0,
            first_seq,
            // due_to_seal ends a chunk before a seq 2^32 past its first.
            seq: events.iter().map(|e| (e.seq - first_seq) as u32).collect(),
            timestamp_ms: events.iter().map(|e| e.timestamp_ms).collect(),
            status: events.iter().map(|e| e.status).collect(),
            session,
            ty: events.iter().map(|e| e.ty).collect(),
            level: events.iter().map(|e| e.level).collect(),
            sessions: sessions.into(),
            pack: Arc::new(pack),
        };
        self.sealed_bytes += chunk.weight_each() * chunk.held();
        self.chunks.push_back(chunk);
        true
    }

    /// The chunks, oldest first (for freeing their decoded buffers).
    pub(super) fn chunks_mut(&mut self) -> impl Iterator<Item = &mut Chunk> {
        self.chunks.iter_mut()
    }
}
