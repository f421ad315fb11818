//! The demo browser against a real connector on 127.0.0.1: it connects over the socket like any
//! browser, its traffic lands in the store (seen through the REST API), and it answers commands.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use triage_tui::config::{Config, Paths};
use triage_tui::demo::{self, DemoOptions};
use triage_tui::protocol::MessageType;
use triage_tui::server::{self, Command, Connector};

/// Every wait in these tests is bounded by this; none of them asserts on timing.
const PATIENCE: Duration = Duration::from_secs(30);

fn temp_paths() -> Paths {
    let root = std::env::temp_dir().join(format!("triage-demo-test-{}", uuid::Uuid::new_v4().simple()));
    Paths {
        config_dir: root.join("config"),
        config_file: root.join("config").join("config.toml"),
        config_file_used: false,
        data_dir: root.join("data"),
    }
}

async fn start(
    config: Config,
) -> (Connector, SocketAddr, tokio::task::JoinHandle<anyhow::Result<()>>, PathBuf) {
    let paths = temp_paths();
    let root = paths.data_dir.parent().map(PathBuf::from).unwrap_or_default();
    let (connector, addr, task) = server::start(config, &paths).await.expect("connector starts");
    (connector, addr, task, root)
}

fn spawn_demo(
    addr: SocketAddr,
    options: DemoOptions,
) -> (CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let stop = CancellationToken::new();
    let task = tokio::spawn(demo::run(addr, options, stop.clone()));
    (stop, task)
}

/// Polls `check` until it yields a value, or fails the test after [`PATIENCE`] saying `what`.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn get(url: String) -> Value {
    let response = reqwest::get(&url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    response.json().await.unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}

async fn demo_sessions(addr: SocketAddr) -> Vec<Value> {
    let body = get(format!("http://{addr}/api/sessions")).await;
    body["sessions"]
        .as_array()
        .map(|s| s.iter().filter(|s| s["clientType"] == "triage-demo").cloned().collect())
        .unwrap_or_default()
}

/// What the events seen so far add up to.
#[derive(Default, Debug)]
struct Seen {
    types: BTreeMap<String, usize>,
    levels: BTreeSet<String>,
    error_with_stack: bool,
    failed_requests: usize,
    redacted_authorization: bool,
    navigations: usize,
    traffic_ids: BTreeSet<String>,
}

impl Seen {
    fn of(events: &[Value]) -> Seen {
        let mut s = Seen::default();
        for e in events {
            let ty = e["type"].as_str().unwrap_or("").to_string();
            *s.types.entry(ty.clone()).or_default() += 1;
            let d = &e["data"];
            match ty.as_str() {
                "console-log" | "console-error" => {
                    if let Some(level) = d["level"].as_str() {
                        s.levels.insert(level.to_string());
                    }
                    if d["level"] == "error" && d["stack"].as_str().is_some_and(|st| st.contains("\n    at "))
                    {
                        s.error_with_stack = true;
                    }
                }
                "network-request" | "network-error" => {
                    if ty == "network-error" || d["status"].as_u64().is_some_and(|st| st >= 400) {
                        s.failed_requests += 1;
                    }
                    if d["headers"]["request"]["Authorization"] == "[REDACTED]" {
                        s.redacted_authorization = true;
                    }
                }
                "websocket-frame" => {
                    if let Some(t) = d["trafficId"].as_str() {
                        s.traffic_ids.insert(t.to_string());
                    }
                }
                "browser-event" if d["event"] == "navigation_completed" => s.navigations += 1,
                _ => {}
            }
        }
        s
    }

    fn complete(&self) -> bool {
        self.levels.len() >= 4
            && self.error_with_stack
            && self.failed_requests >= 1
            && self.redacted_authorization
            && !self.traffic_ids.is_empty()
            && self.types.contains_key("element-selected")
            && self.navigations >= 1
    }
}

