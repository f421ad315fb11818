//! Seed 001 (Semantest) over real sockets: a command's `correlationId` reaches the browser and
//! comes back on its result (and on its error), on `/mcp-ws` and `POST /api/commands`.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn seed001_correlation_id_goes_to_the_browser_and_back_on_the_result() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let mut c = srv.client().await;
    let data = json!({"action": "get_title", "params": {}});
    c.send(json!({"id": "c1", "type": "browser-action", "data": data, "correlationId": "corr-1"})).await;
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], "corr-1", "{cmd}");
    // The browser need not echo it: the result carries it anyway.
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": "T"}})).await;
    let r = c.recv_type("command-result").await;
    assert_eq!((r["id"].as_str(), r["correlationId"].as_str()), (Some("c1"), Some("corr-1")), "{r}");
    // Any JSON value is carried as sent; a command without one gets none.
    c.send(json!({"id": "c2", "type": "browser-action", "data": data, "correlationId": 7})).await;
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], 7);
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert_eq!(c.recv_type("command-result").await["correlationId"], 7);
    c.send(json!({"id": "c3", "type": "browser-action", "data": data})).await;
    let cmd = b.recv_type("browser-action").await;
    assert!(cmd.get("correlationId").is_none(), "{cmd}");
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert!(c.recv_type("command-result").await.get("correlationId").is_none());
    // A command that fails says which request it was.
    let bad = json!({"action": "get_title", "params": {}, "sessionId": "ext-nope"});
    c.send(json!({"id": "c4", "type": "browser-action", "data": bad, "correlationId": "corr-4"})).await;
    let e = c.recv_type("error").await;
    assert_eq!((e["id"].as_str(), e["correlationId"].as_str()), (Some("c4"), Some("corr-4")), "{e}");
}

#[tokio::test]
async fn seed001_correlation_id_over_rest_commands() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let reply = srv.spawn_command(json!({"type": "browser-action", "data": {"action": "get_title", "params": {}}, "correlationId": "rest-1"}));
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], "rest-1");
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert_eq!(reply.await.unwrap()["correlationId"], "rest-1");
}

