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
use super::panes::{DKind, Row};
use super::theme::Theme;
use super::view::{dedupe_key, ListView};
use crate::protocol::actions::ActionSpec;
use crate::server::SessionInfo;
use crate::store::text_index::Probe;
use crate::store::{Category, FrameRecord, Store, StoredEvent};

pub use super::prepare::wrap_detail;

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
    /// Evicted to keep the store within `max_store_bytes`: console, network, elements, frames.
    pub evicted_for_memory: [u64; 4],
    /// Names of the MCP assistants connected (the status bar shows them while there are any).
    pub assistants: Vec<String>,
    /// The background load of `open FILE`, as last seen.
    pub load: Option<crate::server::LoadSnapshot>,
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

/// How the time column reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    #[default]
    Absolute,
    /// Since the row above.
    SincePrevious,
    /// Since the view's first row.
    SinceFirst,
}

impl TimeFormat {
    pub fn next(self) -> TimeFormat {
        match self {
            TimeFormat::Absolute => TimeFormat::SincePrevious,
            TimeFormat::SincePrevious => TimeFormat::SinceFirst,
            TimeFormat::SinceFirst => TimeFormat::Absolute,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TimeFormat::Absolute => "absolute times",
            TimeFormat::SincePrevious => "time since the previous row",
            TimeFormat::SinceFirst => "time since the first row",
        }
    }
}

/// What a yes/no question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Clear every pane of every tab (the store, and `clear-logs` to the browser when live).
    ClearAll,
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
    Help {
        scroll: usize,
    },
    Filter {
        input: LineInput,
        error: Option<String>,
    },
    Prompt(Prompt),
    /// Search (`search`): rows stay, matches are highlighted, next/prev match jump.
    Search {
        input: LineInput,
        error: Option<String>,
    },
    Palette {
        input: LineInput,
        selected: usize,
    },
    Target {
        selected: usize,
    },
    Confirm(Confirm),
}

