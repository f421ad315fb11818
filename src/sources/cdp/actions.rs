//! Commands for one CDP page, as they arrive on its outbound queue: screenshot-request,
//! clear-logs and every browser-action of seed 002, plus print_pdf, create_browser,
//! close_browser and pick_element. Each answers through the connector's ingest, exactly as an
//! extension's reply would; a browser gone mid-command fails it with INVALID_SESSION at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::media::{print_pdf, screenshot};
use super::page::{session_id_of, Ctx, NavOutcome};
use super::{pagefns, picker, CdpError};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType};

const NAV_WAIT: Duration = Duration::from_secs(10);

/// Why an action failed: the browser went away, or anything else (said to the requester).
pub(super) enum Failure {
    Gone,
    Msg(String),
}

impl From<CdpError> for Failure {
    fn from(e: CdpError) -> Self {
        match e {
            CdpError::Closed => Failure::Gone,
            e => Failure::Msg(e.to_string()),
        }
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Msg(s)
    }
}

pub(super) type Outcome = Result<Value, Failure>;

pub(super) fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Msg(msg.into()))
}

/// Runs one command from the queue and routes its answer.
pub async fn run(ctx: Arc<Ctx>, text: String) {
    let Ok(env) = serde_json::from_str::<Envelope>(&text) else { return };
    let Some(id) = env.id.clone() else { return };
    let started = Instant::now();
    let connector = ctx.connector.clone();
    let (ty, data) = match env.kind.as_str() {
        "screenshot-request" => match screenshot(&ctx, &env.data).await {
            Ok(d) => (MessageType::ScreenshotResponse, d),
            Err(Failure::Gone) => return connector.fail_commands_of(&ctx.id),
            Err(Failure::Msg(m)) => {
                (MessageType::ScreenshotResponse, json!({ "success": false, "error": m }))
            }
        },
        "clear-logs" => {
            let mut errors = Vec::new();
            for m in ["Runtime.discardConsoleEntries", "Log.clear"] {
                if let Err(e) = ctx.call(m, json!({})).await {
                    errors.push(e.to_string());
                }
            }
            let ok = errors.is_empty();
            (
                MessageType::CommandResult,
                json!({ "success": ok, "data": { "cleared": true }, "error": (!ok).then(|| errors.join("; ")) }),
            )
        }
        "browser-action" => {
            let action = env.data["action"].as_str().unwrap_or("").to_string();
            let params = if env.data["params"].is_object() { env.data["params"].clone() } else { json!({}) };
            let result = action_of(&ctx, &action, &params).await;
            let data = match result {
                Ok(v) => json!({ "success": true, "data": v, "error": null, "action": action }),
                Err(Failure::Gone) => return connector.fail_commands_of(&ctx.id),
                Err(Failure::Msg(m)) => {
                    json!({ "success": false, "data": null, "error": m, "action": action })
                }
            };
            (MessageType::CommandResult, data)
        }
        other => (
            MessageType::CommandResult,
            json!({ "success": false, "error": format!("{other} is not a command") }),
        ),
    };
    let mut data = data;
    data["duration"] = json!(started.elapsed().as_millis() as u64);
    let closing = env.data["action"] == "close_browser" && data["success"] == true;
    let reply = Envelope::new(ty.as_str(), data).with_id(id).with_timestamp(now_ms());
    if let Err(e) = connector.ingest(&ctx.id, reply, ty, None).await {
        tracing::debug!(session = %ctx.id, "reply not stored: {e}");
    }
    if closing {
        // Answered first: closing the tab ends the session, which would fail the command.
        let _ = ctx.client.call(None, "Target.closeTarget", json!({ "targetId": ctx.target_id })).await;
    }
}

