//! `filter_keystroke_p99_ms`: a free-text filter typed one key at a time into the real filter
//! prompt (`/`, then each character through `update`) over a million events, each keystroke
//! timed until its result is complete and a frame showing it is drawn.

use std::time::Instant;

use anyhow::Result;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use triage_tui::store::Store;
use triage_tui::ui::action::{Action, InputKey, Pane};
use triage_tui::ui::{update, State};

use crate::figure;
use crate::ui::ui_frame;

/// Types `word` on `pane` (from no filter); returns each keystroke's time to its frame, in ms.
fn type_word(
    state: &mut State,
    store: &Store,
    terminal: &mut Terminal<TestBackend>,
    pane: Pane,
    word: &str,
) -> Result<Vec<f64>> {
    state.pane = pane;
    state.views[pane.index()].set_filter(None);
    while ui_frame(state, store, terminal)? {}
    update(state, Action::Filter);
    let mut times = Vec::new();
    for c in word.chars() {
        let t = Instant::now();
        update(state, Action::Input(InputKey::Char(c)));
        // Frames as the UI draws them (each syncs within its budget) until the result is whole.
        while ui_frame(state, store, terminal)? {}
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let each: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
    println!("# keystrokes of {word:?} on {pane:?}, ms each: {}", each.join(" "));
    update(state, Action::Input(InputKey::Enter));
    let view = &state.views[pane.index()];
    let shown = view.filter.as_ref().map(|f| f.text().to_string());
    anyhow::ensure!(shown.as_deref() == Some(word), "the prompt applied {shown:?}, not {word:?}");
    Ok(times)
}

/// Prints `filter_keystroke_p99_ms` (the 99th percentile of 12 keystrokes: their max) and the
/// worst keystroke of each word.
pub fn figures(state: &mut State, store: &Store, terminal: &mut Terminal<TestBackend>) -> Result<()> {
    let mut all = Vec::new();
    for (pane, word) in [(Pane::Network, "orders"), (Pane::Console, "update")] {
        let times = type_word(state, store, terminal, pane, word)?;
        let worst = times.iter().copied().fold(0.0, f64::max);
        figure(&format!("filter_keystroke_{word}_max_ms"), worst, "ms");
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    let p99 = all[((all.len() as f64 * 0.99).ceil() as usize).clamp(1, all.len()) - 1];
    figure("filter_keystroke_p99_ms", p99, "ms");
    for pane in [Pane::Network, Pane::Console] {
        state.views[pane.index()].set_filter(None);
    }
    while ui_frame(state, store, terminal)? {}
    Ok(())
}
