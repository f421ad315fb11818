//! Element picking through the protocol's inspect mode: `Overlay.setInspectMode` highlights
//! under the pointer; the node clicked (`Overlay.inspectNodeRequested`) becomes an
//! element-selected event with every field of seed 000.

use serde_json::{json, Value};

use super::page::Ctx;
use super::pagefns;
use super::CdpError;

const MAX_HTML: usize = 10 * 1024;

/// Turns inspect mode on; the selection arrives later as an event.
pub async fn start(ctx: &Ctx) -> Result<Value, CdpError> {
    ctx.call("DOM.enable", json!({})).await?;
    ctx.call("Overlay.enable", json!({})).await?;
    let rgba = |a: f64| json!({ "r": 28, "g": 110, "b": 200, "a": a });
    ctx.call(
        "Overlay.setInspectMode",
        json!({
            "mode": "searchForNode",
            "highlightConfig": { "showInfo": true, "showStyles": true, "contentColor": rgba(0.18), "borderColor": rgba(1.0) },
        }),
    )
    .await?;
    ctx.state.lock().picking = true;
    Ok(json!({ "started": true, "via": "Overlay.setInspectMode" }))
}

/// The inspected node's details (`{element, url}`), and inspect mode off again.
pub async fn selected(ctx: &Ctx, backend_node_id: i64) -> Option<Value> {
    if !std::mem::take(&mut ctx.state.lock().picking) {
        return None;
    }
    let _ = ctx.call("Overlay.setInspectMode", json!({ "mode": "none", "highlightConfig": {} })).await;
    let _ = ctx.call("Overlay.hideHighlight", json!({})).await;
    let node = ctx
        .call("DOM.resolveNode", json!({ "backendNodeId": backend_node_id, "objectGroup": "triage-picker" }))
        .await
        .ok()?;
    let object = node["object"]["objectId"].as_str()?;
    let r = ctx
        .call(
            "Runtime.callFunctionOn",
            json!({
                "objectId": object,
                "functionDeclaration": pagefns::ELEMENT_DETAILS,
                "arguments": [{ "value": MAX_HTML }],
                "returnByValue": true,
            }),
        )
        .await;
    let _ = ctx.call("Runtime.releaseObjectGroup", json!({ "objectGroup": "triage-picker" })).await;
    let value = r.ok()?["result"]["value"].clone();
    value["element"].is_object().then_some(value)
}
