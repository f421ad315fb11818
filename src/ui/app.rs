//! Owns the running UI: the terminal (one guard for raw mode + alternate screen, restored on
//! quit, error and panic) and the one task that `select!`s over terminal events, the
//! connector's change notifications, command results, a 1 Hz stats tick and the frame timer.
//!
//! Redraws happen only when something changed, at most ~30 per second; a flood of events costs
//! one incremental sync and one redraw per frame. Idle, the loop sleeps.

use std::io::{self, Stdout, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::action::{Action, Effect};
use super::clipboard::{self, Clipboard};
use super::render::render;
use super::state::State;
use super::update::{key_to_action, mouse_to_action, outcome_of, update};
use crate::server::Connector;
use crate::store::Category;

/// Frame cap: about 30 redraws a second.
pub const FRAME: Duration = Duration::from_millis(33);
/// How long one sync may take: one per frame, and while a rebuild the user waits for runs, as
/// many more between frames as fit (input and frames are served between any two).
pub const SYNC_BUDGET: Duration = Duration::from_millis(8);
/// Command results and other messages for the loop.
const CHANNEL: usize = 256;

static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode and the alternate screen. Safe to call more than once.
fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Relaxed) {
        let _ = disable_raw_mode();
        let _ = crossterm::execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Owns the terminal while the UI runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> Result<TerminalGuard> {
        enable_raw_mode().context("cannot put the terminal in raw mode (is this a terminal?)")?;
        TERMINAL_ACTIVE.store(true, Relaxed);
        let entered = crossterm::execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .map_err(anyhow::Error::from)
            .and_then(|_| Terminal::new(CrosstermBackend::new(io::stdout())).map_err(anyhow::Error::from));
        match entered {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore_terminal();
                Err(e.context("cannot set up the terminal"))
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic on the UI thread restores the terminal first, then reports, then names the log.
/// A panic elsewhere (a connection task) must not print over the UI: it goes to the log.
pub fn install_panic_hook(log_file: PathBuf) {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        let active = TERMINAL_ACTIVE.load(Relaxed);
        if active && std::thread::current().id() != ui_thread {
            return;
        }
        restore_terminal();
        previous(info);
        if active {
            eprintln!("triage-tui stopped after an internal error; the log is at {}", log_file.display());
        }
    }));
}

/// Events per second and dropped counts, from the connector's counters.
struct Meter {
    last_events: u64,
    last_at: Instant,
}

impl Meter {
    fn events(connector: &Connector) -> u64 {
        let store = connector.store().read();
        Category::ALL.iter().map(|c| store.log(*c).end()).sum::<u64>() + store.frames.stored_total()
    }

    fn tick(&mut self, state: &mut State, connector: &Connector) -> bool {
        let now = Instant::now();
        let events = Meter::events(connector);
        let secs = now.duration_since(self.last_at).as_secs_f64().max(0.001);
        let eps = (events.saturating_sub(self.last_events)) as f64 / secs;
        self.last_events = events;
        self.last_at = now;
        let stats = connector.store().read().stats();
        let dropped = stats.evicted_total + connector.metrics().dropped_rate_limited.load(Relaxed);
        let before = state.status.clone();
        state.status.events_per_sec = eps;
        state.status.dropped = dropped;
        state.status.evicted_for_memory = [
            stats.evicted_for_bytes_console,
            stats.evicted_for_bytes_network,
            stats.evicted_for_bytes_elements,
            stats.evicted_for_bytes_frames,
        ];
        let sessions = connector.sessions();
        let sessions_changed = !same_sessions(&state.sessions, &sessions);
        if sessions_changed {
            state.set_sessions(sessions);
        }
        super::loading::poll(state, connector) | (before != state.status) | sessions_changed
    }
}

fn same_sessions(a: &[crate::server::SessionInfo], b: &[crate::server::SessionInfo]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.session_id == y.session_id
                && x.messages == y.messages
                && x.messages_out == y.messages_out
                && x.url == y.url
                && x.tab_id == y.tab_id
                && x.stale == y.stale
        })
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// How long an opener may take to say it failed; after that it is taken to be showing the file.
const OPEN_GRACE: Duration = Duration::from_secs(5);

