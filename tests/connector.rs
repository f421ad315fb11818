//! The connector over real loopback sockets: every endpoint, every error path of issue 2.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn health_and_metrics() {
    let srv = start().await;
    let _b = srv.browser("tab-1").await;
    let _c = srv.client().await;
    let (status, health) = srv.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["connections"], json!({"extensions": 1, "clients": 1}));
    assert!(health["uptime"].is_u64());
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["dropped"]["evicted"].is_u64());

    let r = srv.http.get(srv.url("/metrics")).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for needle in [
        "# TYPE triage_connections gauge",
        "triage_connections{kind=\"extension\"} 1",
        "triage_connections{kind=\"client\"} 1",
        "triage_messages_in_total{type=\"connection-init\"} 2",
        "triage_errors_total{code=\"INVALID_MESSAGE\"} 0",
        "triage_dropped_total{reason=\"rate_limited\"} 0",
        "triage_bytes_total{direction=\"in\"}",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample {line:?}");
    }
}

#[tokio::test]
async fn connection_init_ack_and_heartbeat() {
    let srv = start().await;
    let mut p = Peer::connect(srv.addr, "/extension-ws", &["rapidtriage-extension-v1"], &[]).await.unwrap();
    p.send(json!({"id": "init-1", "type": "connection-init", "data": {"clientType": "chrome-extension", "tabId": "tab-9", "url": "https://x.test/"}})).await;
    let ack = p.recv_type("connection-ack").await;
    assert_eq!(ack["id"], "init-1");
    let d = &ack["data"];
    assert!(d["sessionId"].as_str().unwrap().starts_with("ext-"));
    assert!(d["serverId"].as_str().unwrap().starts_with("triage-tui-"));
    assert_eq!(d["maxMessageSize"], 1024 * 1024);
    assert_eq!(d["heartbeatInterval"], 30_000);
    assert!(d["supportedProtocols"].as_array().unwrap().contains(&json!("rapidtriage-extension-v1")));

    p.send(json!({"id": "hb_001", "type": "heartbeat", "data": {"status": "alive"}})).await;
    let hb = p.recv_type("heartbeat").await;
    assert_eq!(hb["id"], "hb_001");
    assert_eq!(hb["data"]["status"], "alive");

    let (_, sessions) = srv.get_json("/api/sessions").await;
    let s = &sessions["sessions"][0];
    assert_eq!(s["sessionId"], d["sessionId"]);
    assert_eq!(s["kind"], "extension");
    assert_eq!(s["tabId"], "tab-9");
    assert_eq!(s["url"], "https://x.test/");
    assert!(s["connectedAt"].is_i64());
    assert_eq!(s["messages"], 2);
}

#[tokio::test]
async fn subprotocols_are_echoed_and_unsupported_ones_refused() {
    let srv = start().await;
    for proto in ["rapidtriage-extension-v1", "mcp-server-v1", "rapidtriage-client-v1"] {
        let p = Peer::connect(srv.addr, "/mcp-ws", &[proto], &[]).await.unwrap();
        assert_eq!(p.protocol.as_deref(), Some(proto));
    }
    // The first of ours among several offered.
    let p =
        Peer::connect(srv.addr, "/extension-ws", &["chat", "mcp-server-v1", "rapidtriage-client-v1"], &[])
            .await
            .unwrap();
    assert_eq!(p.protocol.as_deref(), Some("mcp-server-v1"));
    // None offered (the browser-tools extension): upgraded without the header.
    let p = Peer::connect(srv.addr, "/extension-ws", &[], &[]).await.unwrap();
    assert_eq!(p.protocol, None);
    // Only foreign ones: a readable 400, not a silent upgrade.
    assert_eq!(Peer::connect(srv.addr, "/extension-ws", &["chat.v2"], &[]).await.err(), Some(400));
    let r = srv
        .http
        .get(srv.url("/extension-ws"))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "SGVsbG8sIHdvcmxkIQ==")
        .header("Sec-WebSocket-Protocol", "chat.v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["supportedProtocols"][0], "rapidtriage-extension-v1");
}

