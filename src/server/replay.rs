//! Loading a recorded session (`--record` writes NDJSON, one canonical envelope a line) back into
//! a connector's store, for `triage-tui open FILE` (alias `replay`); a HAR goes through `export::har_read`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::loading::{Counting, LoadProgress};
use super::Connector;
use crate::protocol::shape::FrameShape;
use crate::protocol::{parse_message, MessageType};
use crate::store::{Category, SessionId, Staged};

/// What a replay loaded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub events: usize,
    /// Lines that could not be read: (line number, why), at most the first 20.
    pub skipped: Vec<(usize, String)>,
    pub skipped_total: usize,
    /// The events the user had marked in the UI (`ui-mark` lines: the UI's key of each event).
    pub marks: Vec<String>,
}

/// A UI mark line of a recording: `{"type":"ui-mark","data":{"event","marked"}}`.
fn ui_mark(line: &str) -> Option<(String, bool)> {
    if !line.contains("\"ui-mark\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v.get("type")?.as_str()? != "ui-mark" {
        return None;
    }
    let data = v.get("data")?;
    let id = data.get("event")?.as_str()?.to_string();
    Some((id, data.get("marked").and_then(serde_json::Value::as_bool).unwrap_or(true)))
}

fn skip(loaded: &mut Loaded, line: usize, why: String) {
    loaded.skipped_total += 1;
    if loaded.skipped.len() < 20 {
        loaded.skipped.push((line, why));
    }
}

/// Most bytes one recorded line may have (a recorded event was at most the message limit; a
/// screenshot's image is on disk, not in the line).
const MAX_LINE: usize = 64 * 1024 * 1024;

/// Entries stored between two wake-ups of the store's readers (the UI redraws what arrived).
const BATCH: u64 = 500;

impl Connector {
    /// Reads a recording into the store. Lines that are not events are skipped and reported;
    /// a file with no readable event at all is an error.
    pub fn load_recording(&self, path: &Path) -> Result<Loaded> {
        let progress = LoadProgress::new(path, std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
        self.load_recording_with(path, &Arc::new(progress), &mut || {})
    }

    /// `load_recording`, entry by entry from the file, counting into `progress` and waking the
    /// store's readers every `BATCH` entries; `first` is called once the first event is stored.
    pub fn load_recording_with(
        &self,
        path: &Path,
        progress: &Arc<LoadProgress>,
        first: &mut dyn FnMut(),
    ) -> Result<Loaded> {
        let mut file = std::fs::File::open(path)
            .with_context(|| format!("cannot open the recording {}", path.display()))?;
        let mut loaded = Loaded::default();
        let mut head = [0u8; 64];
        let got = std::io::Read::read(&mut file, &mut head).unwrap_or(0);
        std::io::Seek::rewind(&mut file)?;
        let reader = BufReader::with_capacity(1 << 20, Counting { inner: file, progress: progress.clone() });
        let mut feed = Feed { connector: self, progress, loaded: &mut loaded, first, since_wake: 0 };
        if crate::export::har_read::looks_like_har(&head[..got]) {
            feed.har(reader, path)?;
        } else {
            for (i, line) in reader.lines().enumerate() {
                feed.progress.entries.fetch_add(1, Relaxed);
                match line {
                    Ok(l) => feed.line(&l, i + 1),
                    Err(e) => feed.skip(i + 1, format!("unreadable: {e}")),
                }
            }
        }
        // A recording is listed whole and at once, as it was recorded (no reorder window).
        self.shared.store.write().release_all();
        self.notify_changed();
        if loaded.events == 0 {
            let first =
                loaded.skipped.first().map(|(n, why)| format!(" (line {n}: {why})")).unwrap_or_default();
            bail!("{} holds no recorded event{first}", path.display());
        }
        Ok(loaded)
    }

    /// One recorded line (or HAR-derived envelope) into the store.
    fn load_line(&self, line: &str, n: usize, loaded: &mut Loaded) {
        if line.trim().is_empty() {
            return;
        }
        if let Some((id, marked)) = ui_mark(line) {
            loaded.marks.retain(|m| *m != id);
            if marked {
                loaded.marks.push(id);
            }
            return;
        }
        let parsed = match parse_message(line, MAX_LINE) {
            Ok(p) => p,
            Err(e) => {
                skip(loaded, n, e.to_string());
                return;
            }
        };
        let env = parsed.envelope;
        let session: SessionId = env.meta_str("sessionId").unwrap_or_else(|| "replay".into()).into();
        match parsed.kind {
            MessageType::WebsocketFrame => {
                let data = env.data.to_string();
                let shape: Result<FrameShape, _> = serde_json::from_str(&data);
                match shape.map_err(|e| e.to_string()).and_then(|f| {
                    self.page_frame(&session, &f, env.timestamp.map(|t| t.0)).map_err(|e| e.to_string())
                }) {
                    Ok(frame) => {
                        self.shared.store.write().append_staged([Staged::Frame(frame)]);
                        loaded.events += 1;
                    }
                    Err(e) => skip(loaded, n, e),
                }
            }
            kind if Category::of(kind).is_some() => {
                self.store_event(&session, kind, &env, None);
                loaded.events += 1;
            }
            kind => skip(loaded, n, format!("{kind} is not a recorded event")),
        }
    }
}

/// One load's feed into the store: counts, batching, the first-event signal.
struct Feed<'a> {
    connector: &'a Connector,
    progress: &'a LoadProgress,
    loaded: &'a mut Loaded,
    first: &'a mut dyn FnMut(),
    since_wake: u64,
}

impl Feed<'_> {
    fn skip(&mut self, line: usize, why: String) {
        skip(self.loaded, line, why);
        self.progress.skipped.fetch_add(1, Relaxed);
    }

    /// One line (or HAR-derived envelope) into the store, the readers woken every `BATCH`.
    fn line(&mut self, line: &str, n: usize) {
        let (events, skipped) = (self.loaded.events, self.loaded.skipped_total);
        self.connector.load_line(line, n, self.loaded);
        self.progress.events.fetch_add((self.loaded.events - events) as u64, Relaxed);
        self.progress.skipped.fetch_add((self.loaded.skipped_total - skipped) as u64, Relaxed);
        if events == 0 && self.loaded.events > 0 {
            self.connector.notify_changed();
            (self.first)();
        }
        self.since_wake += 1;
        if self.since_wake >= BATCH {
            self.since_wake = 0;
            self.connector.notify_changed();
        }
    }

    /// A HAR's entries as events; entries that cannot be read are skipped (numbered by entry).
    fn har(&mut self, reader: impl std::io::Read, path: &Path) -> Result<()> {
        let redact = self.connector.config().redact_headers;
        let mut n = 0;
        let end = crate::export::har_read::read_from(reader, "har", &mut |entry| {
            self.progress.entries.fetch_add(1, Relaxed);
            match entry {
                Ok(envs) => {
                    for mut env in envs {
                        // Another tool's HAR carries credentials: redacted as live traffic is.
                        if redact {
                            crate::protocol::redact::redact_network(&mut env["data"]);
                        }
                        n += 1;
                        self.line(&env.to_string(), n);
                    }
                }
                Err((i, why)) => self.skip(i + 1, format!("entry skipped: {why}")),
            }
        })
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if let Some(why) = end.stopped {
            self.skip(end.entries + 1, why);
        }
        Ok(())
    }
}
