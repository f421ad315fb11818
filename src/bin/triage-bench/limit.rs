//! The machine's limit for ingest: a minimal axum server, in the same process, that only appends
//! what it receives (each WebSocket frame, each `POST /extension-log` body) to memory and counts
//! it. The `…_vs_raw_limit_ratio` figures divide the connector's rate by this server's under the
//! same load generator in the same run, so the figure says how close to the machine the connector
//! is rather than how fast the machine happens to be.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use tokio_util::sync::CancellationToken;

/// What the raw server received: every payload, kept, and how many.
#[derive(Default)]
pub struct Sink {
    kept: Mutex<Vec<Bytes>>,
    count: AtomicU64,
}

impl Sink {
    fn append(&self, payload: Bytes) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).push(payload);
        self.count.fetch_add(1, Ordering::Release);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }
}

/// The raw server, listening on 127.0.0.1:0 until `stop` is cancelled.
pub struct RawServer {
    pub addr: SocketAddr,
    pub sink: Arc<Sink>,
    stop: CancellationToken,
}

impl RawServer {
    pub async fn start() -> Result<Self> {
        let sink = Arc::new(Sink::default());
        let app = Router::new()
            .route("/extension-ws", get(upgrade))
            .route("/extension-log", post(log))
            .with_state(sink.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let until = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(until.cancelled_owned()).await;
        });
        Ok(RawServer { addr, sink, stop })
    }

    /// Waits until `target` payloads arrived (bounded); returns the time since `since`.
    pub async fn wait_for(&self, target: u64, since: Instant, limit: Duration) -> Result<Duration> {
        loop {
            if self.sink.count() >= target {
                return Ok(since.elapsed());
            }
            if since.elapsed() > limit {
                bail!("the raw server got only {} of {target} payloads after {limit:?}", self.sink.count());
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn upgrade(ws: WebSocketUpgrade, State(sink): State<Arc<Sink>>) -> axum::response::Response {
    ws.protocols(["rapidtriage-extension-v1"]).on_upgrade(move |socket| receive(socket, sink))
}

async fn receive(mut socket: WebSocket, sink: Arc<Sink>) {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(_) | Message::Binary(_) => sink.append(message.into_data()),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

async fn log(State(sink): State<Arc<Sink>>, body: Bytes) -> &'static str {
    sink.append(body);
    "ok"
}
