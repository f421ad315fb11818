//! The embedded connector: one port serving the browsers' and clients' WebSockets and the REST API.
//!
//! [`Connector`] owns the shared state (store, sessions, pending commands, metrics) and is the
//! one entry point for everything that talks to browsers: `/mcp-ws` clients, the REST API and the
//! terminal UI all send commands through [`Connector::command`] and get the reply routed back by id.

pub mod auth;
pub mod browsers;
mod commands;
pub mod compat;
mod compat_http;
pub mod compat_log;
pub mod dialects;
mod har_http;
mod http;
pub(crate) mod ingest;
mod loading;
pub mod metrics;
mod reorder_flush;
mod replay;
mod rest;
pub mod sessions;
mod tls;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Paths};
use crate::protocol::timestamp::now_ms;
use crate::store::{SharedStore, Store};
pub use commands::{Command, CommandReply, CORRELATION_ID, MAX_PENDING_COMMANDS};
pub use compat_http::IDENTITY_SIGNATURE;
pub use loading::{LoadProgress, LoadSnapshot};
pub use replay::Loaded;
pub use sessions::{Dialect, Outbound, PeerKind, SessionInfo};

pub const SERVER_NAME: &str = "triage-tui";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub(crate) struct Shared {
    pub config: Config,
    pub screenshots_dir: PathBuf,
    pub exports_dir: PathBuf,
    pub store: SharedStore,
    pub sessions: sessions::Registry,
    pub metrics: metrics::Metrics,
    pending: Mutex<HashMap<String, commands::PendingCommand>>,
    /// Bumped after every change to the store; readers re-read from their cursors.
    changes: watch::Sender<u64>,
    frame_changes: watch::Sender<u64>,
    started: Instant,
    server_id: String,
    command_counter: AtomicU64,
    /// The port actually bound (the config may say 0): the connector's own origin uses it.
    local_port: AtomicU16,
    shutdown: CancellationToken,
    recorder: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    /// Set once a broker is connected (`crate::broker`).
    broker: std::sync::OnceLock<Arc<crate::broker::BrokerStatus>>,
    /// Seed 004's REST-created sessions, presented by `/ws` connections.
    pub mcp_rs_sessions: dialects::mcp_rs_sessions::SessionBook,
    /// Live-stream clients share one serialisation of each recent event.
    pub fanout: ws::fanout::FanoutCache,
    /// The file `open FILE` is loading in the background (`loading`), for `/health`'s `load`.
    load: std::sync::OnceLock<Arc<LoadProgress>>,
}

/// A handle on the connector. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Connector {
    shared: Arc<Shared>,
}

