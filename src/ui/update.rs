//! Owns what each Action does: `update(&mut State, Action) -> Vec<Effect>`, with no IO.
//! Also the pure mapping from terminal key/mouse to Action. The parts live beside it:
//! `commands` (what goes to the browser and what the user is told), `modal` (keys in overlays
//! and prompts), `nav` (the list, its rows, copy, marks, clear one pane, resend).

mod commands;
mod modal;
mod nav;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use serde_json::json;

pub use commands::{normalise_url, outcome_of, palette_matches, read_only, result_line, NO_BROWSER};

use super::action::{Action, Effect, InputKey, Pane};
use super::input::LineInput;
use super::state::{CommandPhase, CommandState, Confirm, Jump, Modal, Prompt, PromptKind, State};
use crate::protocol::MessageType;
use crate::server::Command;
use commands::send;
use nav::{list_height, move_selection};

/// A terminal key as an Action: prompts and overlays take every key; otherwise the keymap decides.
pub fn key_to_action(state: &State, key: &KeyEvent) -> Option<Action> {
    if state.modal == Modal::None {
        return state.keymap.action_for(key);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let k = match key.code {
        KeyCode::Char('c') if ctrl => InputKey::Esc,
        KeyCode::Char('u') if ctrl => InputKey::KillLine,
        KeyCode::Char('w') if ctrl => InputKey::KillWord,
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => InputKey::Char(c),
        KeyCode::Backspace => InputKey::Backspace,
        KeyCode::Delete => InputKey::Delete,
        KeyCode::Left => InputKey::Left,
        KeyCode::Right => InputKey::Right,
        KeyCode::Home => InputKey::Home,
        KeyCode::End => InputKey::End,
        KeyCode::Up => InputKey::Up,
        KeyCode::Down => InputKey::Down,
        KeyCode::PageUp => InputKey::PageUp,
        KeyCode::PageDown => InputKey::PageDown,
        KeyCode::Enter => InputKey::Enter,
        KeyCode::Esc => InputKey::Esc,
        KeyCode::Tab => InputKey::Tab,
        _ => return None,
    };
    Some(Action::Input(k))
}

pub fn mouse_to_action(m: &MouseEvent) -> Option<Action> {
    let (column, row) = (m.column, m.row);
    match m.kind {
        MouseEventKind::ScrollDown => Some(Action::ScrollDown { column, row }),
        MouseEventKind::ScrollUp => Some(Action::ScrollUp { column, row }),
        MouseEventKind::Down(crossterm::event::MouseButton::Left) => Some(Action::Click { column, row }),
        _ => None,
    }
}

fn command_done(state: &mut State, outcome: super::action::CommandOutcome) -> Vec<Effect> {
    if state.last_command.as_ref().is_some_and(|c| c.id == outcome.id) {
        let label = state.last_command.as_ref().map_or(outcome.label.clone(), |c| c.label.clone());
        state.last_command = Some(CommandState {
            id: outcome.id,
            label,
            phase: CommandPhase::Done {
                ok: outcome.ok,
                message: outcome.message.clone(),
                duration_ms: outcome.duration_ms,
            },
        });
    }
    state.toast(outcome.message.clone(), !outcome.ok);
    match &outcome.result {
        Some(result) => {
            let (text, error) = result_line(result);
            vec![Effect::ConsoleLine {
                session: outcome.session.clone(),
                kind: if error { "error" } else { "result" },
                source: if outcome.label == "execute_js" { "console".into() } else { outcome.label.clone() },
                text,
            }]
        }
        None => Vec::new(),
    }
}

fn open_prompt(state: &mut State, action: &Action) {
    if state.replay.is_some() {
        let why = read_only(state);
        state.toast(why, true);
        return;
    }
    if state.browsers().next().is_none() {
        state.toast(NO_BROWSER, true);
        return;
    }
    // The tab the prompt names is the tab the command goes to, whatever becomes active meanwhile.
    let id = state.command_target().map(|(t, _)| t);
    if let Some(id) = &id {
        state.last_target = Some(id.clone());
    }
    let target = id.map(|t| state.name_of(&t)).unwrap_or_default();
    // The prompt line must leave room to type at 80 columns.
    let room = (state.viewport.0 as usize / 3).max(12);
    let target = super::sanitize::fit(&target, room).into_owned();
    let (kind, title) = if *action == Action::Navigate {
        (PromptKind::Navigate, format!("Navigate {target} to"))
    } else {
        state.js_history_pos = None;
        (PromptKind::ExecuteJs, format!("JavaScript in {target} (↑ history)"))
    };
    state.modal = Modal::Prompt(Prompt { kind, title, input: LineInput::default(), error: None });
}

/// Applies one Action. No IO: what must happen outside comes back as Effects.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Input(key) => return modal::modal_input(state, key),
        Action::Resize { width, height } => state.viewport = (width, height),
        Action::CommandDone(outcome) => return command_done(state, outcome),
        Action::Copied(Ok(message)) => state.toast(message, false),
        Action::Copied(Err(message)) => state.toast(message, true),
        Action::Notify { text, error } => state.toast(text, error),
        Action::ExpireToast => state.toast = None,
        Action::ScrollDown { column, row } => {
            if let Modal::Help { scroll } = &mut state.modal {
                *scroll += 3;
            } else {
                nav::mouse(state, column, row, 3);
            }
        }
        Action::ScrollUp { column, row } => {
            if let Modal::Help { scroll } = &mut state.modal {
                *scroll = scroll.saturating_sub(3);
            } else {
                nav::mouse(state, column, row, -3);
            }
        }
        Action::Click { column, row } => {
            if state.modal == Modal::None {
                nav::click(state, column, row);
            }
        }
        Action::Quit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Action::Help => state.modal = Modal::Help { scroll: 0 },
        Action::ShowPane(p) => state.pane = p,
        Action::NextPane => state.pane = state.pane.next(),
        Action::PrevPane => state.pane = state.pane.prev(),
        Action::MoveDown => move_selection(state, 1),
        Action::MoveUp => move_selection(state, -1),
        Action::PageDown => move_selection(state, list_height(state) as isize),
        Action::PageUp => move_selection(state, -(list_height(state) as isize)),
        Action::Top => match state.pane {
            Pane::Sessions => state.session_selected = state.sessions.first().map(|s| s.session_id.clone()),
            pane => {
                if let Some(v) = state.view_mut(pane) {
                    v.go_top();
                }
            }
        },
        Action::Bottom => match state.pane {
            Pane::Sessions => state.session_selected = state.sessions.last().map(|s| s.session_id.clone()),
            pane => {
                if let Some(v) = state.view_mut(pane) {
                    v.go_bottom();
                }
            }
        },
        Action::ToggleDetail => {
            let i = state.pane.index();
            state.detail_open[i] = !state.detail_open[i];
            state.detail_scroll[i] = 0;
        }
        Action::DetailDown => *state.scroll_mut() += 3,
        Action::DetailUp => {
            let s = state.scroll_mut();
            *s = s.saturating_sub(3);
        }
        Action::Filter => {
            let pane = state.pane;
            match state.view(pane) {
                Some(v) => {
                    let text = v.filter.as_ref().map(|f| f.text().to_string()).unwrap_or_default();
                    state.modal = Modal::Filter { input: LineInput::new(&text), error: None };
                }
                None => state.toast("The Sessions pane has no filter", true),
            }
        }
        Action::Search => {
            if state.view(state.pane).is_none() {
                state.toast("The Sessions pane has no search", true);
            } else {
                let text = state.search[state.pane.index()].as_ref().map(|f| f.text().to_string());
                let input = LineInput::new(text.as_deref().unwrap_or(""));
                state.modal = Modal::Search { input, error: None };
            }
        }
        Action::NextMatch => state.jump = Some(Jump::Match { forward: true }),
        Action::PrevMatch => state.jump = Some(Jump::Match { forward: false }),
        Action::NextError => state.jump = Some(Jump::Problem { forward: true }),
        Action::PrevError => state.jump = Some(Jump::Problem { forward: false }),
        Action::ClearFilter => {
            let pane = state.pane;
            let had_filter = state.view(pane).is_some_and(|v| v.filter.is_some());
            if had_filter {
                if let Some(v) = state.view_mut(pane) {
                    v.set_filter(None);
                }
                state.toast("Filter cleared", false);
            } else if pane.index() < 4 && state.search[pane.index()].is_some() {
                state.search[pane.index()] = None;
                state.toast("Search cleared", false);
            } else if state.detail_is_open() {
                state.detail_open[pane.index()] = false;
            }
        }
        Action::ToggleFollow => {
            let pane = state.pane;
            if let Some(v) = state.view_mut(pane) {
                if v.follow {
                    v.pause();
                } else {
                    v.go_bottom();
                }
            }
        }
        Action::ToggleMark => return nav::toggle_mark(state),
        Action::ToggleTimeFormat => {
            state.time_format = state.time_format.next();
            let what = state.time_format.describe();
            state.toast(format!("Times: {what}"), false);
        }
        Action::ToggleGrouping => {
            let v = &mut state.views[Pane::Console.index()];
            let on = !v.grouping;
            v.set_grouping(on);
            state.rows[Pane::Console.index()].clear();
            let text = if on {
                "Console: identical repeats grouped"
            } else {
                "Console: every message on its own row"
            };
            state.toast(text, false);
        }
        Action::CopyJson => return nav::copy(state, false),
        Action::CopyText => return nav::copy(state, true),
        Action::CycleCopyFormat => {
            let all = crate::export::copy::CopyFormat::ALL;
            let at = all.iter().position(|f| *f == state.copy_format).unwrap_or(0);
            state.copy_format = all[(at + 1) % all.len()];
            let key = state.keymap.keys_for(&Action::CopyText);
            state.toast(format!("{key} now copies a request as {}", state.copy_format.name()), false);
        }
        Action::Screenshot => {
            let cmd =
                Command::new(MessageType::ScreenshotRequest, json!({ "format": "png", "fullPage": false }));
            return send(state, "screenshot", cmd, false);
        }
        Action::ScreenshotFullPage => {
            let cmd =
                Command::new(MessageType::ScreenshotRequest, json!({ "format": "png", "fullPage": true }));
            return send(state, "full-page screenshot", cmd, false);
        }
        Action::ClearPane => nav::clear_pane(state),
        Action::ExportHar => {
            let filter = state.views[Pane::Network.index()].filter.clone();
            return vec![Effect::Export { what: super::export::UiExport::Har, filter }];
        }
        Action::ExportConsole(format) => {
            let filter = state.views[Pane::Console.index()].filter.clone();
            return vec![Effect::Export { what: super::export::UiExport::Console(format), filter }];
        }
        Action::ClearLogs => state.modal = Modal::Confirm(Confirm::ClearAll),
        Action::Navigate | Action::ExecuteJs => open_prompt(state, &action),
        Action::Reload => return send(state, "reload", Command::browser_action("reload", json!({})), false),
        Action::Back => return send(state, "back", Command::browser_action("go_back", json!({})), false),
        Action::Forward => {
            return send(state, "forward", Command::browser_action("go_forward", json!({})), false)
        }
        Action::ResendRequest => return nav::resend(state),
        Action::PickElement => {
            return send(state, "pick element", Command::browser_action("pick_element", json!({})), false)
        }
        Action::Palette => state.modal = Modal::Palette { input: LineInput::default(), selected: 0 },
        Action::ChooseTarget => {
            if state.replay.is_some() {
                let why = read_only(state);
                state.toast(why, true);
            } else if state.browsers().next().is_none() {
                state.toast(NO_BROWSER, true);
            } else {
                let selected = state
                    .target
                    .as_ref()
                    .and_then(|t| state.browsers().position(|s| &s.session_id == t))
                    .map_or(0, |p| p + 1);
                state.modal = Modal::Target { selected };
            }
        }
        Action::OpenScreenshot => return nav::open_screenshot(state),
    }
    Vec::new()
}

#[cfg(test)]
mod regressions;
#[cfg(test)]
mod tests;
