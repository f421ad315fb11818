//! How the demo browser answers the server's commands: `screenshot-request`, `clear-logs` and
//! every `browser-action` of seed 002, with the reply shapes of the real extension
//! (`assets/extension/lib/actions.js`). Everything here reads user input: no panics, and every
//! refusal says what was wrong.

use base64::Engine;
use serde_json::{json, Value};

use super::js::{self, Outcome, PageFacts};
use super::rng::Rng;
use super::screenshot::{self, PageLook};
use super::site::{normalize_url, Tab, Viewport, USER_AGENT};
use super::traffic::{Load, Planned, Traffic};
use crate::protocol::{Envelope, MessageType};

/// The browser's answer to one command.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `screenshot-response` or `command-result`.
    pub kind: &'static str,
    /// The command's id, so the server can route the reply.
    pub id: Option<String>,
    pub data: Value,
    /// When the reply goes out, from now: the time the simulated browser took.
    pub after_ms: u64,
    /// A page load the command set off; it replaces whatever the old page was about to do.
    pub page_load: Option<Vec<Planned>>,
    /// Other events it set off (a picked element).
    pub also: Vec<Planned>,
}

/// What an action produced: its result, how long it took, and what it set off.
struct Done {
    data: Value,
    took_ms: u64,
    page_load: Option<Vec<Planned>>,
    also: Vec<Planned>,
    note: Option<String>,
}

impl Done {
    fn new(data: Value, took_ms: u64) -> Self {
        Done { data, took_ms, page_load: None, also: Vec::new(), note: None }
    }
}

type Acted = Result<Done, String>;

/// Everything an answer may read or change.
pub struct Browser<'a> {
    pub tab: &'a mut Tab,
    pub traffic: &'a mut Traffic,
    /// The commands' own random stream, so answering does not shift the page's traffic.
    pub rng: &'a mut Rng,
    /// The session id the server gave us, for `get_browser_state`.
    pub session_id: Option<&'a str>,
}

/// Answers a command; `None` for messages that are not commands (acks, heartbeats, errors).
pub fn answer(env: &Envelope, b: &mut Browser) -> Option<Answer> {
    let ty = MessageType::parse(&env.kind)?;
    let empty = json!({});
    let data = if env.data.is_object() { &env.data } else { &empty };
    let id = env.id.clone();
    match ty {
        MessageType::ScreenshotRequest => {
            let took = b.rng.range(60, 180);
            let data = match screenshot_data(data, b.tab) {
                Ok(mut shot) => {
                    shot["success"] = json!(true);
                    shot["duration"] = json!(took);
                    shot
                }
                Err(e) => json!({ "success": false, "error": e, "duration": took }),
            };
            Some(Answer {
                kind: "screenshot-response",
                id,
                data,
                after_ms: took,
                page_load: None,
                also: vec![],
            })
        }
        MessageType::ClearLogs => {
            let took = b.rng.range(2, 8);
            let data = json!({
                "success": true,
                "data": { "cleared": true, "droppedQueued": 0 },
                "error": null,
                "duration": took,
            });
            Some(Answer { kind: "command-result", id, data, after_ms: took, page_load: None, also: vec![] })
        }
        MessageType::BrowserAction => {
            let action = data.get("action").and_then(Value::as_str).unwrap_or("").trim().to_string();
            let params = data.get("params").filter(|p| p.is_object()).cloned().unwrap_or_else(|| json!({}));
            let outcome = act(&action, &params, b);
            let (mut data, after_ms, page_load, also) = match outcome {
                Ok(done) => {
                    let mut d = json!({ "success": true, "data": done.data, "error": null, "duration": done.took_ms, "action": action });
                    if let Some(note) = done.note {
                        d["note"] = json!(note);
                    }
                    (d, done.took_ms, done.page_load, done.also)
                }
                Err(e) => {
                    let took = b.rng.range(1, 5);
                    (
                        json!({ "success": false, "data": null, "error": e, "duration": took }),
                        took,
                        None,
                        vec![],
                    )
                }
            };
            data["action"] = json!(action);
            Some(Answer { kind: "command-result", id, data, after_ms, page_load, also })
        }
        _ => None,
    }
}

