//! The MCP server with a real MCP client: the Python `mcp` SDK (tests/py/mcp_client.py) over
//! Streamable HTTP at `/mcp` and over stdio through `triage-tui mcp`, against a scripted browser
//! on the real `/extension-ws` socket. `./scripts/test` installs the SDK.

mod common;
mod py;

use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");

/// `python3` with the `mcp` SDK, or a clear failure saying how to get it.
fn python() -> Command {
    assert!(
        py::mcp_sdk_available(),
        "these tests need python3 with the MCP SDK: run ./scripts/test, or pip install mcp"
    );
    let mut c = Command::new("python3");
    c.arg(py::CLIENT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    c
}

/// Runs the client to the end, answering its sync lines with `on_line`; returns what it printed.
async fn run_client(mut child: Child, mut on_line: impl AsyncFnMut(&str) -> Option<String>) -> Vec<String> {
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let read_all = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(answer) = on_line(&line).await {
                stdin.write_all(format!("{answer}\n").as_bytes()).await.expect("answer the client");
            }
            seen.push(line);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), read_all).await.expect("the client finished");
    let status = child.wait().await.expect("client exit");
    assert!(status.success(), "the MCP client failed: {seen:?}");
    let ok = seen.iter().find(|l| l.starts_with("OK ")).cloned();
    assert!(ok.is_some(), "{seen:?}");
    eprintln!("mcp client: {} checks passed", ok.unwrap_or_default().trim_start_matches("OK "));
    seen
}

/// The page's traffic before the assistant looks: 122 console messages, 3 requests, 2 frames, 1 element.
async fn page_traffic(b: &mut Peer) {
    for i in 0..120 {
        b.send(json!({"type": "console-log", "data": {"level": "log", "message": format!("log line {i}")}}))
            .await;
    }
    b.send(json!({"type": "console-log", "data": {"level": "info", "message": "x".repeat(2000)}})).await;
    b.send(json!({"type": "console-error", "data": {"level": "error", "message": "TypeError: boom",
        "stack": "TypeError: boom\n    at checkout (app.js:10:5)", "url": "https://tab-a.test/app.js", "line": 10}}))
    .await;
    b.send(json!({"type": "network-request", "data": {"url": "https://tab-a.test/api/items", "method": "GET",
        "status": 200, "duration": 12, "headers": {"request": {"accept": "*/*"}, "response": {"content-type": "application/json"}}}}))
    .await;
    b.send(
        json!({"type": "network-request", "data": {"url": "https://tab-a.test/api/orders", "method": "POST",
        "status": 500, "requestHeaders": [{"name": "content-type", "value": "application/json"}],
        "requestBody": "{\"sku\":1}", "responseBody": "{\"error\":\"out of stock\"}"}}),
    )
    .await;
    b.send(json!({"type": "network-error", "data": {"url": "https://tab-a.test/api/down", "method": "GET", "error": "net::ERR_CONNECTION_REFUSED"}})).await;
    for data in ["eyJvcCI6ImhlbGxvIn0=", "eyJvcCI6ImJ5ZSJ9"] {
        b.send(json!({"type": "websocket-frame", "data": {"trafficId": "page-sock-1", "direction": "server-to-client",
            "opcode": 1, "data": data, "isBinary": false, "length": 14, "url": "wss://tab-a.test/live"}}))
        .await;
    }
    b.send(json!({"type": "element-selected", "data": {"element": {"tagName": "BUTTON", "id": "buy", "textContent": "Buy"}}})).await;
}

/// The scripted browser's answer to a command (and which action it was).
fn answer(cmd: &Value) -> (Value, Option<String>) {
    let id = cmd["id"].clone();
    match cmd["type"].as_str() {
        Some("screenshot-request") => (
            json!({"id": id, "type": "screenshot-response", "data": {"success": true, "base64": format!("data:image/png;base64,{PNG_1X1}")}}),
            Some("screenshot".into()),
        ),
        Some("browser-action") => {
            let action = cmd["data"]["action"].as_str().unwrap_or("").to_string();
            let script = cmd["data"]["params"]["script"].as_str().unwrap_or("");
            let data = match (action.as_str(), script) {
                ("execute_js", s) if s.starts_with("throw") => {
                    json!({"success": false, "error": "Error: boom"})
                }
                ("execute_js", "1 + 2") => json!({"success": true, "data": 3}),
                ("execute_js", "6 * 7") => json!({"success": true, "data": 42}),
                _ => json!({"success": true, "data": {"done": action}}),
            };
            (json!({"id": id, "type": "command-result", "data": data}), Some(action))
        }
        _ => (
            json!({"id": id, "type": "command-result", "data": {"success": true}}),
            cmd["type"].as_str().map(str::to_string),
        ),
    }
}

