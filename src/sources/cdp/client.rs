//! A thin client for the Chrome DevTools Protocol over tokio-tungstenite: one WebSocket to the
//! browser endpoint, flattened target sessions (`sessionId` on each message), calls matched to
//! their replies by id, events handed to one bounded channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Events waiting for the router; past this the browser is producing faster than we store and
/// events are dropped (and counted) rather than blocking replies behind them.
const EVENT_QUEUE: usize = 16_384;
/// Default bound on one call; every call has one so nothing waits forever on a wedged target.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    /// The browser's WebSocket closed (the browser exited or was closed).
    #[error("the browser connection closed")]
    Closed,
    #[error("{method} got no answer within {ms} ms")]
    Timeout { method: String, ms: u128 },
    /// The protocol's own error (`{"error": {"code", "message"}}`).
    #[error("{method}: {message}")]
    Protocol { method: String, code: i64, message: String },
}

/// One event: its method, its params, and the flattened session it belongs to (`None`: the browser).
#[derive(Debug)]
pub struct Event {
    pub method: String,
    pub params: Value,
    pub session: Option<Arc<str>>,
}

type Reply = Result<Value, CdpError>;

struct Inner {
    out: mpsc::UnboundedSender<String>,
    pending: Mutex<HashMap<u64, (String, oneshot::Sender<Reply>)>>,
    next_id: AtomicU64,
    closed: CancellationToken,
    dropped_events: AtomicU64,
}

/// A handle on the browser connection. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What arrives on the socket: a reply (`id`) or an event (`method`). Params stay raw until routed.
#[derive(Deserialize)]
struct Incoming<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    method: Option<&'a str>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    error: Option<ProtocolErrorBody>,
    #[serde(rename = "sessionId")]
    session_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct ProtocolErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

impl Client {
    /// Connects to a browser endpoint (`ws://…/devtools/browser/…`).
    pub async fn connect(ws_url: &str) -> anyhow::Result<(Client, mpsc::Receiver<Event>)> {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(256 << 20))
            .max_frame_size(Some(256 << 20));
        let (ws, _) = tokio_tungstenite::connect_async_with_config(ws_url, Some(config), true)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the DevTools WebSocket {ws_url}: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
        let inner = Arc::new(Inner {
            out,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            closed: CancellationToken::new(),
            dropped_events: AtomicU64::new(0),
        });
        let writer_closed = inner.closed.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    msg = out_rx.recv() => match msg {
                        Some(text) => {
                            if sink.send(Message::text(text)).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                    () = writer_closed.cancelled() => break,
                }
            }
            let _ = sink.close().await;
        });
        let reader = inner.clone();
        tokio::spawn(async move {
            while let Some(msg) = stream.next().await {
                let text = match msg {
                    Ok(Message::Text(t)) => t,
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                reader.on_text(text.as_str(), &events);
            }
            reader.close();
        });
        Ok((Client { inner }, events_rx))
    }

    /// Calls `method` on the browser (`session: None`) or a flattened target session.
    pub async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, CdpError> {
        self.call_within(session, method, params, CALL_TIMEOUT).await
    }

    pub async fn call_within(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        if self.inner.closed.is_cancelled() {
            return Err(CdpError::Closed);
        }
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        self.inner.pending.lock().insert(id, (method.to_string(), tx));
        if self.inner.out.send(msg.to_string()).is_err() {
            self.inner.pending.lock().remove(&id);
            return Err(CdpError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(CdpError::Closed),
            Err(_) => {
                self.inner.pending.lock().remove(&id);
                Err(CdpError::Timeout { method: method.to_string(), ms: timeout.as_millis() })
            }
        }
    }

    /// Cancelled when the connection is gone.
    pub fn closed(&self) -> CancellationToken {
        self.inner.closed.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Events dropped because the router fell behind by [`EVENT_QUEUE`].
    pub fn dropped_events(&self) -> u64 {
        self.inner.dropped_events.load(Relaxed)
    }

    /// Closes the socket; every call in flight fails with [`CdpError::Closed`] at once.
    pub fn shutdown(&self) {
        self.inner.close();
    }
}

impl Inner {
    fn on_text(&self, text: &str, events: &mpsc::Sender<Event>) {
        let Ok(msg) = serde_json::from_str::<Incoming>(text) else {
            tracing::debug!("CDP: unreadable message ({} bytes)", text.len());
            return;
        };
        if let Some(id) = msg.id {
            let Some((method, tx)) = self.pending.lock().remove(&id) else { return };
            let reply = match msg.error {
                Some(e) => Err(CdpError::Protocol { method, code: e.code, message: e.message }),
                None => {
                    Ok(msg.result.and_then(|r| serde_json::from_str(r.get()).ok()).unwrap_or(Value::Null))
                }
            };
            let _ = tx.send(reply);
            return;
        }
        let Some(method) = msg.method else { return };
        let params = msg.params.and_then(|p| serde_json::from_str(p.get()).ok()).unwrap_or(Value::Null);
        let event = Event { method: method.to_string(), params, session: msg.session_id.map(Arc::from) };
        if let Err(mpsc::error::TrySendError::Full(_)) = events.try_send(event) {
            let n = self.dropped_events.fetch_add(1, Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "CDP events dropped: the router is behind");
            }
        }
    }

    fn close(&self) {
        self.closed.cancel();
        let pending: Vec<_> = self.pending.lock().drain().collect();
        for (_, (_, tx)) in pending {
            let _ = tx.send(Err(CdpError::Closed));
        }
    }
}
