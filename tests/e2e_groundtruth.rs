//! Ground truth: real headless Chromium on a page served by the test (console formats, fetches
//! answering 200, a 304 revalidation, a cached resource fetched twice, a 404, a refused port, a
//! WebSocket with frames, then a second navigation), recorded at once by `triage-tui serve
//! --attach` and by the test's own DevTools-Protocol client (the events DevTools itself gets).
//! What triage-tui stored must match: every request the protocol saw, once, with the same URL,
//! status (the wire's: 304), sizes (transferred, resource) and cache; every console message once,
//! with the text DevTools shows. The same page and comparison run a second time with the triage
//! extension (assets/extension) as the source, plus its `attached` event and `reload_on_attach`.
//! One browser per test. Skips only when Chromium is absent and `CI` is unset; every wait is
//! bounded; every process is stopped on every exit path.

mod cdp_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use cdp_support::extension::start_chromium_with_extension;
use cdp_support::recorder::Recorder;
use cdp_support::*;
use serde_json::{json, Value};

const PAGE: &str = include_str!("chromium/groundtruth.html");

async fn etag(headers: HeaderMap) -> impl IntoResponse {
    let cache = [(header::ETAG, "\"v1\""), (header::CACHE_CONTROL, "no-cache")];
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
        return (StatusCode::NOT_MODIFIED, cache, String::new());
    }
    (StatusCode::OK, cache, "x".repeat(1700))
}

async fn socket(mut ws: WebSocket) {
    while let Some(Ok(m)) = ws.recv().await {
        if matches!(m, Message::Close(_)) {
            break;
        }
        if matches!(m, Message::Text(_)) && ws.send(m).await.is_err() {
            break;
        }
    }
}

/// Times `/first` was loaded: its load before attach and `reload_on_attach`'s one reload.
static FIRST_LOADS: AtomicUsize = AtomicUsize::new(0);

async fn first() -> Html<&'static str> {
    FIRST_LOADS.fetch_add(1, Ordering::SeqCst);
    Html("<script>console.log('gt first ' + performance.getEntriesByType('navigation')[0].type)</script>")
}

