//! The `export_har` and `export_console` tools: the store's network requests (and their sockets'
//! frames) as a HAR 1.2 file, and its console messages as NDJSON or text, under the data dir's
//! `exports/`, picked by the same filter and session as `GET /api/har` and `/api/console/export`.
//!
//! It writes a file and returns its path rather than the HAR itself: a HAR of a busy page runs to
//! megabytes, which would flood a model's context, while the developer wants a file to open in
//! DevTools' Network panel or attach to a bug. chrome-devtools-mcp hands big artifacts over the same
//! way (a trace or a memory snapshot is saved to a file and its path returned).

use rmcp::model::CallToolResult;
use serde_json::json;

use super::format::{invalid, ok_json, tool_error};
use crate::export::console::{self, ConsoleFormat};
use crate::export::file::{file_name, write_file};
use crate::export::{har, select::Selection};
use crate::protocol::{ErrorCode, ProtocolError};
use crate::server::Connector;

/// `export_har`: writes the HAR and says where, with its entry count.
pub async fn export_har(
    c: &Connector,
    filter: Option<String>,
    session: Option<String>,
    asked_name: Option<String>,
) -> CallToolResult {
    let name = match file_name(asked_name.as_deref(), "har", chrono::Utc::now()) {
        Ok(n) => n,
        Err(e) => return invalid(e),
    };
    let selection = Selection { filter, session };
    let picked = match selection.pick(&c.store().read()) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    match save(c, &name, move |f| har::write_to(f, &picked)).await {
        Ok((path, summary, bytes)) => ok_json(json!({
            "path": path, "entries": summary.entries, "pages": summary.pages, "bytes": bytes, "format": "HAR 1.2",
        })),
        Err(e) => e,
    }
}

/// `export_console`: writes the console messages as NDJSON or text and says where, with their count.
pub async fn export_console(
    c: &Connector,
    filter: Option<String>,
    session: Option<String>,
    format: Option<String>,
    asked_name: Option<String>,
) -> CallToolResult {
    let format = match ConsoleFormat::parse(format.as_deref().unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let name = match file_name(asked_name.as_deref(), format.ext(), chrono::Utc::now()) {
        Ok(n) => n,
        Err(e) => return invalid(e),
    };
    let selection = Selection { filter, session };
    let filter = match selection.compiled() {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let events = selection.pick_console(&c.store().read(), filter.as_ref());
    match save(c, &name, move |f| console::write_to(f, &events, format)).await {
        Ok((path, messages, bytes)) => ok_json(json!({
            "path": path, "messages": messages, "bytes": bytes, "format": format.ext(),
        })),
        Err(e) => e,
    }
}

/// Writes `name` under the exports dir off the runtime (a large export takes a while): its path,
/// what `write` returned, and its size.
async fn save<T: Send + 'static>(
    c: &Connector,
    name: &str,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<T> + Send + 'static,
) -> Result<(String, T, u64), CallToolResult> {
    let path = c.exports_dir().join(name);
    let target = path.clone();
    let written = tokio::task::spawn_blocking(move || {
        write_file(&target, |f| {
            let out = write(&mut *f)?;
            Ok((out, f.metadata()?.len()))
        })
    })
    .await;
    match written {
        Ok(Ok((out, bytes))) => Ok((path.display().to_string(), out, bytes)),
        Ok(Err(e)) => Err(server_error(e)),
        Err(e) => Err(server_error(format!("the export stopped: {e}"))),
    }
}

fn server_error(message: String) -> CallToolResult {
    tool_error(&ProtocolError::new(ErrorCode::ServerError, message))
}
