//! Load generators: realistic messages, WebSocket senders and a keep-alive HTTP/1.1 poster.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// A small deterministic PRNG (xorshift), so every run sends the same traffic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "cart",
    "checkout",
    "render",
    "fetch",
    "user",
    "session",
    "token",
    "product",
    "price",
    "inventory",
    "component",
    "mounted",
    "updated",
    "retry",
    "cache",
    "miss",
    "hit",
    "timeout",
    "order",
    "payment",
];
const LEVELS: &[&str] = &["log", "info", "debug", "warn", "error"];
const PATHS: &[&str] =
    &["/api/cart", "/api/products?page=2", "/api/orders/1234", "/graphql", "/static/app.js", "/api/user/me"];

/// A ~350-byte console-log envelope with varied text.
pub fn console_message(rng: &mut Rng, i: u64) -> String {
    let level = rng.pick(LEVELS);
    let mut text = String::new();
    while text.len() < 120 {
        text.push_str(rng.pick(WORDS));
        text.push(' ');
    }
    let ty = if level == "error" { "console-error" } else { "console-log" };
    json!({
        "id": format!("msg_{i}"),
        "type": ty,
        "timestamp": 1_704_067_200_000u64 + i,
        "data": {
            "level": level,
            "message": format!("[{}] {text}#{i}", rng.pick(WORDS)),
            "args": [rng.pick(WORDS), rng.next() % 1000],
            "source": format!("app.js:{}:{}", rng.next() % 900 + 1, rng.next() % 80 + 1),
        },
        "metadata": { "tabId": "tab-1", "url": "https://shop.acme.test/cart" }
    })
    .to_string()
}

/// A ~4 KB network-request envelope: headers and a JSON response body.
pub fn network_message(rng: &mut Rng, i: u64) -> String {
    let mut items = Vec::new();
    let mut body_len = 0;
    while body_len < 3000 {
        let item = json!({"id": rng.next() % 100_000, "name": format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)), "price": rng.next() % 10_000, "tags": [rng.pick(WORDS), rng.pick(WORDS)]});
        body_len += item.to_string().len();
        items.push(item);
    }
    let status = [200u64, 200, 200, 201, 304, 404, 500][(rng.next() % 7) as usize];
    let method = ["GET", "POST", "PUT"][(rng.next() % 3) as usize];
    json!({
        "id": format!("net_{i}"),
        "type": "network-request",
        "timestamp": 1_704_067_200_000u64 + i,
        "data": {
            "url": format!("https://api.acme.test{}", rng.pick(PATHS)),
            "method": method,
            "status": status,
            "statusText": "OK",
            "duration": rng.next() % 900,
            "size": {"request": 512, "response": body_len},
            "headers": {
                "request": {"Accept": "application/json", "Content-Type": "application/json", "X-Request-Id": format!("{:x}", rng.next())},
                "response": {"Content-Type": "application/json", "Cache-Control": "no-store", "ETag": format!("W/\"{:x}\"", rng.next())}
            },
            "body": {"request": "{\"page\":2}", "response": json!({"items": items}).to_string()}
        }
    })
    .to_string()
}

/// A browser-tools `POST /extension-log` body (~300 bytes).
pub fn extension_log_body(rng: &mut Rng, i: u64) -> String {
    let mut text = String::new();
    while text.len() < 120 {
        text.push_str(rng.pick(WORDS));
        text.push(' ');
    }
    json!({
        "data": {"type": "console-log", "level": rng.pick(LEVELS), "message": format!("{text}#{i}"), "timestamp": 1_704_067_200_000u64 + i},
        "settings": {"logLimit": 50, "queryLimit": 30000, "showRequestHeaders": false, "showResponseHeaders": false}
    })
    .to_string()
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A browser connection with the handshake done.
pub async fn connect_browser(addr: SocketAddr, tab: &str) -> Result<Ws> {
    let mut req = format!("ws://{addr}/extension-ws").into_client_request()?;
    req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("rapidtriage-extension-v1"));
    // Browsers set TCP_NODELAY on WebSockets; so does this load generator.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true)
        .await
        .context("connect /extension-ws")?;
    let init = json!({"type": "connection-init", "data": {"clientType": "triage-bench", "tabId": tab}});
    ws.send(Message::text(init.to_string())).await?;
    Ok(ws)
}

/// Sends `messages` (cycled) `count` times as fast as the socket takes them, each stamped with
/// the time it is sent, as a page stamps its events (so timestamps rise, as on a real page).
pub async fn blast(ws: &mut Ws, messages: &[String], count: u64) -> Result<()> {
    let stamps: Vec<Option<usize>> = messages.iter().map(|m| timestamp_digits(m)).collect();
    for i in 0..count {
        let at = (i % messages.len() as u64) as usize;
        let mut text = messages[at].clone();
        if let Some(digits) = stamps[at] {
            let now = triage_tui::protocol::timestamp::now_ms().to_string();
            if now.len() == 13 {
                text.replace_range(digits..digits + 13, &now);
            }
        }
        // `feed` queues without flushing; flush every 64 messages to keep frames batched.
        ws.feed(Message::text(text)).await?;
        if i % 64 == 63 {
            ws.flush().await?;
        }
    }
    ws.flush().await?;
    Ok(())
}

/// Where the 13 digits of a message's `"timestamp":` (epoch ms) start.
fn timestamp_digits(message: &str) -> Option<usize> {
    let key = "\"timestamp\":";
    let at = message.find(key)? + key.len();
    let digits = message.get(at..at + 13)?;
    digits.bytes().all(|b| b.is_ascii_digit()).then_some(at)
}

/// A keep-alive HTTP/1.1 connection that POSTs JSON bodies and reads each response.
pub struct HttpConn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl HttpConn {
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(HttpConn { stream, host: format!("127.0.0.1:{}", addr.port()), buf: Vec::with_capacity(4096) })
    }

    /// POSTs and returns the status code.
    pub async fn post(&mut self, path: &str, body: &str) -> Result<u16> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body.as_bytes()).await?;
        self.read_response().await
    }

    /// GETs and returns the status code (the body is read and dropped).
    pub async fn get(&mut self, path: &str) -> Result<u16> {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n", self.host);
        self.stream.write_all(head.as_bytes()).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<u16> {
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        let header_end = loop {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed");
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = memchr::memmem::find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = std::str::from_utf8(&self.buf[..header_end]).unwrap_or("");
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let lower = head.to_ascii_lowercase();
        let length: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut have = self.buf.len() - header_end;
        while have < length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed mid-body");
            }
            have += n;
        }
        Ok(status)
    }
}