/// A jump that needs the store to resolve (done in `prepare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    Match { forward: bool },
    Problem { forward: bool },
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
    /// Per pane (in `Pane::ALL` order): whether its detail is open, and its scroll.
    pub detail_open: [bool; 5],
    pub detail_scroll: [usize; 5],
    pub modal: Modal,
    pub keymap: Keymap,
    pub theme: Theme,
    pub status: Status,
    /// The browser session the user chose for commands (`t`); `None`: auto, the session of the
    /// selected row, else the one the last command went to, else the most recently active.
    pub target: Option<String>,
    /// The session the last command went to.
    pub last_target: Option<String>,
    /// Replaying a recording (read-only): its file name.
    pub replay: Option<String>,
    /// The file `open FILE` is loading (`super::loading`).
    pub loading: Option<super::loading::Loading>,
    pub time_format: TimeFormat,
    /// Marked events, by seq (`toggle_mark`; `is:marked` filters on them).
    pub marks: std::sync::Arc<std::collections::HashSet<u64>>,
    /// Per list pane: the search (highlights, next/prev match).
    pub search: [Option<super::filter::Filter>; 4],
    pub jump: Option<Jump>,
    /// JavaScript typed at the `e` prompt, oldest first (↑ in the prompt walks back).
    pub js_history: Vec<String>,
    /// The position in `js_history` while walking it.
    pub js_history_pos: Option<usize>,
    /// Events and errors per second, for the header's picture of the stream.
    pub histogram: super::histogram::Histogram,
    /// Per list pane: the timestamp of the row just above the first visible one, and of the
    /// view's first row (for relative times).
    pub time_refs: [(Option<i64>, Option<i64>); 4],
    pub last_command: Option<CommandState>,
    pub toast: Option<Toast>,
    /// The terminal's size (columns, rows).
    pub viewport: (u16, u16),
    /// Show times in UTC (tests) rather than local time.
    pub utc: bool,
    pub next_command_id: u64,
    /// What `copy_text` makes of a request (`cycle_copy_format` changes it).
    pub copy_format: crate::export::copy::CopyFormat,
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
        let mut views: [ListView; 4] = Default::default();
        // The Frames pane starts on the page's own sockets; Esc shows the connector's too.
        views[3].filter = super::filter::Filter::parse(super::panes::frames::DEFAULT_FILTER).ok().flatten();
        State {
            pane: Pane::Console,
            views,
            sessions: Vec::new(),
            session_selected: None,
            session_top: 0,
            detail_open: [false; 5],
            detail_scroll: [0; 5],
            modal: Modal::None,
            keymap,
            theme,
            status: Status { listen, ..Default::default() },
            target: None,
            last_target: None,
            replay: None,
            loading: None,
            time_format: TimeFormat::Absolute,
            marks: Default::default(),
            search: Default::default(),
            jump: None,
            js_history: Vec::new(),
            js_history_pos: None,
            histogram: Default::default(),
            time_refs: [(None, None); 4],
            last_command: None,
            toast: None,
            viewport: (80, 24),
            utc: false,
            next_command_id: 1,
            copy_format: crate::export::copy::CopyFormat::Curl,
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
        self.histogram.sync(store);
        for (i, cat) in [Category::Console, Category::Network, Category::Elements].into_iter().enumerate() {
            let log = store.log(cat);
            let key = (cat == Category::Console).then_some(dedupe_key as fn(&StoredEvent) -> Option<u64>);
            // Free-text words skip, by the log's text index, events that cannot hold them.
            let probe = self.views[i].filter.as_ref().and_then(|f| Probe::of(&f.needles()));
            let index = store.text_index(cat);
            let candidate = |j| {
                probe.as_ref().is_none_or(|p| index.may_contain(j, p, || log.get(j).map(|e| e.raw.clone())))
            };
            more |= self.views[i].sync(log, generation, deadline, |f, e| f.matches_event(e), candidate, key);
            self.log_ends[i] = log.end();
        }
        let flog = store.frames.log();
        more |= self.views[3].sync(flog, generation, deadline, |f, fr| f.matches_frame(fr), |_| true, None);
        self.log_ends[3] = flog.end();
        more
    }

    /// Whether a view still has to scan (a new filter): the loop keeps syncing, traffic or not.
    pub fn needs_sync(&self) -> bool {
        self.views.iter().any(|v| v.scanning)
    }

    /// Whether a view is rebuilding for the user (see [`ListView::rebuilding`]).
    pub fn rebuilding(&self) -> bool {
        self.views.iter().any(|v| v.rebuilding)
    }

    /// Replaces the session list, keeping the selection and the target when they still exist.
    pub fn set_sessions(&mut self, sessions: Vec<SessionInfo>) {
        self.sessions = sessions;
        self.status.browsers = self.browsers().count();
        self.status.clients = self.sessions.len() - self.status.browsers;
        self.status.assistants = self
            .sessions
            .iter()
            .filter(|s| s.subprotocol.as_deref() == Some(crate::mcp::presence::MCP_SUBPROTOCOL))
            .map(|s| s.title.clone().unwrap_or_else(|| "assistant".into()))
            .collect();
        let exists = |id: &str| self.sessions.iter().any(|s| s.session_id == id);
        if self.session_selected.as_deref().is_some_and(|s| !exists(s)) || self.session_selected.is_none() {
            self.session_selected = self.sessions.first().map(|s| s.session_id.clone());
        }
    }

    pub fn session_position(&self) -> Option<usize> {
        let sel = self.session_selected.as_deref()?;
        self.sessions.iter().position(|s| s.session_id == sel)
    }

    /// Whether the current pane's detail is open.
    pub fn detail_is_open(&self) -> bool {
        self.detail_open[self.pane.index()]
    }

    /// The current pane's detail scroll.
    pub fn scroll(&self) -> usize {
        self.detail_scroll[self.pane.index()]
    }

    pub fn scroll_mut(&mut self) -> &mut usize {
        &mut self.detail_scroll[self.pane.index()]
    }
}

pub fn category(pane: Pane) -> Category {
    match pane {
        Pane::Network => Category::Network,
        Pane::Elements => Category::Elements,
        _ => Category::Console,
    }
}
