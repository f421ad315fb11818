//! Who holds which browser: each connector advertises its own browser sessions under a key that
//! expires, and drops the remote sessions whose connector stopped advertising them, so a
//! connector that dies disappears from the others within 30 s. Advertising every few seconds
//! also re-advertises after the broker comes back, empty or not.

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
        if let Err(e) = set {
            tracing::debug!("broker: cannot advertise sessions: {e}");
            continue;
        }
        match live_remote_sessions(&mut redis, &broker.name).await {
            Ok(live) => expire(&connector, &live),
            Err(e) => tracing::debug!("broker: cannot read advertisements: {e}"),
        }
    }
}

/// Every session other connectors advertise now, as `CONNECTOR/SESSION`.
async fn live_remote_sessions(
    redis: &mut redis::aio::ConnectionManager,
    own: &str,
) -> redis::RedisResult<HashSet<SessionId>> {
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{PREFIX}*")).query_async(redis).await?;
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
