//! The seeds' own example clients (tests/seed_clients/, each as written in its seed with only the
//! URL changed) against `triage-tui serve`, with a scripted browser on `/extension-ws` answering
//! commands. Node clients use npm `ws` from .test-deps/node; Python clients run in the venv
//! .test-deps/seed-py with the `websockets` version the seeds were written for (scripts/test
//! installs both). Each client's output is read line by line until it has done what its seed
//! shows, then it is stopped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

/// Bound on what a client takes (the seed 004 client heartbeats every 30 s as written).
const CLIENT_WAIT: Duration = Duration::from_secs(90);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn need(path: &Path) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run ./scripts/test once (it installs the seed clients' deps)",
        path.display()
    );
    path.to_path_buf()
}

/// `triage-tui serve --port 0` in a temp dir; stopped on drop.
struct Served {
    child: Child,
    addr: String,
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve(env: &[(&str, &str)]) -> Served {
    let dir = common::temp_dir("seed-clients");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage-tui"));
    cmd.env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env_remove("TRIAGE_TOKEN")
        .env_remove("TRIAGE_BIND")
        .env_remove("TRIAGE_PORT")
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("triage-tui serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(common::WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(a) = line.split("listening on http://").nth(1) {
                return a.trim().to_string();
            }
        }
        panic!("serve ended without saying where it listens")
    })
    .await
    .expect("serve starts");
    // Keep reading its stdout: a closed pipe would fail its next print.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served { child, addr, dir }
}

/// A scripted browser: answers screenshot requests (with a 1×1 PNG) and browser actions, and
/// logs `after <command type>` after each answer, so a client that would get a reply twice
/// prints the second before that line.
async fn browser(addr: &str, token: Option<&str>) -> tokio::task::JoinHandle<()> {
    let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/extension-ws{query}")).await.expect("browser");
    let init = json!({"type": "connection-init", "data": {"tabId": 7, "url": "https://shop.example/", "title": "Shop"}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    let task = tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(t) = msg else { continue };
            let Ok(cmd) = serde_json::from_str::<Value>(t.as_str()) else { continue };
            let reply = match cmd["type"].as_str() {
                Some("screenshot-request") => json!({"id": cmd["id"], "type": "screenshot-response",
                    "data": {"success": true, "base64": format!("data:image/png;base64,{}", common::PNG_1X1)}}),
                Some("browser-action") => json!({"id": cmd["id"], "type": "command-result",
                    "data": {"success": true, "data": "Shop"}}),
                _ => continue,
            };
            let _ = ws.send(Message::text(reply.to_string())).await;
            let log = json!({"type": "console-log", "data": {"level": "log", "message": format!("after {}", cmd["type"].as_str().unwrap_or(""))}});
            let _ = ws.send(Message::text(log.to_string())).await;
        }
    });
    // Connected once the registry lists it (the upgrade finishes after the handshake answer).
    let health = format!("http://{addr}/health");
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        let h: Value = reqwest::get(&health).await.unwrap().json().await.unwrap();
        if h["connections"]["extensions"] == 1 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task
}

/// Runs a client until `done` holds for its output so far (or CLIENT_WAIT); returns its lines.
async fn run_client(
    program: &Path,
    script: &str,
    env: &[(&str, &str)],
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut cmd = Command::new(program);
    cmd.arg(repo().join("tests/seed_clients").join(script))
        .env("NODE_PATH", repo().join(".test-deps/node/node_modules"))
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(CLIENT_WAIT, async {
        loop {
            tokio::select! {
                line = out.next_line() => match line {
                    Ok(Some(l)) => seen.push(l),
                    _ => break,
                },
                Ok(Some(l)) = err.next_line() => seen.push(format!("stderr: {l}")),
            }
            if done(&seen) {
                break;
            }
        }
    })
    .await;
    let _ = child.kill().await;
    seen
}

fn has(lines: &[String], prefix: &str) -> usize {
    lines.iter().filter(|l| l.starts_with(prefix)).count()
}

#[tokio::test]
async fn seed000_node_client_as_written() {
    need(&repo().join(".test-deps/node/node_modules/ws"));
    let (lines, text) = seed000(&which("node"), "seed000_client.js").await;
    assert_eq!(has(&lines, "MCP WebSocket connected"), 1, "{text}");
    assert_eq!(has(&lines, "Session established: cli-"), 1, "the ack without connection-init: {text}");
    assert_eq!(has(&lines, "Screenshot captured: "), 1, "its reply, once: {text}");
    assert!(lines.iter().any(|l| l.starts_with("Screenshot captured: ") && l.ends_with(".png")), "{text}");
    assert_eq!(has(&lines, "[LOG] after screenshot-request"), 1, "{text}");
    assert!(!text.contains("stderr:"), "{text}");
}

fn which(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
        .unwrap_or_else(|| panic!("{name} is not on PATH"))
}

fn seed_python() -> PathBuf {
    need(&repo().join(".test-deps/seed-py/bin/python"))
}

