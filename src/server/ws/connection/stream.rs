//! A client's side of `/mcp-ws`: its subscription, its commands, its published markers (seed
//! 001), and the live stream of events from its cursor, paced by its write queue.

use std::sync::atomic::Ordering::Relaxed;

use axum::extract::ws::{Message, Utf8Bytes};
use serde_json::{json, Value};

use super::super::writer::Queued;
use super::Connection;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{data_as, Envelope, MessageType, ProtocolError, Subscribe};
use crate::server::dialects::{metadock, semantest};
use crate::server::sessions::{Dialect, PeerKind};
use crate::server::Command;
use crate::store::{Direction, Raw};

/// Events sent to a client per wake-up before yielding to its other work.
const STREAM_BATCH: usize = 512;
/// A live-stream client this many events behind while its write queue is full skips ahead.
const STREAM_LAG_LIMIT: u64 = 10_000;
/// Wire ids of a client's recent commands, remembered to keep their stored replies out of its stream.
pub(super) const OWN_WIRE_IDS: usize = 256;

/// What a client has asked to see of the live stream.
#[derive(Default)]
pub(super) struct Subscription {
    types: Vec<MessageType>,
    sessions: Vec<String>,
    /// Seed 002's targets (`/ws` clients are pushed browser events for these only).
    pub(super) targets: Vec<metadock::Target>,
    /// Seed 001 channels: their markers come as `channel:NAME` events, whatever the filters.
    channels: Vec<String>,
}

impl Subscription {
    /// The subscribed channel a marker was published on.
    fn channel_for(&self, e: &crate::store::StoredEvent) -> Option<String> {
        if e.ty != MessageType::Marker || self.channels.is_empty() {
            return None;
        }
        let env = e.envelope();
        semantest::channel_of(&env).filter(|c| self.channels.iter().any(|s| s == c)).map(str::to_string)
    }

    fn wants(&self, e: &crate::store::StoredEvent) -> bool {
        (self.types.is_empty() || self.types.contains(&e.ty))
            && (self.sessions.is_empty() || self.sessions.iter().any(|s| *s == *e.session))
    }
}

impl Connection {
    /// Whether this connection gets the live stream: clients, and seed 002's only once subscribed
    /// (they see events only as the subscriptions it defines).
    pub(super) fn streams(&self) -> bool {
        self.kind == PeerKind::Client
            && (self.dialect != Dialect::MetaDock || !self.subscription.targets.is_empty())
    }

    pub(super) async fn on_subscribe(&mut self, env: &Envelope) {
        let sub: Subscribe = data_as(env).unwrap_or_default();
        let mut types = Vec::new();
        for t in &sub.types {
            match MessageType::parse(t) {
                Some(t) => types.push(t),
                None => {
                    self.send_error(
                        ProtocolError::invalid(format!("subscribe: unknown type {t:?}")),
                        env.id.as_deref(),
                    )
                    .await;
                    return;
                }
            }
        }
        let mut sessions = sub.sessions.clone();
        sessions.extend(sub.session_id.clone());
        // Seed 002's form: `target: "browser:<id>"` (or "system" for everything).
        if let Some(id) =
            env.data.get("target").and_then(Value::as_str).and_then(|t| t.strip_prefix("browser:"))
        {
            sessions.push(id.to_string());
        }
        let channels = sub.channels.clone();
        let targets = std::mem::take(&mut self.subscription.targets);
        self.subscription = Subscription { types, sessions, targets, channels };
        let mut reply = Envelope::new(
            "subscribe",
            json!({
                "success": true,
                "types": self.subscription.types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "sessions": self.subscription.sessions,
                "channels": self.subscription.channels,
            }),
        )
        .with_timestamp(now_ms());
        reply.id = env.id.clone();
        self.send_envelope(reply).await;
    }

    /// Seed 001's `publish`: stored as a `marker` event of this client, acknowledged to it.
    pub(super) async fn on_publish(&mut self, env: &Envelope) {
        let marker = semantest::marker(env, &self.id);
        self.flush();
        self.connector.store_event(&self.id, MessageType::Marker, &marker, None);
        self.send_envelope(semantest::published(env)).await;
    }

