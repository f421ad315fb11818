//! stdio ↔ a running connector's `/mcp`: each JSON-RPC line from stdin is POSTed as the
//! Streamable HTTP transport wants it (session id, protocol version and SEP-2243 routing headers),
//! and each message of the answer (JSON, or an SSE stream) is written to stdout as one line.
//! Requests run concurrently (a `wait_for` does not hold up other calls); `initialize` first. A
//! session the connector forgot (404) is renewed by replaying the host's `initialize`.

use std::sync::Arc;

use anyhow::{Context, Result};
use base64::Engine;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const PROTOCOL_VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";

#[derive(Default)]
struct State {
    session_id: Option<String>,
    protocol_version: Option<String>,
    /// The host's `initialize`, replayed when the connector forgets the session.
    initialize: Option<Value>,
}

struct Bridge {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    state: Mutex<State>,
    renewing: tokio::sync::Mutex<()>,
    stdout: tokio::sync::Mutex<tokio::io::Stdout>,
}

/// A header value as SEP-2243 wants it: plain when printable ASCII, else `=?base64?…?=`.
fn header_value(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) && s.trim() == s {
        s.to_string()
    } else {
        format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(s))
    }
}

/// The `Mcp-Name` of a request: the tool, prompt or resource it names.
fn name_of(msg: &Value) -> Option<&str> {
    let params = msg.get("params")?;
    match msg.get("method")?.as_str()? {
        "tools/call" | "prompts/get" => params.get("name")?.as_str(),
        "resources/read" => params.get("uri")?.as_str(),
        _ => None,
    }
}

/// The messages in an SSE body: each event's `data:` lines joined.
fn sse_messages(body: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut data = String::new();
    for line in body.lines().chain(std::iter::once("")) {
        if line.is_empty() {
            if !data.trim().is_empty() {
                if let Ok(v) = serde_json::from_str(&data) {
                    out.push(v);
                }
            }
            data.clear();
        } else if let Some(d) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(d.strip_prefix(' ').unwrap_or(d));
        }
    }
    out
}

fn error_reply(id: &Value, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32603, "message": message } })
}

