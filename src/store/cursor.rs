//! Readers' positions in the store: what `/mcp-ws` clients and other live readers have not seen
//! yet, how far behind they are, and skipping them ahead.

use super::{Store, StoredEvent};

/// A reader's position in every log (see [`Store::read_since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub logs: [u64; 3],
    pub frames: u64,
}

impl Store {
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
        let read = self.read_since_within(cursor, max, usize::MAX);
        (read.events, read.missed)
    }

    /// As [`Store::read_since`], stopping once the events' bytes reach `max_bytes` (at least one
    /// event is returned when any is there), so a reader takes only what it has room for.
    pub fn read_since_within(&self, cursor: &mut Cursor, max: usize, max_bytes: usize) -> Read {
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
        let (page, frames_scanned_to) = self.frames.page_frames_from(cursor.frames, max);
        let page_frames = page.len();
        batch.extend(page.into_iter().map(|(idx, f)| (3, idx, f.as_event())));
        batch.sort_by_key(|(_, _, e)| e.seq);
        // More may follow when a log or the frame scan stopped at `max`, or the batch was cut.
        let mut more = page_frames == max || batch.len() > max;
        for (i, log) in self.logs.iter().enumerate() {
            more |= log.end().saturating_sub(cursor.logs[i]) > max as u64;
        }
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
            more |= keep < batch.len();
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
        Read { events: batch.into_iter().map(|(_, _, e)| e).collect(), missed, more }
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
        let page_frames = self.frames.page_frames_after(cursor.frames);
        *cursor = now;
        events + page_frames as u64
    }
}

/// What [`Store::read_since_within`] read.
pub struct Read {
    /// Events and page frames, oldest first.
    pub events: Vec<StoredEvent>,
    /// How many the reader missed because they were evicted before it got to them.
    pub missed: u64,
    /// Whether the read stopped at its limits with more after it: read again without waiting.
    pub more: bool,
}
