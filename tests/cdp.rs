//! Chrome over the DevTools Protocol, end to end with real headless Chromium and the real
//! `triage-tui serve`: `--launch --headless` on a page that logs at every level, throws,
//! fetches (200, 404, refused), talks to a WebSocket echo, starts a worker and holds an
//! out-of-process iframe; every command round-trips; `--attach` to a Chromium the test starts;
//! the browser killed mid-command fails it with INVALID_SESSION. Skips only when Chromium is
//! absent and `CI` is unset. Every wait is bounded; every process is stopped on every exit path.

mod cdp_support;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use cdp_support::*;
use serde_json::{json, Value};

fn console(level: &'static str, prefix: &'static str) -> impl Fn(&Value) -> bool {
    move |e| {
        (e["type"] == "console-log" || e["type"] == "console-error")
            && s(e, "/data/level") == level
            && s(e, "/data/message").starts_with(prefix)
            && s(e, "/metadata/source") == "cdp"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_headless_captures_everything_and_answers_every_command() {
    let Some(chromium) = chromium() else { return };
    let pages = serve_pages().await;
    let url = page_url(pages);
    let mut guard = Guard::default();
    let browser = chromium.to_string_lossy().to_string();
    let (base, pid) =
        start_server(&mut guard, &["--launch", &url, "--headless", "--isolated", "--browser", &browser]);
    let pid = pid.expect("a launched browser reports its pid");
    let api = Api::new(base);

    let session = api
        .wait_session(|s| {
            s["url"].as_str().is_some_and(|u| u.contains("/cdp")) && s["title"] == "CDP test page"
        })
        .await;
    let session = session.expect("the page is a cdp session in /api/sessions, with its title and URL");
    let id = session["sessionId"].as_str().expect("session id").to_string();

    // Logged before the attach, replayed by Runtime.enable.
    assert!(api.wait_event(console("log", "before attach")).await.is_some(), "pre-attach log lost");

    let ran = api.action(&id, "execute_js", json!({ "script": "await run()" })).await;
    assert_eq!(ran["missing"], 404, "{ran}");
    assert_eq!(ran["refused"], "refused", "{ran}");
    assert_eq!(ran["echoed"], json!(["hello-cdp", "binary:4"]), "{ran}");

    let log = api.wait_event(console("log", "user ada has 3 items")).await.expect("console.log with printf");
    assert_eq!(s(&log, "/data/message"), "user ada has 3 items {id: 42, name: 'Ada', tags: Array(2)}");
    assert_eq!(
        log.pointer("/data/args/3"),
        Some(&json!({ "id": 42, "name": "Ada", "tags": ["a", "b"] })),
        "{log}"
    );
    assert!(s(&log, "/data/source").starts_with("cdp:"), "source url:line:col: {log}");
    assert!(num(&log, "/data/line").is_some() && num(&log, "/data/column").is_some(), "{log}");
    for (level, prefix) in
        [("info", "info line"), ("warn", "warn line"), ("error", "error line"), ("debug", "debug line")]
    {
        let e = api.wait_event(console(level, prefix)).await;
        assert!(e.is_some(), "console.{level} missing");
    }
    let warn = api.wait_event(console("warn", "warn line")).await.expect("warn");
    assert!(s(&warn, "/data/stack").contains("at "), "warn has a stack: {warn}");
    let boom = api
        .wait_event(|e| e["type"] == "console-error" && s(e, "/data/message").contains("boom from cdp page"))
        .await
        .expect("uncaught exception");
    assert_eq!(boom["data"]["exception"], true);
    assert!(s(&boom, "/data/stack").contains("    at "), "{boom}");

    let ok = api
        .wait_event(|e| e["type"] == "network-request" && s(e, "/data/url").ends_with("/api/ok"))
        .await
        .expect("fetch 200");
    assert_eq!(ok["data"]["status"], 200, "{ok}");
    assert_eq!(ok["data"]["resourceType"], "Fetch");
    assert_eq!(s(&ok, "/data/body/response"), r#"{"ok":true}"#);
    assert!(ok["data"]["headers"]["response"].as_object().is_some_and(|h| !h.is_empty()), "{ok}");
    assert!(num(&ok, "/data/size/response").is_some_and(|n| n > 0.0), "{ok}");
    for phase in ["send", "wait", "receive", "total", "queued"] {
        let v = num(&ok, &format!("/data/timing/{phase}"));
        assert!(v.is_some_and(|v| v >= 0.0), "timing.{phase} is a real number: {}", ok["data"]["timing"]);
    }
    for phase in ["dns", "connect", "ssl"] {
        assert!(
            num(&ok, &format!("/data/timing/{phase}")).is_some(),
            "timing.{phase}: {}",
            ok["data"]["timing"]
        );
    }
    let missing = api
        .wait_event(|e| e["type"] == "network-request" && s(e, "/data/url").ends_with("/missing"))
        .await
        .expect("fetch 404");
    assert_eq!(missing["data"]["status"], 404);
    assert_eq!(s(&missing, "/data/body/response"), "not here");
    // Chrome's own log entry for the 404 (Log.entryAdded, source "network").
    let entry = api
        .wait_event(|e| {
            e["type"] == "console-error"
                && s(e, "/data/logSource") == "network"
                && s(e, "/data/url").ends_with("/missing")
        })
        .await;
    assert!(entry.is_some(), "browser log entry for the failed resource");
    let refused = api
        .wait_event(|e| e["type"] == "network-error" && s(e, "/data/url").ends_with("/refused"))
        .await
        .expect("refused fetch");
    assert!(s(&refused, "/data/error").contains("ERR_CONNECTION_REFUSED"), "{refused}");

    let frames: Vec<Value> = {
        let deadline = Instant::now() + WAIT;
        loop {
            let f: Vec<Value> =
                api.events().await.into_iter().filter(|e| e["type"] == "websocket-frame").collect();
            if f.len() >= 4 || Instant::now() > deadline {
                break f;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let b64 =
        |e: &Value| base64::engine::general_purpose::STANDARD.decode(s(e, "/data/data")).unwrap_or_default();
    for (dir, opcode, payload) in [
        ("client-to-server", 1, b"hello-cdp".to_vec()),
        ("server-to-client", 1, b"hello-cdp".to_vec()),
        ("client-to-server", 2, vec![1, 2, 3, 250]),
        ("server-to-client", 2, vec![1, 2, 3, 250]),
    ] {
        let found = frames.iter().any(|e| {
            s(e, "/data/direction") == dir
                && e["data"]["opcode"] == opcode
                && b64(e) == payload
                && !s(e, "/data/trafficId").is_empty()
        });
        assert!(found, "websocket-frame {dir} opcode {opcode}: {frames:?}");
    }
    let traffic: std::collections::HashSet<&str> = frames.iter().map(|e| s(e, "/data/trafficId")).collect();
    assert_eq!(traffic.len(), 1, "one trafficId per socket: {traffic:?}");

    let worker = api.wait_event(console("log", "from worker")).await.expect("worker console");
    assert!(s(&worker, "/data/context").starts_with("worker"), "{worker}");
    let oopif = api.wait_event(console("log", "from oopif")).await.expect("out-of-process iframe console");
    assert!(s(&oopif, "/data/context").starts_with("iframe"), "{oopif}");
    let title = api
        .wait_event(|e| {
            e["type"] == "browser-event"
                && e["data"]["event"] == "title_changed"
                && s(e, "/data/title") == "CDP test page (ran)"
        })
        .await;
    assert!(title.is_some(), "title_changed");
    assert!(
        api.wait_session(|s| s["title"] == "CDP test page (ran)").await.is_some(),
        "the session's title follows"
    );

    commands(&api, &id, pages).await;

    assert!(guard.stop_server(), "serve exits on SIGTERM");
    let deadline = Instant::now() + WAIT;
    while alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(pid), "the launched browser closes when triage-tui exits");
}

async fn commands(api: &Api, id: &str, pages: std::net::SocketAddr) {
    // Screenshots, visible and full page: files in the data dir.
    for full in [false, true] {
        let (status, shot) = api
            .command(json!({ "type": "screenshot-request", "sessionId": id, "data": { "fullPage": full } }))
            .await;
        assert_eq!(status, 200, "{shot}");
        let path = s(&shot, "/data/path").to_string();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot fullPage={full} at {path:?}: {shot}");
    }
    let shot = api.action(id, "take_screenshot", json!({})).await;
    assert!(std::fs::metadata(s(&shot, "/path")).is_ok(), "{shot}");
    let pdf = api.action(id, "print_pdf", json!({})).await;
    let bytes = std::fs::read(s(&pdf, "/path")).unwrap_or_default();
    assert!(bytes.starts_with(b"%PDF"), "print_pdf writes a PDF: {pdf}");

    assert_eq!(api.action(id, "get_title", json!({})).await, "CDP test page (ran)");
    assert!(api.action(id, "get_url", json!({})).await.as_str().unwrap_or("").contains("/cdp"));
    let state = api.action(id, "get_browser_state", json!({})).await;
    assert_eq!(state["readyState"], "complete", "{state}");
    assert_eq!(api.action(id, "execute_js", json!({ "script": "6 * 7" })).await, 42);
    let (_, thrown) = api
        .command(json!({ "type": "browser-action", "sessionId": id, "data": { "action": "execute_js", "params": { "script": "notDefined.x" } } }))
        .await;
    assert_eq!(thrown["data"]["success"], false, "{thrown}");
    assert!(s(&thrown, "/data/error").contains("notDefined"), "{thrown}");

    api.action(id, "click", json!({ "selector": "#btn" })).await;
    assert_eq!(api.action(id, "execute_js", json!({ "script": "window.clicked" })).await, 1);
    api.action(id, "type_text", json!({ "selector": "#name", "text": "ada" })).await;
    assert_eq!(
        api.action(id, "execute_js", json!({ "script": "document.querySelector('#name').value" })).await,
        "ada"
    );
    api.action(id, "set_value", json!({ "selector": "#name", "value": "grace" })).await;
    assert_eq!(
        api.action(id, "execute_js", json!({ "script": "document.querySelector('#name').value" })).await,
        "grace"
    );
    api.action(id, "clear_input", json!({ "selector": "#name" })).await;
    assert_eq!(
        api.action(id, "execute_js", json!({ "script": "document.querySelector('#name').value" })).await,
        ""
    );
    let scrolled = api.action(id, "scroll_to", json!({ "x": 0, "y": 500 })).await;
    assert_eq!(scrolled["y"], 500, "{scrolled}");
    let by = api.action(id, "scroll_by", json!({ "x": 0, "y": 100 })).await;
    assert_eq!(by["y"], 600, "{by}");
    api.action(id, "set_cookie", json!({ "name": "flavour", "value": "oat" })).await;
    assert_eq!(api.action(id, "get_cookie", json!({ "name": "flavour" })).await["value"], "oat");
    api.action(id, "clear_cookies", json!({})).await;
    assert_eq!(api.action(id, "get_cookie", json!({ "name": "flavour" })).await, Value::Null);
    api.action(id, "set_user_agent", json!({ "userAgent": "triage-test-agent" })).await;
    assert_eq!(
        api.action(id, "execute_js", json!({ "script": "navigator.userAgent" })).await,
        "triage-test-agent"
    );
    let vp = api.action(id, "set_viewport", json!({ "width": 640, "height": 480 })).await;
    assert_eq!(vp["width"], 640, "{vp}");
    api.action(id, "set_viewport", json!({ "reset": true })).await;
    assert_eq!(api.action(id, "set_zoom", json!({ "zoom": 125 })).await["zoom"], 1.25);
    api.action(id, "set_zoom", json!({ "zoom": 1 })).await;

    // Inspect mode: the node clicked becomes element-selected with seed 000's fields.
    api.action(id, "scroll_to", json!({ "x": 0, "y": 0 })).await;
    api.action(id, "pick_element", json!({})).await;
    api.action(id, "click", json!({ "selector": "#headline" })).await;
    let picked = api.wait_event(|e| e["type"] == "element-selected").await.expect("element-selected");
    let el = &picked["data"]["element"];
    assert_eq!(el["tagName"], "H1", "{picked}");
    assert_eq!(el["id"], "headline");
    assert_eq!(el["className"], "big title");
    assert_eq!(el["attributes"]["data-testid"], "hl");
    assert_eq!(el["cssSelector"], "#headline");
    assert_eq!(el["xpath"], "/html/body/h1");
    assert_eq!(el["textContent"], "CDP test page");
    assert!(el["innerHTML"].is_string() && el["styles"]["color"].is_string(), "{el}");
    for k in ["width", "height", "top", "left"] {
        assert!(el["dimensions"][k].is_number(), "dimensions.{k}: {el}");
    }

    let base = format!("http://127.0.0.1:{}", pages.port());
    let nav = api.action(id, "navigate", json!({ "url": format!("{base}/cdp?second=1") })).await;
    assert_eq!(nav["loaded"], true, "{nav}");
    assert!(api
        .wait_event(|e| e["type"] == "browser-event"
            && e["data"]["event"] == "navigation_completed"
            && s(e, "/data/url").contains("second=1"))
        .await
        .is_some());
    assert!(api.action(id, "go_back", json!({})).await["url"].as_str().unwrap_or("").contains("/cdp"));
    assert!(api.action(id, "go_forward", json!({})).await["url"].as_str().unwrap_or("").contains("second=1"));
    assert_eq!(api.action(id, "reload", json!({})).await["loaded"], true);
    api.action(id, "stop", json!({})).await;
    api.action(id, "submit_form", json!({ "selector": "#form" })).await;

    // A tab opened later is attached by itself, and leaves when closed.
    let tab = api.action(id, "create_browser", json!({ "url": format!("{base}/cdp?tab=2") })).await;
    let second = s(&tab, "/sessionId").to_string();
    assert!(api.wait_session(|s| s["sessionId"] == second.as_str()).await.is_some(), "{tab}");
    assert!(api
        .wait_event(|e| console("log", "before attach")(e) && s(e, "/metadata/sessionId") == second)
        .await
        .is_some());
    api.action(&second, "close_browser", json!({})).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let list = api.get("/api/sessions").await;
        let gone =
            !list["sessions"].as_array().into_iter().flatten().any(|s| s["sessionId"] == second.as_str());
        if gone {
            break;
        }
        assert!(Instant::now() < deadline, "closed tab's session left: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, cleared) = api.command(json!({ "type": "clear-logs", "sessionId": id })).await;
    assert_eq!(status, 200, "{cleared}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_to_a_running_chromium_and_survive_it_dying_mid_command() {
    let Some(chromium) = chromium() else { return };
    let pages = serve_pages().await;
    let mut guard = Guard::default();
    let port = start_chromium(&mut guard, &chromium, &page_url(pages));
    let (base, pid) = start_server(&mut guard, &["--attach", &format!("http://127.0.0.1:{port}")]);
    assert!(pid.is_none());
    let api = Api::new(base);
    let session = api
        .wait_session(|s| s["url"].as_str().is_some_and(|u| u.contains("/cdp")))
        .await
        .expect("cdp session");
    let id = session["sessionId"].as_str().unwrap_or("").to_string();
    assert!(api.wait_event(console("log", "before attach")).await.is_some(), "pre-attach log");
    assert_eq!(api.action(&id, "get_title", json!({})).await, "CDP test page");

    // A command the page never answers; then the browser dies under it.
    let pending = {
        let http = api.http.clone();
        let url = format!("{}/api/commands", api.base);
        let body = json!({ "type": "browser-action", "sessionId": id,
                           "data": { "action": "execute_js", "params": { "script": "await new Promise(() => {})" } } });
        tokio::spawn(async move {
            let r = http.post(url).json(&body).send().await.expect("POST");
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        })
    };
    // Give the command time to reach the browser (not an assertion: either order must end well).
    tokio::time::sleep(Duration::from_millis(500)).await;
    for b in &mut guard.browsers {
        let _ = b.kill();
        let _ = b.wait();
    }
    let (status, reply) = tokio::time::timeout(WAIT, pending)
        .await
        .expect("answered before the 60 s command timeout")
        .expect("task");
    assert_eq!(status, 404, "{reply}");
    assert_eq!(reply["code"], "INVALID_SESSION", "{reply}");
    // Nothing lost: what was captured is still there, and the session has left.
    assert!(api.events().await.iter().any(console("log", "before attach")));
    assert!(api.get("/api/sessions").await["sessions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|s| s["kind"] != "cdp"));
    let (status, reply) = api
        .command(json!({ "type": "browser-action", "sessionId": id, "data": { "action": "get_title" } }))
        .await;
    assert_eq!((status, &reply["code"]), (404, &json!("INVALID_SESSION")), "{reply}");
}

#[test]
fn missing_browser_and_silent_attach_are_clear_errors_naming_the_flag() {
    let run = |args: &[&str]| {
        let dir = std::env::temp_dir().join(format!("triage-cdp-err-{}", uuid::Uuid::new_v4().simple()));
        let out = Command::new(env!("CARGO_BIN_EXE_triage-tui"))
            .args(["serve", "--port", "0"])
            .args(args)
            .env("TRIAGE_DATA_DIR", &dir)
            .env("TRIAGE_CONFIG_DIR", &dir)
            .env_remove("TRIAGE_BROWSER")
            .output()
            .expect("run triage-tui");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!out.status.success(), "{args:?} must fail");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let err = run(&["--launch", "--browser", "/nonexistent/chrome"]);
    assert!(err.contains("--browser"), "{err}");
    let closed = closed_port();
    let err = run(&["--attach", &format!("http://127.0.0.1:{closed}")]);
    assert!(err.contains("--remote-debugging-port") && err.contains("--user-data-dir"), "{err}");
    let err = run(&["--launch", "--attach", "http://127.0.0.1:9222"]);
    assert!(err.contains("--launch and --attach"), "{err}");
}
