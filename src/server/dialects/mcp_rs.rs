//! Seed 004 (MCP-RS): its envelope is `{id, type, payload, timestamp}` with RFC 3339 times; a
//! heartbeat in that shape is answered in that shape.

use serde_json::{json, Value};

use crate::protocol::Envelope;

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
