//! Owns the step between the store and a frame: `prepare` parses what the next frame shows (the
//! visible rows, cached; the open detail of the current pane; the selected item), keeps scroll
//! positions in bounds and resolves the jumps that need the store (next/previous match, error).
//! `render` then reads `State` alone.

use super::action::Pane;
use super::panes::{self, console::GroupTimes, DKind, Row};
use super::render::layout;
use super::sanitize;
use super::state::{category, DetailCache, ItemKey, Jump, Selected, State, WLine};
use crate::store::{Ev, Level, Store, StoredEvent};

/// Most cached rows per pane before the cache is trimmed to what is visible.
const ROW_CACHE_MAX: usize = 512;
/// Most wrapped detail lines kept.
const DETAIL_LINES_MAX: usize = 50_000;
/// Most occurrences a group's detail lists.
const GROUP_TIMES_MAX: u64 = 50;

impl State {
    /// Parses what the next frame shows: the visible rows (cached), the open detail and the
    /// selected item. Also keeps scroll positions within bounds.
    pub fn prepare(&mut self, store: &Store) {
        if let Some(jump) = self.jump.take() {
            self.resolve_jump(store, jump);
        }
        let areas = layout(self.viewport, self);
        let height = areas.list.height as usize;
        let utc = self.utc;
        if let Some(view) = self.view_mut(self.pane) {
            view.ensure_visible(height);
        } else if let Some(p) = self.session_position() {
            if p < self.session_top {
                self.session_top = p;
            } else if p >= self.session_top + height.max(1) {
                self.session_top = p + 1 - height.max(1);
            }
        }
        if self.pane != Pane::Sessions {
            self.prepare_rows(store, height, utc);
        }
        self.selected_item = self.select_item(store);
        if self.detail_is_open() {
            self.prepare_detail(store, areas.detail, utc);
        }
    }

    fn prepare_rows(&mut self, store: &Store, height: usize, utc: bool) {
        let i = self.pane.index();
        let view = &self.views[i];
        let visible: Vec<u64> = view.visible(height).copied().collect();
        let ts_of = |idx: u64| -> Option<i64> {
            match self.pane {
                Pane::Frames => store.frames.log().get(idx).map(|f| f.timestamp_ms),
                pane => store.log(category(pane)).get(idx).map(|e| e.timestamp_ms),
            }
        };
        let above = view.top.checked_sub(1).and_then(|p| view.items.get(p).copied()).and_then(ts_of);
        let first = view.items.front().copied().and_then(ts_of);
        self.time_refs[i] = (above, first);
        let cache = &mut self.rows[i];
        for idx in &visible {
            match self.pane {
                Pane::Frames => {
                    if let Some(f) = store.frames.log().get(*idx) {
                        if cache.get(idx).is_none_or(|r| r.seq != f.seq) {
                            cache.insert(*idx, panes::frames::row(f, utc));
                        }
                    }
                }
                pane => {
                    let log = store.log(category(pane));
                    if let Some(e) = log.get(*idx) {
                        if cache.get(idx).is_none_or(|r| r.seq != e.seq) {
                            cache.insert(*idx, event_row(pane, &e, utc));
                        }
                    }
                }
            }
        }
        if cache.len() > ROW_CACHE_MAX {
            cache.retain(|k, _| visible.contains(k));
        }
    }

    fn prepare_detail(&mut self, store: &Store, area: Option<ratatui::layout::Rect>, utc: bool) {
        let width = area.map_or(40, |r| r.width.saturating_sub(2)).max(10);
        // The first line (what the item is) stays put while the rest scrolls.
        let detail_height = area.map_or(1, |r| r.height.saturating_sub(3)) as usize;
        let mut group = None;
        let (key, seq, count) = match &self.selected_item {
            Some(Selected::Event(pane, e)) => {
                let view = &self.views[pane.index()];
                let idx = view.selected.unwrap_or(0);
                if let Some(g) = view.group_of(idx) {
                    let log = store.log(category(*pane));
                    let last_ts = log.get(g.last).map_or(e.timestamp_ms, |l| l.timestamp_ms);
                    let times = (idx..=g.last)
                        .take(GROUP_TIMES_MAX as usize)
                        .filter_map(|j| log.get(j).map(|x| x.timestamp_ms))
                        .collect();
                    group = Some(GroupTimes { count: g.count, last_ts, times });
                }
                (Some(ItemKey::Index(idx)), e.seq, view.count_of(idx))
            }
            Some(Selected::Frame(f)) => (self.views[3].selected.map(ItemKey::Index), f.seq, 1),
            Some(Selected::Session(s)) => (Some(ItemKey::Session(s.session_id.clone())), 0, 1),
            None => (None, 0, 1),
        };
        let fresh = match (&self.detail, &key) {
            (Some(d), Some(k)) => {
                d.pane == self.pane && &d.key == k && d.seq == seq && d.width == width && d.count == count
            }
            _ => false,
        };
        let same_item =
            matches!((&self.detail, &key), (Some(d), Some(k)) if d.pane == self.pane && &d.key == k);
        if !fresh {
            if !same_item {
                *self.scroll_mut() = 0;
            }
            let pane = self.pane;
            self.detail = key.map(|key| DetailCache {
                pane,
                key,
                seq,
                count,
                width,
                lines: self
                    .selected_item
                    .as_ref()
                    .map(|s| wrap_detail(s, group.as_ref(), width, utc))
                    .unwrap_or_default(),
            });
        }
        let lines = self.detail.as_ref().map_or(0, |d| d.lines.len().saturating_sub(1));
        let max = lines.saturating_sub(detail_height);
        let scroll = self.scroll_mut();
        *scroll = (*scroll).min(max);
    }