/// Plays the browser until the client is done: answers commands, and sends the checkout request
/// once the assistant's `wait_for` is waiting. Returns the commands it received.
async fn play_browser(
    srv: &TestServer,
    mut b: Peer,
    done: tokio::sync::oneshot::Receiver<()>,
) -> Vec<String> {
    let mut got = Vec::new();
    let mut checkout_sent = false;
    let mut poll = tokio::time::interval(std::time::Duration::from_millis(25));
    tokio::pin!(done);
    loop {
        tokio::select! {
            _ = &mut done => return got,
            msg = b.recv() => {
                let Some(cmd) = msg else { return got };
                if cmd["type"] == "heartbeat" || cmd["id"].is_null() {
                    continue;
                }
                let (reply, what) = answer(&cmd);
                got.extend(what);
                b.send(reply).await;
            }
            _ = poll.tick(), if !checkout_sent => {
                let waiting = srv.events("type=assistant-command&limit=100000").await.iter()
                    .any(|r| r["data"]["tool"] == "wait_for" && r["data"]["phase"] == "waiting");
                if waiting {
                    b.send(json!({"type": "network-request", "data": {"url": "https://tab-a.test/api/checkout",
                        "method": "POST", "status": 201}})).await;
                    checkout_sent = true;
                }
            }
        }
    }
}

/// Every tool through one transport; `args` says which (after the scenario name).
async fn every_tool(srv: &TestServer, args: &[String], mode: &str, dir: Option<&std::path::Path>) {
    let mut b = srv.browser("tab-a").await;
    page_traffic(&mut b).await;
    assert_eq!(srv.wait_events("type=console-log,console-error", 122).await.len(), 122);
    assert_eq!(srv.wait_events("type=element-selected", 1).await.len(), 1);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let mut py = python();
    py.arg("full").args(args).env("MCP_MODE", mode);
    if let Some(dir) = dir {
        py.env("TRIAGE_DATA_DIR", dir.join("data")).env("TRIAGE_CONFIG_DIR", dir.join("config"));
    }
    let client = py.spawn().expect("python3 runs");
    let (commands, _) = tokio::join!(play_browser(srv, b, done_rx), async {
        let seen = run_client(client, async |_| None).await;
        let _ = done_tx.send(());
        seen
    });
    for want in [
        "screenshot",
        "execute_js",
        "navigate",
        "reload",
        "go_back",
        "go_forward",
        "click",
        "type_text",
        "scroll_by",
        "clear-logs",
    ] {
        assert!(commands.iter().any(|c| c == want), "the browser received {want}: {commands:?}");
    }
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    let srv = start().await;
    every_tool(&srv, &["http".into(), srv.url("/mcp")], "legacy", None).await;
    // The client ended its HTTP session: it left the Sessions pane.
    let (_, body) = srv.get_json("/api/sessions").await;
    assert!(body["sessions"].as_array().unwrap().iter().all(|s| s["subprotocol"] != "mcp"), "{body}");
}

