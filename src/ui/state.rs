//! Owns everything the UI shows: panes and their views, overlays, status, toasts, and the small
//! caches of parsed rows that rendering reads.
//!
//! Three steps touch the store, all outside `render`: `sync` (views catch up with new events,
//! incrementally and under a deadline), `prepare` (parse the visible rows and the open detail,
//! only those) and `snapshot_selected` (the selected event, for copy and open). `render` then
//! reads `State` alone.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::action::Pane;
use super::input::LineInput;
use super::keymap::Keymap;
use super::panes::{self, DKind, Row};
use super::sanitize;
use super::theme::Theme;
use super::view::{dedupe_key, ListView};
use crate::protocol::actions::ActionSpec;
use crate::server::SessionInfo;
use crate::store::{Category, FrameRecord, Store, StoredEvent};

/// Most cached rows per pane before the cache is trimmed to what is visible.
const ROW_CACHE_MAX: usize = 512;
/// Most wrapped detail lines kept.
const DETAIL_LINES_MAX: usize = 50_000;

/// The longest the UI holds the store's read lock while catching up.
pub const LOCK_SLICE: std::time::Duration = std::time::Duration::from_millis(1);

/// The connector's figures for the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub listen: String,
    pub browsers: usize,
    pub clients: usize,
    pub events_per_sec: f64,
    pub dropped: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommandPhase {
    Pending,
    Done { ok: bool, message: String, duration_ms: u64 },
}

/// The last command the UI sent and how it is going.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandState {
    pub id: u64,
    pub label: String,
    pub phase: CommandPhase,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PromptKind {
    Navigate,
    ExecuteJs,
    /// A palette action's parameters, asked one at a time.
    Param {
        action: &'static ActionSpec,
        index: usize,
        params: Map<String, Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub input: LineInput,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    None,
    Help { scroll: usize },
    Filter { input: LineInput, error: Option<String> },
    Prompt(Prompt),
    Palette { input: LineInput, selected: usize },
    Target { selected: usize },
    Result { title: String, lines: Vec<String>, scroll: usize },
}

/// What the detail shows: which pane and which item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKey {
    Index(u64),
    Session(String),
}

/// One wrapped detail line as render draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct WLine {
    pub kind: DKind,
    /// The field name on a field's first line; empty otherwise.
    pub key: String,
    /// Indent of the text (the key column) on every line of a field.
    pub indent: u16,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailCache {
    pub pane: Pane,
    pub key: ItemKey,
    pub seq: u64,
    pub count: u32,
    pub width: u16,
    pub lines: Vec<WLine>,
}

/// The selected item itself, for copy and open (cheap clones: the bytes are shared).
#[derive(Debug, Clone)]
pub enum Selected {
    Event(Pane, StoredEvent),
    Frame(FrameRecord),
    Session(SessionInfo),
}

pub struct State {
    pub pane: Pane,
    /// Console, Network, Elements, Frames.
    pub views: [ListView; 4],
    pub sessions: Vec<SessionInfo>,
    pub session_selected: Option<String>,
    pub session_top: usize,
    pub detail_open: bool,
    pub detail_scroll: usize,
    pub modal: Modal,
    pub keymap: Keymap,
    pub theme: Theme,
    pub status: Status,
    /// The browser session commands go to; `None`: the most recently active.
    pub target: Option<String>,
    pub last_command: Option<CommandState>,
    pub toast: Option<Toast>,
    /// The terminal's size (columns, rows).
    pub viewport: (u16, u16),
    /// Show times in UTC (tests) rather than local time.
    pub utc: bool,
    pub next_command_id: u64,
    pub quit: bool,
    /// Parsed rows of recently visible events, per list pane: log index → row.
    pub rows: [HashMap<u64, Row>; 4],
    pub detail: Option<DetailCache>,
    pub selected_item: Option<Selected>,
    /// Each list pane's log end, for the scan progress.
    pub log_ends: [u64; 4],
}

impl State {
    pub fn new(keymap: Keymap, theme: Theme, listen: String) -> State {
        State {
            pane: Pane::Console,
            views: Default::default(),
            sessions: Vec::new(),
            session_selected: None,
            session_top: 0,
            detail_open: false,
            detail_scroll: 0,
            modal: Modal::None,
            keymap,
            theme,
            status: Status { listen, ..Default::default() },
            target: None,
            last_command: None,
            toast: None,
            viewport: (80, 24),
            utc: false,
            next_command_id: 1,
            quit: false,
            rows: Default::default(),
            detail: None,
            selected_item: None,
            log_ends: [0; 4],
        }
    }

    pub fn view(&self, pane: Pane) -> Option<&ListView> {
        (pane != Pane::Sessions).then(|| &self.views[pane.index()])
    }

    pub fn view_mut(&mut self, pane: Pane) -> Option<&mut ListView> {
        (pane != Pane::Sessions).then(|| &mut self.views[pane.index()])
    }

    pub fn browsers(&self) -> impl Iterator<Item = &SessionInfo> {
        self.sessions.iter().filter(|s| s.kind.is_browser())
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        let secs = if error { 6 } else { 4 };
        self.toast =
            Some(Toast { text: text.into(), error, until: Instant::now() + Duration::from_secs(secs) });
    }