/// A connector listening on a socket, not yet serving.
pub struct Bound {
    pub connector: Connector,
    pub local_addr: SocketAddr,
    listener: tokio::net::TcpListener,
    /// `--tls-cert`/`--tls-key`: every connection is TLS.
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Connector {
    pub fn new(config: Config, paths: &Paths) -> Result<Connector> {
        let store = Store::shared(config.capacity);
        store.write().set_max_bytes(config.max_store_bytes);
        // Old events' bytes are compressed off the ingest path (store/sealed.rs).
        crate::store::spawn_sealer(&store).context("cannot start the thread that compresses old events")?;
        let recorder = match &config.record {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot open the record file {}", path.display()))?;
                Some(Mutex::new(std::io::BufWriter::new(file)))
            }
            None => None,
        };
        let (changes, _) = watch::channel(0);
        let (frame_changes, _) = watch::channel(0);
        Ok(Connector {
            shared: Arc::new(Shared {
                screenshots_dir: paths.screenshots_dir(),
                exports_dir: paths.exports_dir(),
                store,
                sessions: sessions::Registry::default(),
                metrics: metrics::Metrics::default(),
                pending: Mutex::new(HashMap::new()),
                changes,
                frame_changes,
                started: Instant::now(),
                server_id: format!(
                    "{SERVER_NAME}-{VERSION}-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                ),
                command_counter: AtomicU64::new(0),
                local_port: AtomicU16::new(0),
                shutdown: CancellationToken::new(),
                recorder,
                broker: std::sync::OnceLock::new(),
                mcp_rs_sessions: Default::default(),
                fanout: Default::default(),
                load: std::sync::OnceLock::new(),
                config,
            }),
        })
    }

    /// Binds the configured address and port; a port in use is a clear error.
    pub async fn bind(self) -> Result<Bound> {
        let tls = tls::acceptor(&self.shared.config)?;
        let addr = SocketAddr::new(self.shared.config.bind, self.shared.config.port);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!(
                    "port {} on {} is already in use (another triage-tui or browser-tools server?). \
                     Stop it, or pick another port with --port <N> (or TRIAGE_PORT)",
                    addr.port(),
                    addr.ip()
                )
            } else {
                anyhow::anyhow!("cannot listen on {addr}: {e}")
            }
        })?;
        let local_addr = listener.local_addr()?;
        self.shared.local_port.store(local_addr.port(), Relaxed);
        Ok(Bound { connector: self, local_addr, listener, tls })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The port the connector listens on (0 before it is bound).
    pub fn local_port(&self) -> u16 {
        self.shared.local_port.load(Relaxed)
    }

    pub fn store(&self) -> &SharedStore {
        &self.shared.store
    }

    pub fn screenshots_dir(&self) -> &std::path::Path {
        &self.shared.screenshots_dir
    }

    /// `<data dir>/exports`, where the UI and the MCP tools write exports.
    pub fn exports_dir(&self) -> &std::path::Path {
        &self.shared.exports_dir
    }

    /// A receiver woken after every change to the store.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.shared.sessions.list()
    }

    /// The session registry itself, for the parts outside `server` that register sessions:
    /// MCP clients (`crate::mcp`) and browser sources (`sources::cdp`).
    pub(crate) fn registry(&self) -> &sessions::Registry {
        &self.shared.sessions
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.shared.metrics
    }

    pub fn uptime(&self) -> Duration {
        self.shared.started.elapsed()
    }

    pub fn server_id(&self) -> &str {
        &self.shared.server_id
    }

    /// Stops every connection (peers get a close frame) and the listener.
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shared.shutdown.clone()
    }

    pub(crate) fn notify_changed(&self) {
        self.shared.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Only connector frames changed: the Frames pane may look, event readers need not wake.
    pub(crate) fn notify_frames(&self) {
        self.shared.frame_changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver woken when connector frames (not events) were recorded.
    pub fn frame_changes(&self) -> watch::Receiver<u64> {
        self.shared.frame_changes.subscribe()
    }

    /// Clears the store (what `c` and `DELETE /api/events` do locally). Returns how many went.
    pub fn clear_store(&self) -> u64 {
        let held = {
            let mut store = self.shared.store.write();
            let held = store.stats().held;
            store.clear();
            held
        };
        self.notify_changed();
        held
    }

    pub(crate) fn set_broker_status(&self, status: Arc<crate::broker::BrokerStatus>) {
        let _ = self.shared.broker.set(status);
    }

    /// `/health`'s body.
    pub fn health(&self) -> Value {
        let mut health = self.health_local();
        if let (Some(seed), Some(obj)) =
            (self.shared.metrics.seed001_totals().as_object(), health.as_object_mut())
        {
            obj.extend(seed.clone());
        }
        if let (Some(b), Some(obj)) = (self.shared.broker.get(), health.as_object_mut()) {
            obj.insert("redis".into(), json!(b.health_word()));
            obj.insert("broker".into(), b.health());
        }
        if let (Some(l), Some(obj)) = (self.shared.load.get(), health.as_object_mut()) {
            obj.insert("load".into(), l.to_json());
        }
        health
    }

    fn health_local(&self) -> Value {
        let stats = self.shared.store.read().stats();
        json!({
            "status": "healthy",
            "uptime": self.uptime().as_secs(),
            "connections": {
                "extensions": self.shared.sessions.count(PeerKind::Extension),
                "clients": self.shared.sessions.count(PeerKind::Client),
            },
            // Slots under max_connections, taken at upgrade (before a session exists).
            "connectionSlots": {
                "held": self.shared.sessions.slots_held(),
                "max": self.shared.config.max_connections,
            },
            "version": VERSION,
            "serverId": self.shared.server_id,
            "store": {
                "held": stats.held,
                "stored": stats.stored_total,
                "evicted": stats.evicted_total,
                "console": stats.console,
                "network": stats.network,
                "elements": stats.elements,
                "frames": stats.frames,
                "bytes": stats.bytes,
                "maxBytes": stats.max_bytes,
                "evictedForMemory": {
                    "console": stats.evicted_for_bytes_console,
                    "network": stats.evicted_for_bytes_network,
                    "elements": stats.evicted_for_bytes_elements,
                    "frames": stats.evicted_for_bytes_frames,
                },
            },
            "dropped": {
                "evicted": stats.evicted_total,
                "rateLimited": self.shared.metrics.dropped_rate_limited.load(Relaxed),
                "subscriberLag": self.shared.metrics.dropped_subscriber_lag.load(Relaxed),
                "sendQueueFull": self.shared.metrics.dropped_send_queue.load(Relaxed),
            },
            "timeouts": {
                "heartbeat": self.shared.metrics.heartbeat_timeouts.load(Relaxed),
                "write": self.shared.metrics.write_timeouts.load(Relaxed),
            },
        })
    }

    pub fn metrics_text(&self) -> String {
        let stats = self.shared.store.read().stats();
        let mut text = self.shared.metrics.render(
            self.shared.sessions.count(PeerKind::Extension),
            self.shared.sessions.count(PeerKind::Client),
            &stats,
            self.uptime().as_secs(),
        );
        if let Some(b) = self.shared.broker.get() {
            text.push_str(&b.metrics_text());
        }
        text
    }

    /// Appends a UI mark (or its removal) to the `--record` file, so a replay shows it again.
    /// `key` names the event (the UI's fingerprint of it). A no-op without `--record`.
    pub fn record_mark(&self, key: &str, marked: bool) {
        let line =
            json!({ "type": "ui-mark", "timestamp": now_ms(), "data": { "event": key, "marked": marked } });
        self.record(&line.to_string());
    }

    fn record(&self, line: &str) {
        self.record_lines(std::slice::from_ref(&line));
    }

    /// Appends a batch's lines to the record file under one lock and one flush (one `write` a
    /// batch: a flush a line cost a system call an event).
    fn record_lines<S: AsRef<str>>(&self, lines: &[S]) {
        if lines.is_empty() {
            return;
        }
        if let Some(rec) = &self.shared.recorder {
            use std::io::Write;
            let mut w = rec.lock();
            let written = lines.iter().try_for_each(|line| writeln!(w, "{}", line.as_ref()));
            if written.and_then(|_| w.flush()).is_err() {
                tracing::warn!("could not append to the record file");
            }
        }
    }
}

impl Bound {
    /// Serves until [`Connector::shutdown`] is called.
    pub async fn serve(self) -> Result<()> {
        let token = self.connector.shutdown_token();
        let reorder = tokio::spawn(reorder_flush::run(self.connector.clone(), token.clone()));
        let app = rest::router(self.connector.clone());
        let connector = self.connector.clone();
        http::serve(self.listener, self.tls, app, self.connector, token).await;
        reorder.abort();
        // Nothing held is lost: what the window still holds is listed as it stands.
        if connector.shared.store.write().release_all() > 0 {
            connector.notify_changed();
        }
        Ok(())
    }

    /// Serves in a background task; returns the connector and the address it listens on.
    pub fn spawn(self) -> (Connector, SocketAddr, tokio::task::JoinHandle<Result<()>>) {
        let connector = self.connector.clone();
        let addr = self.local_addr;
        (connector, addr, tokio::spawn(self.serve()))
    }
}

/// Starts a connector on `config`'s address in the background (used by `serve`, the UI and tests).
pub async fn start(
    config: Config,
    paths: &Paths,
) -> Result<(Connector, SocketAddr, tokio::task::JoinHandle<Result<()>>)> {
    Ok(Connector::new(config, paths)?.bind().await?.spawn())
}
