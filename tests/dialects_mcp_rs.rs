//! Seed 004 (MCP-RS) session REST API over real sockets: create, get, activate, invalidate, the
//! session id on `/ws` (query, `x-session-id`, Bearer), and `INVALID_SESSION` for unknown or
//! ended sessions.

mod common;

use common::*;
use serde_json::{json, Value};

async fn create(srv: &TestServer, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = srv.http.post(srv.url("/api/sessions")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("POST");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A seed 004 heartbeat and its ack over an open `/ws` connection.
async fn heartbeat(p: &mut Peer) {
    p.send(json!({"id": "hb-1", "type": "heartbeat", "payload": {}, "timestamp": "2025-11-07T10:00:00Z"}))
        .await;
    assert_eq!(p.recv_type("heartbeat_ack").await["id"], "hb-1");
}

#[tokio::test]
async fn seed004_sessions_are_created_read_and_activated() {
    let srv = start().await;
    let (status, s) = create(&srv, None, json!({"user_id": "user1", "client_info": "seed-client"})).await;
    assert_eq!(status, 200, "{s}");
    let id = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["state"], "Pending");
    assert_eq!(s["websocket_url"], format!("ws://{}/ws?session_id={id}", srv.addr));
    let (status, info) = srv.get_json(&format!("/api/sessions/{id}")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!((info["user_id"].as_str(), info["state"].as_str()), (Some("user1"), Some("Pending")));
    let created = chrono::DateTime::parse_from_rfc3339(info["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(info["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::hours(24), "the default expiry");
    let (status, active) = srv.post_json(&format!("/api/sessions/{id}/activate"), json!({})).await;
    assert_eq!((status, active["state"].as_str()), (200, Some("Active")), "{active}");
    assert_eq!(srv.get_json(&format!("/api/sessions/{id}")).await.1["state"], "Active");
    // Today's list of connections is still there.
    let _b = srv.browser("tab-1").await;
    let (status, list) = srv.get_json("/api/sessions").await;
    assert_eq!(status, 200);
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1, "{list}");
    // Bad bodies are clear errors.
    for bad in [json!({}), json!({"user_id": ""}), json!({"user_id": 3}), json!({"user_id": "u", "x": 1})] {
        let (status, e) = create(&srv, None, bad.clone()).await;
        assert_eq!((status, e["code"].as_str()), (400, Some("INVALID_MESSAGE")), "{bad} → {e}");
    }
}

#[tokio::test]
async fn seed004_a_session_id_opens_ws_three_ways_without_the_token() {
    let srv = start_with(|c| c.token = Some("k3y".into())).await;
    assert_eq!(create(&srv, None, json!({"user_id": "u"})).await.0, 401, "creating needs the token");
    let (_, s) = create(&srv, Some("k3y"), json!({"user_id": "u"})).await;
    let id = s["session_id"].as_str().unwrap().to_string();
    let mut q = Peer::connect(srv.addr, &format!("/ws?session_id={id}"), &[], &[]).await.unwrap();
    heartbeat(&mut q).await;
    let mut h = Peer::connect(srv.addr, "/ws", &[], &[("x-session-id", &id)]).await.unwrap();
    heartbeat(&mut h).await;
    let bearer = format!("Bearer {id}");
    let mut b = Peer::connect(srv.addr, "/ws", &[], &[("authorization", &bearer)]).await.unwrap();
    heartbeat(&mut b).await;
    // The token as Bearer is still the token, not a session id.
    let mut t = Peer::connect(srv.addr, "/ws", &[], &[("authorization", "Bearer k3y")]).await.unwrap();
    heartbeat(&mut t).await;
}

#[tokio::test]
async fn seed004_unknown_expired_and_invalidated_sessions_are_invalid_session() {
    let srv = start().await;
    let (status, e) = srv.get_json("/api/sessions/nope").await;
    assert_eq!((status, e["code"].as_str()), (404, Some("INVALID_SESSION")), "{e}");
    assert_eq!(e["details"]["session_id"], "nope");
    let (status, e) = srv.post_json("/api/sessions/nope/activate", json!({})).await;
    assert_eq!((status, e["code"].as_str()), (404, Some("INVALID_SESSION")));
    assert_eq!(Peer::connect(srv.addr, "/ws?session_id=nope", &[], &[]).await.err(), Some(404));
    assert_eq!(Peer::connect(srv.addr, "/ws", &[], &[("x-session-id", "nope")]).await.err(), Some(404));
    assert_eq!(
        Peer::connect(srv.addr, "/ws", &[], &[("authorization", "Bearer nope")]).await.err(),
        Some(404)
    );
    // Invalidated (DELETE): refused from then on, and says so.
    let (_, s) = create(&srv, None, json!({"user_id": "u"})).await;
    let id = s["session_id"].as_str().unwrap().to_string();
    let r = srv.http.delete(srv.url(&format!("/api/sessions/{id}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(srv.get_json(&format!("/api/sessions/{id}")).await.1["state"], "Invalidated");
    assert_eq!(Peer::connect(srv.addr, &format!("/ws?session_id={id}"), &[], &[]).await.err(), Some(404));
    let (status, e) = srv.post_json(&format!("/api/sessions/{id}/activate"), json!({})).await;
    assert_eq!((status, e["code"].as_str()), (404, Some("INVALID_SESSION")));
}

#[tokio::test]
async fn seed004_the_expiry_is_configurable_and_expired_sessions_are_refused() {
    // An expiry of zero seconds: every session is expired as soon as it is made.
    let srv = start_with(|c| c.session_expiry_secs = 0).await;
    let (_, s) = create(&srv, None, json!({"user_id": "u"})).await;
    let id = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["state"], "Expired");
    assert_eq!(srv.get_json(&format!("/api/sessions/{id}")).await.1["state"], "Expired");
    let (status, e) = srv.post_json(&format!("/api/sessions/{id}/activate"), json!({})).await;
    assert_eq!((status, e["code"].as_str()), (404, Some("INVALID_SESSION")), "{e}");
    assert_eq!(Peer::connect(srv.addr, &format!("/ws?session_id={id}"), &[], &[]).await.err(), Some(404));
    // A longer configured expiry is what the session says.
    let srv = start_with(|c| c.session_expiry_secs = 3600).await;
    let (_, s) = create(&srv, None, json!({"user_id": "u"})).await;
    let info = srv.get_json(&format!("/api/sessions/{}", s["session_id"].as_str().unwrap())).await.1;
    let created = chrono::DateTime::parse_from_rfc3339(info["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(info["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::hours(1));
}

#[tokio::test]
async fn seed004_session_connected_and_disconnected_reach_the_sessions_connections() {
    let srv = start().await;
    let (_, s) = create(&srv, None, json!({"user_id": "user1"})).await;
    let id = s["session_id"].as_str().unwrap().to_string();
    let (_, other) = create(&srv, None, json!({"user_id": "user2"})).await;
    let other_id = other["session_id"].as_str().unwrap().to_string();
    let mut a = Peer::connect(srv.addr, &format!("/ws?session_id={id}"), &[], &[]).await.unwrap();
    let ev = a.recv_type("session_connected").await;
    assert_eq!(ev["payload"], json!({"session_id": id, "user_id": "user1", "connection_count": 1}), "{ev}");
    assert!(chrono::DateTime::parse_from_rfc3339(ev["timestamp"].as_str().unwrap()).is_ok(), "{ev}");
    assert!(ev["id"].as_str().is_some_and(|i| !i.is_empty()), "{ev}");
    // A connection of another session is not told about this one.
    let mut c = Peer::connect(srv.addr, &format!("/ws?session_id={other_id}"), &[], &[]).await.unwrap();
    assert_eq!(c.recv_type("session_connected").await["payload"]["session_id"], other_id.as_str());
    let mut b = Peer::connect(srv.addr, "/ws", &[], &[("x-session-id", &id)]).await.unwrap();
    assert_eq!(b.recv_type("session_connected").await["payload"]["connection_count"], 2);
    assert_eq!(a.recv_type("session_connected").await["payload"]["connection_count"], 2);
    b.ws.close(None).await.unwrap();
    let gone = a.recv_type("session_disconnected").await;
    assert_eq!(
        gone["payload"],
        json!({"session_id": id, "user_id": "user1", "reason": "client_disconnect"}),
        "{gone}"
    );
    assert!(
        c.gets_type_within("session_disconnected", std::time::Duration::from_millis(300)).await.is_none(),
        "another session's connection heard of it"
    );
    // A plain /ws client (no session) gets none of these events.
    let mut plain = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    assert!(plain
        .gets_type_within("session_connected", std::time::Duration::from_millis(300))
        .await
        .is_none());
}
