//! Owns the compressed tier of the event logs: the bytes of old events, [`CHUNK`] at a time,
//! packed into one compressed frame, and an event's [`Body`], which holds either its own bytes
//! (a live event) or its place in such a pack (a sealed one).
//!
//! The newest [`LIVE`] events of each log stay as received: the views follow them, streams read
//! them, and sealing never races the ingest path. Sealing runs on its own thread
//! ([`spawn_sealer`]): it copies the handles of one chunk's bytes under the store's read lock,
//! compresses with no lock held, and swaps the bodies in under a short write lock.
//!
//! A pack decodes the first time one of its events is read and keeps that buffer while it is
//! used; the sealer's pass frees buffers nobody read since the pass before ([`Store::forget_decoded`]),
//! so a scan over the whole history holds a few decoded chunks at a time, never the history.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::RwLock;

use super::text_index::Computed;
use super::{Raw, Store};

/// Most events per pack: ~1.5 MB of console JSON, big enough for the codec to find the repeats
/// between events, small enough that reading one old event decodes little.
pub const CHUNK: usize = 4096;
/// Most bytes per pack (large requests fill one before [`CHUNK`] events do).
pub const CHUNK_BYTES: usize = 2 << 20;

/// The tail of each log that stays live: this many events, or as many as fill
/// [`LIVE_BYTES`], whichever is fewer.
pub const LIVE: usize = 8192;
pub const LIVE_BYTES: usize = 8 << 20;

/// The zstd level: 1 is the fastest; higher levels gained little here (docs/performance.md).
const LEVEL: i32 = 1;

/// The bytes of [`CHUNK`] consecutive events of one log, compressed as one frame.
pub struct Packed {
    compressed: Arc<[u8]>,
    /// Where each event's bytes end in the decoded buffer.
    ends: Arc<[u32]>,
    decoded: OnceLock<Box<[u8]>>,
    /// Set by every read; cleared by the sealer's pass, which frees a buffer not read since.
    used: AtomicBool,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packed")
            .field("events", &self.ends.len())
            .field("compressed", &self.compressed.len())
            .field("decoded", &self.decoded.get().is_some())
            .finish()
    }
}

impl Packed {
    /// Packs the bytes of consecutive events.
    pub fn pack<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> std::io::Result<Packed> {
        let mut joined = Vec::new();
        let mut ends = Vec::new();
        for b in bodies {
            joined.extend_from_slice(b);
            ends.push(u32::try_from(joined.len()).map_err(|_| std::io::Error::other("pack over 4 GiB"))?);
        }
        let compressed = zstd::bulk::compress(&joined, LEVEL)?;
        Ok(Packed {
            compressed: compressed.into(),
            ends: ends.into(),
            decoded: OnceLock::new(),
            used: AtomicBool::new(false),
        })
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The compressed size.
    pub fn compressed_len(&self) -> usize {
        self.compressed.len()
    }

    /// What one of its events weighs in the store's byte budget: its share of the frame and its end.
    pub fn share(&self) -> usize {
        self.compressed.len().div_ceil(self.len().max(1)) + std::mem::size_of::<u32>()
    }

    /// Event `i`'s bytes (decoding the pack the first time).
    pub fn event(&self, i: u32) -> &[u8] {
        if !self.used.load(Relaxed) {
            self.used.store(true, Relaxed);
        }
        let decoded = self.decoded.get_or_init(|| {
            let size = self.ends.last().copied().unwrap_or(0) as usize;
            zstd::bulk::decompress(&self.compressed, size)
                .unwrap_or_else(|e| {
                    // Only memory can fail here: the frame is ours. The event reads as empty.
                    tracing::error!("a sealed chunk did not decode: {e}");
                    Vec::new()
                })
                .into_boxed_slice()
        });
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) as usize };
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        decoded.get(start..end).unwrap_or(&[])
    }

    pub fn is_decoded(&self) -> bool {
        self.decoded.get().is_some()
    }

    /// Clears the read mark and says whether it was set.
    pub(super) fn take_used(&self) -> bool {
        self.used.swap(false, Relaxed)
    }

    /// The same pack, not decoded (the frame and the ends are shared, not copied).
    pub(super) fn undecoded(&self) -> Packed {
        Packed {
            compressed: self.compressed.clone(),
            ends: self.ends.clone(),
            decoded: OnceLock::new(),
            used: AtomicBool::new(false),
        }
    }
}

