//! One simulated tab's connection to the connector: the handshake, the schedule of outgoing
//! messages (page activity and command replies, each at its moment), heartbeats, and reading
//! commands. Ends when the socket drops (the caller reconnects) or on shutdown.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::commands::{self, Browser};
use super::rng::Rng;
use super::site::Tab;
use super::traffic::{Load, Planned, Traffic};
use crate::protocol::timestamp::now_ms;
use crate::protocol::Envelope;

/// The subprotocol our extension offers; the demo speaks the same protocol.
const SUBPROTOCOL: &str = "rapidtriage-extension-v1";
const CLIENT_TYPE: &str = "triage-demo";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The extension's heartbeat period; shortened when the server asks for a faster one.
const HEARTBEAT: Duration = Duration::from_secs(25);
const CAPABILITIES: [&str; 6] = [
    "console-capture",
    "network-capture",
    "screenshot-capture",
    "element-selection",
    "websocket-capture",
    "browser-actions",
];

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a connection ended.
#[derive(Debug)]
pub enum End {
    Shutdown,
    Dropped(String),
}

/// A message waiting for its moment.
#[derive(Debug)]
struct Queued {
    due: Instant,
    /// Page activity (replaced by a navigation, kept across reconnects) or a command reply.
    page: bool,
    kind: &'static str,
    id: Option<String>,
    data: Value,
}

/// Outgoing messages in the order they are due (ties keep the order they were queued in).
#[derive(Debug, Default)]
struct Outbox {
    items: VecDeque<Queued>,
}

impl Outbox {
    fn push(&mut self, q: Queued) {
        let at = self.items.partition_point(|x| x.due <= q.due);
        self.items.insert(at, q);
    }

    fn plan(&mut self, start: Instant, planned: Vec<Planned>) {
        for p in planned {
            let due = start + Duration::from_millis(p.at_ms);
            self.push(Queued { due, page: true, kind: p.event.kind, id: None, data: p.event.data });
        }
    }

    fn has_page(&self) -> bool {
        self.items.iter().any(|q| q.page)
    }

    fn drop_page(&mut self) {
        self.items.retain(|q| !q.page);
    }

    fn drop_replies(&mut self) {
        self.items.retain(|q| q.page);
    }

    fn next_due(&self) -> Option<Instant> {
        self.items.front().map(|q| q.due)
    }

    fn pop_due(&mut self, now: Instant) -> Option<Queued> {
        if self.items.front().is_some_and(|q| q.due <= now) {
            self.items.pop_front()
        } else {
            None
        }
    }
}

/// Everything a tab keeps across reconnects.
pub struct TabState {
    pub tab: Tab,
    traffic: Traffic,
    command_rng: Rng,
    outbox: Outbox,
    /// Whether the page has loaded once (a reconnect does not reload the page).
    opened: bool,
    sent: u64,
}

impl TabState {
    pub fn new(number: usize, events_per_sec: f64, seed: u64) -> Self {
        TabState {
            tab: Tab::new(number),
            traffic: Traffic::new(Rng::fork(seed, number as u64), events_per_sec),
            command_rng: Rng::fork(seed, 0x100 + number as u64),
            outbox: Outbox::default(),
            opened: false,
            sent: 0,
        }
    }

    /// The wire form of a message: the envelope the extension writes, stamped now.
    fn envelope(
        &mut self,
        kind: &str,
        id: Option<String>,
        mut data: Value,
        session_id: Option<&str>,
    ) -> String {
        self.sent += 1;
        let now = now_ms();
        // Frames and browser events carry their own time; it is the moment they are sent.
        if let Some(ts) = data.get_mut("timestamp") {
            *ts = json!(now);
        }
        let mut meta = Map::new();
        meta.insert("tabId".into(), json!(self.tab.tab_id));
        meta.insert("url".into(), json!(self.tab.url()));
        meta.insert("source".into(), json!(CLIENT_TYPE));
        meta.insert("version".into(), json!(crate::server::VERSION));
        if let Some(s) = session_id {
            meta.insert("sessionId".into(), json!(s));
        }
        let mut env = Envelope::new(kind, data)
            .with_id(id.unwrap_or_else(|| format!("{}-{}", self.tab.tab_id, self.sent)))
            .with_timestamp(now);
        env.metadata = Some(meta);
        env.to_json()
    }
}

/// Opens the tab's WebSocket as the extension does: our subprotocol, no `Origin` header.
pub async fn connect(addr: SocketAddr, token: Option<&str>) -> anyhow::Result<Socket> {
    let mut url = format!("ws://{addr}/extension-ws");
    if let Some(token) = token {
        url.push_str("?token=");
        url.push_str(&percent_encode(token));
    }
    let mut request = url.as_str().into_client_request().context("building the WebSocket request")?;
    let headers = request.headers_mut();
    headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(SUBPROTOCOL));
    if let Ok(ua) = HeaderValue::from_str(&format!("{CLIENT_TYPE}/{}", crate::server::VERSION)) {
        headers.insert(header::USER_AGENT, ua);
    }
    let (socket, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request))
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .with_context(|| format!("connecting to ws://{addr}/extension-ws"))?;
    Ok(socket)
}

/// Query-string encoding for the token (unreserved characters pass as they are).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What the connection has learnt from the server's `connection-ack`.
struct Link {
    session_id: Option<String>,
    heartbeat: Duration,
}

