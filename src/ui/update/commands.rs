//! Owns commands to the browser as the UI sends them: where they go (the target), what the
//! user is told (results as sentences naming the tab), the prompts and palette that build them,
//! and the refusals (no browser; a replay is read-only).

use serde_json::{json, Map, Value};

use super::super::action::{CommandOutcome, Effect};
use super::super::input::LineInput;
use super::super::panes::{self, pretty_value};
use super::super::state::{CommandPhase, CommandState, Modal, Prompt, PromptKind, State};
use crate::protocol::actions::{ActionSpec, ParamKind, ACTIONS};
use crate::protocol::{ErrorCode, MessageType, ProtocolError};
use crate::server::{Command, CommandReply};

pub const NO_BROWSER: &str =
    "No browser connected: open a page with the triage extension (or run triage-tui --demo)";

/// What a replay answers to a command.
pub fn read_only(state: &State) -> String {
    format!(
        "Read-only: this is a replay of {}; commands need a live browser (run triage-tui without replay)",
        state.replay.as_deref().unwrap_or("a recording")
    )
}

/// A short value for a sentence: strings and numbers as they are, objects as `k v, k v`.
fn gist(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => format!("{s:?}"),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_object() && !v.is_array() && !v.is_null())
            .take(4)
            .map(|(k, v)| format!("{k} {}", panes::compact(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(a) => format!("{} items", a.len()),
        other => other.to_string(),
    };
    panes::cell_text(&s)
}

/// The sentence for a command that worked.
fn done_sentence(label: &str, target: &str, result: &Value, sent: &Value) -> String {
    let url = result.get("url").or_else(|| sent.get("params").and_then(|p| p.get("url")));
    match label {
        "reload" => format!("Reloaded {target}"),
        "back" => format!("Went back in {target}"),
        "forward" => format!("Went forward in {target}"),
        "navigate" => match url.and_then(Value::as_str) {
            Some(u) => format!("{target} opened {}", panes::cell_text(u)),
            None => format!("{target} navigated"),
        },
        "clear logs" => format!("Cleared every pane; {target} cleared its logs too"),
        "execute_js" => format!("Ran JavaScript in {target} (result in the Console)"),
        "resend" => format!("Resent the request from {target}; the new one is in Network"),
        other => {
            let g = gist(result);
            let what = other.replace('_', " ");
            if g.is_empty() {
                format!("{what}: done in {target}")
            } else {
                format!("{what} in {target}: {g}")
            }
        }
    }
}

fn verb(label: &str) -> String {
    match label {
        "reload" => "reload".into(),
        "back" => "go back".into(),
        "forward" => "go forward".into(),
        "navigate" => "navigate".into(),
        "execute_js" => "run the JavaScript".into(),
        "resend" => "resend the request".into(),
        other => other.replace('_', " "),
    }
}

/// Turns a command's reply (or error) into what the UI reports, naming the tab it went to.
pub fn outcome_of(
    id: u64,
    label: &str,
    target: &str,
    ty: MessageType,
    show_result: bool,
    sent: &Value,
    result: Result<CommandReply, ProtocolError>,
) -> CommandOutcome {
    match result {
        Ok(reply) => {
            let data = &reply.envelope.data;
            let ok = reply.success();
            let result_value = data.get("data").cloned().unwrap_or(Value::Null);
            let message = if reply.envelope.kind == MessageType::ScreenshotResponse.as_str() {
                format!("{} from {target}", panes::console::screenshot_summary(data))
            } else if ok {
                done_sentence(label, target, &result_value, sent)
            } else {
                let err = data.get("error").map(panes::compact).unwrap_or_else(|| "it failed".into());
                format!("Could not {} in {target}: {}", verb(label), panes::cell_text(&err))
            };
            let result = show_result
                .then(|| {
                    if ok {
                        Some(result_value).filter(|v| !v.is_null()).or(Some(json!("undefined")))
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
                session: Some(reply.session.to_string()),
            }
        }
        Err(e) if ty == MessageType::ClearLogs && e.code == ErrorCode::NoBrowser => CommandOutcome {
            id,
            label: label.to_string(),
            ok: true,
            message: "Cleared every pane (no browser connected to forward clear-logs to)".into(),
            duration_ms: 0,
            result: None,
            session: None,
        },
        Err(e) => CommandOutcome {
            id,
            label: label.to_string(),
            ok: false,
            message: format!("Could not {} in {target}: {}", verb(label), e.message),
            duration_ms: 0,
            result: show_result.then(|| json!({ "error": e.message })),
            session: None,
        },
    }
}

/// The Console line for a command's result: its text and whether it is an error.
pub fn result_line(result: &Value) -> (String, bool) {
    match result.get("error") {
        Some(err) if result.as_object().is_some_and(|o| o.len() == 1) => (panes::compact(err), true),
        _ => {
            let text = pretty_value(result);
            (if text.is_empty() { "undefined".into() } else { text }, false)
        }
    }
}

/// Palette entries the UI carries out itself (no browser command).
pub const LOCAL_ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "export_har",
        summary: "Export what the Network pane shows as HAR (data dir's exports/)",
        params: &[],
    },
    ActionSpec {
        name: "export_console",
        summary: "Export what the Console pane shows as NDJSON (data dir's exports/)",
        params: &[],
    },
    ActionSpec {
        name: "export_console_text",
        summary: "Export what the Console pane shows as text, a line per row (exports/)",
        params: &[],
    },
];

/// The UI action a `LOCAL_ACTIONS` entry runs.
fn local_action(name: &str) -> Option<super::super::action::Action> {
    use super::super::action::Action;
    use crate::export::console::ConsoleFormat;
    match name {
        "export_har" => Some(Action::ExportHar),
        "export_console" => Some(Action::ExportConsole(ConsoleFormat::Ndjson)),
        "export_console_text" => Some(Action::ExportConsole(ConsoleFormat::Text)),
        _ => None,
    }
}

/// The palette's entries matching what was typed (name or summary, any case).
pub fn palette_matches(query: &str) -> Vec<&'static ActionSpec> {
    let q = query.trim().to_ascii_lowercase();
    ACTIONS
        .iter()
        .chain(LOCAL_ACTIONS)
        .filter(|a| q.is_empty() || a.name.contains(&q) || a.summary.to_ascii_lowercase().contains(&q))
        .collect()
}

