//! Owns the UI's side of a background load (`open FILE`): the status line's progress bar
//! while the file streams in (bytes read of the total, entries so far), and at the end the
//! marks the recording held, the toast, and the final count (loaded, skipped) that replaces the bar.

use std::sync::Arc;

use crate::server::{Connector, LoadProgress, LoadSnapshot};

use super::state::State;

/// The load the UI started with, and where its skipped lines are logged.
pub struct Loading {
    pub progress: Arc<LoadProgress>,
    pub log_file: String,
    /// The outcome was applied (marks, toast).
    pub reported: bool,
}

/// Copies the load's progress into the status; at its end applies the marks and says what was
/// loaded. Whether anything the status line shows changed.
pub fn poll(state: &mut State, connector: &Connector) -> bool {
    let Some(loading) = &mut state.loading else { return false };
    let snapshot = loading.progress.snapshot();
    let changed = state.status.load.as_ref() != Some(&snapshot);
    state.status.load = Some(snapshot);
    if loading.reported {
        return changed;
    }
    let Some(outcome) = loading.progress.take_outcome() else { return changed };
    loading.reported = true;
    let log_file = loading.log_file.clone();
    match outcome {
        Ok(loaded) => {
            for (line, why) in &loaded.skipped {
                tracing::warn!(line, "replay skipped a line: {why}");
            }
            let skipped = match loaded.skipped_total {
                0 => String::new(),
                n => format!("; {n} line(s) skipped (see {log_file})"),
            };
            state.marks = Arc::new(super::marked_seqs(&connector.store().read(), &loaded.marks));
            let marks = match state.marks.len() {
                0 => String::new(),
                n => format!(", {n} marked"),
            };
            state.toast(
                format!("Replaying {} events{marks}{skipped} (read-only)", loaded.events),
                loaded.skipped_total > 0,
            );
        }
        Err(e) => state.toast(format!("Loading stopped: {e}"), true),
    }
    true
}

/// The status line's load part: a progress bar while loading, the final count when done.
pub fn status_part(s: &LoadSnapshot) -> String {
    let skipped = match s.skipped {
        0 => String::new(),
        n => format!(", {n} skipped"),
    };
    if s.done {
        return format!("loaded {} entries ({} events){skipped}", s.entries, s.events);
    }
    const WIDTH: u64 = 12;
    let total = s.total_bytes.max(1);
    let filled = (s.bytes_read * WIDTH / total).min(WIDTH) as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(WIDTH as usize - filled));
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    format!(
        "loading {bar} {}% {:.1}/{:.1} MB, {} entries{skipped}",
        s.bytes_read * 100 / total,
        mb(s.bytes_read),
        mb(s.total_bytes),
        s.entries
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_bytes_read_and_gives_way_to_the_count() {
        let mut s =
            LoadSnapshot { total_bytes: 4 << 20, bytes_read: 1 << 20, entries: 7, ..Default::default() };
        assert_eq!(status_part(&s), "loading ███░░░░░░░░░ 25% 1.0/4.0 MB, 7 entries");
        s.skipped = 2;
        s.events = 9;
        s.done = true;
        assert_eq!(status_part(&s), "loaded 7 entries (9 events), 2 skipped");
    }
}
