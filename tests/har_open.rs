//! Opening other tools' HARs (`triage-tui open FILE`): fixtures in the shapes Chrome DevTools and
//! Firefox write, and truncated or malformed files, read into a real connector and seen over REST.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/har").join(name)
}

fn by_url<'a>(events: &'a [Value], url: &str) -> &'a Value {
    events.iter().find(|e| e["data"]["url"] == url).unwrap_or_else(|| panic!("{url} in {events:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chrome_har_opens_with_its_requests_errors_and_frames() {
    let srv = common::start().await;
    let loaded = srv.connector.load_recording(&fixture("chrome.har")).expect("opens");
    assert_eq!((loaded.events, loaded.skipped_total), (8, 0), "{loaded:?}");
    let events = srv.events("type=network-request,network-error").await;
    assert_eq!(events.len(), 5);
    let doc = by_url(&events, "https://shop.test/");
    assert_eq!(doc["data"]["resourceType"], "document");
    assert_eq!(
        doc["data"]["headers"]["request"],
        serde_json::json!({"accept": "text/html"}),
        "no pseudo-headers"
    );
    assert_eq!(doc["data"]["body"]["response"], "<html><h1>shop</h1></html>\n");
    assert_eq!(doc["data"]["size"]["transferred"], 512);
    assert_eq!(doc["data"]["timing"]["wait"], 70.0);
    assert_eq!(doc["data"]["initiator"]["type"], "other");
    let cart = by_url(&events, "https://shop.test/api/cart?add=7");
    assert_eq!((cart["data"]["method"].as_str(), cart["data"]["status"].as_i64()), (Some("POST"), Some(503)));
    assert_eq!(cart["data"]["body"]["request"], "{\"qty\":2}");
    assert_eq!(cart["data"]["body"]["responseEncoding"], "base64");
    assert_eq!(by_url(&events, "https://shop.test/logo.png")["data"]["cache"], "memory");
    let gone = by_url(&events, "https://gone.test/x");
    assert_eq!(
        (gone["type"].as_str(), gone["data"]["error"].as_str()),
        (Some("network-error"), Some("net::ERR_NAME_NOT_RESOLVED"))
    );

    // `_webSocketMessages` land in the frames API (and the Frames pane) on their socket.
    let sock = by_url(&events, "wss://shop.test/live")["data"]["requestId"].as_str().unwrap().to_string();
    let (status, frames) = srv.get_json(&format!("/api/websocket/{sock}/frames")).await;
    assert_eq!(status, 200, "{frames}");
    let frames = frames.as_array().cloned().unwrap_or_default();
    assert_eq!(frames.len(), 3, "{frames:?}");
    let dirs: Vec<(&str, i64)> =
        frames.iter().map(|f| (f["direction"].as_str().unwrap(), f["opcode"].as_i64().unwrap())).collect();
    assert!(dirs.contains(&("client-to-server", 1)) && dirs.contains(&("server-to-client", 2)), "{dirs:?}");
    assert!(
        frames.iter().any(|f| f["data"] == "eyJzdWJzY3JpYmUiOiJwcmljZXMifQ=="),
        "text frame kept: {frames:?}"
    );
    assert!(
        frames.iter().any(|f| f["data"] == "AAECAw==" && f["timestamp"] == 1796029203000i64),
        "{frames:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firefox_har_opens_with_repeated_headers_and_no_underscored_fields() {
    let srv = common::start().await;
    let loaded = srv.connector.load_recording(&fixture("firefox.har")).expect("opens");
    assert_eq!((loaded.events, loaded.skipped_total), (3, 0), "{loaded:?}");
    let events = srv.events("type=network-request").await;
    let guide = by_url(&events, "https://docs.test/guide");
    assert_eq!(guide["data"]["headers"]["request"]["Accept"], "text/html, application/xhtml+xml");
    assert_eq!(
        guide["data"]["headers"]["response"]["set-cookie"], "[REDACTED]",
        "redacted on open like live traffic"
    );
    assert_eq!(guide["data"]["resourceType"], "document", "guessed from the MIME type");
    assert_eq!(guide["data"]["remoteAddress"], "192.0.2.4");
    assert_eq!(guide["timestamp"], 1796029200138i64, "+01:00 offset understood; arrives at start + time");
    assert_eq!(by_url(&events, "https://docs.test/api/pref")["data"]["body"]["request"], "theme=dark&x=1");
    assert_eq!(by_url(&events, "https://cdn.test/app.js")["data"]["resourceType"], "script");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_malformed_hars_say_why_and_keep_what_was_read() {
    let srv = common::start().await;
    let whole = std::fs::read(fixture("chrome.har")).unwrap();
    // Cut inside the third entry: the first two load, the cut is reported.
    let cut = memchr::memmem::find(&whole, b"logo.png").unwrap();
    let truncated = srv.dir.join("truncated.har");
    std::fs::write(&truncated, &whole[..cut]).unwrap();
    let loaded = srv.connector.load_recording(&truncated).expect("what could be read opens");
    assert_eq!(loaded.events, 2, "{loaded:?}");
    assert!(loaded.skipped.iter().any(|(_, why)| why.contains("truncated")), "{loaded:?}");

    // A bad entry is skipped and counted; JSON garbage after it stops the read with a message.
    let malformed = srv.dir.join("malformed.har");
    std::fs::write(
        &malformed,
        r#"{"log":{"entries":[{"request":{"url":"https://a.test/"}}, {"startedDateTime": oops}]}}"#,
    )
    .unwrap();
    let err = srv.connector.load_recording(&malformed).unwrap_err().to_string();
    assert!(err.contains("no valid startedDateTime"), "{err}");
    let not_har = srv.dir.join("nothar.har");
    std::fs::write(&not_har, r#"{"log": 5}"#).unwrap();
    let err = srv.connector.load_recording(&not_har).unwrap_err().to_string();
    assert!(err.contains("not a HAR"), "{err}");

    // The real binary says so before the terminal changes.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage-tui"))
        .env("TRIAGE_DATA_DIR", srv.dir.join("data2"))
        .env("TRIAGE_CONFIG_DIR", srv.dir.join("config2"))
        .arg("open")
        .arg(&not_har)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a HAR"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playwright_har_opens_with_its_underscored_fields_and_failures() {
    let srv = common::start().await;
    let loaded = srv.connector.load_recording(&fixture("playwright.har")).expect("opens");
    assert_eq!((loaded.events, loaded.skipped_total), (3, 0), "{loaded:?}");
    let events = srv.events("type=network-request,network-error").await;
    assert_eq!(events.len(), 3, "{events:?}");
    let doc = by_url(&events, "https://play.test/");
    assert_eq!(doc["data"]["body"]["response"], "<html><h1>play</h1></html>\n");
    assert_eq!(doc["data"]["size"]["transferred"], 412, "_transferSize read");
    assert_eq!(doc["data"]["headers"]["request"]["accept"], "text/html");
    assert!(doc["data"]["headers"]["request"].get(":authority").is_none(), "no pseudo-headers");
    assert_eq!(doc["data"]["remoteAddress"], "[::1]", "as Playwright writes it");
    assert_eq!(doc["data"]["resourceType"], "document");
    let login = by_url(&events, "https://play.test/api/login?next=%2Fcart");
    assert_eq!(
        (login["data"]["method"].as_str(), login["data"]["status"].as_i64()),
        (Some("POST"), Some(401))
    );
    assert_eq!(login["data"]["body"]["request"], "user=ada&pw=hunter");
    assert_eq!(
        login["data"]["headers"]["request"]["authorization"], "[REDACTED]",
        "redacted like live traffic"
    );
    assert_eq!(login["data"]["size"]["transferred"], -1, "-1 stays unknown");
    // Playwright's failure: status -1 and `_failureText`.
    let failed = by_url(&events, "https://cdn.play.test/app.js");
    assert_eq!(
        (failed["type"].as_str(), failed["data"]["status"].as_i64(), failed["data"]["error"].as_str()),
        (Some("network-error"), Some(0), Some("net::ERR_CONNECTION_REFUSED"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charles_har_opens_without_pages_with_comments_offsets_and_frames() {
    let srv = common::start().await;
    let loaded = srv.connector.load_recording(&fixture("charles.har")).expect("opens");
    assert_eq!((loaded.events, loaded.skipped_total), (5, 0), "{loaded:?}");
    let events = srv.events("type=network-request,network-error").await;
    assert_eq!(events.len(), 3, "{events:?}");
    let catalog = by_url(&events, "http://charles.test/catalog?page=2");
    assert_eq!(catalog["data"]["status"], 200);
    assert_eq!(catalog["data"]["body"]["response"], "eyJpdGVtcyI6WzEsMl19");
    assert_eq!(catalog["data"]["body"]["responseEncoding"], "base64");
    assert_eq!(catalog["data"]["headers"]["request"]["Cookie"], "[REDACTED]");
    assert_eq!(catalog["data"]["remoteAddress"], "203.0.113.9");
    // 21:00:00.100+11:00 is 10:00:00.100Z; it arrives at start + time (88 ms).
    assert_eq!(catalog["timestamp"], 1796119200188i64);
    let refused = by_url(&events, "https://secure.charles.test");
    assert_eq!(
        (refused["type"].as_str(), refused["data"]["error"].as_str()),
        (Some("network-error"), Some("Connection refused"))
    );
    let sock = by_url(&events, "ws://charles.test/feed")["data"]["requestId"].as_str().unwrap().to_string();
    let (status, frames) = srv.get_json(&format!("/api/websocket/{sock}/frames")).await;
    assert_eq!(status, 200, "{frames}");
    let frames = frames.as_array().cloned().unwrap_or_default();
    let dirs: Vec<&str> = frames.iter().map(|f| f["direction"].as_str().unwrap()).collect();
    assert_eq!(dirs.len(), 2, "{frames:?}");
    assert!(dirs.contains(&"client-to-server") && dirs.contains(&"server-to-client"), "{dirs:?}");
    assert!(frames.iter().any(|f| f["timestamp"] == 1796119201250i64), "{frames:?}");
}
