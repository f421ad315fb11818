//! The consumer: every other connector's events, read from their streams into this connector's
//! store through the staging path local ones take, each under a session `CONNECTOR/SESSION`
//! registered as a remote browser (the Sessions pane lists it under its connector).
//!
//! The last stream id read is kept, so after a reconnect nothing is read (and stored) twice.
//! On start it reads the last [`HISTORY_MS`] of the stream (a viewer that joins sees what just
//! happened, not the whole capped stream) and only commands sent from then on; both positions
//! come from Redis's clock (`TIME`), which also stamps the entry ids, not from this machine's.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::streams::{StreamId, StreamReadReply};
use tokio::sync::mpsc;

use super::{entry, Broker};
use crate::protocol::shape;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType};
use crate::server::sessions::{Dialect, PeerDetails, PeerKind, SessionEntry, SessionStats};
use crate::server::Connector;
use crate::store::{classify, Raw, SessionId, Staged, StoredEvent};

const BATCH: usize = 512;
const BLOCK_MS: u64 = 1_000;
/// How far back a connector that starts reads the fleet's events: 15 minutes.
pub const HISTORY_MS: u64 = 15 * 60 * 1000;

/// Where this connector reads from: the history start (from Redis's clock), the last id read
/// on each other connector's stream, and on its own inbox.
struct Positions {
    /// Where a stream first seen starts: [`HISTORY_MS`] before this connector started.
    start: String,
    streams: HashMap<String, String>,
    inbox: String,
    /// When the set of connectors was last read.
    listed_at: Option<Instant>,
}

/// How often the set of the fleet's connectors is read again (a connector that joins is read
/// from its first entries on; nothing is missed in between, its stream waits).
const RELIST: Duration = Duration::from_secs(2);

pub(super) async fn run(connector: Connector, broker: Arc<Broker>, client: redis::Client) {
    let stop = connector.shutdown_token();
    let inbox = super::route::inbox_key(&broker.name);
    // Set at the first connection (from Redis's clock), then the last ids read.
    let mut positions: Option<Positions> = None;
    let mut backoff = Duration::from_millis(100);
    'connect: loop {
        let mut conn = match client.get_multiplexed_async_connection().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("broker: cannot connect to read the stream: {e}");
                super::advertise::mark_stale(&connector, |_| true);
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue 'connect;
            }
        };
        conn.set_response_timeout(Duration::from_millis(BLOCK_MS + 5_000));
        if positions.is_none() {
            match redis::cmd("TIME").query_async::<(u64, u64)>(&mut conn).await {
                Ok((secs, micros)) => {
                    let now = secs * 1000 + micros / 1000;
                    positions = Some(Positions {
                        start: format!("{}-0", now.saturating_sub(HISTORY_MS)),
                        streams: HashMap::new(),
                        inbox: format!("{now}-0"),
                        listed_at: None,
                    });
                }
                Err(e) => {
                    tracing::warn!("broker: cannot read Redis's clock: {e}");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    continue 'connect;
                }
            }
        }
        let Some(at) = positions.as_mut() else { continue 'connect };
        backoff = Duration::from_millis(100);
        loop {
            if at.listed_at.is_none_or(|t| t.elapsed() >= RELIST) {
                match redis::cmd("SMEMBERS")
                    .arg(super::CONNECTORS_KEY)
                    .query_async::<Vec<String>>(&mut conn)
                    .await
                {
                    Ok(names) => {
                        for name in names.into_iter().filter(|n| *n != broker.name) {
                            at.streams.entry(super::stream_key(&name)).or_insert_with(|| at.start.clone());
                        }
                        at.listed_at = Some(Instant::now());
                    }
                    Err(e) => {
                        tracing::warn!("broker: cannot list the fleet's connectors: {e}");
                        broker.status.connected.store(false, Relaxed);
                        super::advertise::mark_stale(&connector, |_| true);
                        continue 'connect;
                    }
                }
            }
            let mut xread = redis::cmd("XREAD");
            xread.arg("COUNT").arg(BATCH).arg("BLOCK").arg(BLOCK_MS).arg("STREAMS").arg(&inbox);
            let streams: Vec<(&String, &String)> = at.streams.iter().collect();
            for (key, _) in &streams {
                xread.arg(*key);
            }
            xread.arg(&at.inbox);
            for (_, id) in &streams {
                xread.arg(*id);
            }
            let read = xread.query_async::<Option<StreamReadReply>>(&mut conn);
            let reply = tokio::select! {
                _ = stop.cancelled() => return,
                r = read => r,
            };
            match reply {
                Ok(Some(reply)) => {
                    broker.status.connected.store(true, Relaxed);
                    let mut staged = Vec::new();
                    for stream in reply.keys {
                        if stream.key == inbox {
                            for entry in stream.ids {
                                at.inbox = entry.id.clone();
                                super::route::handle(&connector, &broker, &entry);
                            }
                            continue;
                        }
                        let Some(last) = stream.ids.last().map(|e| e.id.clone()) else { continue };
                        for entry in &stream.ids {
                            stage_entry(&connector, &broker, entry, &mut staged);
                        }
                        at.streams.insert(stream.key, last);
                    }
                    broker.status.received.fetch_add(staged.len() as u64, Relaxed);
                    connector.append_listed(staged);
                }
                Ok(None) => broker.status.connected.store(true, Relaxed),
                Err(e) => {
                    tracing::warn!("broker: reading the stream failed: {e}");
                    broker.status.connected.store(false, Relaxed);
                    super::advertise::mark_stale(&connector, |_| true);
                    continue 'connect;
                }
            }
        }
    }
}

