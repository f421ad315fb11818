//! The browser-tools extension's protocol (shared/compat-browser-tools.md), replayed exactly as
//! that extension sends it: HTTP posts and its WebSocket messages.

mod common;

use common::*;
use serde_json::{json, Value};

const EXT_ORIGIN: &str = "chrome-extension://kfgbeoknbkehlhdbhhaopcaeljgabaoa";

/// The browser-tools extension's socket: no subprotocol, an extension Origin.
async fn browser_tools(srv: &TestServer) -> Peer {
    Peer::connect(srv.addr, "/extension-ws", &[], &[("Origin", EXT_ORIGIN)]).await.expect("connect")
}

async fn post(srv: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let r = srv.http.post(srv.url(path)).header("Origin", EXT_ORIGIN).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn identity_carries_the_signature_the_extension_checks() {
    let srv = start().await;
    let r = srv.http.get(srv.url("/.identity")).header("Origin", EXT_ORIGIN).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["signature"], "mcp-browser-connector-24x7");
    assert_eq!(v["port"], 0, "the configured port");
    assert!(v["name"].is_string() && v["version"].is_string());
}

#[tokio::test]
async fn extension_log_posts_land_in_the_store_without_a_50_entry_limit() {
    let srv = start().await;
    let settings = json!({"logLimit": 50, "queryLimit": 30000, "showRequestHeaders": false, "showResponseHeaders": false});
    for i in 0..120 {
        let (status, body) = post(&srv, "/extension-log", json!({"data": {"type": "console-log", "level": "log", "message": format!("line {i}"), "timestamp": 1_700_000_000_000i64 + i}, "settings": settings})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    }
    post(&srv, "/extension-log", json!({"data": {"type": "console-error", "level": "error", "message": "Uncaught ReferenceError: x is not defined", "timestamp": 1_700_000_001_000i64}, "settings": settings})).await;
    post(&srv, "/extension-log", json!({"data": {"type": "network-request", "url": "https://api.test/users", "method": "POST", "status": 401,
        "requestHeaders": [{"name": "Cookie", "value": "sid=1"}, {"name": "Content-Type", "value": "application/json"}],
        "responseHeaders": [{"name": "Set-Cookie", "value": "sid=2"}],
        "requestBody": "{\"a\":1}", "responseBody": "{\"error\":\"nope\"}", "timestamp": 1_700_000_002_000i64}, "settings": settings})).await;
    post(&srv, "/extension-log", json!({"data": {"type": "selected-element", "element": {"tagName": "BUTTON", "id": "buy", "className": "btn",
        "textContent": "Buy", "attributes": [{"name": "type", "value": "submit"}], "dimensions": {"width": 80, "height": 30}, "innerHTML": "Buy"},
        "timestamp": 1_700_000_003_000i64}, "settings": settings})).await;
    let (status, bad) = post(&srv, "/extension-log", json!({"data": {"type": "mystery"}})).await;
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().contains("mystery"));

    assert_eq!(srv.events("type=console-log&limit=1000").await.len(), 120);
    let err = &srv.events("type=console-error").await[0];
    assert_eq!(err["data"]["level"], "error");
    assert_eq!(err["metadata"]["source"], "browser-tools");
    assert_eq!(err["timestamp"], 1_700_000_001_000i64);
    let net = &srv.events("type=network-request").await[0];
    assert_eq!(net["data"]["status"], 401);
    assert_eq!(net["data"]["requestHeaders"][0]["value"], "[REDACTED]", "cookies redacted");
    assert_eq!(net["data"]["requestHeaders"][1]["value"], "application/json");
    assert_eq!(net["data"]["responseHeaders"][0]["value"], "[REDACTED]");
    let el = &srv.events("type=element-selected").await[0];
    assert_eq!(el["data"]["element"]["tagName"], "BUTTON");
    assert_eq!(srv.events("level=error").await.len(), 2, "the error and the 401");
}

