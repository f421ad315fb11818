//! Harness for the CDP tests: the test's own web server (the page, a JSON API, a 404, an
//! out-of-process iframe, a WebSocket echo), `triage-tui serve` as a child process, and a guard
//! that stops the server (SIGTERM, so a launched browser closes with it), kills any browser
//! left behind and removes temp dirs on every exit path.
#![allow(dead_code)]

pub mod extension;
pub mod recorder;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, StatusCode};
use axum::response::Html;
use axum::routing::get;
use serde_json::Value;

pub const PAGE: &str = include_str!("../chromium/cdp.html");
pub const WAIT: Duration = Duration::from_secs(20);

pub fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("TRIAGE_E2E_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if p.is_file() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but Chromium is missing at {} (apt-get install -y chromium)",
        p.display()
    );
    eprintln!(
        "SKIPPED: {} not found (install chromium or set TRIAGE_E2E_CHROMIUM; CI=1 makes this a failure)",
        p.display()
    );
    None
}

#[derive(Default)]
pub struct Guard {
    server: Option<Child>,
    pub browser_pids: Vec<u32>,
    pub browsers: Vec<Child>,
    /// Process groups of browsers started in their own (killed whole, helpers included).
    pub browser_groups: Vec<u32>,
    dirs: Vec<PathBuf>,
    /// The server's stderr (its log), shown when the test fails.
    server_log: Option<PathBuf>,
}

