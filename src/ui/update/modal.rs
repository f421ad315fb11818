//! Owns what a key does while an overlay or prompt is open: the filter and search prompts
//! (validated as typed; a bad filter is refused on Enter with its hint), the command prompts
//! (with the JavaScript history on ↑/↓), the palette, the target picker, the yes/no question.

use super::super::action::{Effect, InputKey};
use super::super::filter::Filter;
use super::super::state::{Confirm, Jump, Modal, PromptKind, State};
use super::commands::{palette_matches, send, start_action, submit_prompt};
use crate::protocol::MessageType;
use crate::server::Command;

/// Applies filter text to the current pane. Err: the hint for what is wrong.
pub fn apply_filter_text(state: &mut State, text: &str) -> Result<(), String> {
    let pane = state.pane;
    let marks = state.marks.clone();
    // No list (Sessions): nothing to filter, no error.
    let Some(view) = state.view_mut(pane) else { return Ok(()) };
    let f = Filter::parse(text)?.map(|f| f.with_marks(marks));
    let same = view.filter.as_ref().map(|f| f.text()) == f.as_ref().map(|f| f.text());
    if !same {
        view.set_filter(f);
    }
    Ok(())
}

fn apply_search_text(state: &mut State, text: &str) -> Result<(), String> {
    if state.view(state.pane).is_none() {
        return Ok(());
    }
    let f = Filter::parse(text)?.map(|f| f.with_marks(state.marks.clone()));
    state.search[state.pane.index()] = f;
    Ok(())
}

fn is_close(key: InputKey) -> bool {
    matches!(key, InputKey::Esc | InputKey::Enter | InputKey::Char('q') | InputKey::Char('?'))
}

pub fn scroll_by(scroll: usize, key: InputKey) -> usize {
    match key {
        InputKey::Down | InputKey::Char('j') => scroll + 1,
        InputKey::Up | InputKey::Char('k') => scroll.saturating_sub(1),
        InputKey::PageDown | InputKey::Char(' ') => scroll + 10,
        InputKey::PageUp => scroll.saturating_sub(10),
        InputKey::Home | InputKey::Char('g') => 0,
        _ => scroll,
    }
}

/// ↑/↓ in the JavaScript prompt: walk back and forth through what was run.
fn walk_history(state: &mut State, input: &mut super::super::input::LineInput, back: bool) {
    let n = state.js_history.len();
    if n == 0 {
        return;
    }
    let pos = match (state.js_history_pos, back) {
        (None, true) => Some(n - 1),
        (None, false) => None,
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p + 1 < n => Some(p + 1),
        (Some(_), false) => None,
    };
    state.js_history_pos = pos;
    *input = super::super::input::LineInput::new(pos.map_or("", |p| state.js_history[p].as_str()));
}

fn confirm(state: &mut State, what: Confirm, key: InputKey) -> Vec<Effect> {
    match key {
        InputKey::Char('y') | InputKey::Char('Y') | InputKey::Enter => match what {
            Confirm::ClearAll if state.replay.is_some() => {
                state.toast("Cleared every pane (the recording on disk is untouched)", false);
                vec![Effect::ClearStore]
            }
            Confirm::ClearAll => {
                send(state, "clear logs", Command::new(MessageType::ClearLogs, serde_json::json!({})), false)
            }
        },
        InputKey::Char('n') | InputKey::Char('N') | InputKey::Esc | InputKey::Char('q') => {
            state.toast("Nothing cleared", false);
            Vec::new()
        }
        _ => {
            state.modal = Modal::Confirm(what);
            Vec::new()
        }
    }
}