/// Actions beyond seed 002's that the demo (like the extension) understands.
const EXTRA_ACTIONS: [&str; 1] = ["pick_element"];

fn supported() -> String {
    let mut names: Vec<&str> = crate::protocol::actions::ACTIONS.iter().map(|a| a.name).collect();
    names.extend(EXTRA_ACTIONS);
    names.join(", ")
}

fn act(action: &str, p: &Value, b: &mut Browser) -> Acted {
    let quick = b.rng.range(1, 6);
    match action {
        "navigate" => {
            let raw = text(p, &["url", "href"]).ok_or("navigate needs params.url")?;
            let url = normalize_url(&raw)?;
            b.tab.visit(&url);
            load(
                b,
                Load::Navigate,
                json!({ "url": url, "title": b.tab.title(), "frameId": "main", "loaded": true }),
            )
        }
        "reload" => {
            let ignore_cache = flag(p, "ignoreCache");
            load(b, Load::Reload { ignore_cache }, json!({ "url": b.tab.url(), "loaded": true }))
        }
        "go_back" | "go_forward" => {
            let forward = action == "go_forward";
            let entry = b.tab.step(forward).cloned().ok_or(if forward {
                "no next page in this tab's history"
            } else {
                "no previous page in this tab's history"
            })?;
            load(b, Load::History, json!({ "url": entry.url, "title": entry.title, "loaded": true }))
        }
        "stop" => Ok(Done::new(json!({ "stopped": true }), quick)),
        "get_url" => Ok(Done::new(json!(b.tab.url()), quick)),
        "get_title" => Ok(Done::new(json!(b.tab.title()), quick)),
        "get_browser_state" => Ok(Done::new(browser_state(b), quick + 3)),
        "execute_js" => execute_js(p, b),
        "click" => {
            let sel = selector(p, "click")?;
            let (x, y) = (b.rng.range(40, u64::from(b.tab.viewport.width).max(41)), b.rng.range(80, 700));
            Ok(Done::new(json!({ "clicked": sel, "x": x, "y": y, "via": "mouse" }), b.rng.range(40, 90)))
        }
        "type_text" => {
            let typed = text(p, &["text"]).unwrap_or_default();
            let into = text(p, &["selector"]).unwrap_or_else(|| "input#search".into());
            let n = typed.chars().count();
            Ok(Done::new(json!({ "typed": n, "into": into }), 10 + (n as u64).min(2000) * 4))
        }
        "set_value" => {
            let sel = selector(p, "set_value")?;
            let value = match p.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Ok(Done::new(json!({ "element": sel, "value": value }), quick + 2))
        }
        "clear_input" => {
            Ok(Done::new(json!({ "element": selector(p, "clear_input")?, "value": "" }), quick + 2))
        }
        "submit_form" => {
            let sel = selector(p, "submit_form")?;
            let action_url = format!("{}/api/checkout", b.tab.origin());
            Ok(Done::new(json!({ "form": sel, "action": action_url, "method": "post" }), quick + 10))
        }
        "scroll_to" | "scroll_by" => Ok(Done::new(scroll(action == "scroll_by", p, b.tab), quick)),
        "take_screenshot" => {
            let took = b.rng.range(60, 180);
            Ok(Done::new(screenshot_data(p, b.tab)?, took))
        }
        "print_pdf" => Err("print_pdf is not available in the demo browser".into()),
        "set_cookie" => {
            let name = text(p, &["name"]).ok_or("set_cookie needs params.name")?;
            let value = text(p, &["value"]).unwrap_or_default();
            b.tab.cookies.retain(|(n, _)| *n != name);
            b.tab.cookies.push((name.clone(), value.clone()));
            let url = text(p, &["url"]).unwrap_or_else(|| b.tab.url().to_string());
            Ok(Done::new(json!({ "name": name, "value": value, "url": url }), quick))
        }
        "get_cookie" => {
            let host = b.tab.origin().split("://").nth(1).unwrap_or("").to_string();
            let cookie = |(n, v): &(String, String)| json!({ "name": n, "value": v, "domain": host, "path": "/", "secure": true, "httpOnly": n == "sid", "sameSite": "Lax" });
            let data = match text(p, &["name"]) {
                Some(name) => b.tab.cookies.iter().find(|(n, _)| *n == name).map_or(Value::Null, cookie),
                None => Value::Array(b.tab.cookies.iter().map(cookie).collect()),
            };
            Ok(Done::new(data, quick))
        }
        "clear_cookies" => {
            let cleared = b.tab.cookies.len();
            b.tab.cookies.clear();
            Ok(Done::new(json!({ "cleared": cleared, "url": b.tab.url() }), quick))
        }
        "set_user_agent" => {
            let ua = text(p, &["userAgent", "user_agent"]).unwrap_or_default();
            let reset = ua.trim().is_empty();
            b.tab.user_agent = if reset { USER_AGENT.to_string() } else { ua };
            Ok(Done::new(json!({ "userAgent": b.tab.user_agent, "reset": reset }), quick))
        }
        "set_viewport" => set_viewport(p, b.tab).map(|d| Done::new(d, quick + 20)),
        "set_zoom" => {
            let mut zoom = number(p, &["zoom", "factor", "level"])
                .filter(|z| z.is_finite() && *z > 0.0)
                .ok_or("set_zoom needs params.zoom (a factor like 1.25, or a percentage like 125)")?;
            if zoom > 10.0 {
                zoom /= 100.0;
            }
            if !(0.25..=5.0).contains(&zoom) {
                return Err(format!("zoom {zoom} is outside Chrome's range 0.25–5"));
            }
            b.tab.zoom = zoom;
            Ok(Done::new(json!({ "zoom": zoom }), quick))
        }
        "pick_element" => {
            // The user "clicks" an element a moment later: it arrives as element-selected.
            let mut done = Done::new(
                json!({ "picking": true, "hint": "click an element in the page; Esc cancels" }),
                quick,
            );
            let at_ms = b.rng.range(800, 2000);
            done.also.push(Planned { at_ms, event: b.traffic.element(b.tab) });
            Ok(done)
        }
        "" => Err(format!("browser-action needs data.action; supported: {}", supported())),
        other => Err(format!("unknown action {other:?}; supported: {}", supported())),
    }
}

