//! The `export_har` tool: the store's network requests (and their sockets' frames) as a HAR 1.2
//! file under the data dir's `exports/`, picked by the same filter and session as `GET /api/har`.
//!
//! It writes a file and returns its path rather than the HAR itself: a HAR of a busy page runs to
//! megabytes, which would flood a model's context, while the developer wants a file to open in
//! DevTools' Network panel or attach to a bug. chrome-devtools-mcp hands big artifacts over the same
//! way (a trace or a memory snapshot is saved to a file and its path returned).

use rmcp::model::CallToolResult;
use serde_json::json;

use super::format::{invalid, ok_json, tool_error};
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
    let path = c.exports_dir().join(&name);
    let target = path.clone();
    // Written off the runtime: a large HAR takes a while.
    let written = tokio::task::spawn_blocking(move || {
        write_file(&target, |f| {
            let summary = har::write_to(&mut *f, &picked)?;
            Ok((summary, f.metadata()?.len()))
        })
    })
    .await;
    let (summary, bytes) = match written {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => return server_error(e),
        Err(e) => return server_error(format!("the HAR export stopped: {e}")),
    };
    ok_json(json!({
        "path": path.display().to_string(),
        "entries": summary.entries,
        "pages": summary.pages,
        "bytes": bytes,
        "format": "HAR 1.2",
    }))
}

fn server_error(message: String) -> CallToolResult {
    tool_error(&ProtocolError::new(ErrorCode::ServerError, message))
}