#[tokio::test]
async fn origins_are_checked_on_upgrade_and_http() {
    let srv = start().await;
    let own = format!("http://127.0.0.1:{}", srv.addr.port());
    for ok in ["chrome-extension://abcdefghijklmnopabcdefghijklmnop", own.as_str()] {
        assert!(Peer::connect(srv.addr, "/extension-ws", &[], &[("Origin", ok)]).await.is_ok(), "{ok}");
    }
    // Local pages are web pages too (issue 8): refused unless listed in allowed_origins.
    for bad in [
        "https://evil.example",
        "http://localhost.evil.example",
        "null",
        "http://localhost:5173",
        "http://127.0.0.1:8080",
    ] {
        assert_eq!(
            Peer::connect(srv.addr, "/extension-ws", &[], &[("Origin", bad)]).await.err(),
            Some(403),
            "{bad}"
        );
        assert_eq!(
            Peer::connect(srv.addr, "/mcp-ws", &[], &[("Origin", bad)]).await.err(),
            Some(403),
            "{bad}"
        );
    }
    // A web page cannot read or drive the REST API either.
    let r =
        srv.http.get(srv.url("/api/events")).header("Origin", "https://evil.example").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = srv
        .http
        .post(srv.url("/api/commands"))
        .header("Origin", "https://evil.example")
        .header("Content-Type", "text/plain")
        .body(r#"{"type":"browser-action","data":{"action":"execute_js","params":{"script":"1"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // DNS rebinding: a foreign Host on a loopback bind is refused.
    let r = srv.http.get(srv.url("/api/events")).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn tokens_header_query_auth_message_and_jwt() {
    let secret = "jwt-secret";
    let srv = start_with(|c| {
        c.token = Some("s3cret".into());
        c.jwt_secret = Some(secret.into());
    })
    .await;
    // REST: refused without, accepted with Bearer or ?token=; /health stays open.
    assert_eq!(srv.get_json("/api/events").await.0, 401);
    assert_eq!(srv.get_json("/health").await.0, 200);
    let r = srv.http.get(srv.url("/api/events")).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(srv.get_json("/api/events?token=s3cret").await.0, 200);
    assert_eq!(srv.get_json("/api/events?token=wrong").await.0, 401);
    // WS: a wrong token is refused at upgrade; a right one (header or query) is accepted.
    assert_eq!(
        Peer::connect(srv.addr, "/mcp-ws", &[], &[("Authorization", "Bearer nope")]).await.err(),
        Some(401)
    );
    let mut p = Peer::connect(srv.addr, "/mcp-ws?token=s3cret", &[], &[]).await.unwrap();
    p.send(json!({"type": "heartbeat"})).await;
    p.recv_type("heartbeat").await;
    // HS256 JWT signed with the secret.
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "ci", "exp": 4_000_000_000u64}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let auth = format!("Bearer {jwt}");
    let mut p = Peer::connect(srv.addr, "/extension-ws", &[], &[("Authorization", &auth)]).await.unwrap();
    p.send(json!({"type": "heartbeat"})).await;
    p.recv_type("heartbeat").await;
    // No token at upgrade: seed 002's auth message first.
    let mut p = Peer::connect(srv.addr, "/mcp-ws", &[], &[]).await.unwrap();
    p.send(json!({"type": "auth", "api_key": "s3cret", "id": 1})).await;
    let ok = p.recv_type("auth").await;
    assert_eq!(ok["data"]["success"], true);
    assert_eq!(ok["id"], 1, "seed 002: the id comes back as sent, a number");
    // Anything else first, or a wrong key: UNAUTHORIZED and the connection is closed.
    let mut p = Peer::connect(srv.addr, "/extension-ws", &[], &[]).await.unwrap();
    p.send(json!({"type": "console-log", "data": {"message": "sneaky"}})).await;
    let e = p.recv_type("error").await;
    assert_eq!(e["data"]["code"], "UNAUTHORIZED");
    assert!(p.recv().await.is_none(), "closed after UNAUTHORIZED");
    let mut p = Peer::connect(srv.addr, "/extension-ws", &[], &[]).await.unwrap();
    p.send(json!({"type": "auth", "api_key": "wrong"})).await;
    assert_eq!(p.recv_type("error").await["data"]["code"], "UNAUTHORIZED");
    let (_, events) = srv.get_json("/api/events?token=s3cret").await;
    assert_eq!(events["total"], 0, "nothing from unauthenticated peers was stored");
}

#[tokio::test]
async fn malformed_and_oversize_messages_get_errors_and_the_connection_lives() {
    let srv = start_with(|c| c.max_message_bytes = 4096).await;
    let mut b = srv.browser("tab-1").await;
    b.send(json!({"id": "keep-1", "type": "console-log", "data": {"message": "before"}})).await;
    b.send_text("{this is not json").await;
    let e = b.recv_type("error").await;
    assert_eq!(e["data"]["code"], "INVALID_MESSAGE");
    b.send(json!({"id": "bad-2", "type": "console-log", "data": "a string"})).await;
    let e = b.recv_type("error").await;
    assert_eq!((e["data"]["code"].as_str(), e["id"].as_str()), (Some("INVALID_MESSAGE"), Some("bad-2")));
    b.send(json!({"type": "no-such-type"})).await;
    assert_eq!(b.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
    b.send(json!({"type": "console-log", "data": {"message": "x".repeat(5000)}})).await;
    let e = b.recv_type("error").await;
    assert_eq!(e["data"]["code"], "MESSAGE_TOO_LARGE");
    assert_eq!(e["data"]["details"]["limit"], 4096);
    b.ws.send(Message::binary(vec![0u8, 1, 2])).await.unwrap();
    assert_eq!(b.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
    // A browser sending a client's command is told so.
    b.send(json!({"type": "screenshot-request", "data": {}})).await;
    assert_eq!(b.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
    // Still alive, and nothing stored was lost.
    b.send(json!({"id": "keep-2", "type": "console-log", "data": {"message": "after"}})).await;
    let events = srv.wait_events("type=console-log", 2).await;
    let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, ["keep-1", "keep-2"]);
    let (_, h) = srv.get_json("/health").await;
    assert_eq!(h["status"], "healthy");
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("triage_errors_total{code=\"INVALID_MESSAGE\"} 5"), "{metrics}");
    assert!(metrics.contains("triage_errors_total{code=\"MESSAGE_TOO_LARGE\"} 1"), "{metrics}");
}

#[tokio::test]
async fn rate_limited_messages_are_counted_not_lost_silently() {
    let srv = start_with(|c| {
        c.rate_limit_per_sec = 10;
        c.rate_limit_burst = 10;
    })
    .await;
    let mut b = srv.browser("tab-1").await;
    const SENT: u64 = 60;
    for i in 0..SENT {
        b.send(json!({"type": "console-log", "data": {"message": format!("m{i}")}})).await;
    }
    let e = b.recv_type("error").await;
    assert_eq!(e["data"]["code"], "RATE_LIMITED");
    assert!(e["data"]["details"]["dropped"].as_u64().unwrap() >= 1);
    assert_eq!(e["data"]["details"]["limitPerSecond"], 10);
    // Everything sent is either stored or counted as rate limited (the handshake used a token too).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, h) = srv.get_json("/health").await;
        let stored = h["store"]["console"].as_u64().unwrap();
        let dropped = h["dropped"]["rateLimited"].as_u64().unwrap();
        if stored + dropped == SENT {
            assert!(dropped > 0 && stored > 0, "stored {stored}, dropped {dropped}");
            let (_, s) = srv.get_json("/api/sessions").await;
            assert_eq!(s["sessions"][0]["rateLimited"], dropped);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "stored {stored} + dropped {dropped} != {SENT}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connection_limit() {
    let srv = start_with(|c| c.max_connections = 2).await;
    let _a = srv.browser("a").await;
    let _b = srv.client().await;
    assert_eq!(Peer::connect(srv.addr, "/extension-ws", &[], &[]).await.err(), Some(503));
}

#[tokio::test]
async fn heartbeat_timeout_drops_silent_connections_only() {
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 300;
    })
    .await;
    // The silent peer never reads, so it never answers the server's pings.
    let silent = srv.browser("silent").await;
    // The live peer reads (tungstenite answers pings with pongs as it reads).
    let mut live = srv.browser("live").await;
    let live_session = live.session.clone();
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(Ok(msg)) = live.ws.next().await {
            if matches!(msg, Message::Ping(_)) {
                pings += 1;
            }
            if pings >= 8 {
                break;
            }
        }
        (live, pings)
    });
    // Wait until the silent one is gone (bounded).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, s) = srv.get_json("/api/sessions").await;
        let ids: Vec<String> = s["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sessionId"].as_str().unwrap().to_string())
            .collect();
        if !ids.contains(&silent.session) {
            assert!(ids.contains(&live_session), "the answering peer stays connected");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "silent peer never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (live, pings) = reader.await.unwrap();
    assert!(pings >= 8, "server pings on the interval");
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("triage_heartbeat_timeouts_total 1"), "{metrics}");
    let (_, s) = srv.get_json("/api/sessions").await;
    assert!(s["sessions"].as_array().unwrap().iter().any(|s| s["sessionId"] == live.session.as_str()));
}

