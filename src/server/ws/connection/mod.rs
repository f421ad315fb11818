//! One WebSocket connection's task: reads, writes, heartbeats, ingest batches.
//!
//! What a client's live stream does is in `stream`; the session's own messages (auth,
//! connection-init, the rate-limit notice) in `session`.

mod metadock;
mod session;
mod stream;

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::{FutureExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::rate::RateLimiter;
use super::writer::{self, Outgoing, Queued};
use crate::protocol::console_format;
use crate::protocol::redact;
use crate::protocol::shape::{self, Inspected};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{parse_message, Envelope, ErrorCode, MessageType, ProtocolError};
use crate::server::sessions::{Dialect, Outbound, PeerDetails, PeerKind, SessionEntry, SessionStats};
use crate::server::{compat, Connector};
use crate::store::{Direction, FrameOrigin, FrameRecord, Raw, SessionId, Staged};

/// Messages read from one socket before they are stored together.
const READ_BATCH: usize = 64;
/// How long an unauthenticated connection has to send its `auth` message.
const AUTH_GRACE: Duration = Duration::from_secs(10);
use stream::Subscription;

pub(super) struct Connection {
    connector: Connector,
    /// The read half; writes go through `out` to the writer task.
    socket: SplitStream<WebSocket>,
    out: Outgoing,
    writer: tokio::task::JoinHandle<()>,
    /// Holds this connection's place under `max_connections` until it ends.
    _slot: crate::server::sessions::Slot,
    id: SessionId,
    kind: PeerKind,
    dialect: Dialect,
    stats: Arc<SessionStats>,
    rx: mpsc::Receiver<Outbound>,
    authed: bool,
    limiter: RateLimiter,
    subscription: Subscription,
    /// The client's position in the store (clients only).
    cursor: crate::store::Cursor,
    /// Replies to commands this client sent, arriving from their own tasks.
    replies: (mpsc::Sender<String>, mpsc::Receiver<String>),
    /// Frames and events read but not yet in the store: appended under one lock per batch.
    pending: Vec<Staged>,
    closing: bool,
    /// The live stream stopped because the write queue was full; resume when it drains.
    stream_waiting: bool,
    /// Live events this client missed (skipped or evicted) and has not been told of yet.
    missed_unreported: u64,
    /// Timestamp of the last event streamed, so a lag notice can say where to fetch from.
    last_streamed_ms: Option<i64>,
    /// Wire ids of this client's recent commands (see `stream::OWN_WIRE_IDS`).
    own_wire_ids: std::collections::VecDeque<String>,
    /// Whether this client has been sent its `connection-ack`.
    acked: bool,
    /// The negotiated subprotocol (`mcp-server-v1` clients get their ack on open).
    subprotocol: Option<String>,
    /// When the batch being read was taken off the socket: its messages arrived together, and
    /// one clock read a batch instead of two a message (the clock was 4 % of ingest).
    read_at_ms: Option<i64>,
}

impl Connection {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        connector: Connector,
        socket: WebSocket,
        slot: crate::server::sessions::Slot,
        kind: PeerKind,
        dialect: Dialect,
        subprotocol: Option<String>,
        remote: SocketAddr,
        authed: bool,
        user_agent: Option<String>,
    ) -> Self {
        let prefix = match kind {
            PeerKind::Extension => "ext",
            PeerKind::Client => "cli",
            PeerKind::Cdp => "cdp",
            PeerKind::Remote => "remote",
        };
        let id: SessionId =
            Arc::from(format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]));
        let (tx, rx) = mpsc::channel(1024);
        let stats = Arc::new(SessionStats::default());
        let shared = &connector.shared;
        shared.sessions.insert(SessionEntry {
            id: id.clone(),
            kind,
            dialect,
            subprotocol: subprotocol.clone(),
            remote: remote.to_string(),
            connected_at_ms: now_ms(),
            details: PeerDetails { user_agent, ..Default::default() },
            stats: stats.clone(),
            tx,
        });
        match kind {
            PeerKind::Extension => shared.metrics.connections_total_extension.fetch_add(1, Relaxed),
            PeerKind::Client | PeerKind::Cdp | PeerKind::Remote => {
                shared.metrics.connections_total_client.fetch_add(1, Relaxed)
            }
        };
        tracing::info!(session = %id, ?kind, ?dialect, %remote, "connected");
        let cursor = shared.store.read().cursor_now();
        let limiter = RateLimiter::new(shared.config.rate_limit_per_sec, shared.config.rate_limit_burst);
        connector.notify_changed();
        let (sink, socket) = socket.split();
        let deadline = Duration::from_millis(shared.config.heartbeat_timeout_ms.max(1));
        let (out, writer) = writer::spawn(sink, deadline, connector.clone());
        Connection {
            connector,
            socket,
            out,
            writer,
            _slot: slot,
            id,
            kind,
            dialect,
            stats,
            rx,
            authed,
            limiter,
            subscription: Subscription::default(),
            cursor,
            replies: mpsc::channel(256),
            pending: Vec::with_capacity(READ_BATCH * 2),
            closing: false,
            stream_waiting: false,
            missed_unreported: 0,
            last_streamed_ms: None,
            own_wire_ids: std::collections::VecDeque::new(),
            acked: false,
            subprotocol,
            read_at_ms: None,
        }
    }

    /// Its id in the session registry.
    pub(super) fn id(&self) -> SessionId {
        self.id.clone()
    }

    pub(super) async fn run(mut self) {
        let config = &self.connector.shared.config;
        let interval = Duration::from_millis(config.heartbeat_interval_ms);
        let timeout = Duration::from_millis(config.heartbeat_timeout_ms);
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let auth_deadline = tokio::time::sleep(if self.authed { Duration::MAX / 4 } else { AUTH_GRACE });
        tokio::pin!(auth_deadline);
        let mut changes = self.connector.changes();
        let shutdown = self.connector.shutdown_token();
        let mut last_heard = Instant::now();
        if self.dialect == Dialect::MetaDock {
            self.send_text(crate::server::dialects::metadock::welcome()).await;
        }
        self.ack_on_open().await;
        while !self.closing {
            tokio::select! {
                incoming = self.socket.next() => match incoming {
                    Some(Ok(msg)) => {
                        last_heard = Instant::now();
                        self.read_at_ms = Some(now_ms());
                        self.on_message(msg).await;
                        // Take whatever else is already buffered, then store it all at once:
                        // a flood costs one lock and one wake-up per batch, not per message.
                        for _ in 1..READ_BATCH {
                            match self.socket.next().now_or_never() {
                                Some(Some(Ok(msg))) if !self.closing => self.on_message(msg).await,
                                Some(None) | Some(Some(Err(_))) => self.closing = true,
                                _ => break,
                            }
                        }
                        self.read_at_ms = None;
                        self.flush();
                    }
                    Some(Err(e)) => {
                        tracing::info!(session = %self.id, "connection error: {e}");
                        break;
                    }
                    None => break,
                },
                // Commands and replies wait in their inboxes while the write queue is full: a
                // peer that stops reading holds up nobody but itself.
                Some(out) = self.rx.recv(), if self.out.has_room() => match out {
                    Outbound::Text(text) => self.send_text(text).await,
                    Outbound::Close(code, reason) => self.close(code, &reason).await,
                },
                Some(reply) = self.replies.1.recv(), if self.out.has_room() => self.send_text(reply).await,
                () = self.out.failed.cancelled() => {
                    tracing::info!(session = %self.id, "the peer stopped reading: dropped");
                    break;
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() >= timeout {
                        self.connector.shared.metrics.heartbeat_timeouts.fetch_add(1, Relaxed);
                        tracing::info!(session = %self.id, "silent for {} ms: dropping", timeout.as_millis());
                        self.close(1001, "heartbeat timeout").await;
                        break;
                    }
                    let payload = Raw::from(now_ms().to_string().into_bytes());
                    if self.out.push(Message::Ping(payload.to_vec().into())) == Queued::Yes {
                        self.record(Direction::ServerToClient, 9, Some(payload.clone()), payload.len());
                        self.flush();
                    }
                },
                // While the queue is full each change only checks whether to skip ahead.
                changed = changes.changed(), if self.streams() && self.authed => {
                    if changed.is_err() {
                        break;
                    }
                    self.stream_events().await;
                },
                () = self.out.drained.notified(), if self.stream_waiting => self.stream_events().await,
                () = &mut auth_deadline, if !self.authed => {
                    self.send_error(ProtocolError::new(ErrorCode::Unauthorized, "no token: send {\"type\":\"auth\",\"api_key\":\"…\"} first"), None).await;
                    self.close(1008, "unauthorized").await;
                },
                () = shutdown.cancelled() => {
                    if self.dialect == Dialect::BrowserTools {
                        self.send_text(json!({"type": "server-shutdown"}).to_string()).await;
                    }
                    self.close(1001, "server shutting down").await;
                },
            }
        }
        self.finish().await;
    }

    async fn finish(mut self) {
        self.flush();
        let shared = &self.connector.shared;
        shared.sessions.remove(&self.id);
        self.connector.fail_commands_of(&self.id);
        self.connector.notify_changed();
        tracing::info!(session = %self.id, "disconnected");
        // Let the writer send what is queued (a close frame, a last reply) for a moment, no more.
        let Connection { out, writer, .. } = self;
        drop(out);
        let mut writer = writer;
        if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
            writer.abort();
        }
    }

    fn record(&mut self, direction: Direction, opcode: u8, data: Option<Raw>, length: usize) {
        let cap = self.connector.shared.config.frame_payload_cap;
        let data = data.map(|d| if d.len() > cap { Raw::from(&d[..cap]) } else { d });
        self.pending.push(Staged::Frame(FrameRecord {
            seq: 0,
            traffic_id: self.id.clone(),
            session: self.id.clone(),
            timestamp_ms: self.read_at_ms.unwrap_or_else(now_ms),
            direction,
            opcode,
            data,
            length: length as u64,
            origin: FrameOrigin::Connector,
            url: None,
        }));
    }

    /// Replaces the payload of the text frame just read (still staged) with its redacted form.
    fn redact_last_inbound_frame(&mut self, redacted: &Raw) {
        let last = self.pending.iter_mut().rev().find_map(|s| match s {
            Staged::Frame(f) if f.direction == Direction::ClientToServer && f.opcode == 1 => Some(f),
            _ => None,
        });
        if let Some(f) = last {
            f.length = redacted.len() as u64;
            f.data = Some(redacted.clone());
        }
    }

    /// Appends what this connection staged to the store and wakes its readers.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let shared = &self.connector.shared;
        let recorded = self.connector.recorded_lines(&self.pending);
        let page_frames =
            self.pending.iter().any(|s| matches!(s, Staged::Frame(f) if f.origin == FrameOrigin::Page));
        let events = shared.store.write().append_staged(self.pending.drain(..));
        self.connector.record_lines(&recorded);
        // Connector frames alone do not wake readers: only events and page frames do (a page
        // frame alone reached live streams and the broker only with the next event before).
        if events > 0 || page_frames || shared.recorder.is_some() {
            self.connector.notify_changed();
        } else {
            self.connector.notify_frames();
        }
    }

    async fn send_text(&mut self, text: String) {
        let raw = Raw::from(text.as_bytes());
        self.send_shared(raw, Utf8Bytes::from(text)).await;
    }

    /// Sends a text frame whose payload is already built (`raw` and `text` hold the same bytes;
    /// live-stream events share theirs with every other client).
    async fn send_shared(&mut self, raw: Raw, text: Utf8Bytes) {
        self.queue_shared(raw, text);
        self.flush();
    }

    /// [`Self::send_shared`] without storing its frame record yet: the live stream stores a
    /// whole batch's records under one store lock (one lock a delivery made 100 clients
    /// contend with the browser's ingest for the store).
    fn queue_shared(&mut self, raw: Raw, text: Utf8Bytes) {
        let len = text.len();
        self.record(Direction::ServerToClient, 1, Some(raw), len);
        self.stats.messages_out.fetch_add(1, Relaxed);
        self.connector.shared.metrics.bytes_out.fetch_add(len as u64, Relaxed);
        match self.out.push(Message::Text(text)) {
            Queued::Yes => {}
            Queued::Full => {
                self.connector.shared.metrics.dropped_send_queue.fetch_add(1, Relaxed);
            }
            Queued::Closed => self.closing = true,
        }
    }

    async fn send_envelope(&mut self, env: Envelope) {
        if let Some(t) = MessageType::parse(&env.kind) {
            self.connector.shared.metrics.message_out(t, 0);
        }
        self.send_text(env.to_json()).await;
    }

    async fn send_error(&mut self, err: ProtocolError, in_reply_to: Option<&str>) {
        self.connector.shared.metrics.error(err.code);
        tracing::debug!(session = %self.id, "{err}");
        self.send_envelope(err.to_envelope(in_reply_to, now_ms())).await;
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_bytes());
        let len = payload.len();
        self.record(Direction::ServerToClient, 8, Some(Raw::from(payload)), len);
        self.flush();
        let _ = self.out.push(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(reason) })));
        self.closing = true;
    }

    async fn on_message(&mut self, msg: Message) {
        match msg {
            Message::Text(text) => {
                // One exact-size copy, shared by the frame record and the stored event.
                let bytes = Raw::from(text.as_bytes());
                self.record(Direction::ClientToServer, 1, Some(bytes.clone()), bytes.len());
                self.on_text(&text, bytes).await;
            }
            Message::Binary(data) => {
                self.record(Direction::ClientToServer, 2, Some(Raw::from(&data[..])), data.len());
                self.connector.shared.metrics.message_in(None, data.len());
                self.send_error(
                    ProtocolError::invalid("binary messages are not part of the protocol: send JSON text"),
                    None,
                )
                .await;
            }
            Message::Ping(data) => {
                // The WebSocket layer answers with a pong by itself; record both.
                let data = Raw::from(&data[..]);
                self.record(Direction::ClientToServer, 9, Some(data.clone()), data.len());
                self.record(Direction::ServerToClient, 10, Some(data.clone()), data.len());
            }
            Message::Pong(data) => {
                self.record(Direction::ClientToServer, 10, Some(Raw::from(&data[..])), data.len())
            }
            Message::Close(frame) => {
                let payload = frame.as_ref().map(|f| {
                    let mut p = f.code.to_be_bytes().to_vec();
                    p.extend_from_slice(f.reason.as_bytes());
                    Raw::from(p)
                });
                let len = payload.as_ref().map_or(0, |p| p.len());
                self.record(Direction::ClientToServer, 8, payload, len);
                self.closing = true;
            }
        }
    }

    async fn on_text(&mut self, text: &str, bytes: Raw) {
        let shared = &self.connector.shared;
        self.stats.messages_in.fetch_add(1, Relaxed);
        self.stats.last_active_ms.store(self.read_at_ms.unwrap_or_else(now_ms), Relaxed);
        if !self.limiter.allow() {
            self.on_rate_limited(bytes.len()).await;
            return;
        }
        let max = shared.config.max_message_bytes;
        // Hot path: browser data that can be stored exactly as it arrived.
        if self.kind == PeerKind::Extension && self.authed {
            if let Ok(scanned) = shape::scan(text, max) {
                let redact = shared.config.redact_headers
                    && matches!(&scanned.inspected, Inspected::Network(n) if n.may_carry_secrets());
                let hot = matches!(
                    scanned.kind,
                    MessageType::ConsoleLog
                        | MessageType::ConsoleError
                        | MessageType::NetworkRequest
                        | MessageType::NetworkError
                        | MessageType::ElementSelected
                        | MessageType::BrowserEvent
                        | MessageType::WebsocketFrame
                );
                // Console calls with raw `remoteArgs` get their text from console_format below.
                let formats = matches!(&scanned.inspected, Inspected::Console(c) if c.remote_args.is_some());
                if hot && scanned.storable_as_is && !redact && !formats {
                    shared.metrics.message_in(Some(scanned.kind), bytes.len());
                    let id = scanned.id.as_ref().map(|i| i.to_string_owned());
                    match self.connector.stage(&self.id, scanned, bytes) {
                        Ok(staged) => self.pending.push(staged),
                        Err(e) => self.send_error(e, id.as_deref()).await,
                    }
                    return;
                }
            }
        }
        if self.dialect == Dialect::MetaDock && self.on_metadock_text(text).await {
            return;
        }
        let shared = &self.connector.shared;
        let mut translated = false;
        let parsed = match parse_message(text, max) {
            Ok(p) => {
                translated = p.normalized;
                Ok((p.envelope, p.kind))
            }
            Err(e) if e.code == ErrorCode::InvalidMessage && self.kind == PeerKind::Extension => {
                // The browser-tools extension's messages are not envelopes: translate them.
                match compat::translate_incoming(text) {
                    Some(ok) => {
                        translated = true;
                        if self.dialect != Dialect::BrowserTools {
                            self.dialect = Dialect::BrowserTools;
                            shared.sessions.set_dialect(&self.id, Dialect::BrowserTools);
                        }
                        Ok(ok)
                    }
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        let (env, ty) = match parsed {
            Ok(ok) => ok,
            Err(e) => {
                shared.metrics.message_in(None, bytes.len());
                let id = if e.code == ErrorCode::MessageTooLarge { None } else { peek_id(text) };
                self.send_error(e, id.as_deref()).await;
                return;
            }
        };
        shared.metrics.message_in(Some(ty), bytes.len());
        if !self.authed && ty != MessageType::Auth {
            self.send_error(
                ProtocolError::new(
                    ErrorCode::Unauthorized,
                    "authenticate first: send {\"type\":\"auth\",\"api_key\":\"…\"}",
                ),
                env.id.as_deref(),
            )
            .await;
            self.close(1008, "unauthorized").await;
            return;
        }
        if self.kind == PeerKind::Client
            && self.dialect != Dialect::MetaDock
            && self.authed
            && !self.acked
            && !matches!(ty, MessageType::ConnectionInit | MessageType::Auth)
        {
            // Seed 000's Node client never sends connection-init, yet learns its session id from the ack.
            self.send_ack(None).await;
        }
        match ty {
            MessageType::Auth => self.on_auth(&env, crate::server::dialects::metadock::sent_id(text)).await,
            MessageType::ConnectionInit => self.on_connection_init(&env).await,
            MessageType::Heartbeat => {
                let seed004 = crate::server::dialects::mcp_rs::heartbeat_ack(&env, text);
                let reply = match self.dialect {
                    _ if seed004.is_some() => seed004.unwrap_or_default(),
                    Dialect::BrowserTools => {
                        json!({"type": "heartbeat-response", "timestamp": now_ms()}).to_string()
                    }
                    Dialect::Triage | Dialect::MetaDock => {
                        let mut reply =
                            Envelope::new("heartbeat", json!({ "status": "alive", "serverTime": now_ms() }))
                                .with_timestamp(now_ms());
                        reply.id = env.id.clone();
                        reply.to_json()
                    }
                };
                self.connector.shared.metrics.message_out(MessageType::Heartbeat, 0);
                self.send_text(reply).await;
            }
            MessageType::ConnectionClose => self.close(1000, "closed by peer").await,
            MessageType::Subscribe if self.kind == PeerKind::Client => self.on_subscribe(&env).await,
            MessageType::Publish if self.kind == PeerKind::Client => self.on_publish(&env).await,
            t if t.is_command() && self.kind == PeerKind::Client => {
                let sent_id = crate::server::dialects::metadock::sent_id(text);
                self.on_command(env, t, sent_id)
            }
            t if self.kind == PeerKind::Extension && (t.is_command_reply() || is_browser_data(t)) => {
                // The raw bytes are stored as received unless they had to be translated.
                let mut raw = (!translated).then_some(bytes);
                let mut env = env;
                if matches!(t, MessageType::ConsoleLog | MessageType::ConsoleError)
                    && console_format::fill_message(&mut env.data)
                {
                    raw = Some(Raw::from(env.to_json().into_bytes()));
                }
                if matches!(t, MessageType::NetworkRequest | MessageType::NetworkError)
                    && self.connector.shared.config.redact_headers
                    && redact::redact_network(&mut env.data) > 0
                {
                    // The frame that carried the credentials is redacted too, or the Frames pane
                    // and the frames API would still show them.
                    let redacted = Raw::from(env.to_json().into_bytes());
                    self.redact_last_inbound_frame(&redacted);
                    raw = Some(redacted);
                }
                let id = env.id.clone();
                self.flush();
                if let Err(e) = self.connector.ingest(&self.id, env, t, raw).await {
                    self.send_error(e, id.as_deref()).await;
                }
            }
            MessageType::Error => {
                tracing::info!(session = %self.id, "peer reported an error: {}", env.data);
            }
            t => {
                let role = match self.kind {
                    PeerKind::Extension => "a browser on /extension-ws",
                    PeerKind::Client | PeerKind::Cdp | PeerKind::Remote => "a client on /mcp-ws",
                };
                self.send_error(
                    ProtocolError::invalid(format!("{t} is not something {role} may send")),
                    env.id.as_deref(),
                )
                .await;
            }
        }
    }
}

/// What browsers send as data: stored events and page frames.
fn is_browser_data(t: MessageType) -> bool {
    (crate::store::Category::of(t).is_some()
        && !matches!(t, MessageType::AssistantCommand | MessageType::Marker))
        || t == MessageType::WebsocketFrame
}

/// The `id` of a message that failed validation, so the error can name it.
fn peek_id(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
