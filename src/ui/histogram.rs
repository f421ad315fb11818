//! Owns the picture of the stream: events and errors per second over the last minute (lnav's
//! histogram), kept up to date incrementally as the store grows, drawn as a sparkline in the
//! tab row so a burst of errors is seen at a glance.

use std::collections::VecDeque;

use crate::store::{Category, Level, Store};

/// Seconds the picture covers.
pub const SECONDS: usize = 60;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// (second, events, errors), oldest first, at most `SECONDS` buckets.
    pub buckets: VecDeque<(i64, u32, u32)>,
    /// The next log index to count, per category, and the store generation counted.
    scanned: [u64; 3],
    generation: Option<u64>,
}

impl Histogram {
    /// Counts what arrived since the last call (cheap: index fields only).
    pub fn sync(&mut self, store: &Store) {
        if self.generation != Some(store.generation()) {
            *self = Histogram { generation: Some(store.generation()), ..Default::default() };
        }
        for (i, cat) in [Category::Console, Category::Network, Category::Elements].into_iter().enumerate() {
            let log = store.log(cat);
            // After a long absence only the recent past matters.
            let from = self.scanned[i].max(log.first()).max(log.end().saturating_sub(100_000));
            for (_, e) in log.iter_from(from) {
                let error = e.level >= Level::Error || (cat == Category::Network && e.status >= 400);
                self.add(e.timestamp_ms.div_euclid(1000), error);
            }
            self.scanned[i] = log.end();
        }
    }

    fn add(&mut self, second: i64, error: bool) {
        let newest = self.buckets.back().map_or(i64::MIN, |b| b.0);
        if second > newest {
            self.buckets.push_back((second, 0, 0));
            while self.buckets.front().is_some_and(|b| b.0 <= second - SECONDS as i64) {
                self.buckets.pop_front();
            }
        }
        if let Some(b) = self.buckets.iter_mut().rev().find(|b| b.0 <= second) {
            if b.0 == second {
                b.1 += 1;
                b.2 += u32::from(error);
                return;
            }
        }
        // Out of order and older than the window or between buckets: count it where it belongs.
        if let Some(pos) = self.buckets.iter().position(|b| b.0 > second) {
            if second > self.buckets.back().map_or(i64::MIN, |b| b.0) - SECONDS as i64 {
                self.buckets.insert(pos, (second, 1, u32::from(error)));
            }
        }
    }

    /// Per second for the `width` seconds up to the newest: (events, errors).
    pub fn series(&self, width: usize) -> Vec<(u32, u32)> {
        let Some(&(newest, _, _)) = self.buckets.back() else { return vec![(0, 0); width] };
        let mut out = vec![(0, 0); width];
        for &(s, n, e) in &self.buckets {
            let age = (newest - s) as usize;
            if age < width {
                out[width - 1 - age] = (n, e);
            }
        }
        out
    }

    pub fn errors(&self) -> u32 {
        self.buckets.iter().map(|b| b.2).sum()
    }
}

/// The sparkline glyph for `n` against the busiest second `max`.
pub fn glyph(n: u32, max: u32) -> char {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if n == 0 || max == 0 {
        return ' ';
    }
    BARS[((n as usize * 8).div_ceil(max as usize)).clamp(1, 8) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
    use crate::store::{Raw, StoredEvent};

    fn ev(ms: i64, level: Level) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ty: MessageType::ConsoleLog,
            level,
            status: 0,
            timestamp_ms: ms,
            session: "s".into(),
            raw: Raw::from(b"{}".to_vec()).into(),
        }
    }

    #[test]
    fn counts_events_and_errors_per_second_incrementally() {
        let mut store = Store::new(Default::default());
        let mut h = Histogram::default();
        for ms in [1000, 1500, 2100] {
            store.append(ev(ms, Level::Info));
        }
        h.sync(&store);
        store.append(ev(3000, Level::Error));
        store.append(ev(3001, Level::Error));
        h.sync(&store);
        assert_eq!(h.series(4), vec![(0, 0), (2, 0), (1, 0), (2, 2)]);
        assert_eq!(h.errors(), 2);
        assert_eq!(glyph(2, 2), '█');
        assert_eq!(glyph(0, 2), ' ');
        store.clear();
        h.sync(&store);
        assert!(h.buckets.is_empty());
    }
}