/// Opens a file with the system viewer, its output discarded, and reports how that went: an
/// opener that exits with an error (no viewer for PNG, no display) is a failure, said so,
/// with the way to copy the path instead.
pub async fn open_file(path: &Path, opener: Option<PathBuf>, copy_key: &str) -> Result<String, String> {
    let name = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let copy = if copy_key.is_empty() { String::new() } else { format!("; {copy_key} copies the path") };
    let Some(bin) = opener.or_else(|| which(name)) else {
        return Err(format!(
            "No image viewer found ({name} is not installed): the file is {}{copy}",
            path.display()
        ));
    };
    if !path.is_file() {
        return Err(format!("The screenshot file is gone: {}", path.display()));
    }
    let child = tokio::process::Command::new(&bin)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let opener = bin.file_name().map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned());
    let mut child = child.map_err(|e| format!("Could not run {opener}: {e}{copy}"))?;
    match tokio::time::timeout(OPEN_GRACE, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(format!("Opened {} with {opener}", path.display())),
        Ok(Ok(status)) => Err(format!("{opener} could not open {} ({status}){copy}", path.display())),
        Ok(Err(e)) => Err(format!("{opener} failed: {e}{copy}")),
        Err(_) => {
            // Still running: a viewer that stays open. Reap it later so it is no zombie.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            Ok(format!("Opening {} with {opener}", path.display()))
        }
    }
}

struct Loop<'a> {
    connector: &'a Connector,
    tx: mpsc::Sender<Action>,
    clipboard: Clipboard,
    /// An effect wrote to the store (a Console line, a clear): the views must catch up.
    wrote: bool,
}

impl Loop<'_> {
    fn apply(&mut self, state: &mut State, action: Action) {
        let effects = update(state, action);
        for effect in effects {
            self.execute(state, effect);
        }
    }

    fn execute(&mut self, state: &mut State, effect: Effect) {
        match effect {
            Effect::Quit => state.quit = true,
            Effect::Command { id, label, target_name, command, show_result } => {
                let connector = self.connector.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let ty = command.ty;
                    let sent = command.data.clone();
                    let result = connector.command(command).await;
                    let outcome = outcome_of(id, &label, &target_name, ty, show_result, &sent, result);
                    tracing::info!(label, ok = outcome.ok, "command finished: {}", outcome.message);
                    let _ = tx.send(Action::CommandDone(outcome)).await;
                });
            }
            Effect::Copy { text, what } => {
                let result = self
                    .clipboard
                    .copy(&text, &mut io::stdout())
                    .map(|via| clipboard::message(&what, text.len(), via));
                let _ = io::stdout().flush();
                update(state, Action::Copied(result));
            }
            Effect::Open(path) => {
                update(state, Action::Notify { text: format!("Opening {}…", path.display()), error: false });
                let tx = self.tx.clone();
                let copy_key = state.keymap.keys_for(&Action::CopyText);
                tokio::spawn(async move {
                    let (text, error) = match open_file(&path, None, &copy_key).await {
                        Ok(t) => (t, false),
                        Err(t) => (t, true),
                    };
                    let _ = tx.send(Action::Notify { text, error }).await;
                });
            }
            Effect::ConsoleLine { session, kind, source, text } => {
                let now = chrono::Utc::now().timestamp_millis();
                let event = super::panes::console::ui_line(session.as_deref(), kind, &source, &text, now);
                self.connector.store().write().append(event);
                self.wrote = true;
            }
            Effect::ClearStore => {
                self.connector.clear_store();
                self.wrote = true;
            }
            Effect::RecordMark { key, marked } => {
                self.connector.record_mark(&key, marked);
            }
            Effect::Export { what, filter } => {
                update(
                    state,
                    Action::Notify { text: format!("Exporting {}…", what.describe()), error: false },
                );
                let connector = self.connector.clone();
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let (text, error) = match what.run(&connector, filter.as_ref()) {
                        Ok(t) => (t, false),
                        Err(t) => (t, true),
                    };
                    let _ = tx.blocking_send(Action::Notify { text, error });
                });
            }
        }
    }
}

async fn terminate_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await;
}

/// A last-draw time that makes the next frame due at once.
fn frame_ago() -> Instant {
    Instant::now().checked_sub(FRAME).unwrap_or_else(Instant::now)
}

