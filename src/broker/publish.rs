//! The publisher: what the store appends from this connector's own browsers goes to its stream,
//! in pipelined batches; while Redis is down it waits in a bounded buffer, overflow counted.
//!
//! One stream entry packs up to [`PACK`] events into one field (the layout is [`super::entry`]'s):
//! one XADD per event capped the publisher at what one Redis takes in commands per second, below
//! what a connector ingests. Under light load an entry holds one event, so latency is unchanged.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::entry::{self, PACK};
use super::Broker;
use crate::protocol::timestamp::now_ms;
use crate::server::Connector;
use crate::store::StoredEvent;

const BATCH: usize = 512;

pub(super) async fn run(connector: Connector, broker: Arc<Broker>, mut redis: ConnectionManager) {
    let mut changes = connector.changes();
    let mut cursor = connector.store().read().cursor_now();
    let mut pending: VecDeque<StoredEvent> = VecDeque::new();
    let stop = connector.shutdown_token();
    let mut backoff = Duration::from_millis(100);
    let mut packed = Vec::new();
    let stream = super::stream_key(&broker.name);
    loop {
        if stop.is_cancelled() {
            return;
        }
        // While Redis answers, the store is the buffer: read a batch ahead only, so a flood does
        // not overflow `pending`. While it is down, read on into the bounded buffer (the store may
        // evict what waits there), dropping and counting the oldest past it.
        let ahead = if broker.status.connected.load(Relaxed) { BATCH } else { usize::MAX };
        while pending.len() < ahead {
            let (events, missed) = connector.store().read().read_since(&mut cursor, BATCH);
            // Evicted from the store before the publisher got to them.
            broker.status.dropped.fetch_add(missed, Relaxed);
            if events.is_empty() {
                break;
            }
            let remote = broker.remote.lock();
            pending.extend(events.into_iter().filter(|e| !remote.contains(&e.session)));
        }
        while pending.len() > broker.buffer {
            pending.pop_front();
            broker.status.dropped.fetch_add(1, Relaxed);
        }
        if !pending.is_empty() {
            let n = pending.len().min(BATCH);
            let mut pipe = redis::pipe();
            for pack in pending.make_contiguous()[..n].chunks(PACK) {
                entry::pack(pack, &mut packed);
                let xadd = pipe.cmd("XADD");
                xadd.arg(&stream).arg("MAXLEN").arg("~").arg(broker.maxlen).arg("*");
                xadd.arg(entry::CONNECTOR).arg(&broker.name).arg(entry::COUNT).arg(pack.len());
                xadd.arg(entry::BATCH).arg(&packed[..]).ignore();
            }
            match pipe.query_async::<()>(&mut redis).await {
                Ok(()) => {
                    let oldest = pending.front().map_or(0, |e| e.timestamp_ms);
                    pending.drain(..n);
                    broker.status.published.fetch_add(n as u64, Relaxed);
                    broker.status.publish_lag_ms.store((now_ms() - oldest).max(0), Relaxed);
                    broker.status.connected.store(true, Relaxed);
                    backoff = Duration::from_millis(100);
                    // More may wait in the store: no need to wait for a change.
                    continue;
                }
                Err(e) => {
                    tracing::warn!("broker: cannot publish ({} waiting): {e}", pending.len());
                    broker.status.connected.store(false, Relaxed);
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        let retry = if pending.is_empty() { Duration::from_secs(3600) } else { backoff };
        tokio::select! {
            _ = stop.cancelled() => return,
            r = changes.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(retry) => {}
        }
    }
}
