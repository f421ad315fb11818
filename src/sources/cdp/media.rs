//! Pixels and paper for a CDP page: `Page.captureScreenshot` (visible, full page, one element)
//! as a screenshot-response, and `Page.printToPDF` to a file in the data dir.

use base64::Engine;
use serde_json::{json, Value};

use super::actions::{eval_fn, fail, Outcome};
use super::page::Ctx;
use crate::protocol::timestamp::now_ms;

const MAX_FULL_PAGE_HEIGHT: f64 = 16384.0;

/// `Page.captureScreenshot` (visible, full page, or one element) as a screenshot-response's data.
pub(super) async fn screenshot(ctx: &Ctx, opts: &Value) -> Outcome {
    let mut format = opts["format"].as_str().unwrap_or("png").to_ascii_lowercase();
    if format == "jpg" {
        format = "jpeg".into();
    }
    if !["png", "jpeg", "webp"].contains(&format.as_str()) {
        return fail(format!("unsupported format {:?} (png, jpeg, webp)", opts["format"]));
    }
    let full = opts["fullPage"].as_bool().unwrap_or(false);
    let mut params = json!({ "format": format, "fromSurface": true });
    if format != "png" {
        params["quality"] = json!(opts["quality"].as_f64().unwrap_or(90.0).clamp(1.0, 100.0).round());
    }
    if let Some(sel) = opts["selector"].as_str() {
        let rect = eval_fn(ctx, "rectOf", json!([sel])).await?;
        if rect.is_null() {
            return fail(format!("no element matches selector {sel:?}"));
        }
        params["clip"] = json!({ "x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"], "scale": 1 });
        params["captureBeyondViewport"] = json!(true);
    } else if full {
        let m = ctx.call("Page.getLayoutMetrics", json!({})).await?;
        let size = if m["cssContentSize"].is_object() { &m["cssContentSize"] } else { &m["contentSize"] };
        let (w, h) =
            (size["width"].as_f64().unwrap_or(800.0).ceil(), size["height"].as_f64().unwrap_or(600.0).ceil());
        params["clip"] =
            json!({ "x": 0, "y": 0, "width": w, "height": h.min(MAX_FULL_PAGE_HEIGHT), "scale": 1 });
        params["captureBeyondViewport"] = json!(true);
    }
    let r = ctx.call("Page.captureScreenshot", params).await?;
    let data = r["data"].as_str().unwrap_or("");
    Ok(
        json!({ "success": true, "base64": format!("data:image/{format};base64,{data}"), "format": format, "fullPage": full }),
    )
}

/// `Page.printToPDF` to a file under `<data dir>/pdfs`, like screenshots under `screenshots`.
pub(super) async fn print_pdf(ctx: &Ctx, p: &Value) -> Outcome {
    let r = ctx
        .call(
            "Page.printToPDF",
            json!({ "printBackground": p["printBackground"].as_bool().unwrap_or(true),
                    "landscape": p["landscape"].as_bool().unwrap_or(false) }),
        )
        .await?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r["data"].as_str().unwrap_or("").as_bytes())
        .map_err(|e| format!("the browser's PDF is not base64: {e}"))?;
    let dir = ctx
        .connector
        .screenshots_dir()
        .parent()
        .map_or_else(std::env::temp_dir, |d| d.to_path_buf())
        .join("pdfs");
    let name = format!("pdf-{}-{}.pdf", now_ms(), &ctx.id);
    let path = dir.join(name);
    let len = bytes.len();
    let written = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, bytes))
        })
        .await
    };
    match written {
        Ok(Ok(())) => {
            tracing::info!(path = %path.display(), bytes = len, "PDF saved");
            Ok(json!({ "path": path.to_string_lossy(), "size": len, "format": "pdf" }))
        }
        Ok(Err(e)) => fail(format!("cannot write {}: {e}", path.display())),
        Err(e) => fail(format!("cannot write the PDF: {e}")),
    }
}