/// Seed 000's clients: run until the browser's log line after the screenshot it was asked for.
async fn seed000(program: &Path, script: &str) -> (Vec<String>, String) {
    let srv = serve(&[]).await;
    let _b = browser(&srv.addr, None).await;
    let url = format!("ws://{}/mcp-ws", srv.addr);
    let lines =
        run_client(program, script, &[("SEED_URL", &url)], |l| has(l, "[LOG] after screenshot-request") > 0)
            .await;
    let text = lines.join("\n");
    (lines, text)
}

/// The JSON a client printed after `prefix`.
fn json_after(lines: &[String], prefix: &str) -> Value {
    let text = lines.join("\n");
    let line =
        lines.iter().find_map(|l| l.strip_prefix(prefix)).unwrap_or_else(|| panic!("no {prefix}: {text}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{prefix}{line}: {e}"))
}

#[tokio::test]
async fn seed000_python_client_as_written() {
    let (lines, text) = seed000(&seed_python(), "seed000_client.py").await;
    assert_eq!(has(&lines, "WebSocket connected"), 1, "{text}");
    assert_eq!(has(&lines, "Session established: cli-"), 1, "{text}");
    assert_eq!(has(&lines, "Screenshot saved: "), 1, "its reply, once: {text}");
    assert!(!text.contains("stderr:") && !text.contains("Connection failed"), "{text}");
}

#[tokio::test]
async fn seed002_python_flow_as_written() {
    // The seed's client authenticates with "your-api-key": the connector requires keys, and has that one.
    let srv = serve(&[("TRIAGE_API_KEYS", "your-api-key")]).await;
    let _b = browser(&srv.addr, Some("your-api-key")).await;
    let url = format!("ws://{}/ws", srv.addr);
    let lines =
        run_client(&seed_python(), "seed002_client.py", &[("SEED_URL", &url)], |l| has(l, "Browsers: ") > 0)
            .await;
    let text = lines.join("\n");
    let json_after = |prefix: &str| json_after(&lines, prefix);
    assert_eq!(json_after("Server: ")["type"], "welcome", "{text}");
    let auth = json_after("Auth response: ");
    assert_eq!((auth["data"]["success"].as_bool(), &auth["id"]), (Some(true), &json!(1)), "{text}");
    let browsers = json_after("Browsers: ");
    assert_eq!(browsers["id"], json!(2), "{text}");
    let list = browsers["data"]["data"]["browsers"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{text}");
    assert_eq!(list[0]["url"], "https://shop.example/", "{text}");
}

#[tokio::test]
async fn seed004_javascript_client_as_written() {
    let node = which("node");
    need(&repo().join(".test-deps/node/node_modules/ws"));
    let srv = serve(&[]).await;
    let http = reqwest::Client::new();
    let s: Value = http
        .post(format!("http://{}/api/sessions", srv.addr))
        .json(&json!({"user_id": "user1", "client_info": "seed004-js"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["session_id"].as_str().expect("session id").to_string();
    let base = format!("ws://{}", srv.addr);
    // Its first heartbeat is 30 s after open, as the seed wrote it.
    let lines =
        run_client(&node, "seed004_client.js", &[("SEED_BASE", &base), ("SEED_SESSION_ID", &id)], |l| {
            has(l, "Heartbeat acknowledged") > 0
        })
        .await;
    let text = lines.join("\n");
    assert_eq!(has(&lines, "Connected to MCP-RS WebSocket"), 1, "{text}");
    assert_eq!(has(&lines, "Heartbeat acknowledged"), 1, "{text}");
    assert!(!text.contains("WebSocket error") && !text.contains("stderr:"), "{text}");
}

#[tokio::test]
async fn seed001_client_flow() {
    let node = which("node");
    need(&repo().join(".test-deps/node/node_modules/ws"));
    let srv = serve(&[("TRIAGE_API_KEYS", "key1,key2")]).await;
    let _b = browser(&srv.addr, Some("key2")).await;
    let url = format!("ws://{}/mcp-ws", srv.addr);
    let env = [("SEED_URL", url.as_str()), ("SEED_API_KEY", "key1")];
    let lines = run_client(&node, "seed001_flow.js", &env, |l| {
        has(l, "Download event: ") > 0 && has(l, "Correlated result: ") > 0
    })
    .await;
    let text = lines.join("\n");
    assert_eq!(has(&lines, "Connected to Semantest server"), 1, "{text}");
    let after = |p: &str| json_after(&lines, p);
    assert_eq!(after("Download event: "), json!({"type": "info", "data": "test"}), "{text}");
    let result = after("Correlated result: ");
    assert_eq!(
        (result["id"].as_str(), result["data"]["success"].as_bool()),
        (Some("nav-1"), Some(true)),
        "{text}"
    );
    assert!(!text.contains("Server error"), "{text}");
    // The publish is stored as a marker.
    let events: Value = reqwest::Client::new()
        .get(format!("http://{}/api/events?type=marker", srv.addr))
        .header("x-api-key", "key1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"][0]["data"]["channel"], "downloads", "{events}");
}