async fn action_of(ctx: &Ctx, action: &str, p: &Value) -> Outcome {
    let sel = || -> Result<&str, Failure> {
        p["selector"].as_str().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            Failure::Msg(format!("{action} needs params.selector (CSS, or XPath starting with /)"))
        })
    };
    let no_match = || Failure::Msg(format!("no element matches selector {}", p["selector"]));
    let num = |k: &str| p[k].as_f64().or_else(|| p[k].as_str().and_then(|s| s.parse().ok())).unwrap_or(0.0);
    match action {
        "navigate" => {
            let url = normalize_url(p["url"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            let mut nav = ctx.nav.subscribe();
            let r = ctx.call("Page.navigate", json!({ "url": url })).await?;
            if let Some(e) = r["errorText"].as_str() {
                return fail(format!("navigation to {url} failed: {e}"));
            }
            if r.get("loaderId").is_none() {
                return Ok(json!({ "url": url, "loaded": true, "sameDocument": true }));
            }
            let mut out = wait_nav(&mut nav).await?;
            out["url"] = json!(url);
            out["frameId"] = r["frameId"].clone();
            Ok(out)
        }
        "go_back" | "go_forward" => {
            let h = ctx.call("Page.getNavigationHistory", json!({})).await?;
            let delta = if action == "go_back" { -1 } else { 1 };
            let i = h["currentIndex"].as_i64().unwrap_or(0) + delta;
            let entry = h["entries"].get(usize::try_from(i).unwrap_or(usize::MAX)).cloned();
            let Some(entry) = entry else {
                return fail(if delta < 0 { "no previous page in this tab's history" } else { "no next page in this tab's history" });
            };
            let mut nav = ctx.nav.subscribe();
            ctx.call("Page.navigateToHistoryEntry", json!({ "entryId": entry["id"] })).await?;
            let mut out = wait_nav(&mut nav).await?;
            out["url"] = entry["url"].clone();
            out["title"] = entry["title"].clone();
            Ok(out)
        }
        "reload" => {
            let mut nav = ctx.nav.subscribe();
            ctx.call("Page.reload", json!({ "ignoreCache": p["ignoreCache"].as_bool().unwrap_or(false) })).await?;
            let mut out = wait_nav(&mut nav).await?;
            out["url"] = json!(ctx.state.lock().url.clone());
            Ok(out)
        }
        "stop" => {
            ctx.call("Page.stopLoading", json!({})).await?;
            let _ = ctx.nav.send(NavOutcome::Stopped);
            Ok(json!({ "stopped": true }))
        }
        "get_url" => Ok(eval_fn(ctx, "href", json!([])).await.unwrap_or_else(|_| json!(ctx.state.lock().url.clone()))),
        "get_title" => eval_fn(ctx, "title", json!([])).await,
        "get_browser_state" => {
            let mut state = eval_fn(ctx, "state", json!([])).await?;
            if let Ok(h) = ctx.call("Page.getNavigationHistory", json!({})).await {
                let i = h["currentIndex"].as_i64().unwrap_or(0);
                let n = h["entries"].as_array().map_or(0, |e| e.len() as i64);
                state["canGoBack"] = json!(i > 0);
                state["canGoForward"] = json!(i < n - 1);
            }
            state["targetId"] = json!(ctx.target_id);
            state["sessionId"] = json!(&*ctx.id);
            state["source"] = json!("cdp");
            Ok(state)
        }
        "execute_js" => {
            let script = p["script"].as_str().or(p["code"].as_str()).or(p["expression"].as_str()).unwrap_or("");
            if script.trim().is_empty() {
                return fail("execute_js needs params.script (a JavaScript expression or statements)");
            }
            execute_js(ctx, script).await
        }
        "click" => {
            let info = eval_fn(ctx, "clickTarget", json!([sel()?])).await?;
            if info.is_null() {
                return Err(no_match());
            }
            let (x, y) = (info["x"].as_f64().unwrap_or(0.0), info["y"].as_f64().unwrap_or(0.0));
            let visible = info["visible"].as_bool() == Some(true);
            if visible {
                mouse_click(ctx, x, y).await?;
            } else {
                eval_fn(ctx, "domClick", json!([sel()?])).await?;
            }
            Ok(json!({ "clicked": info["description"], "x": x.round(), "y": y.round(),
                       "via": if visible { "mouse" } else { "element.click()" }, "covered": info["covered"] }))
        }
        "type_text" => {
            let text = p["text"].as_str().map(str::to_string).unwrap_or_else(|| p["text"].to_string());
            let text = if p["text"].is_null() { String::new() } else { text };
            let focused = eval_fn(ctx, "focus", json!([p["selector"], p["clear"].as_bool().unwrap_or(false)])).await?;
            if focused.is_null() {
                return Err(no_match());
            }
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    let key = json!({ "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13 });
                    let mut down = key.clone();
                    down["type"] = json!("keyDown");
                    down["text"] = json!("\r");
                    let mut up = key;
                    up["type"] = json!("keyUp");
                    ctx.call("Input.dispatchKeyEvent", down).await?;
                    ctx.call("Input.dispatchKeyEvent", up).await?;
                }
                if !part.is_empty() {
                    ctx.call("Input.insertText", json!({ "text": part })).await?;
                }
            }
            Ok(json!({ "typed": text.chars().count(), "into": focused }))
        }
        "set_value" | "clear_input" => {
            let value = if action == "clear_input" { json!("") } else { p.get("value").cloned().unwrap_or(json!("")) };
            let r = eval_fn(ctx, "setValue", json!([sel()?, value])).await?;
            if r.is_null() {
                return Err(no_match());
            }
            Ok(r)
        }
        "submit_form" => {
            let r = eval_fn(ctx, "submit", json!([sel()?])).await?;
            match r["error"].as_str() {
                Some(e) => fail(e),
                None => Ok(r),
            }
        }
        "scroll_to" => {
            let r = eval_fn(ctx, "scrollTo", json!([p["selector"], num("x"), num("y")])).await?;
            if r.is_null() {
                return Err(no_match());
            }
            Ok(r)
        }
        "scroll_by" => eval_fn(ctx, "scrollBy", json!([p["selector"], num("x"), num("y")])).await,
        "set_viewport" => {
            let (w, h) = (num("width").round(), num("height").round());
            if p["reset"].as_bool() == Some(true) || (w == 0.0 && h == 0.0) {
                ctx.call("Emulation.clearDeviceMetricsOverride", json!({})).await?;
            } else {
                if !(1.0..=10000.0).contains(&w) || !(1.0..=10000.0).contains(&h) {
                    return fail("set_viewport needs width and height between 1 and 10000 (both 0 to reset)");
                }
                ctx.call(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": w, "height": h, "deviceScaleFactor": num("deviceScaleFactor"),
                            "mobile": p["mobile"].as_bool().unwrap_or(false) }),
                )
                .await?;
            }
            eval_fn(ctx, "viewport", json!([])).await
        }
        "set_user_agent" => {
            let ua = p["userAgent"].as_str().or(p["user_agent"].as_str()).unwrap_or("").to_string();
            let effective = if ua.is_empty() {
                let v = ctx.client.call(None, "Browser.getVersion", json!({})).await?;
                v["userAgent"].as_str().unwrap_or("").to_string()
            } else {
                ua.clone()
            };
            ctx.call("Emulation.setUserAgentOverride", json!({ "userAgent": effective })).await?;
            Ok(json!({ "userAgent": effective, "reset": ua.is_empty() }))
        }
        "set_zoom" => {
            let mut zoom = p["zoom"].as_f64().or(p["factor"].as_f64()).or(p["level"].as_f64()).unwrap_or(num("zoom"));
            if !zoom.is_finite() || zoom <= 0.0 {
                return fail("set_zoom needs params.zoom (a factor like 1.25, or a percentage like 125)");
            }
            if zoom > 10.0 {
                zoom /= 100.0;
            }
            if !(0.25..=5.0).contains(&zoom) {
                return fail(format!("zoom {zoom} is outside Chrome's range 0.25–5"));
            }
            ctx.call("Emulation.setPageScaleFactor", json!({ "pageScaleFactor": zoom })).await?;
            Ok(json!({ "zoom": zoom, "via": "Emulation.setPageScaleFactor" }))
        }
        "set_cookie" => {
            let Some(name) = p["name"].as_str() else { return fail("set_cookie needs params.name") };
            let mut cookie = json!({ "name": name, "value": p["value"].as_str().unwrap_or("") });
            for k in ["url", "domain", "path", "secure", "httpOnly", "sameSite", "expires"] {
                if !p[k].is_null() {
                    cookie[k] = p[k].clone();
                }
            }
            if cookie.get("url").is_none() && cookie.get("domain").is_none() {
                cookie["url"] = json!(http_url(ctx)?);
            }
            let r = ctx.call("Network.setCookie", cookie.clone()).await?;
            if r["success"] == false {
                return fail("Chrome rejected the cookie (check domain, path, secure and sameSite)");
            }
            Ok(cookie)
        }
        "get_cookie" => {
            let url = match p["url"].as_str() {
                Some(u) => u.to_string(),
                None => http_url(ctx)?,
            };
            let r = ctx.call("Network.getCookies", json!({ "urls": [url] })).await?;
            let cookies = r["cookies"].as_array().cloned().unwrap_or_default();
            Ok(match p["name"].as_str() {
                Some(n) => cookies.into_iter().find(|c| c["name"] == n).unwrap_or(Value::Null),
                None => Value::Array(cookies),
            })
        }
        "clear_cookies" => {
            if p["all"].as_bool() == Some(true) {
                ctx.call("Network.clearBrowserCookies", json!({})).await?;
                return Ok(json!({ "cleared": "all" }));
            }
            let url = match p["url"].as_str() {
                Some(u) => u.to_string(),
                None => http_url(ctx)?,
            };
            let r = ctx.call("Network.getCookies", json!({ "urls": [url] })).await?;
            let cookies = r["cookies"].as_array().cloned().unwrap_or_default();
            for c in &cookies {
                ctx.call("Network.deleteCookies", json!({ "name": c["name"], "domain": c["domain"], "path": c["path"] })).await?;
            }
            Ok(json!({ "cleared": cookies.len(), "url": url }))
        }
        "take_screenshot" => {
            let shot = screenshot(ctx, p).await?;
            let mut env = Envelope::new("screenshot-response", shot);
            ctx.connector.save_screenshot(&mut env).await;
            if env.data["success"] == false {
                return fail(env.data["error"].as_str().unwrap_or("screenshot failed").to_string());
            }
            Ok(env.data)
        }
        "print_pdf" => print_pdf(ctx, p).await,
        "pick_element" => Ok(picker::start(ctx).await?),
        "create_browser" => {
            let url = match p["url"].as_str().filter(|u| !u.trim().is_empty()) {
                Some(u) => normalize_url(u).map_err(|e| e.to_string())?,
                None => "about:blank".to_string(),
            };
            let mut create = json!({ "url": url });
            // A seed 002 layout over CDP is a browser context.
            if let Some(context) = p["windowId"].as_str().filter(|c| !c.is_empty()) {
                create["browserContextId"] = json!(context);
            }
            let r = ctx.client.call(None, "Target.createTarget", create).await?;
            let target = r["targetId"].as_str().unwrap_or("").to_string();
            let session = session_id_of(&target);
            // Attached by the router; wait (bounded) so the next command can address it.
            let deadline = Instant::now() + Duration::from_secs(5);
            while ctx.connector.registry().sender(&session).is_none() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Ok(json!({ "targetId": target, "sessionId": session, "url": url }))
        }
        "close_browser" => Ok(json!({ "closing": true, "targetId": ctx.target_id })),
        _ => fail(format!(
            "unknown action {action:?}; supported: {}, print_pdf, pick_element, create_browser, close_browser",
            crate::protocol::actions::ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// "localhost:3000" → "http://localhost:3000"; "example.com" → "https://example.com"; no javascript:.
pub fn normalize_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim();
    if url.is_empty() {
        anyhow::bail!("navigate needs params.url");
    }
    if url.to_ascii_lowercase().starts_with("javascript:") {
        anyhow::bail!("javascript: URLs are not navigations; use execute_js");
    }
    let has_scheme = url.split_once(':').is_some_and(|(s, rest)| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && !rest.starts_with(|c: char| c.is_ascii_digit())
    });
    if has_scheme || url == "about:blank" {
        return Ok(url.to_string());
    }
    let local =
        ["localhost", "127.", "0.0.0.0", "[::1]", "10.", "192.168."].iter().any(|p| url.starts_with(p));
    Ok(format!("{}://{url}", if local { "http" } else { "https" }))
}

async fn wait_nav(nav: &mut tokio::sync::broadcast::Receiver<NavOutcome>) -> Outcome {
    let outcome = tokio::time::timeout(NAV_WAIT, async {
        loop {
            match nav.recv().await {
                Ok(o) => return Some(o),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    })
    .await;
    match outcome {
        Ok(Some(NavOutcome::Loaded)) => Ok(json!({ "loaded": true })),
        Ok(Some(NavOutcome::SameDocument)) => Ok(json!({ "loaded": true, "sameDocument": true })),
        Ok(Some(NavOutcome::Stopped)) => Ok(json!({ "loaded": false, "stopped": true })),
        Ok(Some(NavOutcome::Failed(e))) => fail(format!("navigation failed: {e}")),
        Ok(None) => Err(Failure::Gone),
        Err(_) => Ok(
            json!({ "loaded": false, "note": format!("page did not fire load within {} ms", NAV_WAIT.as_millis()) }),
        ),
    }
}

fn http_url(ctx: &Ctx) -> Result<String, Failure> {
    let url = ctx.state.lock().url.clone();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        fail(format!("the page ({url}) is not http(s); pass params.url"))
    }
}

fn exception_text(d: &Value) -> String {
    let ex = &d["exception"];
    if let Some(desc) = ex["description"].as_str() {
        return desc.to_string();
    }
    if let Some(v) = ex.get("value") {
        return format!("Uncaught {}", v.as_str().map_or_else(|| v.to_string(), str::to_string));
    }
    d["text"].as_str().unwrap_or("script threw an exception").to_string()
}

fn remote_value(ro: &Value) -> Value {
    if let Some(u) = ro.get("unserializableValue") {
        return u.clone();
    }
    if ro["type"] == "undefined" {
        return Value::Null;
    }
    ro.get("value").cloned().unwrap_or_else(|| ro["description"].clone())
}

/// Calls one of the page functions with JSON arguments in the page's main world.
pub(super) async fn eval_fn(ctx: &Ctx, name: &str, args: Value) -> Outcome {
    let Some(f) = pagefns::page_fn(name) else { return fail(format!("no page function {name}")) };
    let r = ctx
        .call(
            "Runtime.evaluate",
            json!({ "expression": format!("({f})(...{args})"), "returnByValue": true, "awaitPromise": true,
                    "userGesture": true, "allowUnsafeEvalBlockedByCSP": true }),
        )
        .await?;
    if r.get("exceptionDetails").is_some() {
        return fail(exception_text(&r["exceptionDetails"]));
    }
    Ok(remote_value(&r["result"]))
}

/// Runs a script like a console line (top-level await) and returns its value, or its exception as the error.
async fn execute_js(ctx: &Ctx, script: &str) -> Outcome {
    let group = "triage-execute-js";
    let r = ctx
        .call(
            "Runtime.evaluate",
            json!({ "expression": script, "objectGroup": group, "returnByValue": false, "awaitPromise": true,
                    "userGesture": true, "replMode": true, "allowUnsafeEvalBlockedByCSP": true }),
        )
        .await?;
    let out = if r.get("exceptionDetails").is_some() {
        fail(exception_text(&r["exceptionDetails"]))
    } else {
        let res = &r["result"];
        match res["objectId"].as_str() {
            None => Ok(remote_value(res)),
            Some(_)
                if ["node", "function", "symbol", "error", "regexp", "date"]
                    .contains(&res["subtype"].as_str().or(res["type"].as_str()).unwrap_or("")) =>
            {
                Ok(res["description"].clone())
            }
            Some(obj) => {
                let v = ctx
                    .call(
                        "Runtime.callFunctionOn",
                        json!({ "objectId": obj, "functionDeclaration": "function () { return this; }", "returnByValue": true }),
                    )
                    .await;
                Ok(match v {
                    Ok(v) if v.get("exceptionDetails").is_none() => remote_value(&v["result"]),
                    _ => res["description"].clone(),
                })
            }
        }
    };
    let _ = ctx.call("Runtime.releaseObjectGroup", json!({ "objectGroup": group })).await;
    out
}

async fn mouse_click(ctx: &Ctx, x: f64, y: f64) -> Result<(), CdpError> {
    for (ty, button, buttons, count) in
        [("mouseMoved", "none", 0, 0), ("mousePressed", "left", 1, 1), ("mouseReleased", "left", 0, 1)]
    {
        ctx.call(
            "Input.dispatchMouseEvent",
            json!({ "type": ty, "x": x, "y": y, "button": button, "buttons": buttons, "clickCount": count }),
        )
        .await?;
    }
    Ok(())
}
