//! Owns what each Action does: `update(&mut State, Action) -> Vec<Effect>`, with no IO.
//! Also the pure mappings around it: terminal key/mouse → Action, command reply → outcome.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use serde_json::{json, Map, Value};

use super::action::{Action, CommandOutcome, Effect, InputKey, Pane};
use super::filter::Filter;
use super::input::LineInput;
use super::panes::{self, pretty_value};
use super::render::{layout, tab_hit};
use super::state::{CommandPhase, CommandState, Modal, Prompt, PromptKind, Selected, State};
use crate::protocol::actions::{ActionSpec, ParamKind, ACTIONS};
use crate::protocol::{ErrorCode, MessageType, ProtocolError};
use crate::server::{Command, CommandReply};

pub const NO_BROWSER: &str =
    "No browser connected: open a page with the triage extension (or run triage-tui --demo)";

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

/// Turns a command's reply (or error) into what the UI reports.
pub fn outcome_of(
    id: u64,
    label: &str,
    ty: MessageType,
    show_result: bool,
    result: Result<CommandReply, ProtocolError>,
) -> CommandOutcome {
    match result {
        Ok(reply) => {
            let data = &reply.envelope.data;
            let ok = reply.success();
            let message = if reply.envelope.kind == MessageType::ScreenshotResponse.as_str() {
                panes::console::screenshot_summary(data)
            } else if ok {
                let shown = data.get("data").filter(|v| !v.is_null()).map(panes::compact).unwrap_or_default();
                if shown.is_empty() {
                    format!("{label}: ok")
                } else {
                    format!("{label}: {}", panes::cell_text(&shown))
                }
            } else {
                let err = data.get("error").map(panes::compact).unwrap_or_else(|| "failed".into());
                format!("{label} failed: {}", panes::cell_text(&err))
            };
            let result = show_result
                .then(|| {
                    if ok {
                        data.get("data").cloned().filter(|v| !v.is_null())
                    } else {
                        Some(json!({ "error": data.get("error").cloned().unwrap_or(Value::Null) }))
                    }
                })
                .flatten();
            CommandOutcome {
                id,
                label: label.to_string(),
                ok,
                message,
                duration_ms: reply.duration_ms,
                result,
            }
        }
        Err(e) if ty == MessageType::ClearLogs && e.code == ErrorCode::NoBrowser => CommandOutcome {
            id,
            label: label.to_string(),
            ok: true,
            message: "logs cleared (no browser connected to forward clear-logs to)".into(),
            duration_ms: 0,
            result: None,
        },
        Err(e) => CommandOutcome {
            id,
            label: label.to_string(),
            ok: false,
            message: format!("{label} failed: {}", e.message),
            duration_ms: 0,
            result: None,
        },
    }
}

/// The palette's entries matching what was typed (name or summary, any case).
pub fn palette_matches(query: &str) -> Vec<&'static ActionSpec> {
    let q = query.trim().to_ascii_lowercase();
    ACTIONS
        .iter()
        .filter(|a| q.is_empty() || a.name.contains(&q) || a.summary.to_ascii_lowercase().contains(&q))
        .collect()
}

fn list_height(state: &State) -> usize {
    layout(state.viewport, state).list.height.max(1) as usize
}

fn send(state: &mut State, label: &str, command: Command, show_result: bool) -> Vec<Effect> {
    if command.ty != MessageType::ClearLogs && state.browsers().next().is_none() {
        state.toast(NO_BROWSER, true);
        let id = state.next_command_id;
        state.next_command_id += 1;
        state.last_command = Some(CommandState {
            id,
            label: label.to_string(),
            phase: CommandPhase::Done { ok: false, message: "no browser".into(), duration_ms: 0 },
        });
        return Vec::new();
    }
    let command = match &state.target {
        Some(t) => command.to(t.clone()),
        None => command,
    };
    let id = state.next_command_id;
    state.next_command_id += 1;
    state.last_command = Some(CommandState { id, label: label.to_string(), phase: CommandPhase::Pending });
    vec![Effect::Command { id, label: label.to_string(), command, show_result }]
}