/// A navigation of any kind: the reply comes when the page has loaded, as the extension's does.
fn load(b: &mut Browser, how: Load, data: Value) -> Acted {
    let plan = b.traffic.page_load(b.tab, how);
    let loaded_at = plan
        .iter()
        .find(|p| p.event.data.get("event").and_then(Value::as_str) == Some("navigation_completed"))
        .or(plan.last())
        .map_or(0, |p| p.at_ms);
    let mut done = Done::new(data, loaded_at + b.rng.range(1, 10));
    done.page_load = Some(plan);
    Ok(done)
}

fn execute_js(p: &Value, b: &mut Browser) -> Acted {
    let script = text(p, &["script", "code", "expression"])
        .filter(|s| !s.trim().is_empty())
        .ok_or("execute_js needs params.script (a JavaScript expression or statements)")?;
    let cookie: Vec<String> = b.tab.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let cookie = cookie.join("; ");
    let facts = PageFacts {
        title: b.tab.title(),
        href: b.tab.url(),
        user_agent: &b.tab.user_agent,
        cookie: &cookie,
        viewport: (b.tab.viewport.width, b.tab.viewport.height),
        history_len: b.tab.history_len(),
    };
    let took = b.rng.range(2, 12);
    if let Some((result, request)) = super::fetch::run(&script, b.tab, b.rng) {
        return Ok(Done { also: vec![request], ..Done::new(result, took) });
    }
    match js::evaluate(&script, &facts) {
        Outcome::Value(v) => Ok(Done::new(v, took)),
        Outcome::Undefined { note } => Ok(Done { note: Some(note), ..Done::new(Value::Null, took) }),
        Outcome::Thrown(e) => Err(e),
    }
}

