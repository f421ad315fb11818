//! The session's own exchanges on a connection: `auth`, `connection-init` and its ack, and the
//! notice a peer gets when its messages pass the rate limit.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::Connection;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{data_as, ConnectionInit, Envelope, ErrorCode, ProtocolError, SUBPROTOCOLS};
use crate::server::auth;
use crate::server::dialects::metadock;

impl Connection {
    pub(super) async fn on_rate_limited(&mut self, bytes: usize) {
        let shared = &self.connector.shared;
        shared.metrics.message_in(None, bytes);
        shared.metrics.dropped_rate_limited.fetch_add(1, Relaxed);
        self.stats.rate_limited.fetch_add(1, Relaxed);
        self.limiter.dropped_unreported += 1;
        // One notice a second at most, saying how many were dropped since the last one.
        if self.limiter.last_notice.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            let dropped = std::mem::take(&mut self.limiter.dropped_unreported);
            self.limiter.last_notice = Some(Instant::now());
            let err = ProtocolError::new(
                ErrorCode::RateLimited,
                format!(
                    "over {} messages/s: {dropped} message(s) dropped and counted; slow down",
                    shared.config.rate_limit_per_sec
                ),
            )
            .with_details(json!({
                "dropped": dropped,
                "droppedTotal": self.stats.rate_limited.load(Relaxed),
                "limitPerSecond": shared.config.rate_limit_per_sec,
                "burst": shared.config.rate_limit_burst,
            }));
            self.send_error(err, None).await;
        }
    }

    pub(super) async fn on_auth(&mut self, env: &Envelope, sent_id: Option<Value>) {
        let key = env
            .extra
            .get("api_key")
            .or_else(|| env.extra.get("token"))
            .or_else(|| env.data.get("api_key"))
            .or_else(|| env.data.get("token"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let config = &self.connector.shared.config;
        let ok = !auth::auth_required(config) || auth::token_valid(config, key);
        if ok {
            self.authed = true;
            let mut reply = Envelope::new("auth", json!({ "success": true, "sessionId": &*self.id }))
                .with_timestamp(now_ms());
            reply.id = env.id.clone().or_else(|| env.extra.get("id").map(|v| v.to_string()));
            self.connector.shared.metrics.message_out(crate::protocol::MessageType::Auth, 0);
            self.send_text(metadock::echo_id(reply.to_json(), sent_id.as_ref())).await;
        } else {
            self.send_error(
                ProtocolError::new(ErrorCode::Unauthorized, "invalid api_key"),
                env.id.as_deref(),
            )
            .await;
            self.close(1008, "unauthorized").await;
        }
    }

    pub(super) async fn on_connection_init(&mut self, env: &Envelope) {
        let init: ConnectionInit = data_as(env).unwrap_or_default();
        let tab_id = init.tab_id.as_ref().map(|t| t.to_string()).or_else(|| env.meta_str("tabId"));
        let url = init.url.clone().or_else(|| env.meta_str("url"));
        let window_id = init.extra.get("windowId").and_then(|w| match w {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        self.connector.shared.sessions.update_details(&self.id, |d| {
            d.client_type = init.client_type.clone().or(d.client_type.take());
            d.tab_id = tab_id.or(d.tab_id.take());
            d.url = url.or(d.url.take());
            d.title = init.title.clone().or(d.title.take());
            d.user_agent = init.user_agent.clone().or(d.user_agent.take());
            d.window_id = window_id.or(d.window_id.take());
        });
        self.send_ack(env.id.clone()).await;
        self.connector.notify_changed();
    }

    /// A client that negotiated `mcp-server-v1` (seed 000's MCP server connection, which sends no
    /// `connection-init`) gets its ack as soon as it is connected and authenticated.
    pub(super) async fn ack_on_open(&mut self) {
        if self.kind == crate::server::sessions::PeerKind::Client
            && self.authed
            && !self.acked
            && self.subprotocol.as_deref() == Some("mcp-server-v1")
        {
            self.send_ack(None).await;
        }
    }

    /// The `connection-ack`, in reply to `id` (`None`: unasked).
    pub(super) async fn send_ack(&mut self, id: Option<String>) {
        self.acked = true;
        let config = &self.connector.shared.config;
        let mut ack = Envelope::new(
            "connection-ack",
            json!({
                "sessionId": &*self.id,
                "serverId": self.connector.server_id(),
                "supportedProtocols": SUBPROTOCOLS,
                "maxMessageSize": config.max_message_bytes,
                "heartbeatInterval": config.heartbeat_interval_ms,
                "reloadOnAttach": config.reload_on_attach,
            }),
        )
        .with_timestamp(now_ms());
        ack.id = id;
        self.send_envelope(ack).await;
    }
}