/// The events of one stream entry (any layout [`entry::events`] reads), staged; none for this
/// connector's own entries. An event that does not parse is skipped.
fn stage_entry(connector: &Connector, broker: &Arc<Broker>, entry: &StreamId, out: &mut Vec<Staged>) {
    let Some(from) = entry::connector(entry) else { return };
    if from == broker.name {
        return;
    }
    out.extend(entry::events(entry).into_iter().filter_map(|e| stage(connector, broker, e, &from)));
}

fn stage(connector: &Connector, broker: &Arc<Broker>, e: entry::Event<'_>, from: &str) -> Option<Staged> {
    let session = e.session;
    let ty = MessageType::parse(e.ty)?;
    let raw = e.raw;
    let id: SessionId = SessionId::from(format!("{from}/{session}"));
    register(connector, broker, &id, from);
    if let Some((_, _, _, stats)) = connector.registry().sender(&id) {
        stats.messages_in.fetch_add(1, Relaxed);
        stats.last_active_ms.store(now_ms(), Relaxed);
    }
    if ty == MessageType::WebsocketFrame {
        // A page frame, published as its event form: back into a frame of the Frames pane, its
        // socket named after the connector too (two connectors' page sockets may share an id).
        let text = std::str::from_utf8(raw).ok()?;
        let scanned = shape::scan(text, usize::MAX).ok()?;
        let Ok(Staged::Frame(mut f)) = connector.stage(&id, scanned, Raw::from(raw)) else { return None };
        f.traffic_id = SessionId::from(format!("{from}/{}", f.traffic_id));
        return Some(Staged::Frame(f));
    }
    let env: Envelope = serde_json::from_slice(raw).ok()?;
    let (level, status) = classify(&env, ty);
    let timestamp_ms = env.timestamp.map_or_else(now_ms, |t| t.0);
    Some(Staged::Event(StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms,
        session: id,
        raw: Raw::from(raw).into(),
    }))
}

/// Registers a browser held by another connector the first time one of its events arrives.
fn register(connector: &Connector, broker: &Arc<Broker>, id: &SessionId, from: &str) {
    if !broker.remote.lock().insert(id.clone()) && connector.registry().sender(id).is_some() {
        return;
    }
    let (tx, rx) = mpsc::channel(64);
    let session = id.strip_prefix(&format!("{from}/")).unwrap_or(id).to_string();
    tokio::spawn(super::route::forward(rx, broker.clone(), from.to_string(), session));
    connector.registry().insert(SessionEntry {
        id: id.clone(),
        kind: PeerKind::Remote,
        dialect: Dialect::Triage,
        subprotocol: None,
        remote: format!("connector {from}"),
        connected_at_ms: now_ms(),
        details: PeerDetails { client_type: Some(format!("connector:{from}")), ..Default::default() },
        stats: Arc::new(SessionStats::default()),
        tx,
    });
}
