//! Who holds which browser: each connector advertises its own browser sessions under a key that
//! expires, and drops the remote sessions whose connector stopped advertising them, so a
//! connector that dies disappears from the others within 30 s. Advertising every few seconds
//! also re-advertises after the broker comes back, empty or not.
//!
//! While the broker is down the remote sessions are marked stale (their connector cannot be
//! heard); the mark clears when the broker is back and their connector advertises them again.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::Broker;
use crate::protocol::timestamp::now_ms;
use crate::server::{Connector, PeerKind};
use crate::store::SessionId;

const EVERY: Duration = Duration::from_secs(5);
/// Seconds an advertisement lives: three missed rounds, well inside the 30 s promise.
const TTL_S: u64 = 15;
const PREFIX: &str = "triage:sessions:";

pub(super) async fn run(connector: Connector, broker: Arc<Broker>) {
    let stop = connector.shutdown_token();
    let mut redis = broker.redis.clone();
    let mut tick = tokio::time::interval(EVERY);
    // Since when the broker has answered without a break: after an outage every connector gets
    // a full TTL to re-advertise before its sessions count as gone.
    let mut up_since: Option<i64> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let own: Vec<Value> = connector
            .sessions()
            .into_iter()
            .filter(|s| matches!(s.kind, PeerKind::Extension | PeerKind::Cdp))
            .map(|s| json!({ "sessionId": s.session_id, "url": s.url, "title": s.title, "tabId": s.tab_id }))
            .collect();
        let set = redis::cmd("SET")
            .arg(format!("{PREFIX}{}", broker.name))
            .arg(Value::Array(own).to_string())
            .arg("EX")
            .arg(TTL_S)
            .query_async::<()>(&mut redis)
            .await;
        let set = match set {
            Ok(()) => {
                redis::cmd("SADD")
                    .arg(super::CONNECTORS_KEY)
                    .arg(&broker.name)
                    .query_async::<()>(&mut redis)
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = set {
            tracing::debug!("broker: cannot advertise sessions: {e}");
            mark_stale(&connector, |_| true);
            up_since = None;
            continue;
        }
        let up_since = *up_since.get_or_insert_with(now_ms);
        match live_remote_sessions(&mut redis, &broker.name).await {
            Ok(live) => {
                mark_stale(&connector, |id| if live.contains(id) { Some(false) } else { None });
                if now_ms() - up_since >= (TTL_S * 1000) as i64 {
                    expire(&connector, &live);
                }
            }
            Err(e) => {
                tracing::debug!("broker: cannot read advertisements: {e}");
                mark_stale(&connector, |_| true);
            }
        }
    }
}

/// Every session other connectors advertise now, as `CONNECTOR/SESSION`.
async fn live_remote_sessions(
    redis: &mut redis::aio::ConnectionManager,
    own: &str,
) -> redis::RedisResult<HashSet<SessionId>> {
    // SCAN, not KEYS: a shared Redis is not blocked while it walks its keys.
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, page): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{PREFIX}*"))
            .arg("COUNT")
            .arg(500)
            .query_async(redis)
            .await?;
        keys.extend(page);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut live = HashSet::new();
    for key in keys {
        let name = &key[PREFIX.len()..];
        if name == own {
            continue;
        }
        let Some(text): Option<String> = redis::cmd("GET").arg(&key).query_async(redis).await? else {
            continue;
        };
        let list: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        for s in list {
            if let Some(id) = s["sessionId"].as_str() {
                live.insert(SessionId::from(format!("{name}/{id}")));
            }
        }
    }
    Ok(live)
}

/// Sets (`Some(true)`), clears (`Some(false)`) or leaves (`None`) each remote session's stale mark.
pub(super) fn mark_stale<M: Into<Option<bool>>>(connector: &Connector, mark: impl Fn(&str) -> M) {
    for s in connector.sessions().into_iter().filter(|s| s.kind == PeerKind::Remote) {
        let Some(stale) = mark(&s.session_id).into() else { continue };
        if let Some((_, _, _, stats)) = connector.registry().sender(&s.session_id) {
            stats.stale.store(stale, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Drops remote sessions no connector advertises any more (their connector died or let go)
/// and that sent nothing for a TTL (a browser that just connected is not advertised yet).
fn expire(connector: &Connector, live: &HashSet<SessionId>) {
    let quiet_since = now_ms() - (TTL_S * 1000) as i64;
    let gone: Vec<String> = connector
        .sessions()
        .into_iter()
        .filter(|s| s.kind == PeerKind::Remote && !live.contains(s.session_id.as_str()))
        .filter(|s| s.last_active < quiet_since)
        .map(|s| s.session_id)
        .collect();
    for id in gone {
        tracing::info!(session = %id, "broker: remote session expired");
        connector.registry().remove(&id);
        connector.fail_commands_of(&id);
    }
}