    /// Routes a client's command; the reply comes back to this connection only, once, with the
    /// id as the client sent it (`sent_id`: a seed 002 number).
    pub(super) fn on_command(&mut self, env: Envelope, ty: MessageType, sent_id: Option<Value>) {
        let mut data = env.data.clone();
        let target = env
            .data
            .get("sessionId")
            .or_else(|| env.extra.get("sessionId"))
            .or_else(|| env.metadata.as_ref().and_then(|m| m.get("targetSessionId")))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| metadock::take_browser_uuid(&mut data));
        if let Some(obj) = data.as_object_mut() {
            obj.remove("sessionId");
            obj.remove("browser_uuid");
        }
        let correlation_id = env.extra.get(crate::server::CORRELATION_ID).cloned();
        let cmd = Command { ty, data, target, id: env.id.clone(), correlation_id: correlation_id.clone() };
        let connector = self.connector.clone();
        let wire_id = connector.new_wire_id();
        // The browser's reply is stored too; this client gets it as its reply, not again from the stream.
        if self.own_wire_ids.len() >= OWN_WIRE_IDS {
            self.own_wire_ids.pop_front();
        }
        self.own_wire_ids.push_back(wire_id.clone());
        let replies = self.replies.0.clone();
        let requester_id = env.id.clone();
        tokio::spawn(async move {
            let text = match connector.command_on_wire(cmd, wire_id).await {
                Ok(reply) => reply.envelope.to_json(),
                Err(e) => {
                    connector.shared.metrics.error(e.code);
                    let mut env = e.to_envelope(requester_id.as_deref(), now_ms());
                    if let Some(c) = correlation_id {
                        env.extra.insert(crate::server::CORRELATION_ID.into(), c);
                    }
                    env.to_json()
                }
            };
            let _ = replies.send(metadock::echo_id(text, sent_id.as_ref())).await;
        });
    }

    /// Whether a stored event is a browser's reply to a command this client sent.
    fn is_own_reply(&self, e: &crate::store::StoredEvent) -> bool {
        e.ty.is_command_reply()
            && !self.own_wire_ids.is_empty()
            && e.envelope().id.is_some_and(|id| self.own_wire_ids.contains(&id))
    }

    /// Sends a client the events stored since its cursor that its subscription wants.
    ///
    /// Only as much as the write queue has room for: a client that reads slowly falls behind in
    /// the store, not in memory. One that falls more than `STREAM_LAG_LIMIT` events behind (or
    /// past what the store still holds) skips ahead to the newest, and is told how many it missed.
    pub(super) async fn stream_events(&mut self) {
        self.stream_waiting = false;
        loop {
            if !self.out.has_stream_room() {
                let skipped = {
                    let store = self.connector.shared.store.read();
                    if store.backlog(&self.cursor) > STREAM_LAG_LIMIT {
                        store.skip_to_end(&mut self.cursor)
                    } else {
                        0
                    }
                };
                self.count_missed(skipped);
                self.stream_waiting = true;
                return;
            }
            let crate::store::Read { events, missed, more } = {
                let store = self.connector.shared.store.read();
                let (count, bytes) = self.out.stream_room();
                store.read_since_within(&mut self.cursor, count.min(STREAM_BATCH), bytes)
            };
            self.count_missed(missed);
            if self.missed_unreported > 0 {
                self.send_lag_notice();
            }
            let wanted: Vec<_> = events
                .into_iter()
                .filter_map(|e| match self.subscription.channel_for(&e) {
                    // A subscribed channel's marker in the seed's shape; the rest as stored.
                    Some(c) => Some((Some(semantest::channel_event(&e.envelope(), &c)), e)),
                    None if self.subscription.wants(&e) && !self.is_own_reply(&e) => Some((None, e)),
                    None => None,
                })
                .collect();
            for (text, e) in wanted {
                // MetaDock clients get their own shape; everyone else shares one serialisation.
                let text = match text {
                    Some(t) => Some(t),
                    None if self.dialect == Dialect::MetaDock => match self.metadock_push(&e) {
                        Some(t) => Some(t),
                        None => continue,
                    },
                    None => None,
                };
                self.connector.shared.metrics.message_out(e.ty, 0);
                self.last_streamed_ms = Some(e.timestamp_ms);
                match text {
                    Some(text) => self.send_text(text).await,
                    None => {
                        let built = self.connector.shared.fanout.get(&e);
                        self.queue_shared(built.raw, built.text);
                    }
                }
                if self.closing {
                    self.flush();
                    return;
                }
            }
            self.flush();
            // A read cut short by the queue's room is continued at once (or when the queue
            // drains, above), not at the next stored event, which may never come.
            if !more {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    fn count_missed(&mut self, missed: u64) {
        if missed > 0 {
            self.connector.shared.metrics.dropped_subscriber_lag.fetch_add(missed, Relaxed);
            self.missed_unreported += missed;
        }
    }

    /// Tells a client how many live events it missed and where to fetch them.
    fn send_lag_notice(&mut self) {
        let missed = std::mem::take(&mut self.missed_unreported);
        let since = self.last_streamed_ms.map(|t| t + 1);
        let fetch = match since {
            Some(t) => format!("GET /api/events?since={t}"),
            None => "GET /api/events".to_string(),
        };
        let notice = Envelope::new(
            "events-missed",
            json!({
                "missed": missed,
                "reason": "subscriber_lag",
                "since": since,
                "message": format!(
                    "this client read too slowly: {missed} live event(s) were skipped; {fetch} has what the store still holds"
                ),
            }),
        )
        .with_timestamp(now_ms())
        .to_json();
        let len = notice.len();
        if self.out.push(Message::Text(Utf8Bytes::from(notice.clone()))) == Queued::Yes {
            self.record(Direction::ServerToClient, 1, Some(Raw::from(notice.into_bytes())), len);
        } else {
            // No room even for the notice: keep the count for the next one.
            self.missed_unreported += missed;
        }
    }
}
