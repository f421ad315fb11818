//! Seed 002 (MetaDock) end to end with the real extension in headless Chromium: a `/ws` client
//! subscribed to the tab gets `zoom_changed` and `download_starting` pushes from the extension's
//! observers, and `create_browser` / `close_browser` open and close a real tab.
//!
//! Skips (prints why, passes) only when Chromium is absent and `CI` is unset. Chromium runs in its
//! own process group and is killed on every exit path; every wait is bounded.

mod cdp_support;
mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use cdp_support::extension::start_chromium_with_extension;
use cdp_support::Guard;
use common::*;
use serde_json::{json, Value};

/// Polls `f` every 100 ms until it gives a value (bounded by 60 s: the machine may be busy).
async fn until<T, F: std::future::Future<Output = Option<T>>>(what: &str, mut f: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "within 60 s: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn pages() -> String {
    let app = Router::new()
        .route("/start", get(|| async { Html("<!doctype html><title>metadock start</title><p>start</p>") }))
        .route(
            "/second",
            get(|| async { Html("<!doctype html><title>metadock second</title><p>second</p>") }),
        )
        .route(
            "/report.txt",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/plain"),
                        (header::CONTENT_DISPOSITION, "attachment; filename=\"report.txt\""),
                    ],
                    "data",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A `/ws` client and the pushes it received while waiting for replies.
struct Client {
    peer: Peer,
    pushed: Vec<Value>,
}

impl Client {
    /// Sends a request and returns its reply (the next message with that id).
    async fn ask(&mut self, msg: Value) -> Value {
        let id = msg["id"].clone();
        self.peer.send(msg).await;
        loop {
            let r = self.peer.recv().await.expect("the /ws client stays connected");
            if r["type"] == "browser_event" {
                self.pushed.push(r);
            } else if r["id"] == id {
                return r;
            }
        }
    }

    /// The first `browser_event` named `event` pushed (already, or next).
    async fn event(&mut self, event: &str) -> Value {
        if let Some(i) = self.pushed.iter().position(|e| e["event"] == event) {
            return self.pushed.remove(i);
        }
        loop {
            let e = self.peer.recv_type("browser_event").await;
            if e["event"] == event {
                return e;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extension_feeds_seed_002_events_and_opens_and_closes_tabs() {
    let chromium = std::env::var_os("TRIAGE_E2E_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is missing at {}",
            chromium.display()
        );
        println!("SKIPPED: {} not found", chromium.display());
        return;
    }
    let token = "metadock-e2e";
    let srv = start_with(|c| c.token = Some(token.into())).await;
    let base = pages().await;
    let mut guard = Guard::default();
    let connector = format!("http://{}", srv.addr);
    let next = format!("{base}/start");
    start_chromium_with_extension(&mut guard, &chromium, &connector, Some(token), &next).await;
    let start = until("the start tab's session connects", || {
        let found = srv
            .connector
            .list_browsers()
            .into_iter()
            .find(|b| b.url.as_deref().is_some_and(|u| u.contains("/start")));
        async move { found }
    })
    .await;
    assert!(start.window_id.is_some(), "connection-init carries the window id: {start:?}");

    let mut peer = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    assert_eq!(peer.recv().await.unwrap()["type"], "welcome");
    let mut m = Client { peer, pushed: Vec::new() };
    assert_eq!(m.ask(json!({"type": "auth", "api_key": token, "id": 1})).await["data"]["success"], true);
    let sub =
        m.ask(json!({"type": "subscribe", "target": format!("browser:{}", start.session_id), "id": 2})).await;
    assert_eq!(sub["data"]["success"], true, "{sub}");

    // zoom_changed, from chrome.tabs.onZoomChange.
    let r = m.ask(json!({"type": "browser", "action": "set_zoom", "browser_uuid": start.session_id, "params": {"zoom": 1.5}, "id": 3})).await;
    assert_eq!(r["data"]["success"], true, "{r}");
    let zoom = m.event("zoom_changed").await;
    assert_eq!(
        (zoom["event"].as_str(), zoom["browser_uuid"].as_str()),
        (Some("zoom_changed"), Some(start.session_id.as_str())),
        "{zoom}"
    );
    assert_eq!(
        (zoom["data"]["zoom_factor"].as_f64(), zoom["data"]["zoom_percent"].as_u64()),
        (Some(1.5), Some(150)),
        "{zoom}"
    );

    // download_starting, from chrome.downloads.onCreated.
    let click = "const a = document.createElement('a'); a.href = '/report.txt'; document.body.append(a); a.click(); 'clicked'";
    let r = m.ask(json!({"type": "browser", "action": "execute_js", "browser_uuid": start.session_id, "params": {"script": click}, "id": 4})).await;
    assert_eq!(r["data"]["success"], true, "{r}");
    let download = m.event("download_starting").await;
    assert_eq!(download["data"]["url"], format!("{base}/report.txt"), "{download}");
    assert_eq!(download["data"]["profile"], "default", "{download}");

    // audio_state_changed, from tabs.onUpdated's audible.
    let tone = "const c = new AudioContext(); const o = c.createOscillator(); o.connect(c.destination); o.start(); c.resume().then(() => c.state)";
    let r = m.ask(json!({"type": "browser", "action": "execute_js", "browser_uuid": start.session_id, "params": {"script": tone}, "id": 40})).await;
    assert_eq!(r["data"]["success"], true, "{r}");
    let audio = m.event("audio_state_changed").await;
    assert_eq!(
        (audio["data"]["is_playing_audio"].as_bool(), audio["data"]["is_muted"].as_bool()),
        (Some(true), Some(false)),
        "{audio}"
    );

    // The tab's window is its layout.
    let layout = start.window_id.clone().unwrap();
    let r = m.ask(json!({"type": "layout", "action": "get_browsers", "layout_uuid": layout, "id": 41})).await;
    assert_eq!(r["data"]["data"]["browsers"][0]["uuid"], start.session_id.as_str(), "{r}");

    // create_browser: a real tab, answered with its own session once it has connected.
    let r = m.ask(json!({"type": "browser", "action": "create_browser", "params": {"url": format!("{base}/second")}, "id": 5})).await;
    let uuid = r["data"]["data"]["uuid"].as_str().unwrap_or_else(|| panic!("no uuid: {r}")).to_string();
    assert_ne!(uuid, start.session_id);
    let title = m.ask(json!({"type": "browser", "action": "get_url", "browser_uuid": uuid, "id": 6})).await;
    assert_eq!(title["data"]["data"], format!("{base}/second"), "{title}");
    // close_browser: that tab goes, and its session with it.
    let r = m.ask(json!({"type": "browser", "action": "close_browser", "browser_uuid": uuid, "id": 7})).await;
    assert_eq!(r["data"]["success"], true, "{r}");
    until("the closed tab's session ends", || {
        let gone = !srv.connector.list_browsers().iter().any(|b| b.session_id == uuid);
        async move { gone.then_some(()) }
    })
    .await;
    assert!(srv.connector.list_browsers().iter().any(|b| b.session_id == start.session_id));
}