#[tokio::test]
async fn two_browsers_two_clients_results_go_to_the_requester_only() {
    let srv = start().await;
    let mut b1 = srv.browser("tab-1").await;
    let mut b2 = srv.browser("tab-2").await;
    let mut c1 = srv.client().await;
    let mut c2 = srv.client().await;
    // Both clients use the same id on purpose.
    c1.send(json!({"id": "same", "type": "screenshot-request", "data": {"format": "png", "sessionId": b1.session}})).await;
    c2.send(json!({"id": "same", "type": "browser-action", "data": {"action": "get_title", "params": {}, "sessionId": b2.session}})).await;
    let shot = b1.recv_type("screenshot-request").await;
    let act = b2.recv_type("browser-action").await;
    assert_eq!(act["data"]["action"], "get_title");
    assert_ne!(shot["id"], act["id"], "wire ids are the connector's own");
    b2.send(json!({"id": act["id"], "type": "command-result", "data": {"success": true, "data": "Tab Two", "duration": 3}})).await;
    b1.send(json!({"id": shot["id"], "type": "screenshot-response", "data": {"success": true, "base64": format!("data:image/png;base64,{PNG_1X1}")}})).await;
    let r2 = c2.recv_type("command-result").await;
    assert_eq!((r2["id"].as_str(), r2["data"]["data"].as_str()), (Some("same"), Some("Tab Two")));
    assert_eq!(r2["metadata"]["sessionId"], b2.session.as_str());
    let r1 = loop {
        let m = c1.recv_type("screenshot-response").await;
        if m["id"] == "same" {
            break m;
        }
    };
    assert_eq!(r1["data"]["success"], true);
    let shot_id = r1["data"]["screenshotId"].as_str().unwrap().to_string();
    // c2 never sees c1's result as a reply (it may see the stored event in its live stream, with the wire id).
    assert!(c2.gets_type_within("command-result", Duration::from_millis(200)).await.is_none());
    // The screenshot is a file, served as PNG.
    let r = srv.http.get(srv.url(&format!("/api/screenshots/{shot_id}"))).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(srv.get_json("/api/screenshots/shot-nope").await.0, 404);
    assert_eq!(srv.get_json("/api/screenshots/..%2Fetc%2Fpasswd").await.0, 404);
    // Default target: the most recently active browser (b1 answered last).
    b1.send(json!({"type": "console-log", "data": {"message": "b1 is active"}})).await;
    srv.wait_events("type=console-log", 1).await;
    c1.send(json!({"id": "dflt", "type": "clear-logs"})).await;
    let clear = b1.recv_type("clear-logs").await;
    assert!(b2.gets_type_within("clear-logs", Duration::from_millis(200)).await.is_none());
    b1.send(json!({"id": clear["id"], "type": "command-result", "data": {"success": true}})).await;
    assert_eq!(c1.recv_type("command-result").await["id"], "dflt");
}

