//! HTTP routes: the REST API of DESIGN.md, seed 003's frames API, the WebSocket upgrades and the
//! browser-tools compatibility endpoints, behind one origin/Host/token check.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::sessions::PeerKind;
use super::ws::{json_error, upgrade};
use super::{auth, compat_http, Command, Connector};
use crate::protocol::{ErrorCode, MessageType, ProtocolError, Timestamp};
use crate::store::{screenshots, EventQuery, Level};

/// Most events `/api/events` returns when no `limit` is given, and the most it ever returns.
pub const DEFAULT_EVENTS_LIMIT: usize = 1_000;
pub const MAX_EVENTS_LIMIT: usize = 100_000;

pub(super) fn router(connector: Connector) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/events", get(events).delete(clear_events))
        .route("/api/sessions", get(sessions))
        .route("/api/commands", post(commands))
        .route("/api/screenshots/{id}", get(screenshot))
        .route("/api/websocket/frame/{id}", get(frame))
        .route("/api/websocket/{traffic_id}/frames", get(frames).delete(delete_frames))
        .route("/api/websocket/{traffic_id}/count", get(frame_count))
        .route("/extension-ws", get(extension_ws))
        .route("/mcp-ws", get(client_ws))
        // MCP over Streamable HTTP, behind the same guard (origin, Host, token) as the rest.
        .nest_service("/mcp", crate::mcp::http_service(connector.clone()))
        .merge(compat_http::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(connector.clone(), guard))
        .with_state(connector)
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Origin and Host on every request; the token on everything but `/health`, `/.identity` and
/// the WebSocket upgrades (which may authenticate with their first message instead).
async fn guard(State(c): State<Connector>, req: Request, next: Next) -> Response {
    let config = c.config();
    if let Err(r) = auth::check_request(config, req.headers()) {
        return json_error(r.status, r.code, &r.message, Value::Null);
    }
    let path = req.uri().path();
    let open = matches!(path, "/health" | "/.identity" | "/extension-ws" | "/mcp-ws");
    if auth::auth_required(config) && !open {
        let query = Query::<TokenQuery>::try_from_uri(req.uri()).ok();
        let token = auth::request_token(req.headers(), query.as_ref().and_then(|q| q.token.as_deref()));
        match token {
            Some(t) if auth::token_valid(config, &t) => {}
            Some(_) => {
                return json_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "invalid token", Value::Null)
            }
            None => {
                return json_error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "this connector needs a token: send Authorization: Bearer <token> or ?token=<token>",
                    Value::Null,
                )
            }
        }
    }
    next.run(req).await
}

async fn not_found(req: Request) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("no such endpoint: {} {}", req.method(), req.uri().path()),
        Value::Null,
    )
}

async fn health(State(c): State<Connector>) -> Json<Value> {
    Json(c.health())
}

async fn metrics(State(c): State<Connector>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], c.metrics_text()).into_response()
}

#[derive(Deserialize, Default)]
struct EventsParams {
    #[serde(rename = "type")]
    ty: Option<String>,
    level: Option<String>,
    session: Option<String>,
    since: Option<String>,
    limit: Option<String>,
}

fn bad_request(message: impl Into<String>) -> Response {
    json_error(StatusCode::BAD_REQUEST, "INVALID_MESSAGE", &message.into(), Value::Null)
}

fn parse_events_query(p: &EventsParams) -> Result<(EventQuery, Vec<Level>), String> {
    let mut query = EventQuery::default();
    if let Some(types) = p.ty.as_deref().filter(|s| !s.is_empty()) {
        for t in types.split(',') {
            query.types.push(MessageType::parse(t).ok_or_else(|| format!("unknown type {t:?}"))?);
        }
    }
    let mut levels = Vec::new();
    if let Some(ls) = p.level.as_deref().filter(|s| !s.is_empty()) {
        for l in ls.split(',') {
            levels.push(
                Level::parse(l).ok_or_else(|| {
                    format!("unknown level {l:?}: use trace, debug, log, info, warn or error")
                })?,
            );
        }
    }
    query.session = p.session.clone().filter(|s| !s.is_empty());
    if let Some(since) = p.since.as_deref().filter(|s| !s.is_empty()) {
        query.since_ms = Some(
            Timestamp::parse_str(since)
                .ok_or_else(|| format!("since={since:?} is neither epoch milliseconds nor RFC 3339"))?
                .0,
        );
    }
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| format!("limit={l:?} is not a non-negative integer"))?
            .min(MAX_EVENTS_LIMIT),
        None => DEFAULT_EVENTS_LIMIT,
    };
    query.limit = Some(limit);
    Ok((query, levels))
}

