//! `filter_keystroke_p99_ms`: a free-text filter typed one key at a time into the real filter
//! prompt (`/`, then each character through `update`) over a million events, each keystroke
//! timed until its result is complete and a frame showing it is drawn. Frames back to back
//! (the CPU time of the result), and, for `filter_keystroke_paced_p99_ms`, paced as
//! `triage-tui`'s loop paces them (what the user waits for).

use std::time::Instant;

use anyhow::Result;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use triage_tui::store::Store;
use triage_tui::ui::action::{Action, InputKey, Pane};
use triage_tui::ui::{update, State};

use crate::figure;
use crate::ui::{ui_frame, FRAME, SYNC_BUDGET};

/// How frames follow a keystroke until its result is on screen.
#[derive(Clone, Copy, PartialEq)]
enum Pacing {
    /// Each frame right after the last (a sync, then a draw).
    BackToBack,
    /// As `ui::app::event_loop`: a frame at most every `FRAME`, each after one sync; while a
    /// rebuild runs, more syncs in between, and a frame as soon as it is done.
    App,
}

/// Frames until the result is whole and drawn; `last_draw` is when the last frame was drawn.
fn until_shown(
    state: &mut State,
    store: &Store,
    terminal: &mut Terminal<TestBackend>,
    pacing: Pacing,
    last_draw: &mut Instant,
) -> Result<()> {
    loop {
        let due = *last_draw + FRAME;
        let now = Instant::now();
        if pacing == Pacing::App && now < due {
            if !state.rebuilding() {
                std::thread::sleep(due - now);
                continue;
            }
            state.sync(store, now + SYNC_BUDGET);
            if state.rebuilding() {
                continue;
            }
            // Done between frames: drawn at once.
        }
        let more = ui_frame(state, store, terminal)?;
        *last_draw = Instant::now();
        if !more {
            return Ok(());
        }
    }
}

/// Types `word` on `pane` (from no filter); returns each keystroke's time to its frame, in ms.
fn type_word(
    state: &mut State,
    store: &Store,
    terminal: &mut Terminal<TestBackend>,
    pane: Pane,
    word: &str,
    pacing: Pacing,
) -> Result<Vec<f64>> {
    state.pane = pane;
    state.views[pane.index()].set_filter(None);
    while ui_frame(state, store, terminal)? {}
    let mut last_draw = Instant::now();
    update(state, Action::Filter);
    let mut times = Vec::new();
    for c in word.chars() {
        let t = Instant::now();
        update(state, Action::Input(InputKey::Char(c)));
        until_shown(state, store, terminal, pacing, &mut last_draw)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let each: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
    let paced = if pacing == Pacing::App { ", paced as the app" } else { "" };
    println!("# keystrokes of {word:?} on {pane:?}{paced}, ms each: {}", each.join(" "));
    update(state, Action::Input(InputKey::Enter));
    let view = &state.views[pane.index()];
    let shown = view.filter.as_ref().map(|f| f.text().to_string());
    anyhow::ensure!(shown.as_deref() == Some(word), "the prompt applied {shown:?}, not {word:?}");
    Ok(times)
}

/// Prints `filter_keystroke_p99_ms` (the 99th percentile of 12 keystrokes: their max) and the
/// worst keystroke of each word, then `filter_keystroke_paced_p99_ms`: the same words typed again
/// with the app's pacing (the signatures the first run computed are there by then).
pub fn figures(state: &mut State, store: &Store, terminal: &mut Terminal<TestBackend>) -> Result<()> {
    for (pacing, name) in [(Pacing::BackToBack, ""), (Pacing::App, "paced_")] {
        let mut all = Vec::new();
        for (pane, word) in [(Pane::Network, "orders"), (Pane::Console, "update")] {
            let times = type_word(state, store, terminal, pane, word, pacing)?;
            let worst = times.iter().copied().fold(0.0, f64::max);
            figure(&format!("filter_keystroke_{name}{word}_max_ms"), worst, "ms");
            all.extend(times);
        }
        all.sort_by(f64::total_cmp);
        let p99 = all[((all.len() as f64 * 0.99).ceil() as usize).clamp(1, all.len()) - 1];
        figure(&format!("filter_keystroke_{name}p99_ms"), p99, "ms");
    }
    for pane in [Pane::Network, Pane::Console] {
        state.views[pane.index()].set_filter(None);
    }
    while ui_frame(state, store, terminal)? {}
    Ok(())
}
