//! The `export_har` tool: the store's network requests (and their sockets' frames) as a HAR 1.2
//! file under the data dir's `exports/`, picked by the same filter and session as `GET /api/har`.
//!
//! It writes a file and returns its path rather than the HAR itself: a HAR of a busy page runs to
//! megabytes, which would flood a model's context, while the developer wants a file to open in
//! DevTools' Network panel or attach to a bug. chrome-devtools-mcp hands big artifacts over the same
//! way (a trace or a memory snapshot is saved to a file and its path returned).

use std::path::PathBuf;

use rmcp::model::CallToolResult;
use serde_json::json;

use super::format::{invalid, ok_json, tool_error};
use crate::export::{har, select::Selection};
use crate::protocol::{ErrorCode, ProtocolError};
use crate::server::Connector;

/// Where exports go: `<data dir>/exports`, beside `screenshots/`.
fn exports_dir(c: &Connector) -> PathBuf {
    let data_dir = c.screenshots_dir().parent().map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    data_dir.join("exports")
}

/// The file name to write: the caller's bare name (`.har` added when missing), or a timestamped one.
pub fn file_name(asked: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    let Some(name) = asked.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(format!("triage-{}.har", now.format("%Y%m%dT%H%M%S%.3fZ")));
    };
    let plain = name.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'));
    if !plain || name.starts_with('.') {
        return Err(format!(
            "file_name {name:?}: give a bare name of letters, digits, '.', '_' or '-' (it is written under the data dir's exports/)"
        ));
    }
    Ok(if name.ends_with(".har") { name.to_string() } else { format!("{name}.har") })
}

/// `export_har`: writes the HAR and says where, with its entry count.
pub async fn export_har(
    c: &Connector,
    filter: Option<String>,
    session: Option<String>,
    asked_name: Option<String>,
) -> CallToolResult {
    let name = match file_name(asked_name.as_deref(), chrono::Utc::now()) {
        Ok(n) => n,
        Err(e) => return invalid(e),
    };
    let selection = Selection { filter, session };
    let picked = match selection.pick(&c.store().read()) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let doc = har::write(&picked);
    let entries = doc["log"]["entries"].as_array().map_or(0, Vec::len);
    let pages = doc["log"]["pages"].as_array().map_or(0, Vec::len);
    let text = match serde_json::to_string_pretty(&doc) {
        Ok(t) => t,
        Err(e) => return server_error(format!("the HAR could not be serialised: {e}")),
    };
    let dir = exports_dir(c);
    let path = dir.join(&name);
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        return server_error(format!("cannot create {}: {e}", dir.display()));
    }
    if let Err(e) = tokio::fs::write(&path, text.as_bytes()).await {
        return server_error(format!("cannot write {}: {e}", path.display()));
    }
    ok_json(json!({
        "path": path.display().to_string(),
        "entries": entries,
        "pages": pages,
        "bytes": text.len(),
        "format": "HAR 1.2",
    }))
}

fn server_error(message: String) -> CallToolResult {
    tool_error(&ProtocolError::new(ErrorCode::ServerError, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bare_and_end_in_har() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 5_000_000).unwrap();
        assert_eq!(file_name(None, now).unwrap(), "triage-20231114T221320.005Z.har");
        assert_eq!(file_name(Some("  "), now).unwrap(), "triage-20231114T221320.005Z.har");
        assert_eq!(file_name(Some("checkout"), now).unwrap(), "checkout.har");
        assert_eq!(file_name(Some("bug-12.har"), now).unwrap(), "bug-12.har");
        for bad in ["../x", "/etc/passwd", "a/b", ".hidden", "c:\\x", "a b"] {
            let e = file_name(Some(bad), now).unwrap_err();
            assert!(e.contains("bare name"), "{bad}: {e}");
        }
    }
}