async fn events(State(c): State<Connector>, Query(p): Query<EventsParams>) -> Response {
    let (mut query, levels) = match parse_events_query(&p) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    query.levels = levels;
    let (events, total) = c.store().read().query(&query);
    // Envelopes are assembled as text: each is already JSON.
    let mut body = String::with_capacity(events.len() * 256 + 32);
    body.push_str("{\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&e.envelope_json());
    }
    body.push_str("],\"total\":");
    body.push_str(&total.to_string());
    body.push('}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn clear_events(State(c): State<Connector>) -> Json<Value> {
    let cleared = c.clear_store();
    Json(json!({ "success": true, "cleared": cleared }))
}

async fn sessions(State(c): State<Connector>) -> Json<Value> {
    Json(json!({ "sessions": c.sessions() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommandBody {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    data: Value,
    session_id: Option<String>,
    id: Option<String>,
}

pub(super) fn error_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidMessage | ErrorCode::MessageTooLarge => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidSession => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NoBrowser => StatusCode::CONFLICT,
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::ServerError => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub(super) fn protocol_error_response(e: &ProtocolError) -> Response {
    let body = json!({ "error": e.message, "code": e.code, "details": e.details });
    (error_status(e.code), Json(body)).into_response()
}

/// `POST /api/commands`: sends the command and answers with the browser's reply.
async fn commands(State(c): State<Connector>, body: axum::body::Bytes) -> Response {
    let body: CommandBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return bad_request(format!(
                "body must be {{\"type\":\"screenshot-request\"|\"clear-logs\"|\"browser-action\",\"data\":{{…}},\"sessionId\"?}}: {e}"
            ))
        }
    };
    let Some(ty) = MessageType::parse(&body.ty).filter(|t| t.is_command()) else {
        return bad_request(format!(
            "unknown command type {:?}: use screenshot-request, clear-logs or browser-action",
            body.ty
        ));
    };
    let data = if body.data.is_null() { json!({}) } else { body.data };
    let cmd = Command { ty, data, target: body.session_id, id: body.id };
    match c.command(cmd).await {
        Ok(reply) => {
            let mut v = serde_json::to_value(&reply.envelope).unwrap_or(Value::Null);
            v["duration"] = json!(reply.duration_ms);
            Json(v).into_response()
        }
        Err(e) => {
            c.metrics().error(e.code);
            protocol_error_response(&e)
        }
    }
}

async fn screenshot(State(c): State<Connector>, Path(id): Path<String>) -> Response {
    let Some((path, mime)) = screenshots::find(c.screenshots_dir(), &id) else {
        return json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Screenshot not found", Value::Null);
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, mime)], Body::from(bytes)).into_response(),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SERVER_ERROR",
            &format!("cannot read {}: {e}", path.display()),
            Value::Null,
        ),
    }
}

#[derive(Deserialize)]
struct LimitParam {
    limit: Option<String>,
}

/// Seed 003: unknown ids are a 404 with `{"error": ...}`.
fn frame_not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": what }))).into_response()
}

fn traffic_known(c: &Connector, traffic_id: &str) -> bool {
    c.store().read().frames.knows(traffic_id) || c.sessions().iter().any(|s| s.session_id == traffic_id)
}

async fn frames(
    State(c): State<Connector>,
    Path(traffic_id): Path<String>,
    Query(p): Query<LimitParam>,
) -> Response {
    let limit = match p.limit.as_deref() {
        None | Some("") => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({ "error": format!("limit={l:?} is not a number") })),
                )
                    .into_response()
            }
        },
    };
    if !traffic_known(&c, &traffic_id) {
        return frame_not_found("Traffic entry not found");
    }
    let store = c.store().read();
    let all: Vec<Value> = store.frames.by_traffic(&traffic_id).map(|f| f.to_json()).collect();
    // The newest `limit` frames, oldest first.
    let skip = all.len().saturating_sub(limit);
    Json(Value::Array(all.into_iter().skip(skip).collect())).into_response()
}

async fn frame(State(c): State<Connector>, Path(id): Path<String>) -> Response {
    match c.store().read().frames.find(&id) {
        Some(f) => Json(f.to_json()).into_response(),
        None => frame_not_found("Frame not found"),
    }
}

async fn frame_count(State(c): State<Connector>, Path(traffic_id): Path<String>) -> Response {
    if !traffic_known(&c, &traffic_id) {
        return frame_not_found("Traffic entry not found");
    }
    let count = c.store().read().frames.by_traffic(&traffic_id).count();
    Json(json!({ "count": count })).into_response()
}

async fn delete_frames(State(c): State<Connector>, Path(traffic_id): Path<String>) -> Response {
    if !traffic_known(&c, &traffic_id) {
        return frame_not_found("Traffic entry not found");
    }
    c.store().write().frames.delete_traffic(&traffic_id);
    c.notify_changed();
    Json(json!({ "success": true })).into_response()
}

async fn extension_ws(
    State(c): State<Connector>,
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> Response {
    upgrade(c, ws, &headers, q.token.as_deref(), remote, PeerKind::Extension)
}

async fn client_ws(
    State(c): State<Connector>,
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> Response {
    upgrade(c, ws, &headers, q.token.as_deref(), remote, PeerKind::Client)
}
