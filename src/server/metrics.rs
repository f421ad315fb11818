//! Counters for `/metrics` (Prometheus text) and `/health`. Lock-free on the hot path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::protocol::{ErrorCode, MessageType};
use crate::store::StoreStats;

const TYPES: usize = MessageType::ALL.len();
const CODES: usize = ErrorCode::ALL.len();

#[derive(Debug, Default)]
pub struct Metrics {
    messages_in: [AtomicU64; TYPES],
    messages_out: [AtomicU64; TYPES],
    /// Messages whose type we could not read (refused before classification).
    messages_in_unparsed: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    errors: [AtomicU64; CODES],
    pub connections_total_extension: AtomicU64,
    pub connections_total_client: AtomicU64,
    pub connections_refused: AtomicU64,
    /// Messages over a connection's rate limit (counted, not stored).
    pub dropped_rate_limited: AtomicU64,
    /// Live events a slow subscriber missed because the store evicted them first.
    pub dropped_subscriber_lag: AtomicU64,
    /// Outbound messages dropped because a peer's send queue was full.
    pub dropped_send_queue: AtomicU64,
    pub commands_sent: AtomicU64,
    pub commands_timed_out: AtomicU64,
    pub heartbeat_timeouts: AtomicU64,
    /// Connections closed because the peer accepted no bytes for the heartbeat timeout.
    pub write_timeouts: AtomicU64,
    /// HTTP connections: accepted, open now, refused at `max_http_connections`, and closed
    /// for a request head that took too long or for idling.
    pub http_connections_total: AtomicU64,
    pub http_open: AtomicU64,
    pub http_refused_busy: AtomicU64,
    pub http_header_timeouts: AtomicU64,
    pub http_idle_timeouts: AtomicU64,
    /// HTTP request bodies refused for their size.
    pub http_body_too_large: AtomicU64,
}