fn browser_state(b: &Browser) -> Value {
    let t = &*b.tab;
    json!({
        "url": t.url(),
        "title": t.title(),
        "readyState": "complete",
        "viewport": { "width": t.viewport.width, "height": t.viewport.height, "deviceScaleFactor": t.viewport.scale },
        "scroll": { "x": t.scroll.0, "y": t.scroll.1 },
        "document": { "width": t.viewport.width, "height": t.document_height() },
        "userAgent": t.user_agent,
        "language": "en-US",
        "online": true,
        "focused": true,
        "visibility": "visible",
        "tabId": t.tab_id,
        "windowId": 1,
        "active": true,
        "loading": false,
        "canGoBack": t.can_go_back(),
        "canGoForward": t.can_go_forward(),
        "zoom": t.zoom,
        "sessionId": b.session_id,
    })
}

fn scroll(relative: bool, p: &Value, tab: &mut Tab) -> Value {
    let max_y = i64::from(tab.document_height().saturating_sub(tab.viewport.height));
    let clampf = |v: f64| if v.is_finite() { v.clamp(-1e9, 1e9) as i64 } else { 0 };
    let (x, y) = (clampf(number(p, &["x"]).unwrap_or(0.0)), clampf(number(p, &["y"]).unwrap_or(0.0)));
    let (x, y) = if relative {
        (tab.scroll.0.saturating_add(x), tab.scroll.1.saturating_add(y))
    } else if text(p, &["selector"]).is_some() {
        // Scrolling an element into view: it sits a screen or so down the page.
        (0, i64::from(tab.viewport.height) * 2 / 3)
    } else {
        (x, y)
    };
    // The fake pages are exactly as wide as the viewport: no horizontal scrolling.
    tab.scroll = (x.clamp(0, 0), y.clamp(0, max_y.max(0)));
    json!({ "x": tab.scroll.0, "y": tab.scroll.1 })
}

fn set_viewport(p: &Value, tab: &mut Tab) -> Result<Value, String> {
    let width = number(p, &["width"]).unwrap_or(0.0).round();
    let height = number(p, &["height"]).unwrap_or(0.0).round();
    if flag(p, "reset") || (width == 0.0 && height == 0.0) {
        tab.viewport = Viewport { width: 1280, height: 800, scale: 1.0 };
    } else {
        if !(1.0..=10_000.0).contains(&width) || !(1.0..=10_000.0).contains(&height) {
            return Err("set_viewport needs width and height between 1 and 10000 (both 0 to reset)".into());
        }
        let scale = number(p, &["deviceScaleFactor"]).filter(|s| s.is_finite() && *s > 0.0 && *s <= 10.0);
        tab.viewport = Viewport { width: width as u32, height: height as u32, scale: scale.unwrap_or(1.0) };
    }
    let v = tab.viewport;
    Ok(json!({ "width": v.width, "height": v.height, "deviceScaleFactor": v.scale }))
}