/// Sends a command to the target (see `target.rs`), or says why it cannot go.
pub fn send(state: &mut State, label: &str, command: Command, show_result: bool) -> Vec<Effect> {
    let refused = if state.replay.is_some() {
        Some(read_only(state))
    } else if command.ty != MessageType::ClearLogs && state.browsers().next().is_none() {
        Some(NO_BROWSER.to_string())
    } else {
        None
    };
    let id = state.next_command_id;
    state.next_command_id += 1;
    if let Some(why) = refused {
        state.toast(why, true);
        state.last_command = Some(CommandState {
            id,
            label: label.to_string(),
            phase: CommandPhase::Done { ok: false, message: "refused".into(), duration_ms: 0 },
        });
        return Vec::new();
    }
    let target = state.command_target().map(|(t, _)| t);
    let target_name = target.as_deref().map_or_else(|| "the browser".to_string(), |t| state.name_of(t));
    let command = match &target {
        Some(t) => command.to(t.clone()),
        None => command,
    };
    if let Some(t) = &target {
        state.last_target = Some(t.clone());
    }
    state.last_command =
        Some(CommandState { id, label: format!("{label} → {target_name}"), phase: CommandPhase::Pending });
    vec![Effect::Command { id, label: label.to_string(), target_name, command, show_result }]
}

fn action_command(spec: &ActionSpec, params: Map<String, Value>) -> Command {
    if spec.name == "take_screenshot" {
        let full = params.get("fullPage").and_then(Value::as_bool).unwrap_or(false);
        return Command::new(MessageType::ScreenshotRequest, json!({ "format": "png", "fullPage": full }));
    }
    Command::browser_action(spec.name, Value::Object(params))
}

pub fn normalise_url(s: &str) -> String {
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
pub fn start_action(state: &mut State, spec: &'static ActionSpec) -> Vec<Effect> {
    if let Some(action) = local_action(spec.name) {
        state.modal = Modal::None;
        return super::update(state, action);
    }
    if spec.params.is_empty() {
        state.modal = Modal::None;
        let cmd = action_command(spec, Map::new());
        return send(state, spec.name, cmd, true);
    }
    state.modal = param_prompt(spec, 0, Map::new());
    Vec::new()
}

/// Runs JavaScript in the target: the input goes in the Console at once, the result follows.
pub fn run_js(state: &mut State, script: &str) -> Vec<Effect> {
    if state.js_history.last().map(String::as_str) != Some(script) {
        state.js_history.push(script.to_string());
    }
    state.js_history_pos = None;
    let mut effects =
        send(state, "execute_js", Command::browser_action("execute_js", json!({ "script": script })), true);
    if let Some(Effect::Command { command, .. }) = effects.first() {
        let session = command.target.clone();
        effects.insert(
            0,
            Effect::ConsoleLine {
                session,
                kind: "input",
                source: "console".into(),
                text: script.to_string(),
            },
        );
    }
    effects
}

pub fn submit_prompt(state: &mut State, mut prompt: Prompt) -> Vec<Effect> {
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
            run_js(state, &text)
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
