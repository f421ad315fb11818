//! Issue 16: connectors share one stream over a real Redis (redis-server on a free loopback
//! port with its own temp dir, killed on drop).

mod common;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::redis::{connector_on, until, Redis};
use common::tmux::Tmux;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_browser_on_one_connector_is_seen_by_another() {
    let redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut watcher = b.client().await;
    let mut browser = a.browser("tab-a").await;
    browser.send(json!({"id": "from-a-1", "type": "console-log", "data": {"level": "error", "message": "boom on A"}})).await;
    browser.send(json!({"id": "from-a-2", "type": "network-request", "data": {"url": "https://a.test/api", "method": "GET", "status": 500}})).await;

    // B's REST API: both events, under A's session named by its connector.
    let events = b.wait_events("type=console-log,network-request", 2).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let remote_session = format!("ci-a/{}", browser.session);
    for e in &events {
        assert_eq!(e["metadata"]["sessionId"], remote_session.as_str(), "{e}");
    }
    // B's /mcp-ws live stream.
    let got = watcher.recv_type("console-log").await;
    assert_eq!(got["id"], "from-a-1");
    assert_eq!(got["metadata"]["sessionId"], remote_session.as_str());

    // B's registry lists A's browser as a remote session of connector ci-a.
    let (_, sessions) = b.get_json("/api/sessions").await;
    let listed = sessions.to_string();
    assert!(listed.contains(&remote_session) && listed.contains("\"remote\""), "{listed}");

    // No loops: B does not publish what it read, A stores each of its events once.
    until("A's two events on the stream", async || redis.stream_events() == 2).await;
    browser.send(json!({"id": "from-a-3", "type": "console-log", "data": {"message": "third"}})).await;
    b.wait_events("type=console-log", 2).await;
    until("the third on the stream", async || redis.stream_events() == 3).await;
    assert_eq!(a.events("type=console-log,network-request").await.len(), 3);
    let (_, health_b) = b.get_json("/health").await;
    assert_eq!(health_b["redis"], "connected");
    assert_eq!(health_b["broker"]["published"], 0, "B published nothing it read: {health_b}");
    assert_eq!(health_b["broker"]["received"], 3);
    let metrics = b.http.get(b.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("triage_broker_received_total 3"), "{metrics}");
}

#[tokio::test]
async fn a_pages_websocket_frames_on_one_connector_are_in_the_others_frames() {
    let redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut browser = a.browser("tab-a").await;
    browser
        .send(json!({"type": "websocket-frame", "data": {"trafficId": "page-sock-1", "direction": "server-to-client",
            "opcode": 1, "data": "eyJhIjoxfQ==", "isBinary": false, "length": 7, "url": "wss://app/live"}}))
        .await;
    let remote_session = format!("ci-a/{}", browser.session);
    let frames = b.wait_events("type=websocket-frame", 1).await;
    let f = &frames[0];
    assert_eq!(f["metadata"]["sessionId"], remote_session.as_str(), "{f}");
    // The same frame: payload, direction, URL; its socket is named after its connector.
    assert_eq!(f["data"]["data"], "eyJhIjoxfQ==", "{f}");
    assert_eq!(f["data"]["direction"], "server-to-client");
    assert_eq!(f["data"]["url"], "wss://app/live");
    assert_eq!(f["data"]["trafficId"], "ci-a/page-sock-1");
    // In B's Frames, under the socket's connector-named id (what the Frames pane lists).
    let path = "/api/websocket/ci-a%2Fpage-sock-1/frames?limit=10";
    let (status, listed) = b.get_json(path).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

#[tokio::test]
async fn the_connector_filter_term_selects_one_connector() {
    let f = triage_tui::ui::filter::Filter::parse("connector:ci-a").unwrap().unwrap();
    let event = |session: &str| triage_tui::store::StoredEvent {
        seq: 1,
        ty: triage_tui::protocol::MessageType::ConsoleLog,
        level: triage_tui::store::Level::Log,
        status: 0,
        timestamp_ms: 0,
        session: session.into(),
        raw: triage_tui::store::Body::from(&b"{}"[..]),
    };
    assert!(f.matches_event(&event("ci-a/ext-1")));
    assert!(!f.matches_event(&event("ci-ab/ext-1")));
    assert!(!f.matches_event(&event("ext-1")));
    assert!(triage_tui::ui::filter::Filter::parse("connector:").is_err());
}

#[tokio::test]
async fn a_wrong_or_refused_broker_is_a_clear_error_naming_the_flag() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for url in [format!("redis://127.0.0.1:{free}"), "http://nope".to_string()] {
        let srv = start_with(|c| c.broker = Some(url.clone())).await;
        let err = triage_tui::broker::start(&srv.connector).await.expect_err("refused");
        let text = format!("{err:#}");
        assert!(text.contains("--broker"), "{text}");
    }
}