    /// Brings every list view up to date with the store, until `deadline`. True: work remains.
    /// Catches up with a shared store within `budget`, holding its read lock for at most
    /// [`LOCK_SLICE`] at a time so the connector's writers (ingest) are never held up long.
    /// Returns whether more remains.
    pub fn catch_up(&mut self, store: &crate::store::SharedStore, budget: std::time::Duration) -> bool {
        let end = Instant::now() + budget;
        loop {
            let slice_end = (Instant::now() + LOCK_SLICE).min(end);
            let more = self.sync(&store.read(), slice_end);
            if !more || Instant::now() >= end {
                return more;
            }
        }
    }

    pub fn sync(&mut self, store: &Store, deadline: Instant) -> bool {
        let generation = store.generation();
        let mut more = false;
        for (i, cat) in [Category::Console, Category::Network, Category::Elements].into_iter().enumerate() {
            let log = store.log(cat);
            let key = (cat == Category::Console).then_some(dedupe_key as fn(&StoredEvent) -> Option<u64>);
            more |= self.views[i].sync(log, generation, deadline, |f, e| f.matches_event(e), key);
            self.log_ends[i] = log.end();
        }
        let flog = store.frames.log();
        more |= self.views[3].sync(flog, generation, deadline, |f, fr| f.matches_frame(fr), None);
        self.log_ends[3] = flog.end();
        more
    }

    /// Replaces the session list, keeping the selection and the target when they still exist.
    pub fn set_sessions(&mut self, sessions: Vec<SessionInfo>) {
        self.sessions = sessions;
        self.status.browsers = self.browsers().count();
        self.status.clients = self.sessions.len() - self.status.browsers;
        let exists = |id: &str| self.sessions.iter().any(|s| s.session_id == id);
        if self.session_selected.as_deref().is_some_and(|s| !exists(s)) || self.session_selected.is_none() {
            self.session_selected = self.sessions.first().map(|s| s.session_id.clone());
        }
    }

    pub fn session_position(&self) -> Option<usize> {
        let sel = self.session_selected.as_deref()?;
        self.sessions.iter().position(|s| s.session_id == sel)
    }

    /// Parses what the next frame shows: the visible rows (cached), the open detail and the
    /// selected item. Also keeps scroll positions within bounds.
    pub fn prepare(&mut self, store: &Store) {
        let areas = super::render::layout(self.viewport, self);
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
        // Rows.
        if self.pane != Pane::Sessions {
            let i = self.pane.index();
            let view = &self.views[i];
            let visible: Vec<u64> = view.visible(height).copied().collect();
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
                                cache.insert(*idx, event_row(pane, e, utc));
                            }
                        }
                    }
                }
            }
            if cache.len() > ROW_CACHE_MAX {
                cache.retain(|k, _| visible.contains(k));
            }
        }
        // The selected item.
        self.selected_item = self.select_item(store);
        // The detail.
        if self.detail_open {
            let width = areas.detail.map_or(40, |r| r.width.saturating_sub(2)).max(10);
            let detail_height = areas.detail.map_or(1, |r| r.height.saturating_sub(2)) as usize;
            let (key, seq, count) = match &self.selected_item {
                Some(Selected::Event(pane, e)) => {
                    let idx = self.views[pane.index()].selected.unwrap_or(0);
                    (Some(ItemKey::Index(idx)), e.seq, self.views[pane.index()].count_of(idx))
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
                    self.detail_scroll = 0;
                }
                self.detail = key.map(|key| DetailCache {
                    pane: self.pane,
                    key,
                    seq,
                    count,
                    width,
                    lines: self
                        .selected_item
                        .as_ref()
                        .map(|s| wrap_detail(s, count, width, utc))
                        .unwrap_or_default(),
                });
            }
            let lines = self.detail.as_ref().map_or(0, |d| d.lines.len());
            self.detail_scroll = self.detail_scroll.min(lines.saturating_sub(detail_height));
        }
    }

    fn select_item(&self, store: &Store) -> Option<Selected> {
        match self.pane {
            Pane::Sessions => {
                let id = self.session_selected.as_deref()?;
                self.sessions.iter().find(|s| s.session_id == id).cloned().map(Selected::Session)
            }
            Pane::Frames => store.frames.log().get(self.views[3].selected?).cloned().map(Selected::Frame),
            pane => {
                let idx = self.views[pane.index()].selected?;
                store.log(category(pane)).get(idx).cloned().map(|e| Selected::Event(pane, e))
            }
        }
    }
}

pub fn category(pane: Pane) -> Category {
    match pane {
        Pane::Network => Category::Network,
        Pane::Elements => Category::Elements,
        _ => Category::Console,
    }
}

fn event_row(pane: Pane, e: &StoredEvent, utc: bool) -> Row {
    let env = e.envelope();
    match pane {
        Pane::Network => panes::network::row(e, &env, utc),
        Pane::Elements => panes::elements::row(e, &env, utc),
        _ => panes::console::row(e, &env, utc),
    }
}

fn detail_of(item: &Selected, count: u32, utc: bool) -> panes::Detail {
    match item {
        Selected::Event(pane, e) => {
            let env = e.envelope();
            match pane {
                Pane::Network => panes::network::detail(e, &env, utc),
                Pane::Elements => panes::elements::detail(e, &env, utc),
                _ => panes::console::detail(e, &env, count, utc),
            }
        }
        Selected::Frame(f) => panes::frames::detail(f, utc),
        Selected::Session(s) => panes::sessions::detail(s, utc),
    }
}

/// Builds and wraps a detail to `width` columns: long lines are kept whole, on several rows.
pub fn wrap_detail(item: &Selected, count: u32, width: u16, utc: bool) -> Vec<WLine> {
    let detail = detail_of(item, count, utc);
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
        for (i, chunk) in sanitize::wrap(&l.text, avail).into_iter().enumerate() {
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
