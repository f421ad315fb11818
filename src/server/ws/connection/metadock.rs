//! A seed 002 (MetaDock) client's own messages on `/ws`: layout actions (`{"type":"layout"}`,
//! answered by the connector's layouts) and subscriptions by `target` (`browser:{uuid}`,
//! `layout:{uuid}`, `system`; `subscribe: false` stops one), each answered with the id as sent;
//! and which stored events it is pushed, as `browser_event`s in the seed's shape.

use serde_json::{json, Value};

use super::Connection;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, ErrorCode, MessageType, ProtocolError};
use crate::server::dialects::metadock::{self, Target};
use crate::store::StoredEvent;

/// Subscription targets one client may hold.
const MAX_TARGETS: usize = 256;

impl Connection {
    /// Handles the `/ws` messages the canonical parser does not know (`layout`) or reads
    /// differently (`subscribe` with a `target`). Returns whether it did.
    pub(super) async fn on_metadock_text(&mut self, text: &str) -> bool {
        // Oversize messages are refused by the canonical parser, unread.
        if text.len() > self.connector.shared.config.max_message_bytes {
            return false;
        }
        let Ok(v) = serde_json::from_str::<Value>(text) else { return false };
        let layout = v.get("type").and_then(Value::as_str) == Some("layout");
        let by_target =
            v.get("type").and_then(Value::as_str) == Some("subscribe") && v.get("target").is_some();
        if !layout && !by_target {
            return false;
        }
        let kind = if layout { None } else { Some(MessageType::Subscribe) };
        self.connector.shared.metrics.message_in(kind, text.len());
        let sent = metadock::sent_id(text);
        let id = v.get("id").and_then(Value::as_str).map(str::to_string);
        if !self.authed {
            let e = ProtocolError::new(
                ErrorCode::Unauthorized,
                "authenticate first: send {\"type\":\"auth\",\"api_key\":\"…\"}",
            );
            self.send_error(e, id.as_deref()).await;
            self.close(1008, "unauthorized").await;
            return true;
        }
        let outcome = if layout { self.layout_action(&v) } else { self.subscribe_target(&v) };
        let mut reply = match outcome {
            Ok(env) => env,
            Err(e) => {
                self.connector.shared.metrics.error(e.code);
                e.to_envelope(None, now_ms())
            }
        };
        reply.id = id;
        self.send_text(metadock::echo_id(reply.to_json(), sent.as_ref())).await;
        true
    }

    /// `get_browsers` and `rename` on a layout (a browser window).
    fn layout_action(&self, v: &Value) -> Result<Envelope, ProtocolError> {
        let action = v.get("action").and_then(Value::as_str).unwrap_or_default();
        let layout = match v.get("layout_uuid") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(ProtocolError::invalid("a layout action needs layout_uuid (a window id)")),
        };
        let c = &self.connector;
        let data = match action {
            "get_browsers" => json!({
                "layout_uuid": layout,
                "name": c.shared.sessions.layout_name(&layout),
                "browsers": c.layout_browsers(&layout)?,
            }),
            "rename" => {
                let name = v.pointer("/params/name").and_then(Value::as_str).unwrap_or_default();
                c.rename_layout(&layout, name)?;
                json!({ "layout_uuid": layout, "name": name.trim() })
            }
            other => {
                return Err(ProtocolError::invalid(format!(
                    "unknown layout action {other:?}; supported: get_browsers, rename"
                )))
            }
        };
        Ok(Envelope::new(
            MessageType::CommandResult.as_str(),
            json!({ "success": true, "action": action, "data": data, "error": null }),
        )
        .with_timestamp(now_ms()))
    }

    /// Adds (or with `subscribe: false` removes) one target. The first target starts the
    /// pushes from now on, not from what was stored before.
    fn subscribe_target(&mut self, v: &Value) -> Result<Envelope, ProtocolError> {
        let raw = v.get("target").and_then(Value::as_str).unwrap_or_default();
        let target = Target::parse(raw).ok_or_else(|| {
            ProtocolError::invalid(format!(
                "unknown subscription target {raw:?}: use browser:{{uuid}}, layout:{{uuid}} or system"
            ))
        })?;
        let on = v.get("subscribe").and_then(Value::as_bool).unwrap_or(true);
        let targets = &mut self.subscription.targets;
        if on && !targets.contains(&target) {
            if targets.len() >= MAX_TARGETS {
                return Err(ProtocolError::invalid(format!(
                    "at most {MAX_TARGETS} subscriptions per connection"
                )));
            }
            if targets.is_empty() {
                self.connector.shared.store.read().skip_to_end(&mut self.cursor);
            }
            targets.push(target);
        } else if !on {
            targets.retain(|t| *t != target);
        }
        Ok(Envelope::new(
            MessageType::Subscribe.as_str(),
            json!({ "success": true, "target": raw.trim(), "subscribed": on, "subscriptions": targets.len() }),
        )
        .with_timestamp(now_ms()))
    }

    /// A stored event as this client's push, if one of its targets wants it: browser events only.
    pub(super) fn metadock_push(&self, e: &StoredEvent) -> Option<String> {
        if e.ty != MessageType::BrowserEvent {
            return None;
        }
        let targets = &self.subscription.targets;
        let layout = if targets.iter().any(|t| matches!(t, Target::Layout(_))) {
            self.connector.layout_of(&e.session)
        } else {
            None
        };
        if !targets.iter().any(|t| t.wants(&e.session, layout.as_deref())) {
            return None;
        }
        metadock::browser_event(&e.session, &e.envelope().data, e.timestamp_ms)
    }
}
