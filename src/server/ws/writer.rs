//! The write half of one WebSocket connection: a bounded queue and the task that drains it.
//!
//! A connection's loop never awaits the socket to write: it queues (never blocking) and goes on
//! reading, pinging and routing commands. The writer task sends what is queued, a batch at a time
//! and one flush a batch, with a
//! deadline; a peer whose socket accepts nothing for that long is given up on (the connection
//! closes and the timeout is counted). The queue is bounded in messages and bytes, so a peer that
//! stops reading holds at most that much memory.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::server::Connector;

/// Messages a connection may have queued for its peer.
pub const QUEUE_MESSAGES: usize = 256;
/// Bytes a connection may have queued; past half of it the live stream waits (or skips ahead).
pub const QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Messages kept free for replies, errors and pings when the live stream fills the queue.
const RESERVED_MESSAGES: usize = 32;
/// Queued messages written to the socket before one flush: a live stream of small events costs
/// one `sendto` a batch, not one a message (the per-message flush was 40 % of the 100-client
/// fan-out's CPU).
const WRITE_BATCH: usize = 64;

/// The connection's side of the queue.
pub(super) struct Outgoing {
    tx: mpsc::Sender<Message>,
    queued_bytes: Arc<AtomicUsize>,
    /// Signalled when the writer has drained below the stream's low-water mark.
    pub drained: Arc<Notify>,
    /// Cancelled when the writer stopped: the socket failed or the deadline passed.
    pub failed: CancellationToken,
}

/// What happened to a message handed to [`Outgoing::push`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Queued {
    Yes,
    /// The queue is full: the message was dropped (and should be counted).
    Full,
    /// The writer is gone: the connection is closing.
    Closed,
}

impl Outgoing {
    /// Queues a message without waiting.
    pub fn push(&self, msg: Message) -> Queued {
        let len = message_len(&msg);
        // Replies and errors may use the whole byte budget; only the stream stops at half.
        if self.queued_bytes.load(Relaxed) + len > QUEUE_BYTES && !matches!(msg, Message::Close(_)) {
            return Queued::Full;
        }
        self.queued_bytes.fetch_add(len, Relaxed);
        match self.tx.try_send(msg) {
            Ok(()) => Queued::Yes,
            Err(e) => {
                self.queued_bytes.fetch_sub(len, Relaxed);
                match e {
                    mpsc::error::TrySendError::Full(_) => Queued::Full,
                    mpsc::error::TrySendError::Closed(_) => Queued::Closed,
                }
            }
        }
    }

    /// Whether a message from the peer's inbox (a command, a reply) can be queued now.
    pub fn has_room(&self) -> bool {
        self.tx.capacity() > 0 && self.queued_bytes.load(Relaxed) < QUEUE_BYTES
    }

    /// How many messages and bytes the live stream may queue now.
    pub fn stream_room(&self) -> (usize, usize) {
        let count = self.tx.capacity().saturating_sub(RESERVED_MESSAGES).max(1);
        let bytes = (QUEUE_BYTES / 2).saturating_sub(self.queued_bytes.load(Relaxed)).max(1);
        (count, bytes)
    }

    /// Whether the live stream may queue more: it leaves room for replies, errors and pings.
    pub fn has_stream_room(&self) -> bool {
        self.tx.capacity() > RESERVED_MESSAGES && self.queued_bytes.load(Relaxed) < QUEUE_BYTES / 2
    }
}

/// Starts the writer task for `sink`; `deadline` bounds each batch's send.
pub(super) fn spawn(
    sink: SplitSink<WebSocket, Message>,
    deadline: Duration,
    connector: Connector,
) -> (Outgoing, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_MESSAGES);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let drained = Arc::new(Notify::new());
    let failed = CancellationToken::new();
    let task = tokio::spawn(write_loop(
        sink,
        rx,
        queued_bytes.clone(),
        drained.clone(),
        failed.clone(),
        deadline,
        connector,
    ));
    (Outgoing { tx, queued_bytes, drained, failed }, task)
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Message>,
    queued_bytes: Arc<AtomicUsize>,
    drained: Arc<Notify>,
    failed: CancellationToken,
    deadline: Duration,
    connector: Connector,
) {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    while rx.recv_many(&mut batch, WRITE_BATCH).await > 0 {
        let len: usize = batch.iter().map(message_len).sum();
        let is_close = batch.iter().any(|m| matches!(m, Message::Close(_)));
        let send = async {
            for msg in batch.drain(..) {
                let close = matches!(msg, Message::Close(_));
                sink.feed(msg).await?;
                // Nothing is sent after a close frame.
                if close {
                    break;
                }
            }
            sink.flush().await
        };
        let sent = tokio::time::timeout(deadline, send).await;
        batch.clear();
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!("write failed: {e}");
                failed.cancel();
                return;
            }
            Err(_) => {
                connector.shared.metrics.write_timeouts.fetch_add(1, Relaxed);
                tracing::info!(
                    "the peer accepted nothing for {} ms: closing the connection",
                    deadline.as_millis()
                );
                failed.cancel();
                return;
            }
        }
        let left = queued_bytes.fetch_sub(len, Relaxed).saturating_sub(len);
        if left < QUEUE_BYTES / 4 || rx.len() < QUEUE_MESSAGES / 4 {
            drained.notify_one();
        }
        if is_close {
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

/// The bytes a message holds while it waits in the queue.
fn message_len(msg: &Message) -> usize {
    match msg {
        Message::Text(t) => t.len(),
        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
        Message::Close(_) => 0,
    }
}
