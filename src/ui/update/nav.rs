//! Owns what acts on the list and its rows: moving, the mouse, copying, opening a screenshot,
//! marks, clearing one pane, and resending a request from the page.

use serde_json::Value;

use super::super::action::{Effect, Pane};
use super::super::panes;
use super::super::render::{layout, tab_hit};
use super::super::state::{Selected, State};
use super::commands::send;
use crate::protocol::MessageType;
use crate::server::Command;

pub fn list_height(state: &State) -> usize {
    layout(state.viewport, state).list.height.max(1) as usize
}

pub fn move_selection(state: &mut State, delta: isize) {
    match state.pane {
        Pane::Sessions => {
            if state.sessions.is_empty() {
                return;
            }
            let pos = state.session_position().unwrap_or(0) as isize;
            let new = (pos + delta).clamp(0, state.sessions.len() as isize - 1) as usize;
            state.session_selected = Some(state.sessions[new].session_id.clone());
        }
        pane => {
            if let Some(v) = state.view_mut(pane) {
                v.move_by(delta);
            }
        }
    }
}

pub fn copy(state: &mut State, as_text: bool) -> Vec<Effect> {
    let Some(item) = state.selected_item.clone() else {
        state.toast("Nothing selected to copy", true);
        return Vec::new();
    };
    let (text, what) = match (&item, as_text) {
        (Selected::Event(_, e), false) => {
            let env = e.envelope();
            let v = serde_json::to_value(&env).unwrap_or(Value::Null);
            (serde_json::to_string_pretty(&v).unwrap_or_default(), format!("{} as JSON", e.ty))
        }
        (Selected::Frame(f), false) => {
            (serde_json::to_string_pretty(&f.to_json()).unwrap_or_default(), "frame as JSON".to_string())
        }
        (Selected::Session(s), false) => {
            (serde_json::to_string_pretty(s).unwrap_or_default(), "session as JSON".to_string())
        }
        (Selected::Event(Pane::Network, e), true) => {
            let format = state.copy_format;
            let text = format.write(&e.envelope().data);
            let what = if text.contains("[REDACTED]") {
                format!(
                    "request as {} (redacted header values are placeholders: fill them in)",
                    format.name()
                )
            } else {
                format!("request as {}", format.name())
            };
            (text, what)
        }
        (Selected::Event(Pane::Elements, e), true) => {
            (panes::elements::text(&e.envelope()), "element HTML".into())
        }
        (Selected::Event(_, e), true) => {
            let env = e.envelope();
            if e.ty == MessageType::ScreenshotResponse {
                (
                    panes::str_of(&env.data, "path").map(str::to_string).unwrap_or_default(),
                    "screenshot path".into(),
                )
            } else {
                let text = panes::console::message_and_stack(e, &env);
                let what = if text.contains('\n') { "message and stack" } else { "message text" };
                (text, what.into())
            }
        }
        (Selected::Frame(f), true) => (panes::frames::text(f), "frame payload".into()),
        (Selected::Session(s), true) => (s.session_id.clone(), "session id".into()),
    };
    if text.is_empty() {
        state.toast(format!("Nothing to copy: the {what} is empty"), true);
        return Vec::new();
    }
    vec![Effect::Copy { text, what }]
}

pub fn open_screenshot(state: &mut State) -> Vec<Effect> {
    if let Some(Selected::Event(Pane::Console, e)) = &state.selected_item {
        if e.ty == MessageType::ScreenshotResponse {
            let env = e.envelope();
            if let Some(path) = panes::str_of(&env.data, "path") {
                return vec![Effect::Open(path.into())];
            }
            state.toast("This screenshot response has no saved file", true);
            return Vec::new();
        }
    }
    state.toast("Select a screenshot in the Console pane to open it (s takes one)", true);
    Vec::new()
}