#[tokio::test]
async fn every_tool_over_stdio_through_the_running_connector() {
    let srv = start().await;
    let dir = temp_dir("mcp-stdio");
    // 2026-07-28's sessionless discover through the bridge (the HTTP test covers initialize).
    let args = ["stdio".to_string(), BIN.to_string(), srv.addr.port().to_string()];
    every_tool(&srv, &args, "auto", Some(&dir)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn web_origins_are_refused_on_mcp() {
    let srv = start().await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "evil", "version": "1"}}});
    let r = srv
        .http
        .post(srv.url("/mcp"))
        .header("Origin", "https://evil.example")
        .header("Accept", "application/json, text/event-stream")
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHORIZED");
    // Local dev servers run third-party code: refused too, unless the user lists the origin.
    let post = |srv: &TestServer, origin: &str| {
        srv.http
            .post(srv.url("/mcp"))
            .header("Origin", origin)
            .header("Accept", "application/json, text/event-stream")
            .json(&init)
            .send()
    };
    assert_eq!(post(&srv, "http://localhost:5173").await.unwrap().status().as_u16(), 403);
    let listed = start_with(|c| c.allowed_origins = vec!["http://localhost:5173".into()]).await;
    assert_eq!(post(&listed, "http://localhost:5173").await.unwrap().status().as_u16(), 200);
    assert_eq!(post(&listed, "chrome-extension://abcdefghijklmnop").await.unwrap().status().as_u16(), 200);
    // A listed page's preflight may send Streamable HTTP's headers.
    let preflight = listed
        .http
        .request(reqwest::Method::OPTIONS, listed.url("/mcp"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "mcp-protocol-version,mcp-session-id,content-type")
        .send()
        .await
        .unwrap();
    let allowed = preflight
        .headers()
        .get("access-control-allow-headers")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(allowed.contains("mcp-protocol-version") && allowed.contains("mcp-session-id"), "{allowed}");
    // A token-protected connector wants the token on /mcp too.
    let srv = start_with(|c| c.token = Some("s3cret".into())).await;
    let r = srv.http.post(srv.url("/mcp")).json(&init).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn mcp_with_no_connector_starts_one_a_browser_can_reach() {
    let dir = temp_dir("mcp-fresh");
    let mut py = python();
    py.args(["fresh", "stdio", BIN])
        .env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env_remove("TRIAGE_PORT")
        .env_remove("TRIAGE_TOKEN");
    let client = py.spawn().expect("python3 runs");
    let mut port = 0u16;
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<()>();
    let (peer_tx, mut peer_rx) = tokio::sync::mpsc::channel::<u16>(1);
    let answering = tokio::spawn(async move {
        // The browser, once the client says where the connector is.
        let Some(port) = peer_rx.recv().await else { return };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut b =
            Peer::connect(addr, "/extension-ws", &["rapidtriage-extension-v1"], &[]).await.expect("connect");
        b.send(json!({"type": "connection-init", "data": {"tabId": "fresh", "url": "https://fresh.test/"}}))
            .await;
        b.recv_type("connection-ack").await;
        loop {
            tokio::select! {
                _ = &mut done_rx => return,
                msg = b.recv() => {
                    let Some(cmd) = msg else { return };
                    if cmd["id"].is_null() { continue; }
                    b.send(answer(&cmd).0).await;
                }
            }
        }
    });
    let seen = run_client(client, async |line: &str| {
        if let Some(p) = line.strip_prefix("PORT ") {
            port = p.trim().parse().expect("a port");
            None
        } else if line == "READY" {
            peer_tx.send(port).await.expect("browser task");
            // Wait until the browser is registered before saying GO.
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let http = reqwest::Client::new();
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                let body: Value =
                    http.get(format!("http://{addr}/health")).send().await.ok()?.json().await.ok()?;
                if body["connections"]["extensions"] == 1 || tokio::time::Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Some("GO".into())
        } else {
            None
        }
    })
    .await;
    let _ = done_tx.send(());
    let _ = answering.await;
    assert!(port != 0, "{seen:?}");
    // The process stopped the connector it started when its client went away.
    let gone = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err();
    assert!(gone, "the connector on {port} stopped with triage-tui mcp");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn no_peer_may_pose_as_an_assistant() {
    let srv = start().await;
    let mut b = srv.browser("spoof").await;
    b.send(json!({"id": "s1", "type": "assistant-command", "data": {"client": "me", "tool": "navigate"}}))
        .await;
    let e = b.recv_type("error").await;
    assert_eq!(e["data"]["code"], "INVALID_MESSAGE", "{e}");
    b.send(json!({"type": "console-log", "data": {"message": "after"}})).await;
    srv.wait_events("type=console-log", 1).await;
    assert!(srv.events("type=assistant-command").await.is_empty());
}

#[tokio::test]
async fn mcp_refuses_a_port_held_by_another_connector() {
    // What browser-tools-server answers on /.identity.
    let app = axum::Router::new().route(
        "/.identity",
        axum::routing::get(|| async {
            axum::Json(json!({"port": 3025, "name": "browser-tools-server", "version": "1.2.0", "signature": "mcp-browser-connector-24x7"}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = temp_dir("mcp-taken");
    let out = Command::new(BIN)
        .args(["mcp", "--port", &port.to_string()])
        .env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env_remove("TRIAGE_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(WAIT, out).await.expect("exits").expect("runs");
    server.abort();
    let _ = std::fs::remove_dir_all(dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing but protocol on stdout");
    assert!(
        stderr.contains(&format!("port {port} is taken by")) && stderr.contains("browser-tools"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_bridge_survives_a_connector_restart() {
    let srv = start().await;
    let port = srv.addr.port();
    let dir = temp_dir("mcp-renew");
    let mut py = python();
    py.args(["renew", "stdio", BIN, &port.to_string()])
        .env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env("MCP_MODE", "legacy");
    let client = py.spawn().expect("python3 runs");
    let mut current = Some(srv);
    run_client(client, async |line: &str| {
        if line != "RESTART" {
            return None;
        }
        // The same port, a new connector: it knows nothing of the old HTTP session.
        drop(current.take());
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        current = Some(start_with(|c| c.port = port).await);
        Some("GO".into())
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}