#[tokio::test]
async fn redis_down_then_back_publishing_resumes_and_counts_reconcile() {
    let mut redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut browser = a.browser("tab-a").await;
    browser.send(json!({"id": "before", "type": "console-log", "data": {"message": "before"}})).await;
    b.wait_events("type=console-log", 1).await;
    let remote = format!("ci-a/{}", browser.session);
    let stale_on_b = async || {
        let (_, list) = b.get_json("/api/sessions").await;
        let list = list["sessions"].as_array().cloned().unwrap_or_default();
        let s = list.iter().find(|s| s["sessionId"] == remote.as_str()).cloned().unwrap_or_default();
        assert!(!s.is_null(), "B lists A's session: {list:?}");
        s["stale"] == true
    };
    assert!(!stale_on_b().await, "fresh while the broker is up");

    redis.kill();
    for i in 0..5 {
        browser
            .send(
                json!({"id": format!("down-{i}"), "type": "console-log", "data": {"message": "while down"}}),
            )
            .await;
    }
    // A keeps storing locally and says so.
    assert_eq!(a.wait_events("type=console-log", 6).await.len(), 6);
    until("A to notice", async || a.get_json("/health").await.1["redis"] == "disconnected").await;
    // B cannot hear A: A's session stays listed, marked stale.
    until("B to mark A's session stale", async || stale_on_b().await).await;

    redis.restart();
    // A re-advertises on the fresh (empty) Redis; B clears the mark.
    until("B to clear the stale mark", async || !stale_on_b().await).await;
    until("B to receive what waited", async || b.events("type=console-log").await.len() == 6).await;
    let (_, health) = a.get_json("/health").await;
    assert_eq!(health["redis"], "connected");
    let stored = a.events("type=console-log").await.len() as u64;
    let published = health["broker"]["published"].as_u64().unwrap();
    let dropped = health["broker"]["dropped"].as_u64().unwrap();
    assert_eq!(stored, published + dropped, "{health}");
    assert_eq!(dropped, 0);
}

#[tokio::test]
async fn a_command_sent_through_b_reaches_a_browser_on_a_and_answers_b_only() {
    let redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut other_client_on_b = b.client().await;
    let mut browser = a.browser("tab-a").await;
    browser.send(json!({"type": "console-log", "data": {"message": "hello"}})).await;
    b.wait_events("type=console-log", 1).await;
    let remote = format!("ci-a/{}", browser.session);

    let call = b.spawn_command(json!({
        "id": "mine-1", "type": "browser-action", "sessionId": remote,
        "data": {"action": "execute_js", "params": {"script": "6*7"}},
    }));
    let cmd = browser.recv_type("browser-action").await;
    assert_eq!(cmd["data"]["params"]["script"], "6*7");
    browser
        .send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": 42}}))
        .await;
    let reply = call.await.unwrap();
    assert_eq!(reply["type"], "command-result", "{reply}");
    assert_eq!(reply["id"], "mine-1");
    assert_eq!(reply["data"]["data"], 42);
    assert_eq!(reply["metadata"]["sessionId"], remote.as_str());
    // The other client on B never sees the reply.
    assert!(other_client_on_b.gets_type_within("command-result", Duration::from_millis(300)).await.is_none());

    // A remote session B never saw is refused at once, as an unknown local one is.
    drop(browser);
    let (status, body) = b
        .post_json("/api/commands", json!({"type": "browser-action", "sessionId": "ci-a/ext-gone", "data": {"action": "execute_js", "params": {"script": "1"}}}))
        .await;
    assert_ne!(status, 200, "{body}");
}

#[tokio::test]
async fn a_remote_clear_logs_clears_the_holders_store_not_the_requesters() {
    let redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut on_a = a.browser("tab-a").await;
    let mut on_b = b.browser("tab-b").await;
    on_a.send(json!({"type": "console-log", "data": {"message": "on A"}})).await;
    on_b.send(json!({"type": "console-log", "data": {"message": "on B"}})).await;
    b.wait_events("type=console-log", 2).await;
    a.wait_events("type=console-log", 2).await;
    let remote = format!("ci-a/{}", on_a.session);
    let call =
        b.spawn_command(json!({"id": "clear-1", "type": "clear-logs", "sessionId": remote, "data": {}}));
    let cmd = on_a.recv_type("clear-logs").await;
    on_a.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    let reply = call.await.unwrap();
    assert_eq!(reply["type"], "command-result", "{reply}");
    assert!(a.events("type=console-log").await.is_empty(), "the holder's store is cleared");
    let left = b.events("type=console-log").await;
    assert!(left.iter().any(|e| e["data"]["message"] == "on B"), "the requester keeps its own: {left:?}");
}

