//! HTTP routes: the REST API of DESIGN.md, seed 003's frames API, the WebSocket upgrades and the
//! browser-tools compatibility endpoints, behind one origin/Host/token check.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::DefaultBodyLimit;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::sessions::PeerKind;
use super::ws::{json_error, upgrade};
use super::{auth, compat_http, Command, Connector};
use crate::protocol::{ErrorCode, MessageType, ProtocolError, Timestamp};
use crate::store::{screenshots, EventQuery, Level};

/// Most events `/api/events` returns when no `limit` is given, and the most it ever returns.
pub const DEFAULT_EVENTS_LIMIT: usize = 1_000;
pub const MAX_EVENTS_LIMIT: usize = 100_000;
/// The most a listing response (`/api/events`, the frames API) holds; past it the oldest matches
/// are left out and the response says how to page back to them.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

pub(super) fn router(connector: Connector) -> Router {
    let max = connector.config().max_message_bytes;
    let router = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/events", get(events).delete(clear_events))
        .route("/api/sessions", get(sessions))
        .route("/api/browsers", get(browsers))
        .route("/api/commands", post(commands))
        .route("/api/screenshots/{id}", get(screenshot))
        .route("/api/websocket/frame/{id}", get(frame))
        .route("/api/websocket/{traffic_id}/frames", get(frames).delete(delete_frames))
        .route("/api/websocket/{traffic_id}/count", get(frame_count))
        .route("/api/har", get(super::har_http::har))
        .route("/api/console/export", get(super::har_http::console_export))
        .route("/extension-ws", get(extension_ws))
        .route("/mcp-ws", get(client_ws))
        .route("/ws", get(metadock_ws))
        // MCP over Streamable HTTP, behind the same guard (origin, Host, token) as the rest.
        .nest_service("/mcp", crate::mcp::http_service(connector.clone()))
        .merge(compat_http::routes(max))
        .merge(super::dialects::mcp_rs::routes())
        .fallback(not_found)
        // Every body is bounded by the documented limit (the HTTP layer's own 2 MB default is
        // replaced); browser-tools' `/screenshot` sets its own, larger one.
        .layer(DefaultBodyLimit::max(max));
    let router = match cors(connector.config()) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.layer(middleware::from_fn_with_state(connector.clone(), guard)).with_state(connector)
}

