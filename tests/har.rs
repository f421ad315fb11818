//! HAR export: `GET /api/har` and `triage-tui export --har` over a real connector, real browser
//! socket and the real binary; every exported HAR passes the npm `har-validator` schema check.

mod common;

use std::process::Command;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");

use common::har_validate as validate;

fn network_events() -> Vec<Value> {
    vec![
        json!({"type": "network-request", "data": {
            "requestId": "r1", "url": "https://api.test/users?q=it&page=2", "method": "POST", "status": 201,
            "statusText": "Created", "duration": 42.5, "resourceType": "fetch", "mimeType": "application/json",
            "size": {"request": 120, "response": 340, "body": 17},
            "headers": {"request": {"Authorization": "Bearer secret", "Content-Type": "application/json"},
                        "response": {"Content-Type": "application/json", "Set-Cookie": "sid=1"}},
            "body": {"request": "{\"name\":\"ada\"}", "response": "{\"id\":1,\"ok\":true}"},
            "timing": {"startTime": 1764600000000.0, "queued": 1, "dns": -1, "connect": -1, "ssl": -1,
                       "send": 0.5, "wait": 40, "receive": 1},
            "initiator": {"type": "script"}}}),
        json!({"type": "network-request", "data": {
            "requestId": "r2", "url": "https://api.test/boom", "method": "GET", "status": 500,
            "statusText": "Internal Server Error", "duration": 7, "resourceType": "xhr",
            "size": {"transferred": 99, "resource": 12}, "cache": "disk",
            "headers": {"request": {}, "response": {}}, "body": {"request": null, "response": "server fell"}}}),
        json!({"type": "network-error", "data": {
            "requestId": "r3", "url": "https://down.test/", "method": "GET", "status": 0, "resourceType": "document",
            "error": "net::ERR_CONNECTION_REFUSED", "headers": {"request": {}, "response": {}}}}),
        json!({"type": "network-request", "data": {
            "requestId": "sock-1", "url": "wss://live.test/feed", "method": "GET", "status": 101,
            "statusText": "Switching Protocols", "resourceType": "WebSocket",
            "headers": {"request": {}, "response": {}}, "body": {"request": null, "response": null},
            "timing": {"startTime": 1764600001000.0}}}),
    ]
}

fn frames() -> Vec<Value> {
    vec![
        json!({"type": "websocket-frame", "timestamp": 1764600001500i64, "data": {"trafficId": "sock-1",
            "direction": "client-to-server", "opcode": 1, "data": "aGVsbG8=", "url": "wss://live.test/feed"}}),
        json!({"type": "websocket-frame", "timestamp": 1764600001750i64, "data": {"trafficId": "sock-1",
            "direction": "server-to-client", "opcode": 2, "data": "AAEC", "url": "wss://live.test/feed"}}),
        // A socket whose handshake was never captured still gets an entry.
        json!({"type": "websocket-frame", "timestamp": 1764600002000i64, "data": {"trafficId": "sock-2",
            "direction": "server-to-client", "opcode": 1, "data": "eW8=", "url": "wss://other.test/"}}),
    ]
}

fn entry<'a>(har: &'a Value, url: &str) -> &'a Value {
    har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request"]["url"] == url)
        .unwrap_or_else(|| panic!("{url} in {har}"))
}

fn check_full_har(har: &Value) {
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 5, "{har}");
    assert!(har["log"]["comment"].as_str().unwrap().contains("[REDACTED]"), "redaction is said");
    let post = entry(har, "https://api.test/users?q=it&page=2");
    assert_eq!(post["request"]["method"], "POST");
    assert_eq!(post["request"]["postData"]["text"], "{\"name\":\"ada\"}");
    assert_eq!(
        post["request"]["queryString"],
        json!([{"name": "q", "value": "it"}, {"name": "page", "value": "2"}])
    );
    let auth =
        post["request"]["headers"].as_array().unwrap().iter().find(|h| h["name"] == "Authorization").unwrap();
    assert_eq!(auth["value"], "[REDACTED]", "redacted on capture, still redacted");
    assert_eq!(post["response"]["content"]["text"], "{\"id\":1,\"ok\":true}");
    assert_eq!(post["response"]["content"]["size"], 17);
    assert_eq!(post["response"]["_transferSize"], 340);
    assert_eq!(post["timings"]["wait"], 40.0);
    assert_eq!(post["timings"]["dns"], -1);
    assert_eq!(post["startedDateTime"], "2025-12-01T14:40:00.000Z");
    assert_eq!(post["_resourceType"], "fetch");
    assert_eq!(post["_initiator"]["type"], "script");
    let boom = entry(har, "https://api.test/boom");
    assert_eq!(boom["response"]["status"], 500);
    assert_eq!(
        (boom["response"]["content"]["size"].clone(), boom["response"]["bodySize"].clone()),
        (json!(12), json!(99))
    );
    assert_eq!(boom["_fromCache"], "disk");
    assert_eq!(boom["timings"]["wait"], 7.0, "no breakdown: the duration is the wait");
    let down = entry(har, "https://down.test/");
    assert_eq!(down["response"]["_error"], "net::ERR_CONNECTION_REFUSED");
    assert_eq!(down["response"]["content"]["size"], -1);
    let sock = entry(har, "wss://live.test/feed");
    assert_eq!(
        sock["_webSocketMessages"],
        json!([{"type": "send", "time": 1764600001.5, "opcode": 1, "data": "hello"},
               {"type": "receive", "time": 1764600001.75, "opcode": 2, "data": "AAEC"}])
    );
    assert_eq!(entry(har, "wss://other.test/")["_webSocketMessages"][0]["data"], "yo");
    for e in har["log"]["entries"].as_array().unwrap() {
        for k in ["send", "wait", "receive"] {
            assert!(e["timings"][k].as_f64().unwrap() >= 0.0, "{k} never negative: {e}");
        }
    }
}