impl Bridge {
    async fn write(&self, msg: &Value) {
        let mut line = msg.to_string();
        line.push('\n');
        let mut out = self.stdout.lock().await;
        if out.write_all(line.as_bytes()).await.and(out.flush().await).is_err() {
            tracing::warn!("stdout closed: the MCP host went away");
        }
    }

    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, &self.url);
        let state = self.state.lock();
        if let Some(id) = &state.session_id {
            req = req.header("Mcp-Session-Id", id);
        }
        if let Some(v) = &state.protocol_version {
            req = req.header("MCP-Protocol-Version", v);
        }
        drop(state);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    /// POSTs one message with the headers the transport wants.
    async fn post(&self, msg: &Value) -> reqwest::Result<reqwest::Response> {
        let mut req = self
            .request(reqwest::Method::POST)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        if let Some(m) = msg.get("method").and_then(Value::as_str) {
            req = req.header("Mcp-Method", header_value(m));
        }
        if let Some(n) = name_of(msg) {
            req = req.header("Mcp-Name", header_value(n));
        }
        if let Some(v) = msg.pointer(&format!("/params/_meta/{}", PROTOCOL_VERSION_META.replace('/', "~1"))) {
            if let Some(v) = v.as_str() {
                req = req.header("MCP-Protocol-Version", v);
            }
        }
        req.json(msg).send().await
    }

    /// The connector forgot the HTTP session (it idles out after some minutes, or the connector
    /// restarted): replay the host's `initialize` for a new one, as a host would on a 404.
    async fn renew_session(&self, expired: Option<String>) -> bool {
        let _one_at_a_time = self.renewing.lock().await;
        let (current, init) = {
            let state = self.state.lock();
            (state.session_id.clone(), state.initialize.clone())
        };
        if current != expired {
            return true; // another request renewed it meanwhile
        }
        let Some(init) = init else { return false };
        self.state.lock().session_id = None;
        let Ok(response) = self.post(&init).await else { return false };
        let Some(sid) = response.headers().get("mcp-session-id").and_then(|h| h.to_str().ok()) else {
            return false;
        };
        self.state.lock().session_id = Some(sid.to_string());
        let _ = response.text().await;
        let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        let renewed = self.post(&initialized).await.is_ok();
        tracing::info!(renewed, "renewed the MCP session with the connector");
        renewed
    }

    /// Sends one message and writes what comes back.
    async fn forward(&self, msg: Value) {
        let id = msg.get("id").cloned();
        let method = msg.get("method").and_then(Value::as_str).map(str::to_string);
        if method.as_deref() == Some("initialize") {
            self.state.lock().initialize = Some(msg.clone());
        }
        let sent_with = self.state.lock().session_id.clone();
        let mut response = self.post(&msg).await;
        let expired = matches!(&response, Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND);
        if expired
            && sent_with.is_some()
            && method.as_deref() != Some("initialize")
            && self.renew_session(sent_with).await
        {
            response = self.post(&msg).await;
        }
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                if let Some(id) = id {
                    self.write(&error_reply(
                        &id,
                        format!("the triage connector at {} did not answer: {e}", self.url),
                    ))
                    .await;
                }
                return;
            }
        };
        let status = response.status();
        if method.as_deref() == Some("initialize") {
            if let Some(sid) = response.headers().get("mcp-session-id").and_then(|h| h.to_str().ok()) {
                self.state.lock().session_id = Some(sid.to_string());
            }
        }
        let sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        let body = response.text().await.unwrap_or_default();
        let messages: Vec<Value> = if sse {
            sse_messages(&body)
        } else {
            match serde_json::from_str::<Value>(&body) {
                Ok(Value::Array(items)) => items,
                Ok(v) if v.get("jsonrpc").is_some() => vec![v],
                _ => Vec::new(),
            }
        };
        if messages.is_empty() {
            if let (Some(id), false) = (&id, status.is_success()) {
                let text = body.chars().take(500).collect::<String>();
                self.write(&error_reply(id, format!("the triage connector answered HTTP {status}: {text}")))
                    .await;
            }
            return;
        }
        for m in messages {
            if method.as_deref() == Some("initialize") {
                if let Some(v) = m.pointer("/result/protocolVersion").and_then(Value::as_str) {
                    self.state.lock().protocol_version = Some(v.to_string());
                }
            }
            self.write(&m).await;
        }
    }
}

/// Bridges until stdin closes, then ends the HTTP session (so the client leaves the Sessions pane).
pub async fn run(url: &str, token: Option<String>) -> Result<()> {
    let bridge = Arc::new(Bridge {
        http: reqwest::Client::builder().build().context("cannot build an HTTP client")?,
        url: url.to_string(),
        token,
        state: Mutex::new(State::default()),
        renewing: tokio::sync::Mutex::new(()),
        stdout: tokio::sync::Mutex::new(tokio::io::stdout()),
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut inflight = tokio::task::JoinSet::new();
    while let Some(line) = lines.next_line().await.context("cannot read stdin")? {
        if line.trim().is_empty() {
            continue;
        }
        let msg: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                let reply = json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32700, "message": format!("parse error: {e}") } });
                bridge.write(&reply).await;
                continue;
            }
        };
        // The handshake settles the session before anything else is sent.
        if msg.get("method").and_then(Value::as_str) == Some("initialize") {
            bridge.forward(msg).await;
            continue;
        }
        let b = bridge.clone();
        inflight.spawn(async move { b.forward(msg).await });
        while inflight.try_join_next().is_some() {}
    }
    while inflight.join_next().await.is_some() {}
    if bridge.state.lock().session_id.is_some() {
        let _ = bridge.request(reqwest::Method::DELETE).send().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_bodies_and_headers() {
        let body = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n: ping\n\ndata: {\"jsonrpc\":\"2.0\",\n data: \"id\":2}\n";
        let msgs = sse_messages(body);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert_eq!(msgs[0]["id"], 1);
        assert_eq!(header_value("list_sessions"), "list_sessions");
        assert!(header_value("café").starts_with("=?base64?"));
        let call = json!({"method": "tools/call", "params": {"name": "navigate"}});
        assert_eq!(name_of(&call), Some("navigate"));
    }
}
