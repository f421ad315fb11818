//! The browser-tools extension's HTTP side: `/.identity`, `/extension-log`, `/current-url`,
//! `/wipelogs`, `/screenshot`. Its events are stored like ours, under its own session.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::sessions::Dialect;
use super::{Connector, VERSION};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType, Timestamp};
use crate::store::SessionId;

/// What the extension checks before every POST.
pub const IDENTITY_SIGNATURE: &str = "mcp-browser-connector-24x7";
/// The session HTTP-only browser-tools traffic is stored under when no socket of theirs is open.
pub const HTTP_SESSION: &str = "browser-tools";

/// browser-tools posts whole screenshots as base64 data URLs: its endpoint takes 4× the
/// message limit (4 MiB by default).
pub(super) fn screenshot_limit(max_message_bytes: usize) -> usize {
    max_message_bytes * 4
}

pub(super) fn routes(max_message_bytes: usize) -> Router<Connector> {
    Router::new()
        .route("/.identity", get(identity))
        .route("/extension-log", post(extension_log))
        .route("/current-url", post(current_url))
        .route("/wipelogs", post(wipelogs))
        .route(
            "/screenshot",
            post(screenshot).layer(axum::extract::DefaultBodyLimit::max(screenshot_limit(max_message_bytes))),
        )
}

async fn identity(State(c): State<Connector>) -> Json<Value> {
    Json(json!({
        "port": c.config().port,
        "name": "triage-tui",
        "version": VERSION,
        "signature": IDENTITY_SIGNATURE,
    }))
}

/// The browser-tools session to file HTTP posts under: its open socket, else a fixed id.
fn session_of(c: &Connector) -> SessionId {
    c.shared
        .sessions
        .most_recent_browser(Some(Dialect::BrowserTools))
        .unwrap_or_else(|| SessionId::from(HTTP_SESSION))
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message, "code": "INVALID_MESSAGE" }))).into_response()
}

#[allow(clippy::result_large_err)] // the error is the HTTP response itself
fn parse_body(body: &[u8], c: &Connector) -> Result<Value, Response> {
    if body.len() > c.config().max_message_bytes {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": format!("body is {} bytes; the limit is {}", body.len(), c.config().max_message_bytes), "code": "MESSAGE_TOO_LARGE" })),
        )
            .into_response());
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("body is not JSON: {e}")))
}

fn timestamp_of(v: &Value) -> i64 {
    v.get("timestamp")
        .and_then(|t| serde_json::from_value::<Timestamp>(t.clone()).ok())
        .map_or_else(now_ms, |t| t.0)
}

/// Turns one browser-tools log entry into our envelope.
pub fn translate_log(data: &Value) -> Result<(Envelope, MessageType), String> {
    let ty = data.get("type").and_then(Value::as_str).ok_or("data.type is missing")?;
    let mut fields: Map<String, Value> = data.as_object().cloned().unwrap_or_default();
    fields.remove("type");
    let ts = timestamp_of(data);
    fields.remove("timestamp");
    let (kind, payload) = match ty {
        "console-log" | "console-error" => {
            let kind =
                if ty == "console-error" { MessageType::ConsoleError } else { MessageType::ConsoleLog };
            if !fields.contains_key("level") {
                fields.insert("level".into(), json!(if ty == "console-error" { "error" } else { "log" }));
            }
            (kind, Value::Object(fields))
        }
        "network-request" => {
            let status = fields.get("status").and_then(Value::as_u64).unwrap_or(0);
            (
                if status == 0 { MessageType::NetworkError } else { MessageType::NetworkRequest },
                Value::Object(fields),
            )
        }
        "selected-element" => {
            let element = fields.remove("element").unwrap_or(Value::Null);
            (MessageType::ElementSelected, json!({ "element": element }))
        }
        other => return Err(format!("unknown data.type {other:?}")),
    };
    let mut env = Envelope::new(kind.as_str(), payload).with_timestamp(ts);
    env.set_meta("source", json!("browser-tools"));
    Ok((env, kind))
}

