//! The seeds' dialects over real sockets: seed 000 (one reply with the requester's id, the ack
//! without connection-init), seed 002 (browser_uuid routing, ids as sent), seed 003 (`"data": null`).

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// Reads a client's messages up to (and including) the first of type `until`.
async fn read_until(peer: &mut Peer, until: &str) -> Vec<serde_json::Value> {
    let mut seen = Vec::new();
    loop {
        let m = peer.recv().await.unwrap_or_else(|| panic!("closed before {until}; saw {seen:?}"));
        let done = m["type"] == until;
        seen.push(m);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn seed000_a_command_reply_reaches_the_requester_once_with_its_id() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let mut c = srv.client().await;
    c.send(json!({"id": "mcp_1", "type": "screenshot-request", "data": {"format": "png"}})).await;
    let shot = b.recv_type("screenshot-request").await;
    b.send(json!({"id": shot["id"], "type": "screenshot-response", "data": {"success": true, "base64": format!("data:image/png;base64,{PNG_1X1}")}})).await;
    // A later event marks the point by which the stored reply would have been streamed.
    b.send(json!({"type": "console-log", "data": {"level": "log", "message": "after the shot"}})).await;
    let seen = read_until(&mut c, "console-log").await;
    let replies: Vec<_> = seen.iter().filter(|m| m["type"] == "screenshot-response").collect();
    assert_eq!(replies.len(), 1, "one reply, not the stored copy too: {seen:?}");
    assert_eq!(replies[0]["id"], "mcp_1");
    // Another client still sees the stored event in its live stream.
    let mut other = srv.client().await;
    c.send(json!({"id": "mcp_2", "type": "screenshot-request", "data": {}})).await;
    let shot = b.recv_type("screenshot-request").await;
    b.send(
        json!({"id": shot["id"], "type": "screenshot-response", "data": {"success": false, "error": "no"}}),
    )
    .await;
    assert_eq!(other.recv_type("screenshot-response").await["id"], shot["id"]);
    assert_eq!(c.recv_type("screenshot-response").await["id"], "mcp_2");
}

#[tokio::test]
async fn seed000_clients_get_their_ack_without_connection_init() {
    let srv = start().await;
    // The MCP server connection (seed 000's Node client): the ack comes on open.
    let mut p = Peer::connect(srv.addr, "/mcp-ws", &["mcp-server-v1"], &[]).await.unwrap();
    let first = p.recv().await.expect("a message on open");
    assert_eq!(first["type"], "connection-ack");
    assert!(first["data"]["sessionId"].as_str().unwrap().starts_with("cli-"));
    // Any other client: before the reply to its first message, once.
    let mut q = Peer::connect(srv.addr, "/mcp-ws", &["rapidtriage-client-v1"], &[]).await.unwrap();
    q.send(json!({"id": "h1", "type": "heartbeat", "data": {"status": "alive"}})).await;
    assert_eq!(q.recv().await.unwrap()["type"], "connection-ack");
    assert_eq!(q.recv().await.unwrap()["id"], "h1");
    q.send(json!({"id": "h2", "type": "heartbeat"})).await;
    assert_eq!(q.recv().await.unwrap()["id"], "h2", "no second ack");
    // One that sends connection-init gets exactly its reply.
    let mut r = Peer::connect(srv.addr, "/mcp-ws", &["rapidtriage-client-v1"], &[]).await.unwrap();
    r.send(json!({"id": "i1", "type": "connection-init", "data": {"clientType": "py"}})).await;
    let ack = r.recv().await.unwrap();
    assert_eq!((ack["type"].as_str(), ack["id"].as_str()), (Some("connection-ack"), Some("i1")));
    r.send(json!({"id": "h3", "type": "heartbeat"})).await;
    assert_eq!(r.recv().await.unwrap()["id"], "h3");
}

#[tokio::test]
async fn seed002_browser_uuid_routes_and_ids_come_back_as_sent() {
    let srv = start().await;
    let mut a = srv.browser("tab-a").await;
    let mut b = srv.browser("tab-b").await;
    let mut c = srv.client().await;
    // b is the most recently active browser; the command names a.
    b.send(json!({"type": "console-log", "data": {"message": "b active"}})).await;
    srv.wait_events("type=console-log", 1).await;
    c.send(
        json!({"type": "browser", "action": "get_title", "browser_uuid": a.session, "params": {}, "id": 1}),
    )
    .await;
    let cmd = a.recv_type("browser-action").await;
    assert_eq!(cmd["data"]["action"], "get_title");
    assert!(cmd["data"].get("browser_uuid").is_none(), "the browser gets our shape");
    assert!(b.gets_type_within("browser-action", Duration::from_millis(200)).await.is_none());
    a.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": "Title A"}}))
        .await;
    let r = c.recv_type("command-result").await;
    assert_eq!(r["id"], json!(1), "a number, as sent");
    assert_eq!(r["data"]["data"], "Title A");
    // An unknown uuid is an error, under the id as sent.
    c.send(json!({"type": "browser", "action": "get_title", "browser_uuid": "ext-nope", "id": 2})).await;
    let e = c.recv_type("error").await;
    assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (json!(2), Some("INVALID_SESSION")));
}

