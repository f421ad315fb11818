//! The moment capture begins on one page: whether the page had already loaded (then what it
//! requested before is not captured, and the panes say so), and `reload_on_attach`'s one reload.

use serde_json::{json, Value};

use super::page::Ctx;
use crate::protocol::timestamp::now_ms;

/// Decides and reports the attach: returns its time and the `browser-event` (`attached`) to
/// emit. A target that waited for us (opened after we attached) has loaded nothing yet.
pub async fn began(ctx: &Ctx, waiting: bool, reload_on_attach: bool) -> (i64, Value) {
    let at = now_ms();
    let url = ctx.state.lock().url.clone();
    let ready = if waiting || url.is_empty() || url == "about:blank" {
        None
    } else {
        ctx.call("Runtime.evaluate", json!({ "expression": "document.readyState", "returnByValue": true }))
            .await
            .ok()
            .and_then(|r| r["result"]["value"].as_str().map(str::to_string))
    };
    let already_loaded = ready.is_some();
    let mut reloaded = false;
    if already_loaded && reload_on_attach {
        match ctx.call("Page.reload", json!({})).await {
            Ok(_) => reloaded = true,
            Err(e) => tracing::info!(session = %ctx.id, "reload_on_attach: could not reload: {e}"),
        }
    }
    let data = json!({ "event": "attached", "url": url, "attachedAt": at, "alreadyLoaded": already_loaded,
                       "readyState": ready, "reloaded": reloaded, "timestamp": at });
    (at, data)
}
