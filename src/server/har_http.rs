//! Exports over HTTP, streamed: `GET /api/har?filter=EXPR&session=ID` (network requests and page
//! frames as HAR 1.2) and `GET /api/console/export?format=ndjson|text&filter=&session=` (the
//! Console pane's events). Each is written off the async runtime in 64 KiB chunks fed to the
//! response body, so a large export neither blocks the server nor sits whole in memory.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::ws::json_error;
use super::Connector;
use crate::export::console::{self, ConsoleFormat};
use crate::export::{har, select::Selection};

#[derive(Debug, Deserialize)]
pub(super) struct HarParams {
    filter: Option<String>,
    session: Option<String>,
}

pub(super) async fn har(State(c): State<Connector>, Query(p): Query<HarParams>) -> Response {
    let selection = Selection { filter: p.filter, session: p.session };
    let picked = match selection.pick(&c.store().read()) {
        Ok(p) => p,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, "INVALID_MESSAGE", &e, Value::Null),
    };
    streamed("application/json", move |sink| har::write_to(sink, &picked).map(drop))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConsoleParams {
    filter: Option<String>,
    session: Option<String>,
    format: Option<String>,
}

pub(super) async fn console_export(State(c): State<Connector>, Query(p): Query<ConsoleParams>) -> Response {
    let bad = |e: String| json_error(StatusCode::BAD_REQUEST, "INVALID_MESSAGE", &e, Value::Null);
    let format = match ConsoleFormat::parse(p.format.as_deref().unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let selection = Selection { filter: p.filter, session: p.session };
    let filter = match selection.compiled() {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let events = selection.pick_console(&c.store().read(), filter.as_ref());
    streamed(format.content_type(), move |sink| console::write_to(sink, &events, format).map(drop))
}

/// A response whose body `write` produces on a blocking thread.
fn streamed(
    content_type: &'static str,
    write: impl FnOnce(&mut ChunkSink) -> io::Result<()> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut sink = ChunkSink { buf: Vec::with_capacity(CHUNK), tx };
        if let Err(e) = write(&mut sink).and_then(|_| sink.send()) {
            // The status line is gone already: an error ends the body early, so the client sees it cut.
            let _ = sink.tx.blocking_send(Err(e));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    ([(header::CONTENT_TYPE, content_type)], Body::from_stream(body)).into_response()
}

const CHUNK: usize = 64 * 1024;

/// A `Write` that hands full chunks to the response body; it fails once the client has gone.
struct ChunkSink {
    buf: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl ChunkSink {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
