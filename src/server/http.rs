//! The HTTP accept loop: every connection is bounded in number and in time.
//!
//! axum's `serve` holds a connection for as long as its client keeps it open, so a few thousand
//! sockets dribbling headers would hold the connector until it ran out of descriptors. Here each
//! accepted socket needs a permit (`max_http_connections`; past it a client gets a 503 and the
//! socket is closed), a request head must arrive within `http_header_timeout_ms` of its first
//! byte, and a connection with no request in progress is closed after `http_idle_timeout_ms`.
//! Requests being answered are never cut (a command may wait for its browser), and a WebSocket
//! upgrade leaves this loop's care: it is bounded by `max_connections` and the heartbeat instead.
//! With TLS (`super::tls`) each socket's handshake must finish within the head timeout too.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::Connector;

/// Serves `app` on `listener` until `shutdown` is cancelled.
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    connector: Connector,
    shutdown: CancellationToken,
) {
    let config = connector.config();
    let permits = Arc::new(Semaphore::new(config.max_http_connections));
    let limits = Limits {
        header: Duration::from_millis(config.http_header_timeout_ms),
        idle: Duration::from_millis(config.http_idle_timeout_ms),
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let (tcp, remote) = match accepted {
            Ok(ok) => ok,
            Err(e) => {
                // Out of descriptors and the like: wait a moment rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small messages both ways: no Nagle delay (a browser's socket sets TCP_NODELAY too).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY not set: {e}");
        }
        let metrics = &connector.shared.metrics;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics.http_refused_busy.fetch_add(1, Relaxed);
            tokio::spawn(refuse_busy(tcp));
            continue;
        };
        metrics.http_connections_total.fetch_add(1, Relaxed);
        let app = app.clone();
        let connector = connector.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            connector.shared.metrics.http_open.fetch_add(1, Relaxed);
            match tls {
                None => serve_one(tcp, remote, app, &connector, limits, shutdown).await,
                Some(tls) => match tokio::time::timeout(limits.header, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_one(stream, remote, app, &connector, limits, shutdown).await,
                    Ok(Err(e)) => tracing::info!(%remote, "TLS handshake failed: {e}"),
                    Err(_) => {
                        connector.shared.metrics.http_header_timeouts.fetch_add(1, Relaxed);
                        tracing::info!(%remote, "no TLS handshake within {} ms: closed", limits.header.as_millis());
                    }
                },
            }
            connector.shared.metrics.http_open.fetch_sub(1, Relaxed);
            drop(permit);
        });
    }
}

#[derive(Clone, Copy)]
struct Limits {
    header: Duration,
    idle: Duration,
}

/// Too many connections: a short answer the client can read, then the socket closes.
async fn refuse_busy(mut tcp: TcpStream) {
    let body = r#"{"error":"too many HTTP connections are open; try again shortly","code":"SERVER_ERROR"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(response.as_bytes())).await;
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    tcp: S,
    remote: SocketAddr,
    app: Router,
    connector: &Connector,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked { inner: tcp, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let app = app.clone();
        let requests = requests.clone();
        requests.begin();
        async move {
            let response = app.oneshot(req.map(axum::body::Body::new)).await;
            requests.end();
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The head timeout is ours (below): it knows an idle connection from a slow head.
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let mut tick = tokio::time::interval(limits.header.min(limits.idle).min(Duration::from_secs(1)) / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let metrics = &connector.shared.metrics;
    loop {
        tokio::select! {
            result = &mut conn => {
                if let Err(e) = result {
                    tracing::debug!(%remote, "HTTP connection ended: {e}");
                }
                return;
            }
            _ = tick.tick() => match activity.overdue(limits) {
                Some(Overdue::Head) => {
                    metrics.http_header_timeouts.fetch_add(1, Relaxed);
                    tracing::info!(%remote, "no complete request head within {} ms: closed", limits.header.as_millis());
                    return;
                }
                Some(Overdue::Idle) => {
                    metrics.http_idle_timeouts.fetch_add(1, Relaxed);
                    return;
                }
                None => {}
            },
            () = shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut conn).await;
                return;
            }
        }
    }
}

enum Overdue {
    Head,
    Idle,
}

/// What one connection is doing: requests in progress, and bytes of a head being received.
struct Activity {
    started: Instant,
    in_flight: AtomicUsize,
    /// Bytes read since the connection went idle (the start of the next request head).
    head_bytes: AtomicUsize,
    /// Milliseconds since `started`: when the connection went idle, and when a head began.
    idle_since_ms: AtomicU64,
    head_since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            head_bytes: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            head_since_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn begin(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }

    fn end(&self) {
        if self.in_flight.fetch_sub(1, Relaxed) == 1 {
            self.head_bytes.store(0, Relaxed);
            self.idle_since_ms.store(self.now_ms(), Relaxed);
        }
    }

    fn read(&self, n: usize) {
        if n > 0 && self.in_flight.load(Relaxed) == 0 && self.head_bytes.fetch_add(n, Relaxed) == 0 {
            self.head_since_ms.store(self.now_ms(), Relaxed);
        }
    }

    fn overdue(&self, limits: Limits) -> Option<Overdue> {
        if self.in_flight.load(Relaxed) > 0 {
            return None;
        }
        let now = self.now_ms();
        if self.head_bytes.load(Relaxed) > 0 {
            let since = now.saturating_sub(self.head_since_ms.load(Relaxed));
            (since >= limits.header.as_millis() as u64).then_some(Overdue::Head)
        } else {
            let since = now.saturating_sub(self.idle_since_ms.load(Relaxed));
            (since >= limits.idle.as_millis() as u64).then_some(Overdue::Idle)
        }
    }
}

/// A socket (plain or TLS) that tells its [`Activity`] what it reads.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.activity.read(n);
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