/// An event's bytes: its own (live) or its place in a pack (sealed). Reads as the bytes.
#[derive(Clone)]
pub enum Body {
    Live(Raw),
    Sealed(Arc<Packed>, u32),
}

impl Body {
    /// The bytes as a [`Raw`] handle: shared when live, copied out of the pack when sealed.
    pub fn to_raw(&self) -> Raw {
        match self {
            Body::Live(raw) => raw.clone(),
            Body::Sealed(..) => Raw::from(&**self),
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, Body::Sealed(..))
    }

    /// What the body weighs in the byte budget (beyond the event's own struct).
    pub(super) fn weight(&self) -> usize {
        match self {
            Body::Live(raw) => super::log::ENTRY_OVERHEAD + raw.len(),
            Body::Sealed(pack, _) => pack.share(),
        }
    }
}

impl Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Body::Live(raw) => raw,
            Body::Sealed(pack, i) => pack.event(*i),
        }
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Raw> for Body {
    fn from(raw: Raw) -> Body {
        Body::Live(raw)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::Live(bytes.into())
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Body {
        Body::Live(bytes.into())
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Live(raw) => write!(f, "Live({})", String::from_utf8_lossy(raw)),
            Body::Sealed(pack, i) => write!(f, "Sealed({i} of {pack:?})"),
        }
    }
}

/// One chunk to seal: which log, from which index, the handles of its events' bytes.
#[derive(Debug)]
pub struct SealJob {
    category: usize,
    generation: u64,
    base: u64,
    raws: Vec<Raw>,
}

impl SealJob {
    /// The bytes of JSON the job's events hold (freed once the chunk is sealed).
    pub fn bytes(&self) -> usize {
        self.raws.iter().map(|r| r.len()).sum()
    }
}

/// A sealed chunk ready to swap in: the pack and its events' free-text signatures.
pub struct Sealed {
    pack: Packed,
    signatures: Vec<Computed>,
}

impl SealJob {
    /// Compresses the chunk and computes its signatures (no lock needed).
    pub fn pack(&self) -> std::io::Result<Sealed> {
        Ok(Sealed {
            pack: Packed::pack(self.raws.iter().map(|r| &r[..]))?,
            signatures: self.raws.iter().map(|r| Computed::of(r)).collect(),
        })
    }
}

impl Store {
    /// The oldest chunk of any log that is due to be sealed (past the [`LIVE`] tail).
    pub fn seal_job(&self) -> Option<SealJob> {
        (0..3).find_map(|c| {
            let (base, raws) = self.logs[c].due_to_seal()?;
            Some(SealJob { category: c, generation: self.generation, base, raws })
        })
    }

    /// Swaps a sealed chunk in for the live events it was made from, if they are still the
    /// oldest live ones. Returns how many events were sealed.
    pub fn apply_seal(&mut self, job: SealJob, sealed: Sealed) -> usize {
        let c = job.category;
        if job.generation != self.generation || !self.logs[c].seal(job.base, sealed.pack) {
            return 0;
        }
        for (i, signature) in sealed.signatures.iter().enumerate() {
            self.text[c].set(job.base + i as u64, signature);
        }
        job.raws.len()
    }

    /// Seals every chunk that is due, here and now (what the sealer thread does, without it).
    pub fn seal_due(&mut self) -> usize {
        let mut sealed = 0;
        while let Some(job) = self.seal_job() {
            let Ok(packed) = job.pack() else { break };
            match self.apply_seal(job, packed) {
                0 => break,
                n => sealed += n,
            }
        }
        sealed
    }

