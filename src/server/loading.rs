//! Owns a file's load in the background (`open FILE`): a thread reads the recording or HAR entry
//! by entry into the store (`Connector::load_recording_with`), and a `LoadProgress` that the UI's
//! status line and `/health` (`load`) read while it runs: bytes read of the total, entries and
//! events so far, skipped, and at the end what was loaded or why nothing was.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use anyhow::{Context, Result};
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::{Connector, Loaded};

/// How far a load is; shared by the loading thread and its readers.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub file: PathBuf,
    pub total_bytes: u64,
    pub bytes_read: AtomicU64,
    /// HAR entries or recording lines read so far.
    pub entries: AtomicU64,
    /// Events stored so far (a HAR entry's WebSocket frames are events of their own).
    pub events: AtomicU64,
    pub skipped: AtomicU64,
    done: AtomicBool,
    /// The outcome, set once when the load ends; taken by the UI.
    outcome: Mutex<Option<Result<Loaded, String>>>,
}

/// A point-in-time copy of a `LoadProgress`, for the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSnapshot {
    pub total_bytes: u64,
    pub bytes_read: u64,
    pub entries: u64,
    pub events: u64,
    pub skipped: u64,
    pub done: bool,
}

impl LoadProgress {
    pub fn new(file: &Path, total_bytes: u64) -> LoadProgress {
        LoadProgress { file: file.to_path_buf(), total_bytes, ..Default::default() }
    }

    pub fn snapshot(&self) -> LoadSnapshot {
        LoadSnapshot {
            total_bytes: self.total_bytes,
            bytes_read: self.bytes_read.load(Relaxed).min(self.total_bytes),
            entries: self.entries.load(Relaxed),
            events: self.events.load(Relaxed),
            skipped: self.skipped.load(Relaxed),
            done: self.done.load(Relaxed),
        }
    }

    fn finish(&self, outcome: Result<Loaded, String>) {
        *self.outcome.lock() = Some(outcome);
        self.done.store(true, Relaxed);
    }

    /// The outcome once the load has ended (once: later calls get `None`).
    pub fn take_outcome(&self) -> Option<Result<Loaded, String>> {
        self.outcome.lock().take()
    }

    /// `/health`'s `load`.
    pub fn to_json(&self) -> Value {
        let s = self.snapshot();
        json!({
            "file": self.file.display().to_string(), "bytesRead": s.bytes_read, "totalBytes": s.total_bytes,
            "entries": s.entries, "events": s.events, "skipped": s.skipped, "done": s.done,
        })
    }
}

/// A reader that counts the bytes it hands on into the progress.
pub(super) struct Counting<R> {
    pub inner: R,
    pub progress: Arc<LoadProgress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes_read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

impl Connector {
    /// Starts loading `path` on a thread of its own and returns once the first event is stored
    /// (or the load has ended): a file that cannot be opened or holds no event at all is an
    /// error here, before the UI starts; the rest streams in while the UI runs.
    pub async fn start_loading(&self, path: &Path) -> Result<Arc<LoadProgress>> {
        let total = std::fs::metadata(path)
            .with_context(|| format!("cannot open the recording {}", path.display()))?
            .len();
        let progress = Arc::new(LoadProgress::new(path, total));
        self.shared.load.get_or_init(|| progress.clone());
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let (connector, shared, file) = (self.clone(), progress.clone(), path.to_path_buf());
        std::thread::Builder::new().name("triage-load".into()).spawn(move || {
            let mut first = Some(first_tx);
            let outcome = connector.load_recording_with(&file, &shared, &mut || {
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(()));
                }
            });
            let outcome = outcome.map_err(|e| format!("{e:#}"));
            if let (Some(tx), Err(e)) = (first.take(), &outcome) {
                let _ = tx.send(Err(e.clone()));
            }
            shared.finish(outcome);
            connector.notify_changed();
        })?;
        match first_rx.await {
            Ok(Ok(())) => Ok(progress),
            Ok(Err(e)) => Err(anyhow::anyhow!(e)),
            // The thread ended without a word: the load ended, its outcome says how.
            Err(_) => Ok(progress),
        }
    }

    /// The background load's progress, if this connector has one (`open FILE`).
    pub fn load_progress(&self) -> Option<&Arc<LoadProgress>> {
        self.shared.load.get()
    }
}