/// The screenshot's fields (without `success`/`duration`): a PNG of the page, a quarter of the
/// viewport's size so it stays far below the message limit.
fn screenshot_data(p: &Value, tab: &Tab) -> Result<Value, String> {
    let format = text(p, &["format"]).unwrap_or_else(|| "png".into()).to_ascii_lowercase();
    if !["png", "jpeg", "jpg", "webp"].contains(&format.as_str()) {
        return Err(format!("unsupported format {format:?} (png, jpeg, webp)"));
    }
    let full_page = flag(p, "fullPage");
    let selector = text(p, &["selector"]).filter(|s| !s.trim().is_empty());
    let vp = tab.viewport;
    let width = (vp.width / 4).clamp(80, 800);
    let height = (u64::from(width) * u64::from(vp.height) / u64::from(vp.width.max(1))).clamp(60, 600) as u32;
    let page_height = height.saturating_mul(3).min(screenshot::MAX_SIDE);
    let (width, height) = match (&selector, full_page) {
        // An element: a strip from the top of the page at half width.
        (Some(_), _) => (width / 2, (height / 4).max(20)),
        (None, true) => (width, page_height),
        (None, false) => (width, height),
    };
    let look = PageLook { accent: tab.site.accent, seed: fnv1a(tab.url()), plain: !tab.on_own_site() };
    let png = screenshot::render(look, width, height, page_height)
        .map_err(|e| format!("could not encode the screenshot: {e}"))?;
    let mut data = json!({
        "base64": format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png)),
        "format": "png",
        "size": png.len(),
        "dimensions": { "width": width, "height": height },
        "fullPage": full_page,
    });
    if let Some(sel) = selector {
        data["selector"] = json!(sel);
    }
    if format != "png" {
        data["fallback"] = json!(format!("requested {format}; the demo browser renders PNG only"));
    }
    Ok(data)
}

