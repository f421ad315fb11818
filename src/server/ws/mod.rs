//! The WebSocket endpoints: `/extension-ws` (browsers) and `/mcp-ws` (clients).
//!
//! `upgrade` checks a request (origin, Host, subprotocol, token, connection limit) and hands the
//! socket to a [`connection::Connection`]: one task per connection that reads the peer, writes the
//! peer's queue, pings on the heartbeat interval, and (for clients) streams new events from the
//! store. Every frame either way is recorded in the frame log.

mod connection;
pub(crate) mod fanout;
mod rate;
mod writer;

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::dialects::mcp_rs_presence;
use super::dialects::mcp_rs_sessions::McpSession;
use super::sessions::{Dialect, PeerKind};
use super::{auth, Connector};
use crate::protocol::SUBPROTOCOLS;
use connection::Connection;

pub(super) fn json_error(status: StatusCode, code: &str, message: &str, extra: Value) -> Response {
    let mut body = json!({ "error": message, "code": code });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    (status, axum::Json(body)).into_response()
}

/// Checks an upgrade request and hands the socket to a [`Connection`].
pub(super) fn upgrade(
    connector: Connector,
    ws: WebSocketUpgrade,
    headers: &HeaderMap,
    query_token: Option<&str>,
    remote: SocketAddr,
    kind: PeerKind,
) -> Response {
    upgrade_as(connector, ws, headers, query_token, remote, kind, None, None)
}

/// [`upgrade`] on a dialect's own endpoint (`dialect`), or telling it from the request (`None`);
/// `presented`: seed 004's session, which authenticates the connection and gets its events.
#[allow(clippy::too_many_arguments)]
pub(super) fn upgrade_as(
    connector: Connector,
    mut ws: WebSocketUpgrade,
    headers: &HeaderMap,
    query_token: Option<&str>,
    remote: SocketAddr,
    kind: PeerKind,
    endpoint_dialect: Option<Dialect>,
    presented: Option<McpSession>,
) -> Response {
    let shared = &connector.shared;
    let refuse = |status, code: &str, message: &str, extra| {
        shared.metrics.connections_refused.fetch_add(1, Relaxed);
        tracing::info!(%remote, ?kind, "refused upgrade: {message}");
        json_error(status, code, message, extra)
    };
    if let Err(r) = auth::check_request(&shared.config, connector.local_port(), headers) {
        return refuse(r.status, r.code, &r.message, Value::Null);
    }
    // Subprotocol: echo the first one the client offers that we speak. A client that offers only
    // others is refused with a readable error rather than upgraded without the header (which
    // Chrome reports as an opaque 1006).
    let offered: Vec<String> = ws
        .requested_protocols()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let chosen = offered.iter().find(|p| SUBPROTOCOLS.contains(&p.as_str())).cloned();
    if !offered.is_empty() && chosen.is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "INVALID_MESSAGE",
            &format!("none of the offered subprotocols {offered:?} is supported"),
            json!({ "supportedProtocols": SUBPROTOCOLS }),
        );
    }
    let authed = if presented.is_some() {
        true
    } else if auth::auth_required(&shared.config) {
        match auth::request_token(headers, query_token) {
            Some(t) if auth::token_valid(&shared.config, &t) => true,
            Some(_) => return refuse(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "invalid token", Value::Null),
            // No token yet: the first message must be seed 002's `{type:"auth", api_key}`.
            None => false,
        }
    } else {
        true
    };
    // The slot is taken here and held by the connection: two simultaneous upgrades cannot both
    // see room for one. An upgrade that fails drops the closure below, and the slot with it.
    let Some(slot) = shared.sessions.reserve(shared.config.max_connections) else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_ERROR",
            &format!("connection limit reached ({} connections)", shared.config.max_connections),
            json!({ "maxConnections": shared.config.max_connections }),
        );
    };
    let origin = headers.get(axum::http::header::ORIGIN).and_then(|h| h.to_str().ok()).unwrap_or("");
    // Our extension always offers its subprotocol; the browser-tools extension never does.
    let dialect = if let Some(d) = endpoint_dialect {
        d
    } else if kind == PeerKind::Extension && offered.is_empty() && origin.starts_with("chrome-extension://") {
        Dialect::BrowserTools
    } else {
        Dialect::Triage
    };
    if let Some(p) = &chosen {
        if let Ok(v) = HeaderValue::from_str(p) {
            ws.set_selected_protocol(v);
        }
    }
    // Messages up to the hard cap are read and then refused with MESSAGE_TOO_LARGE (the
    // connection lives on); past it the WebSocket layer closes with 1009.
    let hard_cap = (shared.config.max_message_bytes * 4).max(8 * 1024 * 1024);
    let ws = ws.max_message_size(hard_cap).max_frame_size(hard_cap);
    let user_agent =
        headers.get(axum::http::header::USER_AGENT).and_then(|h| h.to_str().ok()).map(str::to_string);
    ws.on_upgrade(move |socket| async move {
        let conn = Connection::new(
            connector.clone(),
            socket,
            slot,
            kind,
            dialect,
            chosen,
            remote,
            authed,
            user_agent,
        );
        let id = conn.id();
        if let Some(s) = &presented {
            mcp_rs_presence::connected(&connector, s, &id);
        }
        conn.run().await;
        if let Some(s) = &presented {
            let reason = if connector.shutdown_token().is_cancelled() {
                "server_shutdown"
            } else {
                "client_disconnect"
            };
            mcp_rs_presence::disconnected(&connector, s, &id, reason);
        }
    })
}