fn action_command(spec: &ActionSpec, params: Map<String, Value>) -> Command {
    if spec.name == "take_screenshot" {
        let full = params.get("fullPage").and_then(Value::as_bool).unwrap_or(false);
        return Command::new(MessageType::ScreenshotRequest, json!({ "format": "png", "fullPage": full }));
    }
    Command::browser_action(spec.name, Value::Object(params))
}

fn normalise_url(s: &str) -> String {
    let s = s.trim();
    if s.contains("://") || s.starts_with("about:") || s.starts_with("data:") || s.starts_with("javascript:")
    {
        s.to_string()
    } else {
        format!("https://{s}")
    }
}

fn param_prompt(spec: &'static ActionSpec, index: usize, params: Map<String, Value>) -> Modal {
    let p = &spec.params[index];
    let kind = match p.kind {
        ParamKind::Text => "text",
        ParamKind::Number => "number",
        ParamKind::Bool => "y/n",
    };
    let need = if p.required { "required" } else { "optional, Enter skips" };
    Modal::Prompt(Prompt {
        kind: PromptKind::Param { action: spec, index, params },
        title: format!("{} · {} ({kind}, {need}; e.g. {})", spec.name, p.name, p.hint),
        input: LineInput::default(),
        error: None,
    })
}

/// Starts an action from the palette: its first parameter prompt, or the command itself.
fn start_action(state: &mut State, spec: &'static ActionSpec) -> Vec<Effect> {
    if spec.params.is_empty() {
        state.modal = Modal::None;
        let cmd = action_command(spec, Map::new());
        return send(state, spec.name, cmd, true);
    }
    state.modal = param_prompt(spec, 0, Map::new());
    Vec::new()
}

fn submit_prompt(state: &mut State, mut prompt: Prompt) -> Vec<Effect> {
    let text = prompt.input.text().trim().to_string();
    match prompt.kind.clone() {
        PromptKind::Navigate => {
            if text.is_empty() {
                prompt.error = Some("type a URL".into());
                state.modal = Modal::Prompt(prompt);
                return Vec::new();
            }
            state.modal = Modal::None;
            send(
                state,
                "navigate",
                Command::browser_action("navigate", json!({ "url": normalise_url(&text) })),
                false,
            )
        }
        PromptKind::ExecuteJs => {
            if text.is_empty() {
                prompt.error = Some("type a JavaScript expression".into());
                state.modal = Modal::Prompt(prompt);
                return Vec::new();
            }
            state.modal = Modal::None;
            send(state, "execute_js", Command::browser_action("execute_js", json!({ "script": text })), true)
        }
        PromptKind::Param { action, index, mut params } => {
            let spec = &action.params[index];
            let value = if text.is_empty() {
                if spec.required {
                    prompt.error = Some(format!("{} is required", spec.name));
                    state.modal = Modal::Prompt(prompt);
                    return Vec::new();
                }
                None
            } else {
                match spec.kind {
                    ParamKind::Text => Some(Value::String(text.clone())),
                    ParamKind::Number => match text.parse::<f64>() {
                        Ok(n) if n.fract() == 0.0 && n.abs() < 9e15 => Some(json!(n as i64)),
                        Ok(n) => Some(json!(n)),
                        Err(_) => {
                            prompt.error = Some(format!("{} must be a number", spec.name));
                            state.modal = Modal::Prompt(prompt);
                            return Vec::new();
                        }
                    },
                    ParamKind::Bool => match text.to_ascii_lowercase().as_str() {
                        "y" | "yes" | "true" | "1" | "on" => Some(Value::Bool(true)),
                        "n" | "no" | "false" | "0" | "off" => Some(Value::Bool(false)),
                        _ => {
                            prompt.error = Some("answer y or n".into());
                            state.modal = Modal::Prompt(prompt);
                            return Vec::new();
                        }
                    },
                }
            };
            if let Some(v) = value {
                let v = if spec.name == "url" {
                    Value::String(normalise_url(v.as_str().unwrap_or("")))
                } else {
                    v
                };
                params.insert(spec.name.to_string(), v);
            }
            if index + 1 < action.params.len() {
                state.modal = param_prompt(action, index + 1, params);
                Vec::new()
            } else {
                state.modal = Modal::None;
                let cmd = action_command(action, params);
                send(state, action.name, cmd, true)
            }
        }
    }
}