/// A stable hash of the URL, so each page has its own look.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The first of `keys` that holds a string (numbers and booleans are given as their text).
fn text(p: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match p.get(*k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// The first of `keys` that holds a number or a numeric string (prompts send text).
fn number(p: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match p.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn flag(p: &Value, key: &str) -> bool {
    match p.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
        }
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

fn selector(p: &Value, action: &str) -> Result<String, String> {
    text(p, &["selector"])
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("{action} needs params.selector (CSS, or XPath starting with /)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World {
        tab: Tab,
        traffic: Traffic,
        rng: Rng,
    }

    impl World {
        fn new() -> Self {
            World { tab: Tab::new(1), traffic: Traffic::new(Rng::new(1), 8.0), rng: Rng::new(2) }
        }

        fn send(&mut self, kind: &str, data: Value) -> Answer {
            let env = Envelope::new(kind, data).with_id("cmd-1");
            let mut b = Browser {
                tab: &mut self.tab,
                traffic: &mut self.traffic,
                rng: &mut self.rng,
                session_id: Some("ext-1"),
            };
            answer(&env, &mut b).expect("a command gets an answer")
        }

        fn action(&mut self, action: &str, params: Value) -> Answer {
            self.send("browser-action", json!({ "action": action, "params": params }))
        }
    }

    #[test]
    fn screenshot_reply_carries_a_png_and_the_id() {
        let mut w = World::new();
        let a = w.send("screenshot-request", json!({ "format": "png", "fullPage": true }));
        assert_eq!((a.kind, a.id.as_deref()), ("screenshot-response", Some("cmd-1")));
        assert_eq!(a.data["success"], true);
        let b64 = a.data["base64"].as_str().expect("base64");
        let (bytes, ext) = crate::store::screenshots::decode_image(b64).expect("a PNG the server accepts");
        assert_eq!(ext, "png");
        assert_eq!(a.data["size"], bytes.len());
        assert!(a.data["dimensions"]["height"].as_u64() > a.data["dimensions"]["width"].as_u64());
        let bad = w.send("screenshot-request", json!({ "format": "gif" }));
        assert_eq!(bad.data["success"], false);
    }

    #[test]
    fn navigation_moves_history_and_plans_a_page_load() {
        let mut w = World::new();
        let a = w.action("navigate", json!({ "url": "shop.acme.test/checkout" }));
        assert_eq!(a.data["success"], true, "{}", a.data);
        assert_eq!(a.data["data"]["url"], "https://shop.acme.test/checkout");
        assert_eq!(w.tab.title(), "Checkout — Acme Shop");
        let plan = a.page_load.expect("a page load");
        assert!(plan.iter().any(|p| p.event.data["event"] == "navigation_completed"));
        assert!(
            a.after_ms
                >= plan
                    .iter()
                    .find(|p| p.event.data["event"] == "navigation_completed")
                    .map_or(0, |p| p.at_ms)
        );
        assert_eq!(w.action("go_back", json!({})).data["data"]["url"], "https://shop.acme.test/cart");
        let back_again = w.action("go_back", json!({}));
        assert_eq!(back_again.data["success"], false);
        assert!(back_again.data["error"].as_str().unwrap_or("").contains("history"));
        assert_eq!(w.action("go_forward", json!({})).data["data"]["title"], "Checkout — Acme Shop");
        assert_eq!(w.action("get_url", json!({})).data["data"], "https://shop.acme.test/checkout");
        assert_eq!(w.action("navigate", json!({})).data["success"], false);
        assert_eq!(w.action("navigate", json!({ "url": "javascript:alert(1)" })).data["success"], false);
    }

    #[test]
    fn execute_js_results_and_notes() {
        let mut w = World::new();
        let a = w.action("execute_js", json!({ "script": "1+2" }));
        assert_eq!((a.data["success"].clone(), a.data["data"].clone()), (json!(true), json!(3)));
        assert_eq!(
            w.action("execute_js", json!({ "script": "document.title" })).data["data"],
            "Cart — Acme Shop"
        );
        let undef = w.action("execute_js", json!({ "script": "document.body.innerHTML" }));
        assert_eq!(undef.data["success"], true);
        assert!(undef.data["data"].is_null());
        assert!(undef.data["note"].as_str().is_some());
        assert_eq!(w.action("execute_js", json!({ "script": "1+" })).data["success"], false);
        assert_eq!(w.action("execute_js", json!({})).data["success"], false);
    }

    #[test]
    fn every_listed_action_answers_and_unknown_ones_fail_clearly() {
        let mut w = World::new();
        let params = json!({ "url": "https://example.com", "selector": "#add-to-cart", "text": "hi", "value": "x",
            "script": "1", "y": "300", "x": 0, "width": 800, "height": 600, "zoom": 125, "name": "theme", "userAgent": "UA/1" });
        for spec in crate::protocol::actions::ACTIONS {
            let a = w.action(spec.name, params.clone());
            assert_eq!(a.kind, "command-result");
            assert_eq!(a.id.as_deref(), Some("cmd-1"));
            let ok = a.data["success"].as_bool().expect("success is a bool");
            assert!(ok || spec.name == "print_pdf", "{}: {}", spec.name, a.data);
            assert!(a.data["duration"].as_u64().is_some());
        }
        let unknown = w.action("teleport", json!({}));
        assert_eq!(unknown.data["success"], false);
        let err = unknown.data["error"].as_str().unwrap_or("");
        assert!(err.contains("unknown action \"teleport\"") && err.contains("navigate"), "{err}");
        // Odd shapes are refusals, not panics.
        for data in [
            json!(null),
            json!([1, 2]),
            json!({ "action": 5 }),
            json!({ "action": "set_viewport", "params": { "width": "NaN", "height": -1 } }),
            json!({ "action": "set_zoom", "params": { "zoom": "1e400" } }),
            json!({ "action": "scroll_by", "params": { "y": 1e300 } }),
        ] {
            let a = w.send("browser-action", data);
            assert!(a.data["success"].is_boolean());
        }
        assert_eq!(w.send("clear-logs", json!(null)).data["success"], true);
        let ack = Envelope::new("connection-ack", json!({}));
        let mut b = Browser { tab: &mut w.tab, traffic: &mut w.traffic, rng: &mut w.rng, session_id: None };
        assert!(answer(&ack, &mut b).is_none());
    }
}