#[tokio::test]
async fn current_url_wipelogs_and_screenshot_posts() {
    let srv = start().await;
    post(
        &srv,
        "/extension-log",
        json!({"data": {"type": "console-log", "level": "log", "message": "keep me"}}),
    )
    .await;
    let (status, _) = post(&srv, "/current-url", json!({"url": "https://app.test/page", "tabId": 7, "timestamp": 1_700_000_000_000i64, "source": "tab_url_change"})).await;
    assert_eq!(status, 200);
    let nav = &srv.events("type=browser-event").await[0];
    assert_eq!(nav["data"]["url"], "https://app.test/page");
    assert_eq!(nav["data"]["source"], "tab_url_change");
    // Wipelogs marks the navigation and keeps history by default.
    let (status, _) = post(&srv, "/wipelogs", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(srv.events("type=console-log").await.len(), 1, "history kept");
    assert_eq!(srv.events("type=browser-event").await.len(), 2, "a navigation marker");
    // The panel's screenshot button.
    let (status, body) = post(
        &srv,
        "/screenshot",
        json!({"data": format!("data:image/png;base64,{PNG_1X1}"), "path": "/tmp/wherever"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = body["path"].as_str().unwrap();
    assert!(std::fs::read(path).unwrap().starts_with(b"\x89PNG"));
    let (status, body) = post(&srv, "/screenshot", json!({"data": "not-an-image"})).await;
    assert_eq!(status, 400, "{body}");

    let wiping = start_with(|c| c.wipe_on_navigate = true).await;
    post(&wiping, "/extension-log", json!({"data": {"type": "console-log", "message": "gone"}})).await;
    post(&wiping, "/wipelogs", json!({})).await;
    assert_eq!(wiping.events("").await.len(), 0, "wipe_on_navigate clears");
}

#[tokio::test]
async fn websocket_heartbeat_navigation_and_screenshot_by_request_id() {
    let srv = start().await;
    let mut ext = browser_tools(&srv).await;
    assert_eq!(ext.protocol, None);
    ext.send(json!({"type": "heartbeat"})).await;
    assert!(ext.recv_type("heartbeat-response").await.get("timestamp").is_some());
    ext.send(json!({"type": "page-navigated", "url": "https://app.test/next", "tabId": 12, "timestamp": 1_700_000_000_000i64})).await;
    let nav = &srv.wait_events("type=browser-event", 1).await[0];
    assert_eq!(nav["data"]["event"], "navigation_completed");
    assert_eq!(nav["data"]["url"], "https://app.test/next");
    let (_, s) = srv.get_json("/api/sessions").await;
    assert_eq!(s["sessions"][0]["dialect"], "browser-tools");
    assert_eq!(s["sessions"][0]["url"], "https://app.test/next");

    // A screenshot through the REST API becomes take-screenshot; the reply is matched by requestId.
    let call = srv.spawn_command(json!({"type": "screenshot-request", "data": {}}));
    let ask = ext.recv_type("take-screenshot").await;
    let request_id = ask["requestId"].as_str().unwrap().to_string();
    ext.send(json!({"type": "screenshot-data", "data": format!("data:image/png;base64,{PNG_1X1}"), "requestId": request_id, "autoPaste": false})).await;
    let reply = call.await.unwrap();
    assert_eq!(reply["type"], "screenshot-response");
    assert_eq!(reply["data"]["success"], true);
    assert!(reply["data"]["screenshotId"].is_string());

    // get_url becomes get-current-url.
    let call = srv.spawn_command(json!({"type": "browser-action", "data": {"action": "get_url"}}));
    let ask = ext.recv_type("get-current-url").await;
    ext.send(json!({"type": "current-url-response", "url": "https://app.test/next", "tabId": 12, "requestId": ask["requestId"]})).await;
    let reply = call.await.unwrap();
    assert_eq!(reply["data"]["success"], true);
    assert_eq!(reply["data"]["data"]["url"], "https://app.test/next");

    // A screenshot error is a failed result, not a hang.
    let call = srv.spawn_command(json!({"type": "screenshot-request"}));
    let ask = ext.recv_type("take-screenshot").await;
    ext.send(json!({"type": "screenshot-error", "error": "Cannot capture a chrome:// page", "requestId": ask["requestId"]})).await;
    let reply = call.await.unwrap();
    assert_eq!(reply["data"]["success"], false);
    assert_eq!(reply["data"]["error"], "Cannot capture a chrome:// page");

    // What it cannot do is said at once.
    let (status, body) = srv
        .post_json(
            "/api/commands",
            json!({"type": "browser-action", "data": {"action": "navigate", "params": {"url": "https://x"}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("browser-tools"), "{body}");
}

#[tokio::test]
async fn several_tabs_at_once_replies_matched_by_id_not_order() {
    let srv = start().await;
    let mut a = browser_tools(&srv).await;
    let mut b = browser_tools(&srv).await;
    a.send(json!({"type": "heartbeat"})).await;
    a.recv_type("heartbeat-response").await;
    b.send(json!({"type": "heartbeat"})).await;
    b.recv_type("heartbeat-response").await;
    // Learn which session each socket is from a navigation only it reports.
    a.send(json!({"type": "page-navigated", "url": "https://a.test/", "tabId": 1})).await;
    b.send(json!({"type": "page-navigated", "url": "https://b.test/", "tabId": 2})).await;
    srv.wait_events("type=browser-event", 2).await;
    let (_, s) = srv.get_json("/api/sessions").await;
    let sessions = s["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "both stay connected (upstream keeps only the newest)");
    let session_of = |url: &str| {
        sessions.iter().find(|s| s["url"] == url).unwrap()["sessionId"].as_str().unwrap().to_string()
    };
    let (a_session, b_session) = (session_of("https://a.test/"), session_of("https://b.test/"));
    let shoot =
        |session: String| srv.spawn_command(json!({"type": "screenshot-request", "sessionId": session}));
    let for_a = shoot(a_session.clone());
    let for_b = shoot(b_session.clone());
    let ask_a = a.recv_type("take-screenshot").await;
    let ask_b = b.recv_type("take-screenshot").await;
    // Answer in the opposite order, with different images: b a JPEG, a a PNG.
    let tiny_jpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";
    b.send(json!({"type": "screenshot-data", "data": format!("data:image/jpeg;base64,{tiny_jpeg}"), "requestId": ask_b["requestId"]})).await;
    a.send(json!({"type": "screenshot-data", "data": format!("data:image/png;base64,{PNG_1X1}"), "requestId": ask_a["requestId"]})).await;
    let (ra, rb) = (for_a.await.unwrap(), for_b.await.unwrap());
    assert_eq!(
        (ra["data"]["format"].as_str(), ra["metadata"]["sessionId"].as_str()),
        (Some("png"), Some(a_session.as_str()))
    );
    assert_eq!(
        (rb["data"]["format"].as_str(), rb["metadata"]["sessionId"].as_str()),
        (Some("jpg"), Some(b_session.as_str()))
    );
}

#[tokio::test]
async fn shutdown_tells_the_extension() {
    let srv = start().await;
    let mut ext = browser_tools(&srv).await;
    ext.send(json!({"type": "heartbeat"})).await;
    ext.recv_type("heartbeat-response").await;
    srv.connector.shutdown();
    assert_eq!(ext.recv_type("server-shutdown").await["type"], "server-shutdown");
}