async fn serve() -> String {
    let app = axum::Router::new()
        .route("/gt", get(|| async { Html(PAGE) }))
        .route("/second", get(|| async { Html("<script>console.log('gt second page')</script>") }))
        .route("/first", get(first))
        .route("/ok", get(|| async { ([(header::CACHE_CONTROL, "no-store")], "ok body") }))
        .route("/etag", get(etag))
        .route("/cached", get(|| async { ([(header::CACHE_CONTROL, "max-age=600")], "c".repeat(900)) }))
        .route("/missing", get(|| async { (StatusCode::NOT_FOUND, "not here") }))
        .route("/ws", get(|ws: WebSocketUpgrade| async move { ws.on_upgrade(socket) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// What the protocol said about one request, as DevTools shows it (ordered by its fields, so
/// two lists compare as sets).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    url: String,
    status: i64,
    transferred: Option<i64>,
    resource: Option<i64>,
    cache: Option<&'static str>,
    failed: bool,
}

/// The requests of the recorded events, in the order they were sent.
fn protocol_requests(rec: &Recorder) -> Vec<Seen> {
    let by_id = |m: &str| -> HashMap<String, Value> {
        rec.of(m).into_iter().map(|p| (p["requestId"].as_str().unwrap_or("").to_string(), p)).collect()
    };
    let (responses, extra, finished, failed) = (
        by_id("Network.responseReceived"),
        by_id("Network.responseReceivedExtraInfo"),
        by_id("Network.loadingFinished"),
        by_id("Network.loadingFailed"),
    );
    let memory: Vec<String> = rec
        .of("Network.requestServedFromCache")
        .iter()
        .map(|p| p["requestId"].as_str().unwrap_or("").to_string())
        .collect();
    let mut decoded: HashMap<String, i64> = HashMap::new();
    for p in rec.of("Network.dataReceived") {
        *decoded.entry(p["requestId"].as_str().unwrap_or("").to_string()).or_default() +=
            p["dataLength"].as_i64().unwrap_or(0);
    }
    let mut out = Vec::new();
    for p in rec.of("Network.requestWillBeSent") {
        let id = p["requestId"].as_str().unwrap_or("");
        let url = p["request"]["url"].as_str().unwrap_or("").to_string();
        if !url.starts_with("http") {
            continue;
        }
        let res = responses.get(id).map(|r| &r["response"]);
        let status = extra
            .get(id)
            .and_then(|x| x["statusCode"].as_i64())
            .or_else(|| res.and_then(|r| r["status"].as_i64()))
            .unwrap_or(0);
        let done = finished.get(id);
        let cache = if memory.iter().any(|m| m == id) {
            Some("memory")
        } else if res.is_some_and(|r| r["fromDiskCache"] == true) {
            Some("disk")
        } else {
            None
        };
        out.push(Seen {
            url,
            status,
            transferred: done.and_then(|d| d["encodedDataLength"].as_f64()).map(|n| n as i64),
            resource: done.and(res).map(|_| decoded.get(id).copied().unwrap_or(0)),
            cache,
            failed: failed.contains_key(id),
        });
    }
    out
}

fn stored_request(e: &Value) -> Seen {
    let n = |p: &str| e.pointer(p).and_then(Value::as_f64).map(|n| n as i64);
    Seen {
        url: s(e, "/data/url").to_string(),
        status: n("/data/status").unwrap_or(0),
        transferred: n("/data/size/transferred"),
        resource: n("/data/size/resource"),
        cache: match s(e, "/data/cache") {
            "memory" => Some("memory"),
            "disk" => Some("disk"),
            _ => None,
        },
        failed: e["type"] == "network-error",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_stores_what_devtools_shows_for_a_real_page() {
    let Some(chromium) = chromium() else { return };
    let base = serve().await;
    let mut guard = Guard::default();
    let port = start_chromium(&mut guard, &chromium, "about:blank");
    let (api_base, _) = start_server(&mut guard, &["--attach", &format!("http://127.0.0.1:{port}")]);
    let api = Api::new(api_base);
    api.wait_session(|s| s["url"] == "about:blank").await.expect("the blank page attached");
    let mut rec = Recorder::attach(port).await;
    let url = format!("{base}/gt?refused=http://127.0.0.1:{}/refused", closed_port());
    rec.call_page("Page.navigate", json!({ "url": url })).await;
    stored_matches_protocol(&api, &rec).await;
}

/// The comparison: waits until both sides saw the second page, then asserts that triage stored
/// every request, console message and frame the protocol client recorded, once, as DevTools shows it.
async fn stored_matches_protocol(api: &Api, rec: &Recorder) {
    // Both have seen the second navigation's log.
    let second = |e: &Value| s(e, "/data/message") == "gt second page";
    api.wait_event(second).await.expect("triage stored the second page's log");
    let deadline = Instant::now() + WAIT;
    while !rec.of("Runtime.consoleAPICalled").iter().any(|p| p["args"][0]["value"] == "gt second page") {
        assert!(Instant::now() < deadline, "the protocol client saw no second page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Requests finish after their last console line (on both sides): compare until they agree
    // or the wait ends, then assert on the last look. Compared as sets: two requests of one URL
    // (a fetch and its disk-cache hit) are stored in the order they were reported, which a
    // request waiting for its late ExtraInfo can change.
    let sorted = |mut v: Vec<Seen>| {
        v.sort();
        v
    };
    let (seen, stored) = loop {
        let seen = protocol_requests(rec);
        let events = api.events().await;
        let stored: Vec<Seen> = events
            .iter()
            .filter(|e| matches!(s(e, "/type"), "network-request" | "network-error"))
            .filter(|e| s(e, "/data/resourceType") != "WebSocket")
            .map(stored_request)
            .collect();
        let (seen, stored) = (sorted(seen), sorted(stored));
        if (seen.len() >= 9 && seen == stored) || Instant::now() > deadline {
            break (seen, stored);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(seen.len() >= 9, "the protocol saw the page's requests: {seen:#?}");
    // Every request, once, as the protocol saw it.
    assert_eq!(stored, seen, "stored requests differ from the protocol's");
    let etags: Vec<i64> = seen.iter().filter(|r| r.url.ends_with("/etag")).map(|r| r.status).collect();
    assert_eq!(etags, [200, 304], "the page revalidated /etag");
    let revalidated = stored.iter().find(|r| r.url.ends_with("/etag") && r.status == 304).expect("a 304");
    assert!(revalidated.resource.is_some_and(|n| n >= 1700), "the cached body's size: {revalidated:?}");
    assert!(seen.iter().any(|r| r.url.ends_with("/cached") && r.cache.is_some()), "{seen:#?}");
    assert!(seen.iter().any(|r| r.url.contains("/refused") && r.failed));

    // Console: every message once, with the text DevTools shows.
    let events = api.events().await;
    let texts: Vec<&str> = events
        .iter()
        .filter(|e| s(e, "/type").starts_with("console"))
        .map(|e| s(e, "/data/message"))
        .collect();
    let devtools = [
        "gt log {answer: 42, nested: {…}} (3) [1, 2, 3]",
        "gt map Map(1) {'k' => 1} Set(2) {1, 2}",
        "gt fmt 'str'| after",
        "gt error Error: gt boom",
        "gt done",
        "gt second page",
    ];
    for want in devtools {
        let n = texts.iter().filter(|t| **t == want).count();
        assert_eq!(n, 1, "{want:?} stored {n} times; console texts: {texts:#?}");
    }
    let called = rec.of("Runtime.consoleAPICalled").len();
    assert_eq!(texts.iter().filter(|t| t.starts_with("gt ")).count(), called, "{texts:#?}");

    // The socket's frames, once each.
    let frames = |m: &str| rec.of(m).len();
    let protocol_frames = frames("Network.webSocketFrameSent") + frames("Network.webSocketFrameReceived");
    let stored_frames = events
        .iter()
        .filter(|e| e["type"] == "websocket-frame" && e["data"]["opcode"].as_u64() == Some(1))
        .count();
    assert_eq!((protocol_frames, stored_frames), (4, 4));
}

/// The same page and comparison with the triage extension as the source. The extension attaches
/// to the tab (mode `active`) while it shows about:blank, so the page's load is after attach and
/// all of it is captured; the protocol client attaches beside it and navigates. Then a tab that
/// loaded before attach: its `attached` event says so and `reload_on_attach` reloads it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extension_stores_what_devtools_shows_for_a_real_page() {
    let Some(chromium) = chromium() else { return };
    let base = serve().await;
    let mut guard = Guard::default();
    let api_base = start_connector(&mut guard, "reload_on_attach = true\n");
    let api = Api::new(api_base.clone());
    let port = start_chromium_with_extension(&mut guard, &chromium, &api_base, None, "about:blank").await;
    let blank = api.wait_session_of("extension", |s| s["url"] == "about:blank").await;
    let blank = blank.expect("the extension attached to the blank tab");
    let attached = api.wait_event(|e| s(e, "/data/event") == "attached").await.expect("an attached event");
    assert_eq!(
        (s(&attached, "/metadata/sessionId"), attached["data"]["alreadyLoaded"].as_bool()),
        (s(&blank, "/sessionId"), Some(false)),
        "a blank tab had loaded nothing: {attached}"
    );
    let mut rec = Recorder::attach(port).await;
    let url = format!("{base}/gt?refused=http://127.0.0.1:{}/refused", closed_port());
    rec.call_page("Page.navigate", json!({ "url": url })).await;
    stored_matches_protocol(&api, &rec).await;

    // A tab that had loaded when the extension attached (it becomes the active tab, which mode
    // `active` follows, after its load began): the attached event says so, and reload_on_attach
    // reloads it once, so its load is captured after all.
    let http = reqwest::Client::new();
    let opened =
        http.put(format!("http://127.0.0.1:{port}/json/new?{base}/first")).send().await.expect("/json/new");
    assert!(opened.status().is_success(), "DevTools /json/new: {}", opened.status());
    let loaded = |e: &Value| s(e, "/data/event") == "attached" && s(e, "/data/url").ends_with("/first");
    let attached = api.wait_event(loaded).await.expect("the extension attached to the loaded tab");
    assert_eq!(attached["data"]["alreadyLoaded"], true, "{attached}");
    let reloaded = |e: &Value| s(e, "/data/message") == "gt first reload";
    let log = api.wait_event(reloaded).await.expect("reload_on_attach reloaded the tab");
    assert_eq!(s(&log, "/metadata/sessionId"), s(&attached, "/metadata/sessionId"), "{log}");
    let events = api.events().await;
    assert_eq!(events.iter().filter(|e| reloaded(e)).count(), 1, "one reload's log");
    assert_eq!(FIRST_LOADS.load(Ordering::SeqCst), 2, "the load before attach and one reload");
}
