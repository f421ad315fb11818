//! Seed 001 (Semantest) pub/sub: `publish` {channel, message} from any client becomes a stored
//! `marker` event {channel, message, publisher} (so it is in the Console, `/api/events`,
//! recordings and the broker like everything else), and a client subscribed to a channel gets
//! its markers as the seed's `channel:NAME` event, `{"type":"channel:NAME","channel","data":
//! message,"id","timestamp"}`: `data` is what the seed's `socket.on('channel:NAME', message)`
//! handler receives.

use serde_json::{json, Value};

use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType};

/// The marker a `publish` is stored as (already shape-checked: `data.channel`, `data.message`),
/// published by the client session `publisher`.
pub fn marker(publish: &Envelope, publisher: &str) -> Envelope {
    let mut env = Envelope::new(
        MessageType::Marker.as_str(),
        json!({
            "channel": publish.data.get("channel").cloned().unwrap_or(Value::Null),
            "message": publish.data.get("message").cloned().unwrap_or(Value::Null),
            "publisher": publisher,
        }),
    )
    .with_timestamp(now_ms());
    env.id = publish.id.clone();
    env.set_meta("sessionId", json!(publisher));
    env.set_meta("source", json!("publish"));
    env
}

/// The channel a stored marker was published on.
pub fn channel_of(marker: &Envelope) -> Option<&str> {
    marker.data.get("channel").and_then(Value::as_str)
}

/// A stored marker as the seed's `channel:NAME` event.
pub fn channel_event(marker: &Envelope, channel: &str) -> String {
    let mut v = json!({
        "type": format!("channel:{channel}"),
        "channel": channel,
        "data": marker.data.get("message").cloned().unwrap_or(Value::Null),
        "timestamp": marker.timestamp.map_or_else(now_ms, |t| t.0),
    });
    if let Some(id) = &marker.id {
        v["id"] = json!(id);
    }
    v.to_string()
}

/// The publisher's acknowledgement.
pub fn published(publish: &Envelope) -> Envelope {
    let mut ack = Envelope::new(
        MessageType::Publish.as_str(),
        json!({ "success": true, "channel": publish.data.get("channel") }),
    )
    .with_timestamp(now_ms());
    ack.id = publish.id.clone();
    ack
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_is_stored_as_a_marker_and_streamed_as_its_channel() {
        let text = r#"{"type":"publish","id":"p1","channel":"custom-events","message":{"type":"info","data":"test"}}"#;
        let (publish, ty) = crate::protocol::parse_envelope(text, 1 << 20).unwrap();
        assert_eq!(ty, MessageType::Publish);
        let m = marker(&publish, "cli-1");
        assert_eq!(m.kind, "marker");
        assert_eq!(m.data["publisher"], "cli-1");
        assert_eq!(channel_of(&m), Some("custom-events"));
        let out: Value = serde_json::from_str(&channel_event(&m, "custom-events")).unwrap();
        assert_eq!(out["type"], "channel:custom-events");
        assert_eq!(out["data"], json!({"type": "info", "data": "test"}));
        assert_eq!(out["id"], "p1");
    }

    #[test]
    fn a_publish_without_a_channel_or_message_is_refused() {
        for bad in [
            r#"{"type":"publish","message":"x"}"#,
            r#"{"type":"publish","channel":"","message":"x"}"#,
            r#"{"type":"publish","channel":"c"}"#,
            r#"{"type":"publish","channel":7,"message":"x"}"#,
        ] {
            let e = crate::protocol::parse_envelope(bad, 1 << 20).unwrap_err();
            assert_eq!(e.code, crate::protocol::ErrorCode::InvalidMessage, "{bad}");
        }
    }
}
