//! The browser-tools connector protocol (`shared/compat-browser-tools.md`), spoken on the same
//! port so the extension thousands already have feeds triage-tui unchanged.
//!
//! Its WebSocket messages are not envelopes: incoming ones are translated into ours, and our
//! commands into its `take-screenshot` / `get-current-url`.

use serde_json::{json, Value};

use super::Command;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType, ProtocolError, Timestamp};

/// Translates one browser-tools WebSocket message; `None` when it is not one of theirs.
pub fn translate_incoming(text: &str) -> Option<(Envelope, MessageType)> {
    let v: Value = serde_json::from_str(text).ok()?;
    let ty = v.get("type")?.as_str()?;
    let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let request_id = v.get("requestId").map(|r| match r {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let timestamp = v.get("timestamp").and_then(|t| serde_json::from_value::<Timestamp>(t.clone()).ok());
    let (mut env, kind) = match ty {
        "page-navigated" => (
            Envelope::new(
                "browser-event",
                json!({ "event": "navigation_completed", "url": str_of("url"), "tabId": v.get("tabId"), "success": true }),
            ),
            MessageType::BrowserEvent,
        ),
        "screenshot-data" => {
            let mut data = json!({ "success": true, "base64": str_of("data").unwrap_or_default() });
            if let Some(p) = str_of("path") {
                data["requestedPath"] = json!(p);
            }
            (Envelope::new("screenshot-response", data), MessageType::ScreenshotResponse)
        }
        "screenshot-error" => (
            Envelope::new(
                "screenshot-response",
                json!({ "success": false, "error": str_of("error").unwrap_or_else(|| "screenshot failed".into()) }),
            ),
            MessageType::ScreenshotResponse,
        ),
        "current-url-response" => {
            let error = str_of("error");
            (
                Envelope::new(
                    "command-result",
                    json!({
                        "success": error.is_none(),
                        "data": { "url": str_of("url"), "tabId": v.get("tabId") },
                        "error": error,
                    }),
                ),
                MessageType::CommandResult,
            )
        }
        _ => return None,
    };
    env.id = request_id;
    env.timestamp = Some(timestamp.unwrap_or_else(|| Timestamp(now_ms())));
    env.set_meta("source", json!("browser-tools"));
    if let Some(tab) = v.get("tabId") {
        env.set_meta("tabId", tab.clone());
    }
    Some((env, kind))
}

/// Our command as the browser-tools extension understands it, or why it cannot do it.
pub fn translate_command(cmd: &Command, wire_id: &str) -> Result<String, ProtocolError> {
    let action = cmd.data.get("action").and_then(Value::as_str).unwrap_or("");
    match (cmd.ty, action) {
        (MessageType::ScreenshotRequest, _) | (MessageType::BrowserAction, "take_screenshot") => {
            Ok(json!({ "type": "take-screenshot", "requestId": wire_id }).to_string())
        }
        (MessageType::BrowserAction, "get_url") => {
            Ok(json!({ "type": "get-current-url", "requestId": wire_id }).to_string())
        }
        (MessageType::ClearLogs, _) => Err(ProtocolError::invalid(
            "cleared the connector's store; the browser-tools extension has no clear-logs command",
        )),
        _ => Err(ProtocolError::invalid(format!(
            "the browser-tools extension cannot do {}{}: it only takes screenshots and reports the URL. \
             Load the triage extension (assets/extension) for browser actions",
            cmd.ty,
            if action.is_empty() { String::new() } else { format!(" {action}") }
        ))),
    }
}
