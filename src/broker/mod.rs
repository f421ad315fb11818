//! The broker (`--broker redis://…`): connectors share their events over Redis Streams, one
//! stream per connector.
//!
//! Owns the Redis connections, the publisher (what this connector's store appends from its own
//! browsers goes to the stream) and the consumer (every other connector's events come into the
//! store through the same staging path as local ones, under sessions named `CONNECTOR/SESSION`).
//! What it cannot publish waits in a bounded buffer; what overflows is counted.

mod advertise;
mod consume;
pub mod entry;
mod publish;
mod route;
mod tls;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use parking_lot::Mutex;

use crate::server::Connector;
use crate::store::SessionId;

/// Every connector writes its events to a stream of its own, `triage:events:NAME`, and reads
/// the others' (never its own back: what it publishes costs Redis and it nothing on the way in).
pub const STREAM_PREFIX: &str = "triage:events:";
/// The set of the fleet's connector names, so each finds the others' streams (`SMEMBERS`, no
/// key scan). Each connector adds itself at start and every advertising round (a Redis that
/// restarted empty learns it again).
pub const CONNECTORS_KEY: &str = "triage:connectors";

/// The stream connector `name` publishes to.
pub fn stream_key(name: &str) -> String {
    format!("{STREAM_PREFIX}{name}")
}

/// What `/health` and `/metrics` show of the broker.
#[derive(Debug, Default)]
pub struct BrokerStatus {
    pub connected: AtomicBool,
    pub published: AtomicU64,
    pub received: AtomicU64,
    pub dropped: AtomicU64,
    /// Milliseconds between an event's arrival and its publication, for the last batch.
    pub publish_lag_ms: AtomicI64,
}

impl BrokerStatus {
    /// Seed 001's `/health` field.
    pub fn health_word(&self) -> &'static str {
        if self.connected.load(Relaxed) {
            "connected"
        } else {
            "disconnected"
        }
    }

    pub fn health(&self) -> serde_json::Value {
        serde_json::json!({
            "published": self.published.load(Relaxed),
            "received": self.received.load(Relaxed),
            "dropped": self.dropped.load(Relaxed),
            "publishLagMs": self.publish_lag_ms.load(Relaxed),
        })
    }

    pub fn metrics_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let families = [
            (
                "triage_broker_published_total",
                "counter",
                "Events published to the broker",
                self.published.load(Relaxed) as i64,
            ),
            (
                "triage_broker_received_total",
                "counter",
                "Events read from other connectors",
                self.received.load(Relaxed) as i64,
            ),
            (
                "triage_broker_dropped_total",
                "counter",
                "Events not published: the buffer overflowed while the broker was down",
                self.dropped.load(Relaxed) as i64,
            ),
            (
                "triage_broker_publish_lag_ms",
                "gauge",
                "Milliseconds from an event's timestamp to its publication (last batch)",
                self.publish_lag_ms.load(Relaxed),
            ),
            (
                "triage_broker_connected",
                "gauge",
                "1 while the broker is reachable",
                i64::from(self.connected.load(Relaxed)),
            ),
        ];
        for (name, kind, help, value) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

/// The broker of one connector: its name and the sessions it holds for other connectors.
pub(crate) struct Broker {
    pub name: String,
    pub status: Arc<BrokerStatus>,
    /// Sessions fed from the stream: never published back (no loops).
    pub remote: Mutex<HashSet<SessionId>>,
    pub maxlen: usize,
    pub buffer: usize,
    /// Publishing and command routing share it (it reconnects by itself).
    pub redis: redis::aio::ConnectionManager,
}

/// Connects to the broker named in the config (if any) and starts publishing and consuming.
/// A wrong, refused or unauthorised URL is an error naming the flag.
pub async fn start(connector: &Connector) -> Result<()> {
    let config = connector.config();
    let Some(url) = config.broker.clone() else { return Ok(()) };
    let name = config.name.clone().unwrap_or_else(|| default_name(connector));
    if name.is_empty() || name.contains('/') || name.contains(char::is_whitespace) {
        return Err(anyhow!("--name {name:?}: a connector name is non-empty, with no '/' and no spaces"));
    }
    let client = tls::client(&url, config.broker_ca.as_deref())?;
    let fail = |e: redis::RedisError| tls::explain(&url, &e);
    // Checked once, now, so a typo is an error at start rather than a silent retry loop.
    let mut probe = client.get_multiplexed_async_connection().await.map_err(fail)?;
    let _: String = redis::cmd("PING").query_async(&mut probe).await.map_err(fail)?;
    let _: () =
        redis::cmd("SADD").arg(CONNECTORS_KEY).arg(&name).query_async(&mut probe).await.map_err(fail)?;
    let manager = client.get_connection_manager().await.map_err(fail)?;
    let broker = Arc::new(Broker {
        name,
        status: Arc::new(BrokerStatus::default()),
        remote: Mutex::new(HashSet::new()),
        maxlen: config.broker_stream_maxlen,
        buffer: config.broker_buffer,
        redis: manager.clone(),
    });
    broker.status.connected.store(true, Relaxed);
    connector.set_broker_status(broker.status.clone());
    tokio::spawn(publish::run(connector.clone(), broker.clone(), manager));
    tokio::spawn(advertise::run(connector.clone(), broker.clone()));
    tokio::spawn(consume::run(connector.clone(), broker, client));
    Ok(())
}

fn default_name(connector: &Connector) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}:{}", connector.local_port())
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(super::redacted("redis://:secret@h:6379"), "redis://***@h:6379");
        assert_eq!(super::redacted("redis://h:6379"), "redis://h:6379");
    }
}
