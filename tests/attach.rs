//! Attaching to a page that already loaded, with real headless Chromium and the real
//! `triage-tui serve --attach`: the session says capture began after the load (the panes' notice
//! reads it) until the page navigates, and what the page logged before reads as DevTools shows it;
//! `reload_on_attach = true` reloads the page exactly once.
//! The page's own server counts the document loads. Skips only when Chromium is absent and `CI`
//! is unset; every wait is bounded; every process is stopped on every exit path.

mod cdp_support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::Html;
use axum::routing::get;
use cdp_support::*;
use serde_json::{json, Value};

/// A page whose document loads are counted.
async fn counted_page() -> (String, Arc<AtomicUsize>) {
    let loads = Arc::new(AtomicUsize::new(0));
    let n = loads.clone();
    let app = axum::Router::new().route(
        "/page",
        get(move || {
            n.fetch_add(1, SeqCst);
            async {
                Html("<title>attach</title><script>console.log('page ran', {answer: 42}, [1, 2])</script>")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/page", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, loads)
}

async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn attached(s: &Value) -> Option<i64> {
    s["attachedAfterLoad"].as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_attach_is_marked_until_a_navigation_and_reload_on_attach_reloads_once() {
    let Some(chromium) = chromium() else { return };
    let (url, loads) = counted_page().await;
    let mut guard = Guard::default();
    let port = start_chromium(&mut guard, &chromium, &url);
    wait_until("the first load", || loads.load(SeqCst) == 1).await;
    let attach = format!("http://127.0.0.1:{port}");

    // Off by default: no reload; the session says when capture began, until a reload.
    let before = triage_tui::protocol::timestamp::now_ms();
    let (base, _) = start_server(&mut guard, &["--attach", &attach]);
    let api = Api::new(base);
    let s = api.wait_session(|s| attached(s).is_some()).await.expect("a session marked attached after load");
    assert!(attached(&s).is_some_and(|t| t >= before), "{s}");
    let id = s["sessionId"].as_str().unwrap_or("").to_string();
    let event = api.wait_event(|e| e["data"]["event"] == "attached").await.expect("attached event");
    assert_eq!(event["data"]["alreadyLoaded"], true, "{event}");
    assert_eq!(loads.load(SeqCst), 1, "nothing reloaded the page");
    // Logged before the attach: Chrome replays it without previews; it still reads as DevTools shows it.
    let ran =
        api.wait_event(|e| e["data"]["message"].as_str().is_some_and(|m| m.starts_with("page ran"))).await;
    let ran = ran.expect("the message logged before the attach");
    assert_eq!(ran["data"]["message"], "page ran {answer: 42} (2) [1, 2]", "{ran}");
    api.action(&id, "reload", json!({})).await;
    let cleared = api.wait_session(|s| s["sessionId"] == id.as_str() && attached(s).is_none()).await;
    assert!(cleared.is_some(), "a navigation after the attach clears the mark");
    assert_eq!(loads.load(SeqCst), 2);
    assert!(guard.stop_server(), "server stopped by itself");

    // reload_on_attach: exactly one reload, and the mark is gone with it.
    let (base, _) = start_server_config(&mut guard, &["--attach", &attach], "reload_on_attach = true\n");
    let api = Api::new(base);
    let event = api.wait_event(|e| e["data"]["event"] == "attached").await.expect("attached event");
    assert_eq!((&event["data"]["alreadyLoaded"], &event["data"]["reloaded"]), (&json!(true), &json!(true)));
    wait_until("the reload", || loads.load(SeqCst) == 3).await;
    api.wait_session(|s| attached(s).is_none()).await.expect("mark cleared by the reload");
    // The reload's own load event arrives: the capture saw the whole reloaded load.
    let loaded = api
        .wait_event(|e| e["data"]["event"] == "navigation_completed" && e["data"]["success"] == true)
        .await;
    assert!(loaded.is_some(), "the reload completed");
    // A second reload would have had time to happen by now; there is none.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(loads.load(SeqCst), 3, "reload_on_attach reloads once");
    let docs: Vec<Value> = api
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "network-request" && e["data"]["url"] == url.as_str())
        .collect();
    assert_eq!(docs.len(), 1, "the reloaded document is captured once: {docs:?}");
}
