//! Owns what the UI can be asked to do (`Action`) and what it asks the world to do (`Effect`).
//!
//! Keys become Actions through the keymap (or, while a prompt is open, `Input`); `update` turns
//! Actions into state changes and Effects; the event loop carries the Effects out.

use std::path::PathBuf;

use serde_json::Value;

use crate::server::Command;

/// The five panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pane {
    Console,
    Network,
    Elements,
    Frames,
    Sessions,
}

impl Pane {
    pub const ALL: [Pane; 5] = [Pane::Console, Pane::Network, Pane::Elements, Pane::Frames, Pane::Sessions];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Console => "Console",
            Pane::Network => "Network",
            Pane::Elements => "Elements",
            Pane::Frames => "Frames",
            Pane::Sessions => "Sessions",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// A key while a prompt, the palette or a picker is open (they take every key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    Up,
    Down,
    PageUp,
    PageDown,
    Enter,
    Esc,
    Tab,
    /// ctrl-u: delete to the start.
    KillLine,
    /// ctrl-w: delete the word before the cursor.
    KillWord,
}

/// How a command the UI sent ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOutcome {
    pub id: u64,
    pub label: String,
    pub ok: bool,
    /// One line for the status bar and the toast.
    pub message: String,
    pub duration_ms: u64,
    /// What to write in the Console as the result (execute_js, get_url, …), if anything.
    pub result: Option<Value>,
    /// The browser session the command went to.
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Help,
    ShowPane(Pane),
    NextPane,
    PrevPane,
    MoveDown,
    MoveUp,
    PageDown,
    PageUp,
    Top,
    /// Jump to the newest row and resume follow.
    Bottom,
    ToggleDetail,
    DetailDown,
    DetailUp,
    Filter,
    ClearFilter,
    ToggleFollow,
    CopyJson,
    CopyText,
    CycleCopyFormat,
    Screenshot,
    ScreenshotFullPage,
    ClearLogs,
    Navigate,
    Reload,
    Back,
    Forward,
    ExecuteJs,
    /// Element picking in the page (the extension's picker, or CDP inspect mode).
    PickElement,
    Palette,
    ChooseTarget,
    OpenScreenshot,
    /// Clear the current pane only (the store keeps everything).
    ClearPane,
    /// Search: highlight matches without hiding rows.
    Search,
    /// Write what the Network pane shows (its filter) as HAR under the data dir's `exports/`.
    ExportHar,
    /// Write what the Console pane shows (its filter) as NDJSON or text under `exports/`.
    ExportConsole(crate::export::console::ConsoleFormat),
    NextMatch,
    PrevMatch,
    /// Next/previous error or warning (failed request in Network).
    NextError,
    PrevError,
    ToggleMark,
    ToggleTimeFormat,
    /// Collapse identical consecutive messages, or show every one.
    ToggleGrouping,
    /// Re-issue the selected request from the page.
    ResendRequest,
    /// A key for the open prompt / palette / picker / overlay.
    Input(InputKey),
    ScrollDown {
        column: u16,
        row: u16,
    },
    ScrollUp {
        column: u16,
        row: u16,
    },
    Click {
        column: u16,
        row: u16,
    },
    Resize {
        width: u16,
        height: u16,
    },
    CommandDone(CommandOutcome),
    /// The clipboard's answer: Ok(what was copied, how) or Err(why not).
    Copied(Result<String, String>),
    /// A message for the user (from the event loop).
    Notify {
        text: String,
        error: bool,
    },
    /// Time passed: expire the toast.
    ExpireToast,
}

/// What `update` asks the event loop to do.
#[derive(Debug, Clone)]
pub enum Effect {
    Quit,
    /// Send a command to a browser in its own task; the outcome comes back as `CommandDone`.
    Command {
        id: u64,
        label: String,
        /// The tab it goes to, as people know it (for the result sentence).
        target_name: String,
        command: Command,
        /// Write the result in the Console.
        show_result: bool,
    },
    /// Put text on the clipboard; `what` names it for the toast.
    Copy {
        text: String,
        what: String,
    },
    /// Open a file with the system viewer (a failure comes back as a `Notify`).
    Open(PathBuf),
    /// Write a line in the Console: a JavaScript input or a command's result.
    ConsoleLine {
        session: Option<String>,
        /// `input`, `result` or `error`.
        kind: &'static str,
        source: String,
        text: String,
    },
    /// Empty the local store (a replay: there is no browser to tell).
    ClearStore,
    /// Write the events this filter matches (network as HAR, console as NDJSON or text) under
    /// `exports/`, off the UI thread; the outcome comes back as a `Notify` naming the file.
    Export {
        what: crate::ui::export::UiExport,
        filter: Option<crate::ui::filter::Filter>,
    },
    /// Append a mark (or its removal) to the `--record` file.
    RecordMark {
        /// The event's key (`panes::mark_key`), stable from a live session to its replay.
        key: String,
        marked: bool,
    },
}
