//! The reorder window over real sockets: Console and Network events that arrive out of time
//! order (by two routes: two connections here) are listed by their timestamps; one that arrives
//! after a later-stamped event was listed is appended where it arrives; a quiet connection's
//! last events are still listed (the window's task releases them).

mod common;

use common::*;
use serde_json::{json, Value};

fn log(text: &str, ts: i64) -> Value {
    json!({ "type": "console-log", "timestamp": ts, "data": { "level": "log", "message": text } })
}

fn texts(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["data"]["message"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn late_arrivals_within_the_window_are_listed_by_their_timestamp() {
    let server = start_with(|c| c.reorder_window_ms = 250).await;
    let mut page = server.browser("page").await;
    let mut other = server.browser("other-route").await;
    let t = 1_800_000_000_000;
    // The case: failures stamped later arrive before the page's own log.
    other.send(log("Failed to load resource 1", t + 31)).await;
    other.send(log("Failed to load resource 2", t + 61)).await;
    page.send(log("page log", t)).await;
    page.send(json!({ "type": "network-request", "timestamp": t + 40,
                      "data": { "url": "http://h/a", "method": "GET", "status": 200 } }))
        .await;
    let listed = server.wait_events("type=console-log,network-request", 4).await;
    let order: Vec<(i64, &str)> = listed
        .iter()
        .map(|e| (e["timestamp"].as_i64().unwrap_or(0), e["type"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        order,
        [(t, "console-log"), (t + 31, "console-log"), (t + 40, "network-request"), (t + 61, "console-log")],
        "{listed:?}"
    );
    // Later than the window: appended where it arrives (the rule docs/protocol.md states).
    page.send(log("very late", t - 5_000)).await;
    let listed = server.wait_events("type=console-log", 4).await;
    assert_eq!(
        texts(&listed),
        ["page log", "Failed to load resource 1", "Failed to load resource 2", "very late"],
        "{listed:?}"
    );
}