/// CORS for the web origins the user allowed (`allowed_origins`); none by default. Extensions
/// need none: their host permissions let them through.
fn cors(config: &crate::config::Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .allowed_origins
        .iter()
        .filter_map(|o| auth::parse_allowed_origin(o).ok())
        .filter_map(|o| HeaderValue::from_str(&o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                // Streamable HTTP's own headers, for `/mcp` from an allowed page.
                HeaderName::from_static("mcp-session-id"),
                HeaderName::from_static("mcp-protocol-version"),
                HeaderName::from_static("mcp-method"),
                HeaderName::from_static("mcp-name"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([HeaderName::from_static("mcp-session-id")]),
    )
}

/// The largest body an endpoint takes.
pub(super) fn body_limit(config: &crate::config::Config, path: &str) -> usize {
    if path == "/screenshot" {
        compat_http::screenshot_limit(config.max_message_bytes)
    } else {
        config.max_message_bytes
    }
}

fn body_too_large(c: &Connector, limit: usize, got: Option<u64>) -> Response {
    c.metrics().http_body_too_large.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    c.metrics().error(ErrorCode::MessageTooLarge);
    let message = match got {
        Some(n) => format!("the body is {n} bytes; this endpoint takes at most {limit}"),
        None => format!("the body is over this endpoint's limit of {limit} bytes"),
    };
    json_error(StatusCode::PAYLOAD_TOO_LARGE, "MESSAGE_TOO_LARGE", &message, json!({ "limit": limit }))
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Origin and Host on every request; the token on everything but `/health`, `/.identity` and
/// the WebSocket upgrades (which may authenticate with their first message instead).
async fn guard(State(c): State<Connector>, req: Request, next: Next) -> Response {
    let config = c.config();
    if let Err(r) = auth::check_request(config, c.local_port(), req.headers()) {
        return json_error(r.status, r.code, &r.message, Value::Null);
    }
    let path = req.uri().path();
    let limit = body_limit(config, path);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return body_too_large(&c, limit, declared);
    }
    let open = matches!(path, "/health" | "/.identity" | "/extension-ws" | "/mcp-ws" | "/ws");
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
    let response = next.run(req).await;
    // A body that passed its limit without declaring its length: the same JSON error.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("text/plain")));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        return body_too_large(&c, limit, None);
    }
    response
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
    before: Option<String>,
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
    if let Some(b) = p.before.as_deref().filter(|s| !s.is_empty()) {
        query.before_seq = Some(
            b.parse().map_err(|_| format!("before={b:?} is not a cursor (use nextBefore of a response)"))?,
        );
    }
    Ok((query, levels))
}

async fn events(State(c): State<Connector>, Query(p): Query<EventsParams>) -> Response {
    let (mut query, levels) = match parse_events_query(&p) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    query.levels = levels;
    let (events, total) = c.store().read().query(&query);
    // The newest first, until the response would pass its byte cap; then oldest first again.
    let mut parts: Vec<String> = Vec::new();
    let mut bytes = 0;
    for e in events.iter().rev() {
        let json = e.envelope_json();
        if bytes + json.len() > MAX_RESPONSE_BYTES && !parts.is_empty() {
            break;
        }
        bytes += json.len() + 1;
        parts.push(json);
    }
    let cut = events.len() - parts.len();
    // Envelopes are assembled as text: each is already JSON.
    let mut body = String::with_capacity(bytes + 128);
    body.push_str("{\"events\":[");
    for (i, json) in parts.iter().rev().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push_str("],\"total\":");
    body.push_str(&total.to_string());
    if cut > 0 {
        // The oldest event returned is where the next page (older events) ends.
        let next = events[cut].seq;
        body.push_str(&format!(
            ",\"truncated\":true,\"omitted\":{cut},\"nextBefore\":\"{next}\",\"message\":\"the response reached its {MAX_RESPONSE_BYTES}-byte cap: {cut} older match(es) left out; ask again with before={next}\""
        ));
    }
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

/// `GET /api/browsers`: the connected browsers (any kind) and their layouts (browser windows).
async fn browsers(State(c): State<Connector>) -> Json<Value> {
    Json(json!({ "browsers": c.list_browsers(), "layouts": c.layouts() }))
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
    correlation_id: Option<Value>,
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
    let cmd = Command { ty, data, target: body.session_id, id: body.id, correlation_id: body.correlation_id };
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
    // The newest `limit` frames (within the byte cap), oldest first; nothing else is copied.
    let (frames, omitted) = {
        let store = c.store().read();
        let mut frames: Vec<Value> = Vec::new();
        let mut bytes = 0;
        let mut omitted = 0usize;
        for f in store.frames.log().iter().rev().map(|(_, f)| f).filter(|f| *f.traffic_id == *traffic_id) {
            if frames.len() == limit {
                break;
            }
            let weight = f.data.as_ref().map_or(0, |d| d.len() * 4 / 3) + 256;
            if bytes + weight > MAX_RESPONSE_BYTES && !frames.is_empty() {
                omitted = limit - frames.len();
                break;
            }
            bytes += weight;
            frames.push(f.to_json());
        }
        frames.reverse();
        (frames, omitted)
    };
    let mut response = Json(Value::Array(frames)).into_response();
    if omitted > 0 {
        // Seed 003's shape is a bare array: say it was cut in a header.
        if let Ok(v) = axum::http::HeaderValue::from_str(&omitted.to_string()) {
            response.headers_mut().insert("x-triage-omitted", v);
        }
    }
    response
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

/// Seed 002's endpoint: a client on `/ws`, greeted with MetaDock's welcome. A seed 004 session
/// id presented here authenticates the connection; an unknown or ended one is refused.
async fn metadock_ws(
    State(c): State<Connector>,
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Query(s): Query<super::dialects::mcp_rs::SessionQuery>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> Response {
    let presented = match super::dialects::mcp_rs::presented_session(&c, &headers, s.session_id.as_deref()) {
        Ok(session) => session,
        Err((id, why)) => return super::dialects::mcp_rs::invalid_session(&id, why),
    };
    super::ws::upgrade_as(
        c,
        ws,
        &headers,
        q.token.as_deref(),
        remote,
        PeerKind::Client,
        Some(super::sessions::Dialect::MetaDock),
        presented,
    )
}
