//! Seed 004 (MCP-RS): which connections present each REST-created session, and the seed's
//! `session_connected` / `session_disconnected` events. A connection that opens with a session
//! is told `session_connected` (with the session's `connection_count`), and so is every other
//! connection of that session; when one ends, those still open get `session_disconnected`. The
//! events go through each connection's queue in the one session registry, like any other reply.

use std::collections::HashMap;

use parking_lot::Mutex;
use serde_json::json;

use super::mcp_rs::rfc3339_now;
use super::mcp_rs_sessions::McpSession;
use crate::server::{Connector, Outbound};
use crate::store::SessionId;

/// The connections (session registry ids) open on each seed 004 session.
#[derive(Default)]
pub struct Presence {
    open: Mutex<HashMap<String, Vec<SessionId>>>,
}

impl Presence {
    /// Adds `conn` to `session`; returns every connection of the session, `conn` included.
    fn join(&self, session: &str, conn: &SessionId) -> Vec<SessionId> {
        let mut open = self.open.lock();
        let conns = open.entry(session.to_string()).or_default();
        conns.push(conn.clone());
        conns.clone()
    }

    /// Takes `conn` out of `session`; returns the connections still open on it.
    fn leave(&self, session: &str, conn: &str) -> Vec<SessionId> {
        let mut open = self.open.lock();
        let Some(conns) = open.get_mut(session) else { return Vec::new() };
        conns.retain(|c| &**c != conn);
        let rest = conns.clone();
        if rest.is_empty() {
            open.remove(session);
        }
        rest
    }
}

/// One seed 004 event in its envelope `{id, type, payload, timestamp}`.
fn event(kind: &str, payload: serde_json::Value) -> String {
    let id = format!("{kind}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    json!({ "id": id, "type": kind, "payload": payload, "timestamp": rfc3339_now() }).to_string()
}

fn send_to(connector: &Connector, conns: &[SessionId], text: &str) {
    for c in conns {
        if let Some((tx, ..)) = connector.registry().sender(c) {
            // A connection whose queue is full misses a presence notice, never blocks the others.
            let _ = tx.try_send(Outbound::Text(text.to_string()));
        }
    }
}

/// `conn` opened with `session`: it and the session's other connections get `session_connected`.
pub fn connected(connector: &Connector, session: &McpSession, conn: &SessionId) {
    let conns = connector.shared.mcp_rs_sessions.presence.join(&session.session_id, conn);
    let text = event(
        "session_connected",
        json!({
            "session_id": session.session_id,
            "user_id": session.user_id,
            "connection_count": conns.len(),
        }),
    );
    send_to(connector, &conns, &text);
}

/// `conn` of `session` ended (`reason`: the seed's `client_disconnect`, or `server_shutdown`):
/// the session's connections still open get `session_disconnected`.
pub fn disconnected(connector: &Connector, session: &McpSession, conn: &str, reason: &str) {
    let rest = connector.shared.mcp_rs_sessions.presence.leave(&session.session_id, conn);
    let text = event(
        "session_disconnected",
        json!({ "session_id": session.session_id, "user_id": session.user_id, "reason": reason }),
    );
    send_to(connector, &rest, &text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_join_and_leave_their_session() {
        let p = Presence::default();
        let (a, b): (SessionId, SessionId) = ("cli-a".into(), "cli-b".into());
        assert_eq!(p.join("s1", &a).len(), 1);
        assert_eq!(p.join("s1", &b).len(), 2);
        assert_eq!(p.join("s2", &a).len(), 1, "sessions are apart");
        assert_eq!(p.leave("s1", "cli-a"), vec![b.clone()]);
        assert!(p.leave("s1", "cli-b").is_empty());
        assert!(!p.open.lock().contains_key("s1"), "an empty session is forgotten");
        assert!(p.leave("nope", "cli-a").is_empty());
    }
}
