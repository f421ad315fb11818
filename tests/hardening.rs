//! Issue 8: what a hostile page or a stuck peer sends must not exhaust memory, wedge a connection
//! or drive the browser. Every test here runs over real sockets on 127.0.0.1.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// A WebSocket client on `path` whose socket has a tiny receive buffer; it reads nothing after
/// the handshake unless the test reads from it.
async fn tiny_buffer_peer(srv: &TestServer, path: &str, protocol: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let tcp = socket.connect(srv.addr).await.expect("connect");
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "ws://{}{path}",
        srv.addr
    ))
    .expect("request");
    req.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
    let (ws, _) = tokio_tungstenite::client_async(req, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
        .await
        .expect("handshake");
    ws
}

async fn health(srv: &TestServer) -> Value {
    srv.get_json("/health").await.1
}

/// Polls `/health` until `pred` holds (bounded by a generous wait); returns the last body.
async fn wait_health(srv: &TestServer, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    loop {
        let h = health(srv).await;
        if pred(&h) || tokio::time::Instant::now() > deadline {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn console_log(i: usize, text: &str) -> Value {
    json!({"type": "console-log", "id": format!("log-{i}"), "timestamp": 1_700_000_000_000i64 + i as i64,
           "data": {"level": "log", "message": text, "args": []}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_and_its_lag_counted() {
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 200;
        c.heartbeat_timeout_ms = 2_000;
        c.rate_limit_per_sec = 0;
    })
    .await;
    let mut stuck = tiny_buffer_peer(&srv, "/mcp-ws", "mcp-server-v1").await;
    stuck.send(Message::text(json!({"type": "subscribe", "data": {}}).to_string())).await.expect("subscribe");
    let mut browser = srv.browser("flood").await;
    wait_health(&srv, |h| h["connections"]["clients"] == 1).await;
    let text = "x".repeat(2_000);
    for i in 0..30_000 {
        browser.send(console_log(i, &text)).await;
    }
    // The browser keeps talking (as a real one does with its heartbeats) while the client is dropped.
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    let h = loop {
        browser.send(json!({"type": "heartbeat", "data": {}})).await;
        let h = health(&srv).await;
        if h["connections"]["clients"] == 0 || tokio::time::Instant::now() > deadline {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(h["connections"]["clients"], 0, "the stuck client is still connected: {h}");
    assert_eq!(h["connections"]["extensions"], 1, "the live browser was kept: {h}");
    let timeouts =
        h["timeouts"]["heartbeat"].as_u64().unwrap_or(0) + h["timeouts"]["write"].as_u64().unwrap_or(0);
    assert!(timeouts >= 1, "the drop was not counted: {h}");
    // The connector still routes commands to the browser.
    let reply =
        srv.spawn_command(json!({"type": "browser-action", "data": {"action": "get_title", "params": {}}}));
    let cmd = browser.recv_type("browser-action").await;
    browser
        .send(json!({"type": "command-result", "id": cmd["id"], "data": {"success": true, "data": {"title": "t"}}}))
        .await;
    let reply = reply.await.expect("reply");
    assert_eq!(reply["data"]["data"]["title"], "t", "{reply}");
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_skips_ahead_and_is_told_how_many_it_missed() {
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 60_000;
        c.heartbeat_timeout_ms = 120_000;
        c.rate_limit_per_sec = 0;
    })
    .await;
    let mut slow = tiny_buffer_peer(&srv, "/mcp-ws", "mcp-server-v1").await;
    slow.send(Message::text(
        json!({"type": "subscribe", "id": "s1", "data": {"types": ["console-log"]}}).to_string(),
    ))
    .await
    .expect("subscribe");
    let mut browser = srv.browser("flood").await;
    let text = "y".repeat(2_000);
    let mut sent = 0;
    // Flood until the connector has skipped this client ahead at least once.
    loop {
        for _ in 0..5_000 {
            browser.send(console_log(sent, &text)).await;
            sent += 1;
        }
        let h = health(&srv).await;
        if h["dropped"]["subscriberLag"].as_u64().unwrap_or(0) > 0 || sent >= 200_000 {
            break;
        }
    }
    // Now read: somewhere in the stream is the notice, with a count and where to fetch from.
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    let notice = loop {
        let msg =
            tokio::time::timeout_at(deadline, slow.next()).await.expect("stream went quiet").expect("open");
        if let Ok(Message::Text(t)) = msg {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "events-missed" {
                break v;
            }
        }
    };
    let missed = notice["data"]["missed"].as_u64().expect("missed count");
    assert!(missed > 0, "{notice}");
    assert!(notice["data"]["message"].as_str().unwrap_or("").contains("/api/events"), "{notice}");
    let h = health(&srv).await;
    assert!(h["dropped"]["subscriberLag"].as_u64().unwrap_or(0) >= missed, "{h}");
    assert_eq!(h["connections"]["clients"], 1, "a slow client that reads is kept: {h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_browser_is_dropped_and_commands_go_to_a_live_one() {
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 250;
        c.heartbeat_timeout_ms = 5_000;
        // Long enough for a loaded machine to parse 40 big commands; the stuck browser's time out.
        c.command_timeout_ms = 5_000;
    })
    .await;
    // The live browser reads (and so answers pings) and answers every command.
    let mut live = srv.browser("live").await;
    let live_session = live.session.clone();
    let answering = tokio::spawn(async move {
        // It also sends heartbeats, as the extension does, so a loaded machine cannot make it look silent.
        let mut beat = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                msg = live.ws.next() => {
                    let Some(Ok(msg)) = msg else { break };
                    let Message::Text(text) = msg else { continue };
                    let msg: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                    if msg["type"] == "browser-action" {
                        live.send(json!({"type": "command-result", "id": msg["id"], "data": {"success": true, "data": {"title": "live"}}}))
                            .await;
                    }
                }
                _ = beat.tick() => live.send(json!({"type": "heartbeat", "data": {}})).await,
            }
        }
    });
    let mut stuck = tiny_buffer_peer(&srv, "/extension-ws", "rapidtriage-extension-v1").await;
    stuck.send(Message::text(console_log(0, "hello").to_string())).await.expect("send");
    let events = srv.wait_events("type=console-log", 1).await;
    let stuck_session = events[0]["metadata"]["sessionId"].as_str().expect("session").to_string();
    // Big commands for it fill its socket; it never reads them.
    let script = "1;".repeat(200_000);
    let mut pending = Vec::new();
    for _ in 0..40 {
        pending.push(srv.spawn_command(json!({"type": "browser-action", "sessionId": stuck_session,
            "data": {"action": "execute_js", "params": {"script": script}}})));
    }
    // Meanwhile the live browser is answered: the stuck one holds up nobody else.
    let reply = srv
        .spawn_command(json!({"type": "browser-action", "sessionId": live_session, "data": {"action": "get_title", "params": {}}}))
        .await
        .expect("reply");
    assert_eq!(reply["data"]["data"]["title"], "live", "{reply}");
    // Each command for the stuck browser ends with an error (timeout, queue full, or the session
    // gone once it is dropped); none hangs.
    for p in pending {
        let reply = p.await.expect("reply");
        assert!(reply["code"].is_string(), "{reply}");
    }
    let h = wait_health(&srv, |h| h["connections"]["extensions"] == 1).await;
    assert_eq!(h["connections"]["extensions"], 1, "the stuck browser is still connected: {h}");
    let reply =
        srv.spawn_command(json!({"type": "browser-action", "data": {"action": "get_title", "params": {}}}));
    let reply = reply.await.expect("reply");
    assert_eq!(reply["data"]["data"]["title"], "live", "{reply}");
    assert_eq!(reply["metadata"]["sessionId"], live_session.as_str(), "{reply}");
    drop(stuck);
    answering.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_upgrades_never_pass_the_connection_limit() {
    let srv = start_with(|c| c.max_connections = 1).await;
    for round in 0..200 {
        let attempts = (0..8).map(|_| {
            let addr = srv.addr;
            tokio::spawn(async move { Peer::connect(addr, "/mcp-ws", &["mcp-server-v1"], &[]).await.ok() })
        });
        let mut open = Vec::new();
        for a in attempts {
            if let Some(p) = a.await.expect("task") {
                open.push(p);
            }
        }
        assert!(open.len() <= 1, "round {round}: {} upgrades passed a limit of 1", open.len());
        for mut p in open {
            let _ = p.ws.close(None).await;
            while p.ws.next().await.is_some() {}
        }
        let h = wait_health(&srv, |h| h["connectionSlots"]["held"] == 0).await;
        assert_eq!(h["connectionSlots"]["held"], 0, "round {round}: a slot was not released: {h}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_is_bounded_by_bytes_and_listings_page_instead_of_growing() {
    let budget = 48 * 1024 * 1024;
    let srv = start_with(|c| {
        c.max_store_bytes = budget;
        c.rate_limit_per_sec = 0;
    })
    .await;
    let mut browser = srv.browser("big").await;
    let text = "z".repeat(512 * 1024);
    for i in 0..200 {
        browser.send(console_log(i, &text)).await;
    }
    assert!(srv.wait_event_id("type=console-log&limit=1", "log-199").await.is_some(), "the last log arrived");
    let h = health(&srv).await;
    let store = &h["store"];
    assert!(store["bytes"].as_u64().unwrap() <= budget as u64, "over budget: {h}");
    assert_eq!(store["maxBytes"], budget as u64);
    let evicted = store["evictedForMemory"]["console"].as_u64().unwrap()
        + store["evictedForMemory"]["frames"].as_u64().unwrap();
    assert!(evicted > 0, "nothing evicted for memory: {h}");
    let held = store["console"].as_u64().unwrap();
    assert!(held < 200 && held > 10, "{h}");
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("triage_store_evicted_for_memory_total{log=\"console\"}"), "{metrics}");

    // /api/events stays under its cap and pages back through everything held, nothing twice.
    let mut seen = std::collections::HashSet::new();
    let mut before: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &before {
            Some(b) => format!("/api/events?type=console-log&limit=1000&before={b}"),
            None => "/api/events?type=console-log&limit=1000".to_string(),
        };
        let r = srv.http.get(srv.url(&q)).send().await.unwrap();
        let body = r.bytes().await.unwrap();
        assert!(body.len() <= 17 * 1024 * 1024, "a page of {} bytes", body.len());
        let v: Value = serde_json::from_slice(&body).unwrap();
        for e in v["events"].as_array().unwrap() {
            assert!(seen.insert(e["id"].as_str().unwrap().to_string()), "{} twice", e["id"]);
        }
        pages += 1;
        match v["nextBefore"].as_str() {
            Some(next) => before = Some(next.to_string()),
            None => break,
        }
    }
    assert!(pages > 1, "the listing was never cut");
    let held_now = health(&srv).await["store"]["console"].as_u64().unwrap();
    assert_eq!(seen.len() as u64, held_now, "pages cover every held event");

    // The frames API too: the browser connection's frames are far over the cap.
    let r = srv
        .http
        .get(srv.url(&format!("/api/websocket/{}/frames?limit=1000", browser.session)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-triage-omitted"), "{:?}", r.headers());
    let body = r.bytes().await.unwrap();
    assert!(body.len() <= 17 * 1024 * 1024, "frames listing of {} bytes", body.len());
}

#[tokio::test]
async fn local_web_pages_get_neither_data_nor_command_power() {
    let srv = start_with(|c| c.allowed_origins = vec!["http://localhost:5173".into()]).await;
    let evil = "http://localhost:8081";
    for (method, path) in [
        ("POST", "/api/commands"),
        ("GET", "/api/events"),
        ("DELETE", "/api/events"),
        ("GET", "/api/sessions"),
        ("GET", "/health"),
        ("GET", "/metrics"),
        ("POST", "/extension-log"),
        ("GET", "/api/websocket/x/frames"),
    ] {
        let req = srv.http.request(method.parse().unwrap(), srv.url(path)).header("Origin", evil);
        let req = if method == "POST" {
            req.header("Content-Type", "text/plain")
                .body(r#"{"type":"browser-action","data":{"action":"execute_js","params":{"script":"1"}}}"#)
        } else {
            req
        };
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{method} {path} from {evil}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("allowed_origins"), "{body}");
    }
    for path in ["/mcp-ws", "/extension-ws"] {
        assert_eq!(Peer::connect(srv.addr, path, &[], &[("Origin", evil)]).await.err(), Some(403), "{path}");
    }
    // A listed origin passes, with CORS; a preflight is answered.
    let r =
        srv.http.get(srv.url("/api/events")).header("Origin", "http://localhost:5173").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:5173");
    let r = srv
        .http
        .request(reqwest::Method::OPTIONS, srv.url("/api/commands"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert!(Peer::connect(srv.addr, "/mcp-ws", &[], &[("Origin", "http://localhost:5173")]).await.is_ok());
    // Non-browser clients (no Origin) on loopback keep working.
    assert_eq!(srv.get_json("/api/events").await.0, 200);
}

/// Reads until the server closes the socket (or the generous wait runs out): true when closed.
async fn closed_by_server(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_http_clients_are_closed_and_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = start_with(|c| {
        c.http_header_timeout_ms = 500;
        c.http_idle_timeout_ms = 1_000;
        c.max_http_connections = 40;
    })
    .await;
    // A client that connects and says nothing, and one that idles after a request.
    let mut silent = tokio::net::TcpStream::connect(srv.addr).await.expect("connect");
    let mut kept_alive = tokio::net::TcpStream::connect(srv.addr).await.expect("connect");
    kept_alive.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 1024];
    let n = kept_alive.read(&mut buf).await.expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // 50 clients start a request head and dribble it a byte at a time: 38 get in, 12 are refused.
    let mut dribblers = Vec::new();
    for _ in 0..50 {
        let mut tcp = tokio::net::TcpStream::connect(srv.addr).await.expect("connect");
        tcp.write_all(b"GET /health HTTP/1.1\r\nHo").await.expect("write");
        dribblers.push(tcp);
    }
    let drip = tokio::spawn(async move {
        let mut closed = 0;
        for _ in 0..100 {
            for tcp in dribblers.iter_mut() {
                let _ = tcp.write_all(b"s").await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for tcp in dribblers.iter_mut() {
            if closed_by_server(tcp).await {
                closed += 1;
            }
        }
        closed
    });
    assert_eq!(drip.await.expect("drip"), 50, "every dribbling client was closed");
    assert!(closed_by_server(&mut silent).await, "a silent connection is closed");
    assert!(closed_by_server(&mut kept_alive).await, "an idle keep-alive connection is closed");
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |needle: &str| -> u64 {
        metrics
            .lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    assert!(value("triage_http_timeouts_total{kind=\"header\"}") >= 38, "{metrics}");
    assert!(value("triage_http_connections_total{outcome=\"refused_busy\"}") >= 10, "{metrics}");
    assert!(value("triage_http_timeouts_total{kind=\"idle\"}") >= 2, "{metrics}");
    // And the connector still answers.
    assert_eq!(srv.get_json("/health").await.0, 200);
}

#[tokio::test]
async fn every_http_body_limit_is_the_documented_one() {
    let srv = start().await; // max_message_bytes: 1 MiB
    let post = |path: &str, body: String| {
        srv.http.post(srv.url(path)).header("Content-Type", "application/json").body(body).send()
    };
    // browser-tools screenshots take 4× the message limit: 3 MB passes, 5 MB does not.
    let png = "A".repeat(3 * 1024 * 1024);
    let r = post("/screenshot", json!({"data": format!("data:image/png;base64,{png}")}).to_string())
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 413, "a 3 MB screenshot is within the 4 MiB limit");
    let big = "A".repeat(5 * 1024 * 1024);
    let r = post("/screenshot", json!({"data": big}).to_string()).await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "MESSAGE_TOO_LARGE", "{body}");
    assert_eq!(body["limit"], 4 * 1024 * 1024);
    // Everything else takes max_message_bytes, with the same JSON error.
    let over = "x".repeat(1024 * 1024 + 10);
    for path in ["/api/commands", "/extension-log", "/current-url"] {
        let r = post(path, json!({"data": over}).to_string()).await.unwrap();
        assert_eq!(r.status().as_u16(), 413, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "MESSAGE_TOO_LARGE", "{path}: {body}");
    }
    // A chunked body (no Content-Length) is held to the same limit.
    let stream = futures_util::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
    let r = srv
        .http
        .post(srv.url("/api/commands"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "MESSAGE_TOO_LARGE", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_late_still_gets_the_end_of_a_burst() {
    // The regression: each wake-up read only what the write queue had room for and then waited for
    // the next stored event, so when the page went quiet the rest of a burst never came.
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 60_000;
        c.heartbeat_timeout_ms = 120_000;
        c.rate_limit_per_sec = 0;
    })
    .await;
    let mut late = tiny_buffer_peer(&srv, "/mcp-ws", "mcp-server-v1").await;
    late.send(Message::text(
        json!({"type": "subscribe", "id": "s1", "data": {"types": ["console-log"]}}).to_string(),
    ))
    .await
    .expect("subscribe");
    let mut browser = srv.browser("burst").await;
    const BURST: usize = 3_000;
    let text = "z".repeat(200);
    for i in 0..BURST {
        browser.send(console_log(i, &text)).await;
    }
    // The page is quiet from here on: nothing else will be stored to wake the stream.
    let mut next = 0;
    while next < BURST {
        let msg = tokio::time::timeout(WAIT * 2, late.next())
            .await
            .unwrap_or_else(|_| panic!("the stream stopped after {next} of {BURST} events"))
            .expect("open")
            .expect("frame");
        let Message::Text(t) = msg else { continue };
        let v: Value = serde_json::from_str(t.as_str()).expect("json");
        assert_ne!(v["type"], "events-missed", "{v}");
        if v["type"] == "console-log" {
            assert_eq!(v["id"], format!("log-{next}"), "in order, none skipped");
            next += 1;
        }
    }
}