#[tokio::test]
async fn a_connector_that_starts_reads_a_recent_window_not_the_whole_stream() {
    let redis = Redis::start();
    // A single-event entry of connector `c` with id `id` (its time; `*` is now).
    let add = |id: &str, c: &str, m: &str| {
        let e = json!({"type": "console-log", "data": {"message": m}}).to_string();
        redis.cli(&["SADD", "triage:connectors", c]);
        let stream = format!("triage:events:{c}");
        redis.cli(&["XADD", &stream, id, "c", c, "s", "ext-1", "t", "console-log", "e", &e])
    };
    // An entry from long ago, and one from now.
    let old = add("1000-0", "ci-old", "ancient");
    assert!(old.contains("1000-0"), "{old}");
    add("*", "ci-new", "recent");
    let b = connector_on(&redis, "ci-b").await;
    let got = b.wait_events("type=console-log", 1).await;
    assert_eq!(got[0]["data"]["message"], "recent", "{got:?}");
    // Anything later still arrives after the window's entries; the ancient one never does.
    add("*", "ci-new", "later");
    let got = b.wait_events("type=console-log", 2).await;
    assert!(got.iter().all(|e| e["data"]["message"] != "ancient"), "{got:?}");
}

#[tokio::test]
async fn a_connector_that_dies_disappears_from_the_others() {
    let redis = Redis::start();
    let a = connector_on(&redis, "ci-a").await;
    let b = connector_on(&redis, "ci-b").await;
    let mut browser = a.browser("tab-a").await;
    browser.send(json!({"type": "console-log", "data": {"message": "alive"}})).await;
    b.wait_events("type=console-log", 1).await;
    let remote = format!("ci-a/{}", browser.session);
    let listed = async || b.get_json("/api/sessions").await.1.to_string().contains(&remote);
    assert!(listed().await);
    // Advertised while A lives (after its next round), gone once A stops advertising.
    until("A to advertise its browser", async || {
        redis.get("triage:sessions:ci-a").contains(&browser.session)
    })
    .await;
    a.connector.shutdown();
    until("B to drop A's session (within 30 s)", async || !listed().await).await;
}

#[test]
fn the_binary_refuses_an_unauthorised_broker_at_start_naming_the_flag() {
    let redis = Redis::start_with(&["--requirepass", "right-secret"]);
    let dir = temp_dir("cli");
    let url = format!("redis://:wrong-secret@127.0.0.1:{}", redis.port);
    let out = Command::new(env!("CARGO_BIN_EXE_triage-tui"))
        .env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .args(["serve", "--port", "0", "--broker", &url])
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--broker") && err.contains("cannot reach Redis"), "{err}");
    assert!(!err.contains("wrong-secret"), "the password stays out of messages: {err}");
}

#[tokio::test]
async fn a_viewer_with_no_browser_shows_the_fleet_in_its_ui() {
    let redis = Redis::start();
    let dir = temp_dir("viewer");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, url) = (port.to_string(), redis.url());
    let args = ["--port", &port, "--broker", &url, "--name", "laptop"];
    let viewer = Tmux::start(&dir.join("data"), &dir.join("config"), &args, &[]);
    viewer.wait_for_async("the empty Console", 30, |s| s.contains("No console messages yet")).await;
    let a = connector_on(&redis, "ci-a").await;
    let mut browser = a.browser("tab-a").await;
    browser
        .send(json!({"type": "console-log", "data": {"level": "warn", "message": "fleet message from A"}}))
        .await;
    viewer.wait_for_async("A's message in the viewer", 30, |s| s.contains("fleet message from A")).await;
    viewer.keys(&["/"]);
    viewer.keys(&["-l", "connector:ci-a"]);
    viewer.keys(&["Enter"]);
    viewer.wait_for_async("the connector filter", 30, |s| s.contains("filter connector:ci-a (1)")).await;
    // Sessions pane: A's browser listed under its connector.
    viewer.keys(&["5"]);
    viewer
        .wait_for_async("the remote session", 30, |s| s.contains("ci-a/ext-") && s.contains("remote"))
        .await;
    viewer.keys(&["q"]);
    viewer.wait_for_async("a clean exit", 30, |s| s.contains("EXITED:0")).await;
    drop(viewer);
    let _ = std::fs::remove_dir_all(&dir);
}