#[tokio::test]
async fn commands_with_no_browser_unknown_target_timeout_or_disconnect() {
    let srv = start_with(|c| c.command_timeout_ms = 300).await;
    let mut c = srv.client().await;
    c.send(json!({"id": "x1", "type": "screenshot-request", "data": {}})).await;
    let e = c.recv_type("error").await;
    assert_eq!((e["id"].as_str(), e["data"]["code"].as_str()), (Some("x1"), Some("NO_BROWSER")));
    let (status, body) =
        srv.post_json("/api/commands", json!({"type": "screenshot-request", "data": {}})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("NO_BROWSER")));
    let (status, body) =
        srv.post_json("/api/commands", json!({"type": "screenshot-request", "sessionId": "ext-nope"})).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("INVALID_SESSION")));
    let (status, _) = srv.post_json("/api/commands", json!({"type": "console-log", "data": {}})).await;
    assert_eq!(status, 400);
    let (status, _) =
        srv.post_json("/api/commands", json!({"type": "browser-action", "data": {"params": {}}})).await;
    assert_eq!(status, 400, "browser-action needs an action");

    // A browser that never answers: TIMEOUT (504 over REST).
    let mut b = srv.browser("mute").await;
    let (status, body) =
        srv.post_json("/api/commands", json!({"type": "browser-action", "data": {"action": "reload"}})).await;
    assert_eq!((status, body["code"].as_str()), (504, Some("TIMEOUT")));
    b.recv_type("browser-action").await;
    // A browser that leaves while a command waits: answered at once, not after the timeout.
    let srv2 = start_with(|c| c.command_timeout_ms = 60_000).await;
    let mut b = srv2.browser("leaver").await;
    let http = srv2.http.clone();
    let url = srv2.url("/api/commands");
    let pending = tokio::spawn(async move {
        let r = http.post(url).json(&json!({"type": "screenshot-request"})).send().await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    });
    b.recv_type("screenshot-request").await;
    drop(b);
    let (status, body) =
        tokio::time::timeout(WAIT, pending).await.expect("answered before the 60 s timeout").unwrap();
    assert_eq!((status, body["code"].as_str()), (404, Some("INVALID_SESSION")));
}