/// Runs the UI until the user quits (or the terminal goes away).
pub async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut State,
    connector: &Connector,
) -> Result<()> {
    let size = terminal.size()?;
    state.viewport = (size.width, size.height);
    let mut events = EventStream::new();
    let mut changes = connector.changes();
    // Connector frames (pings, replies to clients) wake only this: the Frames pane shows them.
    let mut frame_changes = connector.frame_changes();
    let (tx, mut rx) = mpsc::channel::<Action>(CHANNEL);
    let mut lp = Loop { connector, tx, clipboard: Clipboard::default(), wrote: false };
    let mut meter = Meter { last_events: Meter::events(connector), last_at: Instant::now() };
    let mut stats = tokio::time::interval(Duration::from_secs(1));
    stats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let terminate = terminate_signal();
    tokio::pin!(terminate);
    let mut dirty = true;
    let mut store_dirty = true;
    let mut last_draw = frame_ago();
    let mut first_draw = true;
    let far = || tokio::time::Instant::now() + Duration::from_secs(3600);
    meter.tick(state, connector);
    while !state.quit {
        let frame_due = (dirty || store_dirty).then(|| tokio::time::Instant::from_std(last_draw + FRAME));
        let toast_due = state.toast.as_ref().map(|t| tokio::time::Instant::from_std(t.until));
        tokio::select! {
            // In this order: input first, the rebuild's extra syncs last.
            biased;
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(action) = key_to_action(state, &key) {
                        // The selected item must be current for copy/open.
                        state.prepare(&connector.store().read());
                        lp.apply(state, action);
                        dirty = true;
                        // A new filter rescans now, whether or not the page sends anything more.
                        store_dirty |= state.needs_sync() || lp.wrote;
                        lp.wrote = false;
                    }
                }
                Some(Ok(Event::Mouse(m))) => {
                    if let Some(action) = mouse_to_action(&m) {
                        lp.apply(state, action);
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(width, height))) => {
                    lp.apply(state, Action::Resize { width, height });
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(anyhow::Error::from(e).context("reading the terminal")),
                None => break,
            },
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                store_dirty = true;
            }
            changed = frame_changes.changed() => {
                if changed.is_err() {
                    break;
                }
                store_dirty = true;
            }
            Some(action) = rx.recv() => {
                lp.apply(state, action);
                dirty = true;
                store_dirty |= state.needs_sync() || lp.wrote;
                lp.wrote = false;
            }
            _ = stats.tick() => {
                if meter.tick(state, connector) {
                    dirty = true;
                }
            }
            () = tokio::time::sleep_until(toast_due.unwrap_or_else(far)), if toast_due.is_some() => {
                lp.apply(state, Action::ExpireToast);
                dirty = true;
            }
            () = tokio::time::sleep_until(frame_due.unwrap_or_else(far)), if frame_due.is_some() => {
                if store_dirty {
                    let sessions = connector.sessions();
                    if !same_sessions(&state.sessions, &sessions) {
                        state.set_sessions(sessions);
                    }
                    store_dirty = state.catch_up(connector.store(), SYNC_BUDGET);
                }
                super::loading::poll(state, connector);
                state.prepare(&connector.store().read());
                terminal.draw(|f| render(state, f))?;
                dirty = false;
                last_draw = Instant::now();
                if first_draw {
                    first_draw = false;
                    // triage-bench reads this line for startup_first_frame_ms.
                    tracing::info!(ms = crate::started().elapsed().as_secs_f64() * 1000.0, "first frame drawn");
                    if cfg!(debug_assertions) && std::env::var_os("TRIAGE_UI_TEST_PANIC").is_some() {
                        panic!("test panic requested by TRIAGE_UI_TEST_PANIC");
                    }
                }
            }
            () = &mut terminate => break,
            // A filter typed over a long history (or grouping toggled, or a store replaced) is
            // matched in the time between frames too, not only in each frame's sync: at one
            // sync per frame it took four times its CPU time to reach the screen.
            () = std::future::ready(()), if state.rebuilding() => {
                store_dirty |= state.catch_up(connector.store(), SYNC_BUDGET);
                dirty = true;
                if !state.rebuilding() {
                    // Done: its result is drawn now, not at the next frame (one frame early, once).
                    last_draw = frame_ago();
                }
            }
        }
    }
    Ok(())
}