    /// Frees the decoded buffers of packs nobody read since the last call (readers holding the
    /// old handle keep it until they drop it). Returns how many were freed.
    pub fn forget_decoded(&mut self) -> usize {
        let mut freed = 0;
        for log in &mut self.logs {
            for chunk in log.chunks_mut() {
                if chunk.pack.is_decoded() && !chunk.pack.take_used() {
                    chunk.pack = Arc::new(chunk.pack.undecoded());
                    freed += 1;
                }
            }
        }
        freed
    }

    /// How many events are sealed, and what their packs weigh compressed.
    pub fn sealed_stats(&self) -> (u64, u64) {
        let events = self.logs.iter().map(|l| l.sealed_len() as u64).sum();
        let bytes = self.logs.iter().map(|l| l.sealed_compressed_bytes() as u64).sum();
        (events, bytes)
    }
}

/// How often the sealer looks for work.
const PASS: Duration = Duration::from_millis(100);

/// Makes the calling thread yield the cores to ingest and the UI: sealing can wait (a saturated
/// connector keeps more live events until it is idle, within the byte budget).
fn lower_priority() {
    // On Linux a nice value is per thread: `None` names the calling one.
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(None, 10) {
        tracing::debug!("the sealer keeps its priority: {e}");
    }
}

/// Starts the thread that seals the store's old events and frees decoded packs. It stops by
/// itself once the store is dropped.
pub fn spawn_sealer(store: &Arc<RwLock<Store>>) -> std::io::Result<std::thread::JoinHandle<()>> {
    let weak = Arc::downgrade(store);
    std::thread::Builder::new().name("triage-sealer".into()).spawn(move || {
        lower_priority();
        let mut unreturned = 0;
        loop {
            std::thread::sleep(PASS);
            let Some(store) = weak.upgrade() else { return };
            // A chunk at a time, so the write lock is held only to swap one chunk's bodies in.
            let mut sealed_any = false;
            loop {
                let Some(job) = store.read().seal_job() else { break };
                let bytes = job.bytes();
                let pack = match job.pack() {
                    Ok(pack) => pack,
                    Err(e) => {
                        tracing::warn!("sealing old events failed: {e}");
                        break;
                    }
                };
                if store.write().apply_seal(job, pack) == 0 {
                    break;
                }
                unreturned += bytes;
                sealed_any = true;
            }
            store.write().forget_decoded();
            drop(store);
            // Only once ingest went quiet: pages given back mid-burst are faulted in again at
            // once (paired quick runs: 302 k against 355 k events/s, on average, when trimming as
            // it sealed; no difference measured when trimming only once quiet).
            if !sealed_any && unreturned >= RETURN_AFTER {
                return_freed_memory();
                unreturned = 0;
            }
        }
    })
}

/// Sealing frees the bodies it compressed, but glibc keeps freed heap pages mapped (the process
/// stays at its high-water mark, and resident memory says nothing of what sealing saved): once
/// this much was freed and a pass finds nothing to seal, the sealer asks it to give them back.
const RETURN_AFTER: usize = 8 << 20;

fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own arenas; it takes their
    // locks, so it is sound beside every other thread's allocations.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_gives_back_each_events_bytes() {
        let bodies: Vec<Vec<u8>> =
            (0..100).map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i)).into_bytes()).collect();
        let pack = Packed::pack(bodies.iter().map(|b| &b[..])).unwrap();
        assert!(!pack.is_decoded());
        for (i, b) in bodies.iter().enumerate() {
            assert_eq!(pack.event(i as u32), &b[..]);
        }
        assert!(pack.is_decoded());
        assert_eq!(pack.event(1000), b"", "out of range reads as empty");
        assert!(pack.compressed_len() < bodies.iter().map(Vec::len).sum::<usize>() / 2);
        let body = Body::Sealed(Arc::new(pack), 7);
        assert_eq!(&*body.to_raw(), &bodies[7][..]);
    }
}