/// Runs one connection until it drops or `shutdown` fires.
pub async fn serve(socket: Socket, state: &mut TabState, shutdown: &CancellationToken) -> End {
    let (mut sink, mut stream) = socket.split();
    let mut link = Link { session_id: None, heartbeat: HEARTBEAT };
    // Replies to commands of an earlier connection have nobody waiting for them any more.
    state.outbox.drop_replies();

    let init = json!({
        "clientType": CLIENT_TYPE,
        "version": crate::server::VERSION,
        "capabilities": CAPABILITIES,
        "userAgent": state.tab.user_agent,
        "tabId": state.tab.tab_id,
        "url": state.tab.url(),
        "title": state.tab.title(),
    });
    let text = state.envelope("connection-init", None, init, None);
    if let Err(e) = sink.send(Message::text(text)).await {
        return End::Dropped(format!("could not send connection-init: {e}"));
    }
    if !state.opened {
        state.opened = true;
        let load = state.traffic.page_load(&state.tab, Load::Open);
        state.outbox.plan(Instant::now(), load);
    }

    let started = Instant::now();
    let mut next_heartbeat = started + link.heartbeat;
    let mut quiet_until = started;
    loop {
        let now = Instant::now();
        let spontaneous = state.traffic.spontaneous();
        if spontaneous && !state.outbox.has_page() && now >= quiet_until {
            let plan = state.traffic.next_burst(&mut state.tab);
            quiet_until = now + Duration::from_millis(plan.until_ms.min(60_000));
            state.outbox.plan(now, plan.items);
        }
        let mut wake = next_heartbeat;
        if let Some(due) = state.outbox.next_due() {
            wake = wake.min(due);
        }
        if spontaneous && !state.outbox.has_page() {
            wake = wake.min(quiet_until);
        }
        tokio::select! {
            biased;
            () = shutdown.cancelled() => {
                let frame = CloseFrame { code: CloseCode::Away, reason: "demo browser stopped".into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return End::Shutdown;
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if on_text(&text, state, &mut link) {
                        next_heartbeat = next_heartbeat.min(Instant::now() + link.heartbeat);
                    }
                }
                // Pings are answered by tungstenite itself while we keep reading.
                Some(Ok(Message::Close(frame))) => {
                    let why = frame.map_or_else(|| "no reason".to_string(), |f| format!("{} {}", f.code, f.reason));
                    return End::Dropped(format!("closed by the server: {why}"));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return End::Dropped(e.to_string()),
                None => return End::Dropped("the connection closed".into()),
            },
            () = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                while let Some(q) = state.outbox.pop_due(now) {
                    let text = state.envelope(q.kind, q.id, q.data, link.session_id.as_deref());
                    if let Err(e) = sink.send(Message::text(text)).await {
                        return End::Dropped(e.to_string());
                    }
                }
                if now >= next_heartbeat {
                    let data = json!({
                        "status": "alive",
                        "uptime": started.elapsed().as_millis() as u64,
                        "queued": state.outbox.items.len(),
                        "dropped": 0,
                    });
                    let text = state.envelope("heartbeat", None, data, link.session_id.as_deref());
                    if let Err(e) = sink.send(Message::text(text)).await {
                        return End::Dropped(e.to_string());
                    }
                    next_heartbeat = now + link.heartbeat;
                }
            }
        }
    }
}

/// Handles one message from the server; returns true when it was the `connection-ack`.
fn on_text(text: &str, state: &mut TabState, link: &mut Link) -> bool {
    let env: Envelope = match serde_json::from_str(text) {
        Ok(env) => env,
        Err(e) => {
            tracing::debug!(tab = state.tab.number, "demo: ignoring a message that is not JSON: {e}");
            return false;
        }
    };
    match env.kind.as_str() {
        "connection-ack" => {
            link.session_id = env.data.get("sessionId").and_then(Value::as_str).map(str::to_string);
            // Like the extension: 80 % of the server's interval, between 5 s and 25 s.
            if let Some(ms) = env.data.get("heartbeatInterval").and_then(Value::as_u64) {
                link.heartbeat = Duration::from_millis((ms.saturating_mul(4) / 5).clamp(5_000, 25_000));
            }
            tracing::info!(tab = state.tab.number, session = ?link.session_id, "demo tab connected");
            true
        }
        "error" => {
            let code = env.data.get("code").and_then(Value::as_str).unwrap_or("ERROR");
            let message = env.data.get("message").and_then(Value::as_str).unwrap_or("");
            tracing::info!(tab = state.tab.number, "demo: the server reported {code}: {message}");
            false
        }
        _ => {
            let mut browser = Browser {
                tab: &mut state.tab,
                traffic: &mut state.traffic,
                rng: &mut state.command_rng,
                session_id: link.session_id.as_deref(),
            };
            if let Some(answer) = commands::answer(&env, &mut browser) {
                let now = Instant::now();
                if let Some(load) = answer.page_load {
                    // A navigation cuts short whatever the old page was about to do.
                    state.outbox.drop_page();
                    state.outbox.plan(now, load);
                }
                state.outbox.plan(now, answer.also);
                state.outbox.push(Queued {
                    due: now + Duration::from_millis(answer.after_ms),
                    page: false,
                    kind: answer.kind,
                    id: answer.id,
                    data: answer.data,
                });
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_keeps_due_order_and_fifo_on_ties() {
        let mut o = Outbox::default();
        let t = Instant::now();
        let q = |ms: u64, kind: &'static str, page: bool| Queued {
            due: t + Duration::from_millis(ms),
            page,
            kind,
            id: None,
            data: Value::Null,
        };
        o.push(q(10, "b", true));
        o.push(q(5, "a", true));
        o.push(q(10, "c", false));
        assert_eq!(o.items.iter().map(|x| x.kind).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(o.pop_due(t).is_none());
        assert_eq!(o.pop_due(t + Duration::from_millis(5)).map(|x| x.kind), Some("a"));
        o.drop_page();
        assert_eq!(o.items.len(), 1);
        assert!(!o.has_page());
    }

    #[test]
    fn tokens_are_query_encoded() {
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(percent_encode("Abc-1._~"), "Abc-1._~");
    }
}