/// A connector a browser has sent the events and frames above to, all stored.
async fn fed(tab: &str) -> (common::TestServer, common::Peer) {
    let srv = common::start().await;
    let mut browser = srv.browser(tab).await;
    for e in network_events().into_iter().chain(frames()) {
        browser.send(e).await;
    }
    assert_eq!(srv.wait_events("type=network-request,network-error", 4).await.len(), 4);
    assert_eq!(srv.wait_events("type=websocket-frame", 3).await.len(), 3);
    (srv, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_har_holds_requests_frames_and_redactions_and_validates() {
    let (srv, browser) = fed("har").await;

    let (status, har) = srv.get_json("/api/har").await;
    assert_eq!(status, 200, "{har}");
    check_full_har(&har);
    let file = srv.dir.join("all.har");
    std::fs::write(&file, har.to_string()).unwrap();
    validate(&file);

    // The filter language and the session narrow it.
    let (_, five) = srv.get_json("/api/har?filter=status:%3E%3D500").await;
    let urls: Vec<&str> = five["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, ["https://api.test/boom"]);
    let (_, none) = srv.get_json("/api/har?session=nobody").await;
    assert_eq!(none["log"]["entries"], json!([]));
    let (status, bad) = srv.get_json("/api/har?filter=status:%3Eabc").await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"].as_str().unwrap().contains("bad filter"), "{bad}");

    // The CLI asks the running connector.
    let out_file = srv.dir.join("cli/errors.har");
    let out = Command::new(BIN)
        .env("TRIAGE_DATA_DIR", srv.dir.join("cli-data"))
        .env("TRIAGE_CONFIG_DIR", srv.dir.join("cli-config"))
        .env_remove("TRIAGE_TOKEN")
        .args(["--port", &srv.addr.port().to_string(), "export", "--har"])
        .arg(&out_file)
        .args(["--filter", "status:>=500", "--session", &browser.session])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 entries)"), "{out:?}");
    let written: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(written["log"]["entries"][0]["request"]["url"], "https://api.test/boom");
    validate(&out_file);
}

#[test]
fn export_from_a_recording_and_says_when_nothing_answers() {
    let dir = common::temp_dir("har-cli");
    let rec = dir.join("rec.ndjson");
    let mut lines = String::new();
    for (i, mut e) in network_events().into_iter().chain(frames()).enumerate() {
        e["timestamp"] = e.get("timestamp").cloned().unwrap_or(json!(1764600000000i64 + i as i64));
        e["metadata"] = json!({"sessionId": "ext-rec"});
        // Recorded events were redacted on ingest.
        if i == 0 {
            e["data"]["headers"]["request"]["Authorization"] = json!("[REDACTED]");
            e["data"]["headers"]["response"]["Set-Cookie"] = json!("[REDACTED]");
        }
        lines.push_str(&format!("{e}\n"));
    }
    std::fs::write(&rec, lines).unwrap();
    let cmd = || {
        let mut c = Command::new(BIN);
        c.env("TRIAGE_DATA_DIR", dir.join("data"))
            .env("TRIAGE_CONFIG_DIR", dir.join("config"))
            .env_remove("TRIAGE_PORT");
        c
    };
    let har = dir.join("rec.har");
    let out = cmd().args(["export", "--har"]).arg(&har).arg("--from").arg(&rec).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    check_full_har(&doc);
    validate(&har);

    // No connector on the port: a clear error naming what to do.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out =
        cmd().args(["--port", &free.to_string(), "export", "--har"]).arg(dir.join("x.har")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no triage-tui answers"), "{out:?}");
    assert!(!dir.join("x.har").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_open_gives_the_same_entries_headers_bodies_and_frames() {
    let (srv, _browser) = fed("trip").await;
    let (_, first) = srv.get_json("/api/har").await;
    let file = srv.dir.join("trip.har");
    std::fs::write(&file, serde_json::to_string_pretty(&first).unwrap()).unwrap();

    let opened = common::start().await;
    let loaded = opened.connector.load_recording(&file).expect("opens");
    assert_eq!((loaded.events, loaded.skipped_total), (8, 0), "{loaded:?}");
    let (_, second) = opened.get_json("/api/har").await;
    let strip = |har: &Value| -> Vec<Value> { har["log"]["entries"].as_array().unwrap().to_vec() };
    let (a, b) = (strip(&first), strip(&second));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(y, x, "export → open → export gives the same entry:\n{x:#}\n{y:#}");
    }
    check_full_har(&second);
}