    /// The selected item, if it is one of the current view's rows (a row a new filter hides is
    /// not shown in the detail).
    fn select_item(&self, store: &Store) -> Option<Selected> {
        match self.pane {
            Pane::Sessions => {
                let id = self.session_selected.as_deref()?;
                self.sessions.iter().find(|s| s.session_id == id).cloned().map(Selected::Session)
            }
            Pane::Frames => {
                let v = &self.views[3];
                v.holds_selected().then_some(())?;
                store.frames.log().get(v.selected?).cloned().map(Selected::Frame)
            }
            pane => {
                let v = &self.views[pane.index()];
                v.holds_selected().then_some(())?;
                store
                    .log(category(pane))
                    .get(v.selected?)
                    .map(Ev::into_owned)
                    .map(|e| Selected::Event(pane, e))
            }
        }
    }

    /// Moves the selection to the next/previous row that matches the search, or that is an
    /// error or warning (a failed request in Network, a close frame in Frames).
    fn resolve_jump(&mut self, store: &Store, jump: Jump) {
        let pane = self.pane;
        if pane == Pane::Sessions {
            return;
        }
        let i = pane.index();
        let (forward, what) = match jump {
            Jump::Match { forward } => (forward, "match"),
            Jump::Problem { forward } => {
                (forward, if pane == Pane::Network { "failed request" } else { "error or warning" })
            }
        };
        let search = self.search[i].clone();
        if matches!(jump, Jump::Match { .. }) && search.is_none() {
            let keys = self.keymap.keys_for(&super::action::Action::Search);
            self.toast(format!("No search yet: {keys} searches"), true);
            return;
        }
        let view = &self.views[i];
        let n = view.items.len();
        let Some(pos) = view.position() else {
            self.toast(format!("No {what}: the list is empty"), true);
            return;
        };
        let hit = |idx: u64| -> bool {
            match pane {
                Pane::Frames => store.frames.log().get(idx).is_some_and(|f| match (jump, &search) {
                    (Jump::Match { .. }, Some(s)) => s.matches_frame(f),
                    _ => f.opcode == 8,
                }),
                pane => store.log(category(pane)).get(idx).is_some_and(|e| match (jump, &search) {
                    (Jump::Match { .. }, Some(s)) => s.matches_event(&e),
                    _ => is_problem(&e),
                }),
            }
        };
        let found = if forward {
            (pos + 1..n).find(|&p| hit(view.items[p]))
        } else {
            (0..pos).rev().find(|&p| hit(view.items[p]))
        };
        match found {
            Some(p) => {
                let idx = view.items[p];
                let view = &mut self.views[i];
                view.pause();
                view.selected = Some(idx);
            }
            None => {
                let dir = if forward { "below" } else { "above" };
                self.toast(format!("No {what} {dir}"), false);
            }
        }
    }
}

/// An error or warning row: a console error/warning, a failed request.
pub fn is_problem(e: &StoredEvent) -> bool {
    e.level >= Level::Warn || panes::network::failed(e)
}

fn event_row(pane: Pane, e: &StoredEvent, utc: bool) -> Row {
    let env = e.envelope();
    match pane {
        Pane::Network => panes::network::row(e, &env, utc),
        Pane::Elements => panes::elements::row(e, &env, utc),
        _ => panes::console::row(e, &env, utc),
    }
}

fn detail_of(item: &Selected, group: Option<&GroupTimes>, utc: bool) -> panes::Detail {
    match item {
        Selected::Event(pane, e) => {
            let env = e.envelope();
            match pane {
                Pane::Network => panes::network::detail(e, &env, utc),
                Pane::Elements => panes::elements::detail(e, &env, utc),
                _ => panes::console::detail(e, &env, group, utc),
            }
        }
        Selected::Frame(f) => panes::frames::detail(f, utc),
        Selected::Session(s) => panes::sessions::detail(s, utc),
    }
}

/// Builds and wraps a detail to `width` columns: long lines are kept whole, on several rows.
/// Stack frames wrap at word boundaries, continued under their own indent.
pub fn wrap_detail(item: &Selected, group: Option<&GroupTimes>, width: u16, utc: bool) -> Vec<WLine> {
    let detail = detail_of(item, group, utc);
    let key_width = detail
        .lines
        .iter()
        .filter(|l| l.kind == DKind::Field)
        .map(|l| sanitize::width(&l.key))
        .max()
        .unwrap_or(0)
        .min(24);
    let mut out = Vec::new();
    for l in detail.lines {
        let indent = if l.kind == DKind::Field || !l.key.is_empty() { key_width + 2 } else { 0 };
        let avail = (width as usize).saturating_sub(indent).max(8);
        let key = sanitize::line(&l.key).into_owned();
        let chunks = if l.kind == DKind::Frame {
            sanitize::wrap_words(&l.text, avail, 4)
        } else {
            sanitize::wrap(&l.text, avail)
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            out.push(WLine {
                kind: l.kind,
                key: if i == 0 { key.clone() } else { String::new() },
                indent: indent as u16,
                text: chunk,
            });
            if out.len() >= DETAIL_LINES_MAX {
                out.push(WLine {
                    kind: DKind::Muted,
                    key: String::new(),
                    indent: 0,
                    text: "… detail cut here (y copies the whole event)".into(),
                });
                return out;
            }
        }
    }
    out
}