#[tokio::test]
async fn seed002_auth_confirmation_carries_the_numeric_id() {
    let srv = start_with(|c| c.token = Some("k3y".into())).await;
    let mut p = Peer::connect(srv.addr, "/mcp-ws", &[], &[]).await.unwrap();
    p.send(json!({"type": "auth", "api_key": "k3y", "client_id": "py", "id": 1})).await;
    let r = p.recv().await.unwrap();
    assert_eq!(
        (r["type"].as_str(), r["id"].clone(), r["data"]["success"].as_bool()),
        (Some("auth"), json!(1), Some(true))
    );
}

#[tokio::test]
async fn seed003_control_frames_without_payload_have_null_data() {
    let srv = start().await;
    let mut c = srv.client().await;
    c.ws.send(Message::Ping(Vec::new().into())).await.unwrap();
    c.send(json!({"id": "h", "type": "heartbeat"})).await;
    c.recv_type("heartbeat").await;
    let (status, frames) = srv.get_json(&format!("/api/websocket/{}/frames?limit=500", c.session)).await;
    assert_eq!(status, 200, "{frames}");
    let list = frames.as_array().cloned().or_else(|| frames["frames"].as_array().cloned()).unwrap();
    let pings: Vec<_> =
        list.iter().filter(|f| f["opcode"] == 9 && f["direction"] == "client-to-server").collect();
    assert_eq!(pings.len(), 1, "{list:?}");
    assert_eq!(pings[0]["data"], serde_json::Value::Null);
    assert_eq!(pings[0]["length"], 0);
    // A text frame keeps its data.
    assert!(list.iter().any(|f| f["opcode"] == 1 && f["data"].is_string()));
}

#[tokio::test]
async fn seed002_ws_endpoint_welcome_auth_and_get_all_browsers() {
    let srv = start_with(|c| c.token = Some("k3y".into())).await;
    let mut a =
        Peer::connect(srv.addr, "/extension-ws?token=k3y", &["rapidtriage-extension-v1"], &[]).await.unwrap();
    a.send(json!({"type": "connection-init", "data": {"tabId": "tab-a", "url": "https://tab-a.test/"}}))
        .await;
    a.session = a.recv_type("connection-ack").await["data"]["sessionId"].as_str().unwrap().to_string();
    // The seed's Python flow, step by step: welcome, auth, get_all_browsers.
    let mut p = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    let welcome = p.recv().await.unwrap();
    assert_eq!(
        welcome,
        json!({"type": "welcome", "message": "MetaDock WebSocket API - Authentication required", "version": "1.0"})
    );
    p.send(json!({"type": "auth", "api_key": "k3y", "id": 1})).await;
    let auth = p.recv().await.unwrap();
    assert_eq!(
        (auth["type"].as_str(), auth["id"].clone(), auth["data"]["success"].as_bool()),
        (Some("auth"), json!(1), Some(true))
    );
    p.send(json!({"type": "browser", "action": "get_all_browsers", "id": 2})).await;
    let r = p.recv().await.unwrap();
    assert_eq!(r["id"], json!(2), "{r}");
    let browsers = r["data"]["data"]["browsers"].as_array().unwrap();
    assert_eq!(browsers.len(), 1, "{r}");
    assert_eq!(browsers[0]["uuid"], a.session.as_str());
    assert_eq!(browsers[0]["url"], "https://tab-a.test/");
    // A wrong key on /ws: refused and closed.
    let mut q = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    assert_eq!(q.recv().await.unwrap()["type"], "welcome");
    q.send(json!({"type": "auth", "api_key": "nope", "id": 1})).await;
    assert_eq!(q.recv_type("error").await["data"]["code"], "UNAUTHORIZED");
    assert!(q.recv().await.is_none());
}

#[tokio::test]
async fn seed004_heartbeat_gets_heartbeat_ack_in_its_own_shape() {
    let srv = start().await;
    let mut p = Peer::connect(srv.addr, "/mcp-ws", &[], &[]).await.unwrap();
    p.send(json!({"id": "msg-001", "type": "heartbeat", "payload": {}, "timestamp": "2025-11-07T10:00:00Z"}))
        .await;
    let ack = p.recv_type("heartbeat_ack").await;
    assert_eq!(ack["id"], "msg-001");
    let t = ack["payload"]["server_time"].as_str().expect("server_time");
    assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
    assert!(chrono::DateTime::parse_from_rfc3339(ack["timestamp"].as_str().unwrap()).is_ok());
    // Our own heartbeat keeps its reply.
    p.send(json!({"id": "h", "type": "heartbeat"})).await;
    assert_eq!(p.recv_type("heartbeat").await["id"], "h");
}