#[tokio::test]
async fn demo_traffic_reaches_the_connector_over_the_real_socket() {
    let (connector, addr, server_task, root) = start(Config { port: 0, ..Default::default() }).await;
    let (stop, demo_task) =
        spawn_demo(addr, DemoOptions { tabs: 2, events_per_sec: 80.0, seed: 7, token: None });

    let sessions = eventually("two demo sessions in /api/sessions", || async {
        let s = demo_sessions(addr).await;
        (s.len() == 2).then_some(s)
    })
    .await;
    assert!(sessions
        .iter()
        .all(|s| s["kind"] == "extension" && s["subprotocol"] == "rapidtriage-extension-v1"));
    let tabs: BTreeSet<&str> = sessions.iter().filter_map(|s| s["tabId"].as_str()).collect();
    assert_eq!(tabs, BTreeSet::from(["demo-1", "demo-2"]));

    let seen = eventually("console, network, frames, elements and navigations from the demo", || async {
        let body = get(format!("http://{addr}/api/events?limit=100000")).await;
        let seen = Seen::of(body["events"].as_array().map_or(&[][..], |v| v.as_slice()));
        seen.complete().then_some(seen)
    })
    .await;
    println!("event types: {:?}", seen.types);
    println!("console levels: {:?}", seen.levels);
    println!("failed requests: {}, page sockets: {:?}", seen.failed_requests, seen.traffic_ids);

    // The page's frames are also served by seed 003's frames API, decodable as sent.
    let traffic_id = seen.traffic_ids.iter().next().cloned().unwrap_or_default();
    let frames = get(format!("http://{addr}/api/websocket/{traffic_id}/frames?limit=10")).await;
    let first = &frames.as_array().expect("a list of frames")[0];
    assert_eq!(first["trafficId"], traffic_id.as_str());
    assert!(first["direction"] == "client-to-server" || first["direction"] == "server-to-client");
    println!("first frame of {traffic_id}: {first}");

    stop.cancel();
    demo_task.await.expect("demo task joins").expect("demo ends cleanly");
    eventually("demo sessions gone after cancel", || async {
        demo_sessions(addr).await.is_empty().then_some(())
    })
    .await;
    connector.shutdown();
    let _ = server_task.await;
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn demo_answers_commands_like_a_browser() {
    let (connector, addr, server_task, root) = start(Config { port: 0, ..Default::default() }).await;
    let (stop, demo_task) = spawn_demo(addr, DemoOptions { events_per_sec: 4.0, ..Default::default() });
    let session = eventually("the demo's first tab", || async {
        let s = demo_sessions(addr).await;
        s.iter().find(|s| s["tabId"] == "demo-1").and_then(|s| s["sessionId"].as_str()).map(str::to_string)
    })
    .await;

    // Screenshot: a real PNG, saved by the connector.
    let reply = connector
        .command(Command::new(MessageType::ScreenshotRequest, json!({ "format": "png" })).to(&session))
        .await
        .expect("screenshot answered");
    assert!(reply.success(), "{}", reply.envelope.data);
    assert_eq!(reply.envelope.kind, "screenshot-response");
    let path = reply.envelope.data["path"].as_str().expect("data.path").to_string();
    let bytes = std::fs::read(&path).expect("the PNG file exists");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("PNG data decodes");
    assert_eq!(json!(info.width), reply.envelope.data["dimensions"]["width"]);
    assert_eq!(json!(info.height), reply.envelope.data["dimensions"]["height"]);
    println!("screenshot: {path} ({} bytes, {}x{})", bytes.len(), info.width, info.height);

    // Navigate: success, and the navigation shows up as browser events of that session.
    let target = "https://shop.acme.test/checkout";
    let reply = connector
        .command(Command::browser_action("navigate", json!({ "url": target })).to(&session))
        .await
        .expect("navigate answered");
    assert!(reply.success(), "{}", reply.envelope.data);
    assert_eq!(reply.envelope.data["data"]["url"], target);
    let navigation = eventually("a navigation browser-event for the new URL", || async {
        let body = get(format!("http://{addr}/api/events?type=browser-event&session={session}")).await;
        body["events"]
            .as_array()?
            .iter()
            .find(|e| e["data"]["url"] == target && e["data"]["event"] == "navigation_completed")
            .cloned()
    })
    .await;
    println!("navigation: {}", navigation["data"]);
    let sessions = demo_sessions(addr).await;
    let tab = sessions.iter().find(|s| s["sessionId"] == session.as_str()).expect("still connected");
    assert_eq!(tab["url"], target, "the session follows the tab's URL");

    // execute_js: arithmetic is evaluated.
    let reply = connector
        .command(Command::browser_action("execute_js", json!({ "script": "1+2" })).to(&session))
        .await
        .expect("execute_js answered");
    assert!(reply.success(), "{}", reply.envelope.data);
    assert_eq!(reply.envelope.data["data"], json!(3));
    println!("execute_js 1+2: {}", reply.envelope.data);

    // An action the browser does not know is a clear failure, not a timeout.
    let reply = connector
        .command(Command::browser_action("teleport", json!({})).to(&session))
        .await
        .expect("answered");
    assert!(!reply.success());
    assert!(reply.envelope.data["error"].as_str().is_some_and(|e| e.contains("unknown action")));

    stop.cancel();
    demo_task.await.expect("demo task joins").expect("demo ends cleanly");
    connector.shutdown();
    let _ = server_task.await;
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn demo_uses_the_token_and_retries_when_refused() {
    let config = Config { port: 0, token: Some("s3cret t0ken&=".into()), ..Default::default() };
    let (connector, addr, server_task, root) = start(config).await;
    let with_token = format!("http://{addr}/api/sessions?token=s3cret%20t0ken%26%3D");

    // A wrong token: refused at the upgrade; the demo keeps retrying and stops when told.
    let (stop, task) =
        spawn_demo(addr, DemoOptions { tabs: 1, token: Some("wrong".into()), ..Default::default() });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(get(with_token.clone()).await["sessions"].as_array().map(Vec::len), Some(0));
    stop.cancel();
    task.await.expect("joins").expect("a refused demo still ends cleanly");

    let (stop, task) =
        spawn_demo(addr, DemoOptions { tabs: 1, token: Some("s3cret t0ken&=".into()), ..Default::default() });
    eventually("the demo session with the right token", || async {
        let body = get(with_token.clone()).await;
        (body["sessions"].as_array()?.len() == 1).then_some(())
    })
    .await;
    stop.cancel();
    task.await.expect("joins").expect("ends cleanly");
    connector.shutdown();
    let _ = server_task.await;
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn demo_reconnects_when_the_connector_comes_back() {
    let (first, addr, first_task, root) = start(Config { port: 0, ..Default::default() }).await;
    let (stop, demo_task) = spawn_demo(addr, DemoOptions { tabs: 1, ..Default::default() });
    eventually("the demo on the first connector", || async {
        (demo_sessions(addr).await.len() == 1).then_some(())
    })
    .await;
    first.shutdown();
    first_task.await.expect("joins").expect("first connector stops cleanly");

    // Same port, new connector: the demo finds it again on its own.
    let (second, _, second_task, root2) = start(Config { port: addr.port(), ..Default::default() }).await;
    let session = eventually("the demo back on the second connector", || async {
        demo_sessions(addr).await.first().and_then(|s| s["sessionId"].as_str()).map(str::to_string)
    })
    .await;
    let reply = second
        .command(Command::browser_action("get_title", json!({})).to(&session))
        .await
        .expect("answered after reconnecting");
    assert_eq!(reply.envelope.data["data"], "Cart — Acme Shop");
    stop.cancel();
    demo_task.await.expect("joins").expect("ends cleanly");
    second.shutdown();
    let _ = second_task.await;
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(root2);
}

#[tokio::test]
async fn demo_refuses_options_it_cannot_honour() {
    let addr: SocketAddr = "127.0.0.1:9".parse().expect("an address");
    let stop = CancellationToken::new();
    assert!(demo::run(addr, DemoOptions { tabs: 0, ..Default::default() }, stop.clone()).await.is_err());
    let nan = DemoOptions { events_per_sec: f64::NAN, ..Default::default() };
    assert!(demo::run(addr, nan, stop).await.is_err());
}