fn type_index(t: MessageType) -> usize {
    MessageType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

fn code_index(c: ErrorCode) -> usize {
    ErrorCode::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

impl Metrics {
    pub fn message_in(&self, t: Option<MessageType>, bytes: usize) {
        match t {
            Some(t) => self.messages_in[type_index(t)].fetch_add(1, Relaxed),
            None => self.messages_in_unparsed.fetch_add(1, Relaxed),
        };
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
    }

    pub fn message_out(&self, t: MessageType, bytes: usize) {
        self.messages_out[type_index(t)].fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    pub fn error(&self, code: ErrorCode) {
        self.errors[code_index(code)].fetch_add(1, Relaxed);
    }

    pub fn errors_of(&self, code: ErrorCode) -> u64 {
        self.errors[code_index(code)].load(Relaxed)
    }

    pub fn messages_in_of(&self, t: MessageType) -> u64 {
        self.messages_in[type_index(t)].load(Relaxed)
    }

    pub fn messages_in_total(&self) -> u64 {
        self.messages_in.iter().map(|a| a.load(Relaxed)).sum::<u64>()
            + self.messages_in_unparsed.load(Relaxed)
    }

    /// Prometheus text exposition format, version 0.0.4.
    pub fn messages_out_total(&self) -> u64 {
        self.messages_out.iter().map(|a| a.load(Relaxed)).sum()
    }

    /// Seed 001's totals under its own names (dashboards built for Semantest read them):
    /// connections accepted by `type` (`client`, `extension`) and messages by `direction`.
    pub fn seed001_totals(&self) -> serde_json::Value {
        serde_json::json!({
            "websocket_connections_total": {
                "client": self.connections_total_client.load(Relaxed),
                "extension": self.connections_total_extension.load(Relaxed),
            },
            "websocket_messages_total": {
                "inbound": self.messages_in_total(),
                "outbound": self.messages_out_total(),
            },
        })
    }

    pub fn render(&self, extensions: usize, clients: usize, store: &StoreStats, uptime_s: u64) -> String {
        let mut out = String::with_capacity(4096);
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        };
        let l = |s: String| s;
        family(
            "triage_uptime_seconds",
            "gauge",
            "Seconds since the connector started.",
            &[(String::new(), uptime_s)],
        );
        family(
            "triage_connections",
            "gauge",
            "Open WebSocket connections by kind.",
            &[
                (l("kind=\"extension\"".into()), extensions as u64),
                (l("kind=\"client\"".into()), clients as u64),
            ],
        );
        family(
            "triage_connections_total",
            "counter",
            "WebSocket connections accepted since start, by kind.",
            &[
                ("kind=\"extension\"".into(), self.connections_total_extension.load(Relaxed)),
                ("kind=\"client\"".into(), self.connections_total_client.load(Relaxed)),
            ],
        );
        family(
            "triage_connections_refused_total",
            "counter",
            "Upgrades refused (origin, token, connection limit, subprotocol).",
            &[(String::new(), self.connections_refused.load(Relaxed))],
        );
        let mut inbound: Vec<(String, u64)> = MessageType::ALL
            .iter()
            .map(|t| (format!("type=\"{t}\""), self.messages_in[type_index(*t)].load(Relaxed)))
            .filter(|(_, v)| *v > 0)
            .collect();
        inbound.push(("type=\"unparsed\"".into(), self.messages_in_unparsed.load(Relaxed)));
        family("triage_messages_in_total", "counter", "Messages received, by type.", &inbound);
        let outbound: Vec<(String, u64)> = MessageType::ALL
            .iter()
            .map(|t| (format!("type=\"{t}\""), self.messages_out[type_index(*t)].load(Relaxed)))
            .filter(|(_, v)| *v > 0)
            .collect();
        family("triage_messages_out_total", "counter", "Messages sent, by type.", &outbound);
        family(
            "websocket_connections_total",
            "counter",
            "Total WebSocket connections (seed 001's name; triage_connections_total by kind).",
            &[
                ("type=\"client\"".into(), self.connections_total_client.load(Relaxed)),
                ("type=\"extension\"".into(), self.connections_total_extension.load(Relaxed)),
            ],
        );
        family(
            "websocket_messages_total",
            "counter",
            "Total messages processed (seed 001's name; triage_messages_*_total by type).",
            &[
                ("direction=\"inbound\"".into(), self.messages_in_total()),
                ("direction=\"outbound\"".into(), self.messages_out_total()),
            ],
        );
        family(
            "triage_bytes_total",
            "counter",
            "Payload bytes of WebSocket and HTTP messages, by direction.",
            &[
                ("direction=\"in\"".into(), self.bytes_in.load(Relaxed)),
                ("direction=\"out\"".into(), self.bytes_out.load(Relaxed)),
            ],
        );
        let errors: Vec<(String, u64)> = ErrorCode::ALL
            .iter()
            .map(|c| (format!("code=\"{c}\""), self.errors[code_index(*c)].load(Relaxed)))
            .collect();
        family("triage_errors_total", "counter", "Errors answered, by code.", &errors);
        family(
            "triage_dropped_total",
            "counter",
            "Messages or events not delivered or not kept, by reason.",
            &[
                ("reason=\"rate_limited\"".into(), self.dropped_rate_limited.load(Relaxed)),
                ("reason=\"evicted\"".into(), store.evicted_total),
                ("reason=\"subscriber_lag\"".into(), self.dropped_subscriber_lag.load(Relaxed)),
                ("reason=\"send_queue_full\"".into(), self.dropped_send_queue.load(Relaxed)),
            ],
        );
        family(
            "triage_store_events",
            "gauge",
            "Events held in the store, by log.",
            &[
                ("log=\"console\"".into(), store.console),
                ("log=\"network\"".into(), store.network),
                ("log=\"elements\"".into(), store.elements),
                ("log=\"frames\"".into(), store.frames),
            ],
        );
        family(
            "triage_store_evicted_total",
            "counter",
            "Events evicted from a full log, by log.",
            &[
                ("log=\"console\"".into(), store.evicted_console),
                ("log=\"network\"".into(), store.evicted_network),
                ("log=\"elements\"".into(), store.evicted_elements),
                ("log=\"frames\"".into(), store.evicted_frames),
            ],
        );
        family(
            "triage_store_evicted_for_memory_total",
            "counter",
            "Events and frames evicted to keep the store within max_store_bytes, by log.",
            &[
                ("log=\"console\"".into(), store.evicted_for_bytes_console),
                ("log=\"network\"".into(), store.evicted_for_bytes_network),
                ("log=\"elements\"".into(), store.evicted_for_bytes_elements),
                ("log=\"frames\"".into(), store.evicted_for_bytes_frames),
            ],
        );
        family(
            "triage_store_bytes",
            "gauge",
            "What the held events and frames weigh, and the budget (max_store_bytes).",
            &[("kind=\"held\"".into(), store.bytes), ("kind=\"max\"".into(), store.max_bytes)],
        );
        family(
            "triage_commands_total",
            "counter",
            "Commands sent to browsers, and those that timed out.",
            &[
                ("outcome=\"sent\"".into(), self.commands_sent.load(Relaxed)),
                ("outcome=\"timed_out\"".into(), self.commands_timed_out.load(Relaxed)),
            ],
        );
        family(
            "triage_heartbeat_timeouts_total",
            "counter",
            "Connections dropped after the heartbeat timeout.",
            &[(String::new(), self.heartbeat_timeouts.load(Relaxed))],
        );
        family(
            "triage_write_timeouts_total",
            "counter",
            "Connections closed because the peer accepted nothing for the heartbeat timeout.",
            &[(String::new(), self.write_timeouts.load(Relaxed))],
        );
        family(
            "triage_http_connections",
            "gauge",
            "HTTP connections open now (WebSocket upgrades count until upgraded).",
            &[(String::new(), self.http_open.load(Relaxed))],
        );
        family(
            "triage_http_connections_total",
            "counter",
            "HTTP connections accepted, and refused at max_http_connections.",
            &[
                ("outcome=\"accepted\"".into(), self.http_connections_total.load(Relaxed)),
                ("outcome=\"refused_busy\"".into(), self.http_refused_busy.load(Relaxed)),
            ],
        );
        family(
            "triage_http_timeouts_total",
            "counter",
            "HTTP connections closed: a request head slower than http_header_timeout_ms, or idle past http_idle_timeout_ms.",
            &[
                ("kind=\"header\"".into(), self.http_header_timeouts.load(Relaxed)),
                ("kind=\"idle\"".into(), self.http_idle_timeouts.load(Relaxed)),
            ],
        );
        family(
            "triage_http_body_too_large_total",
            "counter",
            "HTTP request bodies refused for passing their limit.",
            &[(String::new(), self.http_body_too_large.load(Relaxed))],
        );
        out
    }
}