#[tokio::test]
async fn seed001_publish_reaches_channel_subscribers_and_is_stored_as_a_marker() {
    let rec = temp_dir("rec").join("session.ndjson");
    let rec_path = rec.clone();
    let srv = start_with(move |c| c.record = Some(rec_path)).await;
    let mut sub = srv.client().await;
    // The seed's `socket.emit('subscribe', {channels: [...]})`, as a message.
    sub.send(json!({"id": "s1", "type": "subscribe", "channels": ["downloads", "errors"]})).await;
    let ack = sub.recv_type("subscribe").await;
    assert_eq!(ack["data"]["channels"], json!(["downloads", "errors"]), "{ack}");
    let mut runner = srv.client().await;
    let msg = json!({"type": "info", "data": "checkout test started"});
    runner.send(json!({"id": "p1", "type": "publish", "channel": "downloads", "message": msg})).await;
    let done = runner.recv_type("publish").await;
    assert_eq!((done["id"].as_str(), done["data"]["success"].as_bool()), (Some("p1"), Some(true)), "{done}");
    let got = sub.recv_type("channel:downloads").await;
    assert_eq!((got["channel"].as_str(), &got["data"]), (Some("downloads"), &msg), "{got}");
    // Another channel: stored too; this subscriber (no type filter) sees it as a plain marker.
    runner.send(json!({"type": "publish", "data": {"channel": "custom-events", "message": "m2"}})).await;
    let plain = sub.recv_type("marker").await;
    assert_eq!(
        (plain["data"]["channel"].as_str(), plain["data"]["message"].as_str()),
        (Some("custom-events"), Some("m2"))
    );
    // Bad publishes are clear errors and the connection lives on.
    runner.send(json!({"id": "bad", "type": "publish", "channel": "", "message": 1})).await;
    let e = runner.recv_type("error").await;
    assert_eq!((e["id"].as_str(), e["data"]["code"].as_str()), (Some("bad"), Some("INVALID_MESSAGE")), "{e}");
    // Stored: /api/events, with the publisher, and in the recording.
    let events = srv.wait_events("type=marker", 2).await;
    assert_eq!(events[0]["data"]["message"], msg);
    assert!(events[0]["data"]["publisher"].as_str().is_some_and(|p| p.starts_with("cli-")), "{}", events[0]);
    let recorded = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(recorded.lines().filter(|l| l.contains("\"type\":\"marker\"")).count(), 2, "{recorded}");
    // A browser cannot forge markers: they come from publish only.
    let mut b = srv.browser("tab-1").await;
    b.send(json!({"type": "marker", "data": {"channel": "x", "message": "forged"}})).await;
    assert_eq!(b.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
    assert_eq!(srv.events("type=marker").await.len(), 2);
    let _ = std::fs::remove_dir_all(rec.parent().unwrap());
}

#[tokio::test]
async fn seed001_health_and_metrics_carry_the_seeds_names() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let mut c = srv.client().await;
    c.send(json!({"id": "s", "type": "subscribe", "data": {}})).await;
    c.recv_type("subscribe").await;
    b.send(json!({"type": "console-log", "data": {"level": "log", "message": "m"}})).await;
    c.recv_type("console-log").await;
    let (_, h) = srv.get_json("/health").await;
    let conns = &h["websocket_connections_total"];
    assert_eq!((conns["client"].as_u64(), conns["extension"].as_u64()), (Some(1), Some(1)), "{h}");
    let msgs = &h["websocket_messages_total"];
    assert!(msgs["inbound"].as_u64().unwrap() >= 3, "connection-init, subscribe, console-log: {h}");
    assert!(msgs["outbound"].as_u64().unwrap() >= 2, "{h}");
    assert_eq!(h["connections"]["clients"], 1, "ours are still there: {h}");
    let text = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "# TYPE websocket_connections_total counter",
        "websocket_connections_total{type=\"client\"} 1",
        "websocket_connections_total{type=\"extension\"} 1",
        "# TYPE websocket_messages_total counter",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
    }
    let inbound = text
        .lines()
        .find_map(|l| l.strip_prefix("websocket_messages_total{direction=\"inbound\"} "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(inbound.is_some_and(|n| n >= 3), "{text}");
    assert!(text.contains("triage_connections_total{kind=\"client\"} 1"), "ours stay beside them");
}

#[tokio::test]
async fn seed001_api_keys_are_accepted_wherever_the_token_is() {
    let srv = start_with(|c| {
        c.token = Some("tok".into());
        c.api_keys = vec!["key1".into(), "key2".into()];
    })
    .await;
    let status = |r: reqwest::Response| r.status().as_u16();
    let events = srv.url("/api/events");
    assert_eq!(status(srv.http.get(&events).send().await.unwrap()), 401);
    assert_eq!(status(srv.http.get(&events).header("x-api-key", "key1").send().await.unwrap()), 200);
    assert_eq!(status(srv.http.get(&events).bearer_auth("key2").send().await.unwrap()), 200);
    assert_eq!(status(srv.http.get(&events).bearer_auth("tok").send().await.unwrap()), 200, "the token too");
    assert_eq!(status(srv.http.get(format!("{events}?token=key2")).send().await.unwrap()), 200);
    assert_eq!(status(srv.http.get(&events).header("x-api-key", "key3").send().await.unwrap()), 401);
    // WebSockets: a header, the query, and seed 002's auth message.
    assert!(Peer::connect(srv.addr, "/mcp-ws", &[], &[("x-api-key", "key1")]).await.is_ok());
    assert!(Peer::connect(srv.addr, "/mcp-ws?token=key2", &[], &[]).await.is_ok());
    assert_eq!(Peer::connect(srv.addr, "/mcp-ws?token=nope", &[], &[]).await.err(), Some(401));
    let mut ws = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    ws.recv_type("welcome").await;
    ws.send(json!({"type": "auth", "api_key": "key2", "id": 1})).await;
    let ok = ws.recv_type("auth").await;
    assert_eq!((ok["data"]["success"].as_bool(), &ok["id"]), (Some(true), &json!(1)), "{ok}");
    let mut bad = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    bad.send(json!({"type": "auth", "api_key": "key3", "id": 2})).await;
    assert_eq!(bad.recv_type("error").await["data"]["code"], "UNAUTHORIZED");
}
