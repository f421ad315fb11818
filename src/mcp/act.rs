//! The command tools: everything that goes to a browser goes through [`Connector::command`], the
//! same router the UI, REST and `/mcp-ws` use, so the target defaults the same way.

use base64::Engine;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Value};

use super::format::{invalid, ok_json, tool_error};
use crate::protocol::{ErrorCode, MessageType, ProtocolError};
use crate::server::{Command, CommandReply, Connector};

fn target(cmd: Command, session: Option<String>) -> Command {
    match session.filter(|s| !s.trim().is_empty()) {
        Some(s) => cmd.to(s),
        None => cmd,
    }
}

/// Sends a browser action; the browser's `{success, data, error}` becomes the tool's result.
pub async fn action(c: &Connector, name: &str, params: Value, session: Option<String>) -> CallToolResult {
    if name.trim().is_empty() {
        return invalid(
            "browser_action needs an action name, e.g. {\"action\": \"scroll\", \"params\": {\"y\": 500}}",
        );
    }
    let params = if params.is_null() { json!({}) } else { params };
    match c.command(target(Command::browser_action(name, params), session)).await {
        Ok(reply) => action_result(name, &reply),
        Err(e) => tool_error(&e),
    }
}

fn action_result(name: &str, reply: &CommandReply) -> CallToolResult {
    let data = &reply.envelope.data;
    if !reply.success() {
        let error = match data.get("error") {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => "the browser reported a failure without a reason".into(),
        };
        let text = if name == "execute_js" {
            format!("the script threw: {error}")
        } else {
            format!("{name} failed in the browser: {error}")
        };
        let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
        result.structured_content = Some(json!({
            "success": false,
            "error": error,
            "session": &*reply.session,
            "durationMs": reply.duration_ms,
        }));
        return result;
    }
    ok_json(json!({
        "success": true,
        "action": name,
        "result": data.get("data").cloned().unwrap_or(Value::Null),
        "session": &*reply.session,
        "durationMs": reply.duration_ms,
    }))
}

/// `evaluate_script`: the value, or the error the script threw.
pub async fn evaluate(c: &Connector, script: String, session: Option<String>) -> CallToolResult {
    action(c, "execute_js", json!({ "script": script }), session).await
}

/// `take_screenshot`: the image itself (MCP image content) and where it was saved.
pub async fn screenshot(
    c: &Connector,
    full_page: Option<bool>,
    format: Option<String>,
    session: Option<String>,
) -> CallToolResult {
    let mut data = json!({});
    if let Some(f) = full_page {
        data["fullPage"] = json!(f);
    }
    if let Some(f) = format.filter(|f| !f.trim().is_empty()) {
        let f = f.trim().to_ascii_lowercase();
        if f != "png" && f != "jpeg" && f != "jpg" {
            return invalid(format!("format {f:?}: use png or jpeg"));
        }
        data["format"] = json!(if f == "jpg" { "jpeg".to_string() } else { f });
    }
    let reply = match c.command(target(Command::new(MessageType::ScreenshotRequest, data), session)).await {
        Ok(r) => r,
        Err(e) => return tool_error(&e),
    };
    let d = &reply.envelope.data;
    let path = d.get("path").and_then(Value::as_str).map(str::to_string);
    let (Some(path), true) = (path, reply.success()) else {
        let why = d.get("error").map_or_else(
            || "no image came back".to_string(),
            |e| match e {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        );
        return tool_error(&ProtocolError::new(
            ErrorCode::ServerError,
            format!("the browser could not take the screenshot: {why}"),
        ));
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => {
            return tool_error(&ProtocolError::new(
                ErrorCode::ServerError,
                format!("the screenshot was saved to {path} but cannot be read back: {e}"),
            ))
        }
    };
    let mime = if bytes.starts_with(b"\xff\xd8\xff") { "image/jpeg" } else { "image/png" };
    let info = json!({
        "path": path,
        "screenshotId": d.get("screenshotId"),
        "bytes": bytes.len(),
        "mimeType": mime,
        "session": &*reply.session,
        "durationMs": reply.duration_ms,
    });
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let mut result = CallToolResult::success(vec![
        ContentBlock::image(b64, mime),
        ContentBlock::text(serde_json::to_string_pretty(&info).unwrap_or_default()),
    ]);
    result.structured_content = Some(info);
    result
}

/// `clear_logs`: empties the connector's store and tells the browser (if one is connected).
pub async fn clear(c: &Connector, session: Option<String>) -> CallToolResult {
    match c.command(target(Command::new(MessageType::ClearLogs, json!({})), session)).await {
        Ok(reply) => ok_json(json!({ "cleared": true, "browser": &*reply.session })),
        // The store is cleared before the browser is looked for: no browser is still a success.
        Err(e) if e.code == ErrorCode::NoBrowser => {
            ok_json(json!({ "cleared": true, "browser": null, "note": e.message }))
        }
        Err(e) => tool_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MCP's browser_action reaches the actions the connector answers itself (one router).
    #[tokio::test]
    async fn browser_action_gets_the_connectors_list_of_browsers() {
        let dir = std::env::temp_dir().join(format!("triage-mcp-act-{}", uuid::Uuid::new_v4().simple()));
        let paths = crate::config::Paths {
            config_dir: dir.join("config"),
            config_file: dir.join("config/config.toml"),
            config_file_used: false,
            data_dir: dir.join("data"),
        };
        let c = Connector::new(crate::config::Config::default(), &paths).unwrap();
        let r = action(&c, "get_all_browsers", Value::Null, None).await;
        let _ = std::fs::remove_dir_all(&dir);
        assert_ne!(r.is_error, Some(true), "{r:?}");
        let data = r.structured_content.unwrap_or_default();
        assert_eq!(
            (&data["result"]["browsers"], &data["session"]),
            (&json!([]), &json!("connector")),
            "{data}"
        );
    }
}