async fn extension_log(State(c): State<Connector>, body: axum::body::Bytes) -> Response {
    // Console entries take the borrowed path; the rest (and anything it declines) the owned one.
    if body.len() <= c.config().max_message_bytes {
        if let Some(entry) = super::compat_log::translate_log_borrowed(&body, now_ms) {
            c.metrics().message_in(None, body.len());
            c.store_log_entry(&session_of(&c), entry);
            return ([(axum::http::header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
                .into_response();
        }
    }
    let v = match parse_body(&body, &c) {
        Ok(v) => v,
        Err(r) => return r,
    };
    c.metrics().message_in(None, body.len());
    let Some(data) = v.get("data") else { return bad("body has no `data`".into()) };
    let (env, kind) = match translate_log(data) {
        Ok(t) => t,
        Err(e) => return bad(e),
    };
    let session = session_of(&c);
    if let Err(e) = c.ingest(&session, env, kind, None).await {
        return super::rest::protocol_error_response(&e);
    }
    Json(json!({ "status": "ok" })).into_response()
}

async fn current_url(State(c): State<Connector>, body: axum::body::Bytes) -> Response {
    let v = match parse_body(&body, &c) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(url) = v.get("url").and_then(Value::as_str) else { return bad("body has no `url`".into()) };
    let session = session_of(&c);
    let env = Envelope::new(
        "browser-event",
        json!({ "event": "source_changed", "url": url, "source": v.get("source"), "tabId": v.get("tabId") }),
    )
    .with_timestamp(timestamp_of(&v));
    if let Err(e) = c.ingest(&session, env, MessageType::BrowserEvent, None).await {
        return super::rest::protocol_error_response(&e);
    }
    Json(json!({ "status": "ok", "url": url })).into_response()
}

/// Sent on every navigation. Kept history is what users asked for: only a marker, unless
/// `wipe_on_navigate` is set.
async fn wipelogs(State(c): State<Connector>) -> Response {
    if c.config().wipe_on_navigate {
        let cleared = c.clear_store();
        return Json(
            json!({ "status": "ok", "message": "All logs cleared successfully", "cleared": cleared }),
        )
        .into_response();
    }
    let env = Envelope::new(
        "browser-event",
        json!({ "event": "navigation_starting", "note": "browser-tools asked to wipe logs; history kept" }),
    )
    .with_timestamp(now_ms());
    let session = session_of(&c);
    let _ = c.ingest(&session, env, MessageType::BrowserEvent, None).await;
    Json(json!({ "status": "ok", "message": "navigation marked; logs kept (set wipe_on_navigate = true to clear)" })).into_response()
}

async fn screenshot(State(c): State<Connector>, body: axum::body::Bytes) -> Response {
    // The HTTP layer enforces this first; kept so the handler stands on its own.
    if body.len() > screenshot_limit(c.config().max_message_bytes) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": "screenshot too large", "code": "MESSAGE_TOO_LARGE" })),
        )
            .into_response();
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad(format!("body is not JSON: {e}")),
    };
    let Some(data) = v.get("data").and_then(Value::as_str) else {
        return bad("body has no `data` image".into());
    };
    let mut env = Envelope::new(
        "screenshot-response",
        json!({ "success": true, "base64": data, "requestedPath": v.get("path") }),
    )
    .with_timestamp(now_ms());
    c.save_screenshot(&mut env).await;
    c.store_event(&session_of(&c), MessageType::ScreenshotResponse, &env, None);
    if env.data.get("success").and_then(Value::as_bool) == Some(true) {
        Json(json!({ "status": "ok", "path": env.data.get("path"), "screenshotId": env.data.get("screenshotId") })).into_response()
    } else {
        bad(env
            .data
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("could not save the screenshot")
            .to_string())
    }
}