impl Guard {
    pub fn temp_dir(&mut self, what: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("triage-cdp-{what}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        self.dirs.push(dir.clone());
        dir
    }

    /// SIGTERM to the server, bounded wait, then SIGKILL. Returns whether it exited by itself.
    pub fn stop_server(&mut self) -> bool {
        let Some(mut child) = self.server.take() else { return true };
        let _ = Command::new("kill").args(["-s", "TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop_server();
        if std::thread::panicking() {
            if let Some(log) = &self.server_log {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(60).collect();
                eprintln!("--- triage-tui serve log (last lines) ---");
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
        for pid in &self.browser_pids {
            let _ =
                Command::new("kill").args(["-s", "KILL", &pid.to_string()]).stderr(Stdio::null()).status();
        }
        for g in &self.browser_groups {
            let group = format!("-{g}");
            let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).stderr(Stdio::null()).status();
        }
        for b in &mut self.browsers {
            let _ = b.kill();
            let _ = b.wait();
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// The test's web server; returns its address.
pub async fn serve_pages() -> SocketAddr {
    let app = axum::Router::new()
        .route("/cdp", get(|| async { Html(PAGE) }))
        .route("/api/ok", get(|| async { ([(header::CONTENT_TYPE, "application/json")], r#"{"ok":true}"#) }))
        .route("/missing", get(|| async { (StatusCode::NOT_FOUND, "not here") }))
        .route("/frame", get(|| async { Html("<script>console.log('from oopif')</script>") }))
        .route("/ws", get(|ws: WebSocketUpgrade| async move { ws.on_upgrade(echo) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind pages");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(msg)) = socket.recv().await {
        if matches!(msg, Message::Close(_)) {
            break;
        }
        if matches!(msg, Message::Text(_) | Message::Binary(_)) && socket.send(msg).await.is_err() {
            break;
        }
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The test page's URL: the iframe on the other site name (an OOPIF), a refused fetch, the echo.
pub fn page_url(pages: SocketAddr) -> String {
    let port = pages.port();
    format!(
        "http://127.0.0.1:{port}/cdp?frame=http://localhost:{port}/frame&refused=http://127.0.0.1:{}/refused&ws=ws://127.0.0.1:{port}/ws",
        closed_port()
    )
}

/// Starts `triage-tui serve --port 0 ARGS…`; returns its base URL and, when it launched one,
/// the browser's pid.
pub fn start_server(guard: &mut Guard, args: &[&str]) -> (String, Option<u32>) {
    start_server_config(guard, args, "")
}

/// [`start_server`] with `config_toml` as its config file.
pub fn start_server_config(guard: &mut Guard, args: &[&str], config_toml: &str) -> (String, Option<u32>) {
    spawn_server(guard, args, config_toml, true)
}

/// `triage-tui serve --port 0` with `config_toml`, for a browser that connects to it (the
/// extension): returns its base URL once it listens.
pub fn start_connector(guard: &mut Guard, config_toml: &str) -> String {
    spawn_server(guard, &[], config_toml, false).0
}

fn spawn_server(guard: &mut Guard, args: &[&str], config_toml: &str, browser: bool) -> (String, Option<u32>) {
    let data = guard.temp_dir("data");
    let config = guard.temp_dir("config");
    std::fs::write(config.join("config.toml"), config_toml).expect("config file");
    let log = config.join("serve.stderr");
    let stderr = std::fs::File::create(&log).expect("server log file");
    guard.server_log = Some(log);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage-tui"));
    cmd.args(["serve", "--port", "0"]).args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TRIAGE_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("TRIAGE_DATA_DIR", &data)
        .env("TRIAGE_CONFIG_DIR", &config)
        .env("TRIAGE_COMMAND_TIMEOUT_MS", "60000")
        .env("TRIAGE_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = cmd.spawn().expect("start triage-tui serve");
    let stdout = child.stdout.take().expect("stdout");
    guard.server = Some(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut base = None;
    let deadline = Instant::now() + WAIT * 2;
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else { continue };
        if let Some(rest) = line.split("listening on ").nth(1) {
            base = Some(rest.trim().to_string());
            if !browser {
                return (rest.trim().to_string(), None);
            }
        }
        if let Some(rest) = line.split("(pid ").nth(1) {
            let pid = rest.split(')').next().and_then(|p| p.parse().ok());
            guard.browser_pids.extend(pid);
            return (base.expect("listening line first"), pid);
        }
        if line.contains("browser: attached") {
            return (base.expect("listening line first"), None);
        }
    }
    panic!("triage-tui serve did not report its browser within {:?}", WAIT * 2);
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api { base, http: reqwest::Client::new() }
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.expect("GET");
        r.json().await.unwrap_or(Value::Null)
    }

    /// POST /api/commands: (HTTP status, body).
    pub async fn command(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api/commands", self.base))
            .json(&body)
            .timeout(Duration::from_secs(90))
            .send()
            .await
            .expect("POST /api/commands");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A browser-action to `session`; panics unless it succeeds. Returns the action's data.
    pub async fn action(&self, session: &str, action: &str, params: Value) -> Value {
        let (status, reply) = self
            .command(serde_json::json!({ "type": "browser-action", "sessionId": session,
                                          "data": { "action": action, "params": params } }))
            .await;
        assert_eq!(status, 200, "{action}: HTTP {status} {reply}");
        assert_eq!(reply["data"]["success"], true, "{action}: {reply}");
        reply["data"]["data"].clone()
    }

    pub async fn events(&self) -> Vec<Value> {
        self.get("/api/events?limit=10000").await["events"].as_array().cloned().unwrap_or_default()
    }

    /// Polls until an event satisfies `pred` (bounded); None if none did.
    pub async fn wait_event(&self, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.events().await.into_iter().find(|e| pred(e)) {
                return Some(e);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls /api/sessions until a cdp session satisfies `pred`.
    pub async fn wait_session(&self, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.wait_session_of("cdp", pred).await
    }

    /// Polls /api/sessions until a session of `kind` (cdp, extension) satisfies `pred`.
    pub async fn wait_session_of(&self, kind: &str, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let list = self.get("/api/sessions").await["sessions"].as_array().cloned().unwrap_or_default();
            if let Some(s) = list.into_iter().find(|s| s["kind"] == kind && pred(s)) {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

pub fn num(v: &Value, ptr: &str) -> Option<f64> {
    v.pointer(ptr).and_then(Value::as_f64)
}

/// Starts Chromium with remote debugging on a free port, as a user would for `--attach`.
pub fn start_chromium(guard: &mut Guard, chromium: &Path, url: &str) -> u16 {
    let profile = guard.temp_dir("profile");
    let mut cmd = Command::new(chromium);
    cmd.args(["--headless=new", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
    {
        cmd.arg("--no-sandbox");
    }
    guard.browsers.push(cmd.spawn().expect("start chromium"));
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(port) = std::fs::read_to_string(profile.join("DevToolsActivePort"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse().ok()))
        {
            return port;
        }
        assert!(Instant::now() < deadline, "chromium wrote no DevToolsActivePort");
        std::thread::sleep(Duration::from_millis(50));
    }
}