#[tokio::test]
async fn rest_commands_wait_for_the_result() {
    let srv = start().await;
    let mut b = srv.browser("tab").await;
    let call = srv.spawn_command(
        json!({"type": "browser-action", "data": {"action": "execute_js", "params": {"script": "1+2"}}}),
    );
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["data"]["params"]["script"], "1+2");
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": 3, "duration": 2}})).await;
    let reply = call.await.unwrap();
    assert_eq!(reply["type"], "command-result");
    assert_eq!(reply["data"]["data"], 3);
    assert_eq!(reply["metadata"]["sessionId"], b.session.as_str());
}

#[tokio::test]
async fn live_stream_and_subscribe() {
    let srv = start().await;
    let mut b1 = srv.browser("one").await;
    let mut b2 = srv.browser("two").await;
    let mut all = srv.client().await;
    let mut narrow = srv.client().await;
    narrow.send(json!({"id": "sub", "type": "subscribe", "data": {"types": ["network-request"], "sessionId": b2.session}})).await;
    let ack = narrow.recv_type("subscribe").await;
    assert_eq!(ack["data"]["types"], json!(["network-request"]));
    b1.send(json!({"type": "network-request", "data": {"url": "https://one/api", "status": 200}})).await;
    b2.send(json!({"type": "console-log", "data": {"message": "two logs"}})).await;
    b2.send(
        json!({"id": "wanted", "type": "network-request", "data": {"url": "https://two/api", "status": 201}}),
    )
    .await;
    let got = narrow.recv_type("network-request").await;
    assert_eq!(got["id"], "wanted", "only b2's network requests");
    assert_eq!(got["metadata"]["sessionId"], b2.session.as_str());
    let mut types = Vec::new();
    while types.len() < 3 {
        let m = all.recv().await.expect("stream");
        if ["network-request", "console-log"].contains(&m["type"].as_str().unwrap_or("")) {
            types.push(m["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(types, ["network-request", "console-log", "network-request"]);
    let bad = {
        narrow.send(json!({"id": "sub2", "type": "subscribe", "data": {"types": ["nope"]}})).await;
        narrow.recv_type("error").await
    };
    assert_eq!(bad["data"]["code"], "INVALID_MESSAGE");
    // Clients cannot inject browser data.
    all.send(json!({"type": "console-log", "data": {"message": "fake"}})).await;
    assert_eq!(all.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
}

#[tokio::test]
async fn events_api_filters_and_delete() {
    let srv = start().await;
    let mut b1 = srv.browser("one").await;
    let mut b2 = srv.browser("two").await;
    b1.send(json!({"id": "e1", "type": "console-log", "timestamp": 1000, "data": {"level": "info", "message": "a"}})).await;
    b1.send(json!({"id": "e2", "type": "console-error", "timestamp": 2000, "data": {"message": "boom"}}))
        .await;
    // Arrival order across two connections is up to the scheduler: let b1's land first.
    srv.wait_events("", 2).await;
    b2.send(json!({"id": "e3", "type": "network-request", "timestamp": "1970-01-01T00:00:03Z", "payload": {"url": "u", "status": 500}})).await;
    b2.send(json!({"id": "e4", "type": "element-selected", "timestamp": 4000, "data": {"element": {"tagName": "DIV"}}})).await;
    b2.send(json!({"id": "e5", "type": "browser-event", "timestamp": 5000, "data": {"event": "title_changed", "title": "T"}})).await;
    let all = srv.wait_events("", 5).await;
    let ids = |v: &[Value]| v.iter().map(|e| e["id"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&all), ["e1", "e2", "e3", "e4", "e5"], "oldest first");
    let e3 = &all[2];
    assert_eq!(e3["timestamp"], 3000, "RFC 3339 normalised to epoch ms");
    assert_eq!(e3["data"]["status"], 500, "payload normalised to data");
    assert!(e3.get("payload").is_none());
    assert_eq!(ids(&srv.events("type=console-log,console-error").await), ["e1", "e2"]);
    assert_eq!(ids(&srv.events("level=error").await), ["e2", "e3"]);
    assert_eq!(ids(&srv.events(&format!("session={}", b2.session)).await), ["e3", "e4", "e5"]);
    assert_eq!(ids(&srv.events("since=3000").await), ["e3", "e4", "e5"]);
    assert_eq!(ids(&srv.events("since=1970-01-01T00:00:04Z").await), ["e4", "e5"]);
    let (_, body) = srv.get_json("/api/events?limit=2").await;
    assert_eq!(ids(body["events"].as_array().unwrap()), ["e4", "e5"], "limit keeps the newest");
    assert_eq!(body["total"], 5);
    for bad in ["type=nope", "level=loud", "since=yesterday", "limit=-1"] {
        let (status, body) = srv.get_json(&format!("/api/events?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string());
    }
    // Title changes reach the session list.
    let (_, s) = srv.get_json("/api/sessions").await;
    assert!(s["sessions"].as_array().unwrap().iter().any(|s| s["title"] == "T"));
    let r = srv.http.delete(srv.url("/api/events")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(srv.events("").await.len(), 0);
    assert_eq!(srv.get_json("/api/nope").await.0, 404);
}

#[tokio::test]
async fn redaction_on_ingest_and_opt_out() {
    let net = json!({"type": "network-request", "data": {
        "url": "https://api/x", "status": 200,
        "headers": {"request": {"Authorization": "Bearer secret-token", "Cookie": "sid=abc", "Accept": "*/*"},
                    "response": {"Set-Cookie": "sid=def; HttpOnly"}},
        "requestHeaders": [{"name": "authorization", "value": "Basic Zm9vOmJhcg=="}]}});
    let srv = start().await;
    let mut b = srv.browser("t").await;
    b.send(net.clone()).await;
    let e = srv.wait_events("type=network-request", 1).await.remove(0);
    let h = &e["data"]["headers"];
    assert_eq!(h["request"]["Authorization"], "[REDACTED]");
    assert_eq!(h["request"]["Cookie"], "[REDACTED]");
    assert_eq!(h["request"]["Accept"], "*/*");
    assert_eq!(h["response"]["Set-Cookie"], "[REDACTED]");
    assert_eq!(e["data"]["requestHeaders"][0]["value"], "[REDACTED]");
    // Nor in the frame that carried it (the Frames pane and the frames API show frames).
    let (_, frames) = srv.get_json(&format!("/api/websocket/{}/frames?limit=1000", b.session)).await;
    let texts: Vec<String> = frames
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["data"].as_str())
        .map(|d| {
            String::from_utf8_lossy(
                &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, d).unwrap(),
            )
            .into_owned()
        })
        .collect();
    assert!(texts.iter().any(|t| t.contains("network-request")), "the frame is recorded");
    for secret in ["secret-token", "sid=abc", "sid=def", "Zm9vOmJhcg=="] {
        assert!(!texts.iter().any(|t| t.contains(secret)), "{secret} leaked into the frame log");
    }
    let srv = start_with(|c| c.redact_headers = false).await;
    let mut b = srv.browser("t").await;
    b.send(net).await;
    let e = srv.wait_events("type=network-request", 1).await.remove(0);
    assert_eq!(e["data"]["headers"]["request"]["Authorization"], "Bearer secret-token");
}

#[tokio::test]
async fn frames_api_records_every_opcode() {
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 5_000;
    })
    .await;
    let mut b = srv.browser("t").await;
    let session = b.session.clone();
    b.send(json!({"type": "console-log", "data": {"message": "hello"}})).await;
    b.ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    b.recv_type("error").await;
    b.ws.send(Message::Ping(b"ping!".to_vec().into())).await.unwrap();
    // Read until the server has pinged us at least once (our pong goes back automatically).
    loop {
        match tokio::time::timeout(WAIT, b.ws.next()).await.unwrap() {
            Some(Ok(Message::Ping(_))) => break,
            Some(Ok(_)) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
    b.ws.send(Message::Pong(b"pong!".to_vec().into())).await.unwrap();
    b.ws.close(None).await.unwrap();
    while b.ws.next().await.is_some() {}
    // Page frames forwarded by the extension, in their own traffic id.
    let mut p = srv.browser("page").await;
    p.send(json!({"type": "websocket-frame", "data": {"trafficId": "page-sock-1", "direction": "server-to-client",
        "opcode": 1, "data": "eyJhIjoxfQ==", "isBinary": false, "length": 7, "url": "wss://app/live"}})).await;
    p.send(json!({"type": "websocket-frame", "data": {"trafficId": "page-sock-1", "direction": "sideways", "opcode": 1}})).await;
    assert_eq!(p.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");

    let deadline = tokio::time::Instant::now() + WAIT;
    let frames = loop {
        let (status, frames) = srv.get_json(&format!("/api/websocket/{session}/frames?limit=1000")).await;
        assert_eq!(status, 200);
        let frames = frames.as_array().unwrap().clone();
        let has = |op: u64, dir: &str| frames.iter().any(|f| f["opcode"] == op && f["direction"] == dir);
        if has(8, "client-to-server") || tokio::time::Instant::now() > deadline {
            break frames;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let has = |op: u64, dir: &str| frames.iter().any(|f| f["opcode"] == op && f["direction"] == dir);
    assert!(has(1, "client-to-server") && has(1, "server-to-client"), "text both ways");
    assert!(has(2, "client-to-server"), "binary");
    assert!(has(9, "client-to-server") && has(10, "server-to-client"), "client ping and the pong it got");
    assert!(has(9, "server-to-client") && has(10, "client-to-server"), "server ping and the client's pong");
    assert!(has(8, "client-to-server"), "close");
    let f = frames.iter().find(|f| f["opcode"] == 2).unwrap();
    assert_eq!(
        (f["data"].as_str(), f["isBinary"].as_bool(), f["length"].as_u64()),
        (Some("AQID"), Some(true), Some(3))
    );
    let text = frames.iter().find(|f| f["opcode"] == 1 && f["direction"] == "client-to-server").unwrap();
    assert_eq!(text["trafficId"], session.as_str());
    assert!(text["timestamp"].is_i64());
    // One frame by id; the count; limit keeps the newest.
    let id = text["id"].as_str().unwrap();
    let (status, one) = srv.get_json(&format!("/api/websocket/frame/{id}")).await;
    assert_eq!((status, &one), (200, text));
    let (_, count) = srv.get_json(&format!("/api/websocket/{session}/count")).await;
    assert_eq!(count["count"].as_u64().unwrap() as usize, frames.len());
    let (_, two) = srv.get_json(&format!("/api/websocket/{session}/frames?limit=2")).await;
    assert_eq!(two.as_array().unwrap().as_slice(), &frames[frames.len() - 2..]);
    // Page frames.
    let (_, page) = srv.get_json("/api/websocket/page-sock-1/frames").await;
    assert_eq!(page[0]["data"], "eyJhIjoxfQ==");
    assert_eq!(page[0]["url"], "wss://app/live");
    assert_eq!(srv.events("type=websocket-frame").await.len(), 1, "page frames are events too");
    // Unknown ids: 404 with {"error"}.
    for path in [
        "/api/websocket/frame/frame-999999",
        "/api/websocket/frame/nope",
        "/api/websocket/nope/frames",
        "/api/websocket/nope/count",
    ] {
        let (status, body) = srv.get_json(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"].is_string(), "{path}");
    }
    let r = srv.http.delete(srv.url(&format!("/api/websocket/{session}/frames"))).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"success": true}));
    let (_, count) = srv.get_json(&format!("/api/websocket/{session}/count")).await;
    assert_eq!(count["count"], 0);
    let r = srv.http.delete(srv.url("/api/websocket/nope/frames")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn store_is_bounded_and_evictions_are_reported() {
    let srv = start_with(|c| c.capacity.console = 5).await;
    let mut b = srv.browser("t").await;
    for i in 0..12 {
        b.send(json!({"id": format!("m{i}"), "type": "console-log", "data": {"message": i}})).await;
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, h) = srv.get_json("/health").await;
        if h["store"]["stored"].as_u64().unwrap_or(0) >= 12
            && h["dropped"]["evicted"].as_u64().unwrap_or(0) >= 7
        {
            assert_eq!(h["store"]["console"], 5);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{h}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ids: Vec<Value> = srv.events("type=console-log").await.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids, [json!("m7"), json!("m8"), json!("m9"), json!("m10"), json!("m11")]);
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("triage_store_evicted_total{log=\"console\"} 7"), "{metrics}");
}

#[tokio::test]
async fn garbage_never_takes_the_server_down() {
    let srv = start().await;
    let mut b = srv.browser("fuzz").await;
    let mut c = srv.client().await;
    let samples = [
        "",
        " ",
        "\u{0}",
        "[1,2,3]",
        "\"str\"",
        "123",
        "true",
        "{}",
        "{\"type\":null}",
        "{\"type\":\"\"}",
        "{\"type\":\"console-log\",\"timestamp\":1e400}",
        "{\"type\":\"console-log\",\"timestamp\":-1}",
        "{\"type\":\"network-request\",\"data\":{\"status\":99999999999}}",
        "{\"type\":\"screenshot-response\",\"id\":\"x\",\"data\":{\"base64\":\"!!!not base64\"}}",
        "{\"type\":\"screenshot-response\",\"data\":{\"base64\":\"aGVsbG8=\"}}",
        "{\"type\":\"websocket-frame\",\"data\":{\"direction\":\"client-to-server\",\"data\":\"***\"}}",
        "{\"type\":\"command-result\",\"id\":\"nobody-waits\",\"data\":{}}",
        "{\"type\":\"connection-init\",\"data\":{\"tabId\":{\"deep\":[1,2]}}}",
        "{\"type\":\"subscribe\",\"data\":{\"types\":\"x\"}}",
        "{\"type\":\"browser-action\",\"data\":{\"action\":1}}",
        "{\"id\":[],\"type\":\"heartbeat\"}",
        "\u{1b}[2J\u{1b}]52;c;aGk=\u{7}",
    ];
    for s in samples {
        b.send_text(s).await;
        c.send_text(s).await;
    }
    let mut nested = String::new();
    for _ in 0..10_000 {
        nested.push('[');
    }
    b.send_text(&nested).await;
    b.send(json!({"id": "alive", "type": "console-log", "data": {"message": "still here"}})).await;
    assert!(srv.wait_event_id("type=console-log", "alive").await.is_some(), "the connection lives on");
    let (status, h) = srv.get_json("/health").await;
    assert_eq!((status, h["status"].as_str()), (200, Some("healthy")));
    // Bad screenshots are stored as failures, not lost.
    let shots = srv.events("type=screenshot-response").await;
    assert_eq!(shots.len(), 2);
    assert!(shots.iter().all(|s| s["data"]["success"] == false && s["data"]["error"].is_string()));
}

#[tokio::test]
async fn record_appends_every_event_as_ndjson() {
    let file = temp_dir("rec").join("session.ndjson");
    let path = file.clone();
    let srv = start_with(move |c| c.record = Some(path)).await;
    let mut b = srv.browser("rec").await;
    b.send(json!({"id": "r1", "type": "console-log", "data": {"message": "one"}})).await;
    b.send(json!({"id": "r2", "type": "network-request", "data": {"url": "u", "status": 200, "headers": {"request": {"Cookie": "c=1"}}}})).await;
    b.send(json!({"type": "websocket-frame", "data": {"trafficId": "p", "direction": "client-to-server", "opcode": 1, "data": "aGk="}})).await;
    srv.wait_events("", 3).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(types, ["console-log", "network-request", "websocket-frame"]);
    assert_eq!(lines[1]["data"]["headers"]["request"]["Cookie"], "[REDACTED]", "recorded after redaction");
    assert_eq!(lines[0]["metadata"]["sessionId"], b.session.as_str());
}

#[tokio::test]
async fn a_recording_replays_into_another_connector() {
    let file = temp_dir("replay").join("session.ndjson");
    let path = file.clone();
    let live = start_with(move |c| c.record = Some(path)).await;
    let mut b = live.browser("rec").await;
    b.send(json!({"id": "r1", "type": "console-error", "timestamp": 1000, "data": {"message": "boom", "stack": "at x"}})).await;
    b.send(json!({"id": "r2", "type": "network-request", "timestamp": 2000, "data": {"url": "u", "status": 404}})).await;
    b.send(json!({"type": "websocket-frame", "timestamp": 3000, "data": {"trafficId": "p", "direction": "client-to-server", "opcode": 1, "data": "aGk="}})).await;
    live.wait_events("", 3).await;
    let original = live.events("").await;
    // Append a line that is not an event: it is skipped and reported, the rest still loads.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"type\":\"heartbeat\"}\n");
    std::fs::write(&file, text).unwrap();

    let replay = start().await;
    let loaded = replay.connector.load_recording(&file).unwrap();
    assert_eq!(loaded.events, 3);
    assert_eq!(loaded.skipped_total, 1);
    assert_eq!(loaded.skipped[0].0, 4, "the line number");
    let replayed = replay.events("").await;
    let strip = |v: &[Value]| -> Vec<Value> {
        v.iter().map(|e| json!({"type": e["type"], "timestamp": e["timestamp"], "data": e["data"], "session": e["metadata"]["sessionId"]})).collect()
    };
    // Frame ids are the store's own; everything else comes back as it was.
    let without_frame_ids = |mut v: Vec<Value>| {
        for e in &mut v {
            if let Some(d) = e["data"].as_object_mut() {
                d.remove("id");
            }
        }
        v
    };
    assert_eq!(without_frame_ids(strip(&replayed)), without_frame_ids(strip(&original)));
    assert!(replay.connector.load_recording(std::path::Path::new("/nonexistent.ndjson")).is_err());
}