fn apply_filter_text(state: &mut State, text: &str) -> Option<String> {
    let pane = state.pane;
    // No list (Sessions): nothing to filter, no error.
    let view = state.view_mut(pane)?;
    match Filter::parse(text) {
        Ok(f) => {
            let same = view.filter.as_ref().map(|f| f.text()) == f.as_ref().map(|f| f.text());
            if !same {
                view.set_filter(f);
            }
            None
        }
        Err(e) => Some(e),
    }
}

fn modal_input(state: &mut State, key: InputKey) -> Vec<Effect> {
    let modal = std::mem::replace(&mut state.modal, Modal::None);
    match modal {
        Modal::None => Vec::new(),
        Modal::Help { scroll } | Modal::Result { scroll, .. } if is_close(key) => {
            let _ = scroll;
            Vec::new()
        }
        Modal::Help { scroll } => {
            state.modal = Modal::Help { scroll: scroll_by(scroll, key) };
            Vec::new()
        }
        Modal::Result { title, lines, scroll } => {
            state.modal = Modal::Result { title, lines, scroll: scroll_by(scroll, key) };
            Vec::new()
        }
        Modal::Filter { mut input, error } => match key {
            InputKey::Enter => {
                if let Some(e) = error {
                    state.toast(format!("filter not applied: {e}"), true);
                }
                Vec::new()
            }
            InputKey::Esc => {
                apply_filter_text(state, "");
                Vec::new()
            }
            k => {
                let error = if input.apply(k) { apply_filter_text(state, input.text()) } else { error };
                state.modal = Modal::Filter { input, error };
                Vec::new()
            }
        },
        Modal::Prompt(mut prompt) => match key {
            InputKey::Enter => submit_prompt(state, prompt),
            InputKey::Esc => Vec::new(),
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
                    let shown = state.target.clone().unwrap_or_else(|| "auto (most recently active)".into());
                    state.toast(format!("commands now go to {shown}"), false);
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

fn is_close(key: InputKey) -> bool {
    matches!(key, InputKey::Esc | InputKey::Enter | InputKey::Char('q') | InputKey::Char('?'))
}

fn scroll_by(scroll: usize, key: InputKey) -> usize {
    match key {
        InputKey::Down | InputKey::Char('j') => scroll + 1,
        InputKey::Up | InputKey::Char('k') => scroll.saturating_sub(1),
        InputKey::PageDown | InputKey::Char(' ') => scroll + 10,
        InputKey::PageUp => scroll.saturating_sub(10),
        InputKey::Home | InputKey::Char('g') => 0,
        _ => scroll,
    }
}

fn move_selection(state: &mut State, delta: isize) {
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

fn copy(state: &mut State, as_text: bool) -> Vec<Effect> {
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
            (panes::network::curl(&e.envelope()), "request as curl".into())
        }
        (Selected::Event(Pane::Elements, e), true) => {
            (panes::elements::text(&e.envelope()), "element HTML".into())
        }
        (Selected::Event(_, e), true) => {
            let env = e.envelope();
            let text = if e.ty == MessageType::ScreenshotResponse {
                panes::str_of(&env.data, "path").map(str::to_string).unwrap_or_default()
            } else {
                panes::console::message_text(e, &env)
            };
            (text, "message text".into())
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

fn open_screenshot(state: &mut State) -> Vec<Effect> {
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

fn mouse(state: &mut State, column: u16, row: u16, delta: isize) {
    let areas = layout(state.viewport, state);
    let inside = |r: ratatui::layout::Rect| {
        column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height
    };
    if let Some(d) = areas.detail.filter(|d| inside(*d)) {
        let _ = d;
        state.detail_scroll = (state.detail_scroll as isize + delta).max(0) as usize;
    } else if inside(areas.list) || inside(areas.header) {
        move_selection(state, delta);
    }
}

fn click(state: &mut State, column: u16, row: u16) {
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

/// Applies one Action. No IO: what must happen outside comes back as Effects.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Input(key) => return modal_input(state, key),
        Action::Resize { width, height } => state.viewport = (width, height),
        Action::CommandDone(outcome) => {
            if state.last_command.as_ref().is_some_and(|c| c.id == outcome.id) {
                state.last_command = Some(CommandState {
                    id: outcome.id,
                    label: outcome.label.clone(),
                    phase: CommandPhase::Done {
                        ok: outcome.ok,
                        message: outcome.message.clone(),
                        duration_ms: outcome.duration_ms,
                    },
                });
            }
            state.toast(outcome.message.clone(), !outcome.ok);
            if let Some(result) = &outcome.result {
                if state.modal == Modal::None {
                    let text = pretty_value(result);
                    let text = if text.is_empty() { "(empty)".to_string() } else { text };
                    state.modal = Modal::Result {
                        title: format!("{} result ({} ms)", outcome.label, outcome.duration_ms),
                        lines: super::sanitize::block(&text),
                        scroll: 0,
                    };
                }
            }
        }
        Action::Copied(Ok(message)) => state.toast(message, false),
        Action::Copied(Err(message)) => state.toast(message, true),
        Action::Notify { text, error } => state.toast(text, error),
        Action::ExpireToast => state.toast = None,
        Action::ScrollDown { column, row } => {
            if let Modal::Help { scroll } | Modal::Result { scroll, .. } = &mut state.modal {
                *scroll += 3;
            } else {
                mouse(state, column, row, 3);
            }
        }
        Action::ScrollUp { column, row } => {
            if let Modal::Help { scroll } | Modal::Result { scroll, .. } = &mut state.modal {
                *scroll = scroll.saturating_sub(3);
            } else {
                mouse(state, column, row, -3);
            }
        }
        Action::Click { column, row } => {
            if state.modal == Modal::None {
                click(state, column, row);
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
            state.detail_open = !state.detail_open;
            state.detail_scroll = 0;
        }
        Action::DetailDown => state.detail_scroll += 3,
        Action::DetailUp => state.detail_scroll = state.detail_scroll.saturating_sub(3),
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
        Action::ClearFilter => {
            let pane = state.pane;
            let had_filter = state.view(pane).is_some_and(|v| v.filter.is_some());
            if had_filter {
                if let Some(v) = state.view_mut(pane) {
                    v.set_filter(None);
                }
                state.toast("Filter cleared", false);
            } else if state.detail_open {
                state.detail_open = false;
            }
        }
        Action::ToggleFollow => {
            let pane = state.pane;
            if let Some(v) = state.view_mut(pane) {
                if v.follow {
                    v.follow = false;
                } else {
                    v.go_bottom();
                }
            }
        }
        Action::CopyJson => return copy(state, false),
        Action::CopyText => return copy(state, true),
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
        Action::ClearLogs => {
            return send(state, "clear logs", Command::new(MessageType::ClearLogs, json!({})), false);
        }
        Action::Navigate | Action::ExecuteJs => {
            if state.browsers().next().is_none() {
                state.toast(NO_BROWSER, true);
                return Vec::new();
            }
            let (kind, title) = if action == Action::Navigate {
                (PromptKind::Navigate, "Navigate to URL".to_string())
            } else {
                (PromptKind::ExecuteJs, "Execute JavaScript in the page".to_string())
            };
            state.modal = Modal::Prompt(Prompt { kind, title, input: LineInput::default(), error: None });
        }
        Action::Reload => return send(state, "reload", Command::browser_action("reload", json!({})), false),
        Action::Back => return send(state, "back", Command::browser_action("go_back", json!({})), false),
        Action::Forward => {
            return send(state, "forward", Command::browser_action("go_forward", json!({})), false)
        }
        Action::PickElement => {
            return send(state, "pick element", Command::browser_action("pick_element", json!({})), false)
        }
        Action::Palette => state.modal = Modal::Palette { input: LineInput::default(), selected: 0 },
        Action::ChooseTarget => {
            if state.browsers().next().is_none() {
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
        Action::OpenScreenshot => return open_screenshot(state),
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