pub fn modal_input(state: &mut State, key: InputKey) -> Vec<Effect> {
    let modal = std::mem::replace(&mut state.modal, Modal::None);
    match modal {
        Modal::None => Vec::new(),
        Modal::Help { .. } if is_close(key) => Vec::new(),
        Modal::Help { scroll } => {
            state.modal = Modal::Help { scroll: scroll_by(scroll, key) };
            Vec::new()
        }
        Modal::Confirm(what) => confirm(state, what, key),
        Modal::Filter { mut input, error } => match key {
            InputKey::Enter => {
                if let Some(e) = error {
                    // Refused: the prompt stays with the hint; nothing half-typed is applied.
                    state.modal = Modal::Filter { input, error: Some(e) };
                }
                Vec::new()
            }
            InputKey::Esc => {
                let _ = apply_filter_text(state, "");
                Vec::new()
            }
            k => {
                let error = if input.apply(k) { apply_filter_text(state, input.text()).err() } else { error };
                state.modal = Modal::Filter { input, error };
                Vec::new()
            }
        },
        Modal::Search { mut input, error } => match key {
            InputKey::Enter => {
                if error.is_some() {
                    state.modal = Modal::Search { input, error };
                } else if state.search[state.pane.index()].is_some() {
                    // Following the newest row: the nearest match is above it.
                    let following = state.view(state.pane).is_some_and(|v| v.follow);
                    state.jump = Some(Jump::Match { forward: !following });
                }
                Vec::new()
            }
            InputKey::Esc => {
                if state.pane.index() < 4 {
                    state.search[state.pane.index()] = None;
                }
                Vec::new()
            }
            k => {
                let error = if input.apply(k) { apply_search_text(state, input.text()).err() } else { error };
                state.modal = Modal::Search { input, error };
                Vec::new()
            }
        },
        Modal::Prompt(mut prompt) => match key {
            InputKey::Enter => submit_prompt(state, prompt),
            InputKey::Esc => Vec::new(),
            InputKey::Up | InputKey::Down if prompt.kind == PromptKind::ExecuteJs => {
                walk_history(state, &mut prompt.input, key == InputKey::Up);
                state.modal = Modal::Prompt(prompt);
                Vec::new()
            }
            k => {
                if prompt.input.apply(k) {
                    prompt.error = None;
                }
                state.modal = Modal::Prompt(prompt);
                Vec::new()
            }
        },
        Modal::Palette { mut input, selected } => {
            let matches = palette_matches(input.text());
            match key {
                InputKey::Esc => Vec::new(),
                InputKey::Enter => match matches.get(selected) {
                    Some(spec) => start_action(state, spec),
                    None => {
                        state.modal = Modal::Palette { input, selected };
                        Vec::new()
                    }
                },
                InputKey::Up => {
                    state.modal = Modal::Palette { input, selected: selected.saturating_sub(1) };
                    Vec::new()
                }
                InputKey::Down | InputKey::Tab => {
                    let max = matches.len().saturating_sub(1);
                    state.modal = Modal::Palette { input, selected: (selected + 1).min(max) };
                    Vec::new()
                }
                k => {
                    let selected = if input.apply(k) { 0 } else { selected };
                    state.modal = Modal::Palette { input, selected };
                    Vec::new()
                }
            }
        }
        Modal::Target { selected } => {
            let browsers: Vec<String> = state.browsers().map(|s| s.session_id.clone()).collect();
            match key {
                InputKey::Esc | InputKey::Char('q') => Vec::new(),
                InputKey::Enter => {
                    state.target = if selected == 0 { None } else { browsers.get(selected - 1).cloned() };
                    if let Some(t) = state.target.clone() {
                        state.last_target = Some(t);
                    }
                    let shown = match &state.target {
                        Some(t) => state.name_of(t),
                        None => "auto (the selected row's tab, else the last one used)".into(),
                    };
                    state.toast(format!("Commands now go to {shown}"), false);
                    Vec::new()
                }
                InputKey::Up | InputKey::Char('k') => {
                    state.modal = Modal::Target { selected: selected.saturating_sub(1) };
                    Vec::new()
                }
                InputKey::Down | InputKey::Char('j') | InputKey::Tab => {
                    state.modal = Modal::Target { selected: (selected + 1).min(browsers.len()) };
                    Vec::new()
                }
                _ => {
                    state.modal = Modal::Target { selected };
                    Vec::new()
                }
            }
        }
    }
}
