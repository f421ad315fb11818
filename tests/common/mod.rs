//! Test harness: a real connector on 127.0.0.1:0, real WebSocket clients, real HTTP.
#![allow(dead_code)]

pub mod redis;
pub mod tmux;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use triage_tui::config::{Config, Paths};
use triage_tui::server::{self, Connector};

/// Generous bound for anything a test waits on; never a speed assertion.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub connector: Connector,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub http: reqwest::Client,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.connector.shutdown();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("triage-test-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
    // Listed by arrival: these tests send in order and read at once (tests/reorder.rs tests the window).
    let mut config = Config { port: 0, reorder_window_ms: 0, ..Config::default() };
    tweak(&mut config);
    let dir = temp_dir("srv");
    let paths = Paths {
        config_dir: dir.join("config"),
        config_file: dir.join("config/config.toml"),
        config_file_used: false,
        data_dir: dir.join("data"),
    };
    let (connector, addr, _task) = server::start(config, &paths).await.expect("connector starts");
    TestServer { connector, addr, dir, http: reqwest::Client::new() }
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.url(path)).json(&body).send().await.expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/commands` in the background (it waits for the browser): await the reply's JSON.
    pub fn spawn_command(&self, body: Value) -> tokio::task::JoinHandle<Value> {
        let http = self.http.clone();
        let url = self.url("/api/commands");
        tokio::spawn(async move {
            http.post(url).json(&body).send().await.unwrap().json::<Value>().await.unwrap()
        })
    }

    pub async fn events(&self, query: &str) -> Vec<Value> {
        let (status, body) = self.get_json(&format!("/api/events?{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// Polls until `count` events match `query` (bounded by WAIT).
    pub async fn wait_events(&self, query: &str, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let events = self.events(query).await;
            if events.len() >= count || tokio::time::Instant::now() > deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls until an event matching `query` has `id` (bounded by WAIT); returns it.
    pub async fn wait_event_id(&self, query: &str, id: &str) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(e) = self.events(query).await.into_iter().find(|e| e["id"] == id) {
                return Some(e);
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A browser: connects to /extension-ws with our subprotocol and completes the handshake.
    pub async fn browser(&self, tab: &str) -> Peer {
        let mut p = Peer::connect(self.addr, "/extension-ws", &["rapidtriage-extension-v1"], &[])
            .await
            .expect("connect");
        p.send(json!({"type": "connection-init", "data": {"clientType": "test-browser", "tabId": tab, "url": format!("https://{tab}.test/")}})).await;
        let ack = p.recv_type("connection-ack").await;
        p.session = ack["data"]["sessionId"].as_str().unwrap_or_default().to_string();
        p
    }

    /// A client on /mcp-ws.
    pub async fn client(&self) -> Peer {
        let mut p = Peer::connect(self.addr, "/mcp-ws", &["mcp-server-v1"], &[]).await.expect("connect");
        p.send(json!({"type": "connection-init", "data": {"clientType": "test-client"}})).await;
        let ack = p.recv_type("connection-ack").await;
        p.session = ack["data"]["sessionId"].as_str().unwrap_or_default().to_string();
        p
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Peer {
    pub ws: Ws,
    pub session: String,
    pub protocol: Option<String>,
}

impl Peer {
    /// Connects with the given subprotocols and extra headers; Err carries the HTTP status.
    pub async fn connect(
        addr: SocketAddr,
        path: &str,
        protocols: &[&str],
        headers: &[(&str, &str)],
    ) -> Result<Peer, u16> {
        let mut req = format!("ws://{addr}{path}").into_client_request().expect("request");
        if !protocols.is_empty() {
            req.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&protocols.join(", ")).unwrap());
        }
        for (k, v) in headers {
            req.headers_mut()
                .insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, resp)) => {
                let protocol = resp
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string);
                Ok(Peer { ws, session: String::new(), protocol })
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
            Err(e) => panic!("connect failed: {e}"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next JSON text message (skipping pings), or None when closed / after WAIT.
    pub async fn recv(&mut self) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??;
            match msg {
                Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next message of a type, skipping others (bounded by WAIT).
    pub async fn recv_type(&mut self, ty: &str) -> Value {
        loop {
            match self.recv().await {
                Some(v) if v["type"] == ty => return v,
                Some(_) => continue,
                None => panic!("connection ended while waiting for {ty}"),
            }
        }
    }

    /// Whether any message of `ty` arrives within `within` (used to show something did NOT arrive).
    pub async fn gets_type_within(&mut self, ty: &str, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??;
            if let Ok(Message::Text(t)) = msg {
                let v: Value = serde_json::from_str(t.as_str()).ok()?;
                if v["type"] == ty {
                    return Some(v);
                }
            }
        }
    }
}

pub const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// Runs the npm `har-validator` (installed into `.test-deps/node` by scripts/test) on a file:
/// passes when it prints "valid", else panics with the schema errors.
pub fn har_validate(file: &std::path::Path) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/har_validate.js");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(file)
        .output()
        .expect("node runs (scripts/test installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.trim() == "valid", "har-validator on {}: {text}", file.display());
}