pub fn mouse(state: &mut State, column: u16, row: u16, delta: isize) {
    let areas = layout(state.viewport, state);
    let inside = |r: ratatui::layout::Rect| {
        column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height
    };
    if areas.detail.is_some_and(inside) {
        let s = state.scroll_mut();
        *s = (*s as isize + delta).max(0) as usize;
    } else if inside(areas.list) || inside(areas.header) {
        move_selection(state, delta);
    }
}

pub fn click(state: &mut State, column: u16, row: u16) {
    let areas = layout(state.viewport, state);
    if row == areas.tabs.y {
        if let Some(pane) = tab_hit(state, column) {
            state.pane = pane;
        }
        return;
    }
    let list = areas.list;
    if column >= list.x && column < list.x + list.width && row >= list.y && row < list.y + list.height {
        let offset = (row - list.y) as usize;
        match state.pane {
            Pane::Sessions => {
                if let Some(s) = state.sessions.get(state.session_top + offset) {
                    state.session_selected = Some(s.session_id.clone());
                }
            }
            pane => {
                if let Some(v) = state.view_mut(pane) {
                    let pos = v.top + offset;
                    if pos < v.items.len() {
                        v.select_position(pos);
                    }
                }
            }
        }
    }
}

/// Clears the current pane only: the store keeps every event (C clears everything).
pub fn clear_pane(state: &mut State) {
    let pane = state.pane;
    let Some(i) = (pane != Pane::Sessions).then(|| pane.index()) else {
        state.toast("The Sessions pane lists live connections; there is nothing to clear", true);
        return;
    };
    let end = state.log_ends[i];
    state.views[i].clear_to(end);
    state.rows[i].clear();
    let all = state.keymap.keys_for(&super::super::action::Action::ClearLogs);
    state.toast(format!("{} cleared (this pane only; {all} clears everything)", pane.title()), false);
}

/// Marks or unmarks the selected row; a filter on `is:marked` follows at once.
pub fn toggle_mark(state: &mut State) -> Vec<Effect> {
    let (seq, key) = match &state.selected_item {
        Some(Selected::Event(_, e)) => (e.seq, Some(panes::mark_key(e))),
        // Frames are marked for this session only (their ids change in a replay).
        Some(Selected::Frame(f)) => (f.seq, None),
        _ => {
            state.toast("Select a row to mark it", true);
            return Vec::new();
        }
    };
    let marks = std::sync::Arc::make_mut(&mut state.marks);
    let marked = marks.insert(seq);
    if !marked {
        marks.remove(&seq);
    }
    let marks = state.marks.clone();
    for v in &mut state.views {
        if v.filter.as_ref().is_some_and(|f| f.uses_marks()) {
            let f = v.filter.take().map(|f| f.with_marks(marks.clone()));
            v.set_filter(f);
        }
    }
    for s in state.search.iter_mut().flatten() {
        *s = s.clone().with_marks(marks.clone());
    }
    state.toast(if marked { "Marked (is:marked filters on marks)" } else { "Mark removed" }, false);
    key.map(|key| Effect::RecordMark { key, marked }).into_iter().collect()
}

/// Re-issues the selected request from the page (same method, URL, headers that are not
/// redacted, body), as DevTools' "Replay XHR".
pub fn resend(state: &mut State) -> Vec<Effect> {
    let Some(Selected::Event(Pane::Network, e)) = &state.selected_item else {
        state.toast("Select a request in the Network pane to resend it", true);
        return Vec::new();
    };
    let env = e.envelope();
    let Some((script, left_out)) = panes::network::resend_script(&env) else {
        state.toast("This request has no URL to resend", true);
        return Vec::new();
    };
    let mut effects = send(
        state,
        "resend",
        Command::browser_action("execute_js", serde_json::json!({ "script": script })),
        false,
    );
    if !effects.is_empty() && !left_out.is_empty() {
        state.toast(format!("Resending without the redacted {}", left_out.join(", ")), false);
    }
    if let Some(Effect::Command { command, .. }) = effects.first() {
        let session = command.target.clone();
        let line = Effect::ConsoleLine { session, kind: "input", source: "resend".into(), text: script };
        effects.insert(0, line);
    }
    effects
}
