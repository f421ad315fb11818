//! Seed 004 (MCP-RS): its envelope is `{id, type, payload, timestamp}` with RFC 3339 times; a
//! heartbeat in that shape is answered in that shape. Its session REST API
//! (`POST /api/sessions`, `GET /api/sessions/{id}`, `POST /api/sessions/{id}/activate`) and the
//! session id a `/ws` connection presents (`?session_id=`, `x-session-id`, `Authorization: Bearer`).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::mcp_rs_sessions::{Invalid, McpSession};
use crate::protocol::Envelope;
use crate::server::{auth, Connector};

/// Longest `user_id` / `client_info` accepted, in bytes.
const MAX_FIELD_BYTES: usize = 1024;

/// The seed's session routes; `GET /api/sessions` (every connection) stays in `rest`.
pub(crate) fn routes() -> Router<Connector> {
    Router::new()
        .route("/api/sessions", post(create))
        .route("/api/sessions/{id}", get(info).delete(invalidate))
        .route("/api/sessions/{id}/activate", post(activate))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The seed's `INVALID_SESSION` error, in our HTTP error shape plus the seed's `details`.
pub(crate) fn invalid_session(id: &str, why: Invalid) -> Response {
    let body = json!({
        "error": why.message(),
        "code": "INVALID_SESSION",
        "details": { "session_id": id },
    });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message, "code": "INVALID_MESSAGE" }))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    user_id: String,
    #[serde(default)]
    client_info: Option<String>,
}

/// `POST /api/sessions` {user_id, client_info?} → {session_id, state, websocket_url}.
async fn create(State(c): State<Connector>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return bad_request(format!("body must be {{\"user_id\":\"…\",\"client_info\"?:\"…\"}}: {e}"))
        }
    };
    if body.user_id.trim().is_empty() {
        return bad_request("user_id must not be empty".into());
    }
    if body.user_id.len() > MAX_FIELD_BYTES
        || body.client_info.as_ref().is_some_and(|i| i.len() > MAX_FIELD_BYTES)
    {
        return bad_request(format!("user_id and client_info take at most {MAX_FIELD_BYTES} bytes"));
    }
    let secs = i64::try_from(c.config().session_expiry_secs).unwrap_or(i64::MAX);
    let lifetime = chrono::Duration::try_seconds(secs).unwrap_or(chrono::Duration::MAX);
    let Some(s) = c.shared.mcp_rs_sessions.create(body.user_id, body.client_info, lifetime, now()) else {
        let message = "too many live sessions: activate, let expire or DELETE some first";
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": message, "code": "SERVER_ERROR" })))
            .into_response();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{}", c.config().bind, c.local_port()));
    let mut v = s.to_json(now());
    let scheme = if c.config().tls_cert.is_some() { "wss" } else { "ws" };
    v["websocket_url"] = json!(format!("{scheme}://{host}/ws?session_id={}", s.session_id));
    Json(v).into_response()
}

fn answer(id: &str, r: Result<McpSession, Invalid>) -> Response {
    match r {
        Ok(s) => Json(s.to_json(now())).into_response(),
        Err(why) => invalid_session(id, why),
    }
}

/// `GET /api/sessions/{id}`: any known session, in whatever state it is.
async fn info(State(c): State<Connector>, Path(id): Path<String>) -> Response {
    answer(&id, c.shared.mcp_rs_sessions.get(&id).ok_or(Invalid::Unknown))
}

async fn activate(State(c): State<Connector>, Path(id): Path<String>) -> Response {
    answer(&id, c.shared.mcp_rs_sessions.activate(&id, now()))
}

/// `DELETE /api/sessions/{id}`: the session is Invalidated (ours; the seed names the state only).
async fn invalidate(State(c): State<Connector>, Path(id): Path<String>) -> Response {
    answer(&id, c.shared.mcp_rs_sessions.invalidate(&id, now()))
}

/// `?session_id=` on `/ws`.
#[derive(Deserialize)]
pub(crate) struct SessionQuery {
    pub session_id: Option<String>,
}

/// The seed 004 session a `/ws` upgrade presents: `?session_id=`, `x-session-id`, or a Bearer
/// value that is not the connector's token. `Ok(None)`: none presented; `Ok(Some(_))`: a live
/// one (which authenticates the connection: only an authorised REST caller could make it);
/// `Err`: the id and why it is refused (answer with [`invalid_session`]).
pub(crate) fn presented_session(
    c: &Connector,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<McpSession>, (String, Invalid)> {
    let header_id = headers.get("x-session-id").and_then(|h| h.to_str().ok()).map(str::trim);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !auth::token_valid(c.config(), t));
    let Some(id) = query.or(header_id).or(bearer).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match c.shared.mcp_rs_sessions.validate(id, now()) {
        Ok(s) => Ok(Some(s)),
        Err(why) => {
            c.metrics().error(crate::protocol::ErrorCode::InvalidSession);
            Err((id.to_string(), why))
        }
    }
}

/// Now as RFC 3339 (UTC, seconds), the seed's timestamp form.
pub fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `heartbeat_ack` for a seed 004 heartbeat (`text` carries `payload`, which the envelope reads
/// as its `data`); `None` for other shapes.
pub fn heartbeat_ack(env: &Envelope, text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text).ok()?.get("payload")?;
    let now = rfc3339_now();
    let mut ack = json!({ "type": "heartbeat_ack", "payload": { "server_time": now }, "timestamp": now });
    if let Some(id) = &env.id {
        ack["id"] = Value::String(id.clone());
    }
    Some(ack.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_seed_shape_gets_a_heartbeat_ack() {
        let text = r#"{"id":"msg-001","type":"heartbeat","payload":{},"timestamp":"2025-11-07T10:00:00Z"}"#;
        let (env, _) = crate::protocol::parse_envelope(text, 1 << 20).unwrap();
        let ack: Value = serde_json::from_str(&heartbeat_ack(&env, text).unwrap()).unwrap();
        assert_eq!((ack["id"].as_str(), ack["type"].as_str()), (Some("msg-001"), Some("heartbeat_ack")));
        let t = ack["payload"]["server_time"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
        let plain = r#"{"type":"heartbeat","data":{}}"#;
        let (env, _) = crate::protocol::parse_envelope(plain, 1 << 20).unwrap();
        assert!(heartbeat_ack(&env, plain).is_none());
    }
}
