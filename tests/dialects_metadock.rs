//! Seed 002 (MetaDock) over real sockets: the actions the connector answers itself (the list of
//! browsers, fan-out, opening and closing browsers), layouts, subscriptions with `browser_event`
//! pushes, and the keepalive. The browsers are scripted peers on /extension-ws.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// A seed 002 client on /ws past its welcome (no token configured: auth is accepted).
async fn metadock(srv: &TestServer) -> Peer {
    let mut p = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
    assert_eq!(p.recv().await.unwrap()["type"], "welcome");
    p.send(json!({"type": "auth", "api_key": "any", "id": 0})).await;
    assert_eq!(p.recv_type("auth").await["data"]["success"], true);
    p
}

/// A browser whose connection-init names its window (a layout).
async fn browser_in(srv: &TestServer, tab: &str, window: i64) -> Peer {
    let mut p = Peer::connect(srv.addr, "/extension-ws", &["rapidtriage-extension-v1"], &[]).await.unwrap();
    p.send(json!({"type": "connection-init", "data": {"tabId": tab, "windowId": window, "url": format!("https://{tab}.test/")}}))
        .await;
    p.session = p.recv_type("connection-ack").await["data"]["sessionId"].as_str().unwrap().to_string();
    p
}

/// Answers the next browser-action with `data` (success) and returns the command it answered.
async fn answer(b: &mut Peer, data: Value) -> Value {
    let cmd = b.recv_type("browser-action").await;
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": data, "error": null}}))
        .await;
    cmd
}

#[tokio::test]
async fn the_list_of_browsers_is_one_answer_for_rest_mcp_ws_and_ws() {
    let srv = start().await;
    let a = browser_in(&srv, "tab-a", 7).await;
    let b = srv.browser("tab-b").await;
    let (status, body) = srv.get_json("/api/browsers").await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> =
        body["browsers"].as_array().unwrap().iter().map(|s| s["sessionId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![a.session.as_str(), b.session.as_str()]);
    assert_eq!(body["layouts"], json!([{"uuid": "7", "name": null, "browsers": [a.session]}]));
    // POST /api/commands: the same action the dialect sends, answered by the connector.
    let (status, r) = srv
        .post_json("/api/commands", json!({"type": "browser-action", "data": {"action": "get_all_browsers"}}))
        .await;
    assert_eq!(status, 200, "{r}");
    let listed = r["data"]["data"]["browsers"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{r}");
    assert_eq!(
        listed[0],
        json!({"uuid": a.session, "url": "https://tab-a.test/", "title": null, "kind": "extension", "layout_uuid": "7"})
    );
    // /mcp-ws and /ws alike.
    let mut c = srv.client().await;
    c.send(json!({"type": "browser-action", "id": "l", "data": {"action": "get_all_browsers"}})).await;
    assert_eq!(c.recv_type("command-result").await["data"]["data"]["browsers"].as_array().unwrap().len(), 2);
    let mut m = metadock(&srv).await;
    m.send(json!({"type": "browser", "action": "get_all_browsers", "id": 5})).await;
    let r = m.recv_type("command-result").await;
    assert_eq!((r["id"].clone(), r["data"]["data"]["browsers"].as_array().unwrap().len()), (json!(5), 2));
}

#[tokio::test]
async fn fan_out_reaches_every_browser_and_reports_each_under_its_uuid() {
    let srv = start_with(|c| c.command_timeout_ms = 1_500).await;
    let mut a = srv.browser("tab-a").await;
    let mut b = srv.browser("tab-b").await;
    let mut silent = srv.browser("tab-silent").await;
    let mut m = metadock(&srv).await;
    m.send(
        json!({"type": "browser", "action": "navigate_all", "params": {"url": "https://x.test/"}, "id": 3}),
    )
    .await;
    let ca = answer(&mut a, json!({"url": "https://x.test/"})).await;
    assert_eq!(
        (ca["data"]["action"].as_str(), ca["data"]["params"]["url"].as_str()),
        (Some("navigate"), Some("https://x.test/"))
    );
    // b fails, the silent one never answers: neither fails the others.
    let cb = b.recv_type("browser-action").await;
    b.send(json!({"id": cb["id"], "type": "command-result", "data": {"success": false, "data": null, "error": "net::ERR"}}))
        .await;
    assert_eq!(silent.recv_type("browser-action").await["data"]["action"], "navigate");
    let r = m.recv_type("command-result").await;
    assert_eq!(r["id"], json!(3), "{r}");
    assert_eq!(r["data"]["success"], true, "{r}");
    let results = &r["data"]["data"]["results"];
    assert_eq!(
        results[&a.session],
        json!({"success": true, "data": {"url": "https://x.test/"}, "error": null})
    );
    assert_eq!(results[&b.session]["error"], "net::ERR", "{r}");
    assert_eq!(results[&silent.session]["code"], "TIMEOUT", "{r}");
    assert_eq!(
        (r["data"]["data"]["total"].as_u64(), r["data"]["data"]["failed"].as_u64()),
        (Some(3), Some(2))
    );
}

#[tokio::test]
async fn execute_reload_and_close_all_send_the_single_browser_actions() {
    let srv = start().await;
    let mut a = srv.browser("tab-a").await;
    let mut b = srv.browser("tab-b").await;
    let mut m = metadock(&srv).await;
    for (action, each, params) in [
        ("execute_all", "execute_js", json!({"script": "1+1"})),
        ("reload_all", "reload", json!({})),
        ("close_all", "close_browser", json!({})),
    ] {
        m.send(json!({"type": "browser", "action": action, "params": params, "id": action})).await;
        for peer in [&mut a, &mut b] {
            let cmd = answer(peer, json!(2)).await;
            assert_eq!((cmd["data"]["action"].as_str(), &cmd["data"]["params"]), (Some(each), &params));
        }
        let r = m.recv_type("command-result").await;
        assert_eq!((r["id"].as_str(), r["data"]["data"]["failed"].as_u64()), (Some(action), Some(0)), "{r}");
        assert_eq!(r["data"]["data"]["results"][&a.session]["data"], 2);
    }
    // close_browser names one browser: it goes to that one only.
    m.send(json!({"type": "browser", "action": "close_browser", "browser_uuid": b.session, "id": 9})).await;
    answer(&mut b, json!({"closing": true})).await;
    assert!(a.gets_type_within("browser-action", Duration::from_millis(200)).await.is_none());
    assert_eq!(m.recv_type("command-result").await["id"], json!(9));
}

#[tokio::test]
async fn create_browser_answers_with_the_new_browsers_uuid_once_it_connects() {
    let srv = start().await;
    let mut a = browser_in(&srv, "1", 7).await;
    let mut m = metadock(&srv).await;
    m.send(json!({"type": "browser", "action": "create_browser", "params": {"url": "https://new.test/", "layout_uuid": "7"}, "id": 4}))
        .await;
    // The extension opens the tab and says its tab id; the new tab's session then connects.
    let cmd = answer(&mut a, json!({"tabId": "2", "windowId": 7, "url": "https://new.test/"})).await;
    assert_eq!(cmd["data"]["action"], "create_browser");
    assert_eq!(cmd["data"]["params"], json!({"url": "https://new.test/", "windowId": "7"}));
    let fresh = browser_in(&srv, "2", 7).await;
    let r = m.recv_type("command-result").await;
    assert_eq!(r["id"], json!(4), "{r}");
    assert_eq!(r["data"]["data"]["uuid"], fresh.session.as_str(), "{r}");
    assert_eq!(
        (r["data"]["data"]["via"].as_str(), r["data"]["data"]["layout_uuid"].as_str()),
        (Some(a.session.as_str()), Some("7"))
    );
    // The new browser takes commands by that uuid at once.
    m.send(json!({"type": "browser", "action": "get_title", "browser_uuid": fresh.session, "id": 5})).await;
    let mut fresh = fresh;
    answer(&mut fresh, json!("New")).await;
    assert_eq!(m.recv_type("command-result").await["data"]["data"], "New");
    // A layout with no browser in it is an error under the id as sent.
    m.send(json!({"type": "browser", "action": "create_browser", "params": {"layout_uuid": "99"}, "id": 6}))
        .await;
    let e = m.recv_type("error").await;
    assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (json!(6), Some("INVALID_SESSION")));
}

#[tokio::test]
async fn create_multiple_and_create_from_urls_open_one_browser_each_in_order() {
    let srv = start().await;
    let mut a = srv.browser("1").await;
    let mut m = metadock(&srv).await;
    m.send(json!({"type": "browser", "action": "create_from_urls", "params": {"urls": ["https://u1.test/", "https://u2.test/"]}, "id": 1}))
        .await;
    // A CDP-style answer names the new session directly; a failure is reported in its place.
    let c1 = answer(&mut a, json!({"sessionId": "cdp-new", "url": "https://u1.test/"})).await;
    assert_eq!(c1["data"]["params"]["url"], "https://u1.test/");
    let c2 = a.recv_type("browser-action").await;
    assert_eq!(c2["data"]["params"]["url"], "https://u2.test/");
    a.send(json!({"id": c2["id"], "type": "command-result", "data": {"success": false, "data": null, "error": "blocked"}}))
        .await;
    let r = m.recv_type("command-result").await;
    let list = r["data"]["data"]["browsers"].as_array().unwrap();
    assert_eq!(list[0]["data"]["uuid"], "cdp-new", "{r}");
    assert_eq!(list[1]["success"], false, "{r}");
    assert!(list[1]["error"].as_str().unwrap().contains("blocked"), "{r}");
    m.send(json!({"type": "browser", "action": "create_multiple", "params": {"browsers": [{"url": "https://m.test/"}]}, "id": 2}))
        .await;
    assert_eq!(
        answer(&mut a, json!({"sessionId": "cdp-m"})).await["data"]["params"]["url"],
        "https://m.test/"
    );
    let r = m.recv_type("command-result").await;
    assert_eq!(r["data"]["data"]["browsers"][0]["data"]["uuid"], "cdp-m", "{r}");
    // Bad params are a clear error.
    m.send(json!({"type": "browser", "action": "create_multiple", "params": {}, "id": 3})).await;
    let e = m.recv_type("error").await;
    assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (json!(3), Some("INVALID_MESSAGE")));
}

#[tokio::test]
async fn layout_actions_list_and_rename_a_window() {
    let srv = start().await;
    let a = browser_in(&srv, "1", 7).await;
    let b = browser_in(&srv, "2", 7).await;
    let _other = browser_in(&srv, "3", 8).await;
    let mut m = metadock(&srv).await;
    m.send(json!({"type": "layout", "action": "get_browsers", "layout_uuid": "7", "params": {}, "id": 1}))
        .await;
    let r = m.recv_type("command-result").await;
    assert_eq!(r["id"], json!(1), "{r}");
    let uuids: Vec<&str> = r["data"]["data"]["browsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, vec![a.session.as_str(), b.session.as_str()]);
    m.send(json!({"type": "layout", "action": "rename", "layout_uuid": "7", "params": {"name": "Checkout"}, "id": 2})).await;
    let r = m.recv_type("command-result").await;
    assert_eq!((r["id"].clone(), r["data"]["data"]["name"].as_str()), (json!(2), Some("Checkout")));
    // The name is kept in the registry: the layout lists it, and so does REST.
    m.send(json!({"type": "layout", "action": "get_browsers", "layout_uuid": 7, "id": 3})).await;
    assert_eq!(m.recv_type("command-result").await["data"]["data"]["name"], "Checkout");
    let (_, body) = srv.get_json("/api/browsers").await;
    assert_eq!(body["layouts"][0]["name"], "Checkout", "{body}");
    // Unknown layout, unknown action, empty name: clear errors under the id as sent.
    for (msg, code) in [
        (
            json!({"type": "layout", "action": "get_browsers", "layout_uuid": "99", "id": 4}),
            "INVALID_SESSION",
        ),
        (json!({"type": "layout", "action": "explode", "layout_uuid": "7", "id": 5}), "INVALID_MESSAGE"),
        (
            json!({"type": "layout", "action": "rename", "layout_uuid": "7", "params": {"name": " "}, "id": 6}),
            "INVALID_MESSAGE",
        ),
        (json!({"type": "layout", "action": "rename", "id": 7}), "INVALID_MESSAGE"),
    ] {
        let id = msg["id"].clone();
        m.send(msg).await;
        let e = m.recv_type("error").await;
        assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (id, Some(code)), "{e}");
    }
}

/// A browser-event as our extension sends it.
fn event(name: &str, fields: Value) -> Value {
    let mut data = fields;
    data["event"] = json!(name);
    data["timestamp"] = json!(1_736_000_000_000i64);
    json!({"type": "browser-event", "data": data})
}

#[tokio::test]
async fn subscriptions_push_browser_events_in_the_seeds_shape_until_stopped() {
    let srv = start().await;
    let mut a = browser_in(&srv, "1", 7).await;
    let mut b = browser_in(&srv, "2", 8).await;
    let mut m = metadock(&srv).await;
    // Stored before any subscription: never pushed.
    a.send(event("title_changed", json!({"title": "old", "url": "https://tab-a.test/"}))).await;
    srv.wait_events("type=browser-event", 1).await;
    m.send(
        json!({"type": "subscribe", "target": format!("browser:{}", a.session), "subscribe": true, "id": 1}),
    )
    .await;
    let ok = m.recv_type("subscribe").await;
    assert_eq!((ok["id"].clone(), ok["data"]["success"].as_bool()), (json!(1), Some(true)), "{ok}");
    b.send(event("title_changed", json!({"title": "B", "url": "https://tab-b.test/"}))).await;
    a.send(event("navigation_completed", json!({"url": "https://tab-a.test/next", "success": true}))).await;
    let pushed = m.recv_type("browser_event").await;
    assert_eq!(
        pushed,
        json!({"type": "browser_event", "browser_uuid": a.session, "event": "navigation_completed",
               "data": {"url": "https://tab-a.test/next", "success": true, "timestamp": "2025-01-04T14:13:20.000Z"},
               "timestamp": "2025-01-04T14:13:20.000Z"})
    );
    // layout:8 adds b's window; every kind of event the seed lists comes through.
    m.send(json!({"type": "subscribe", "target": "layout:8", "id": 2})).await;
    m.recv_type("subscribe").await;
    let kinds = [
        ("navigation_starting", json!({"url": "https://tab-b.test/"})),
        ("title_changed", json!({"title": "B2", "url": "https://tab-b.test/"})),
        ("source_changed", json!({"url": "https://tab-b.test/#x"})),
        (
            "download_starting",
            json!({"url": "https://tab-b.test/f.zip", "filename": "f.zip", "profile": null}),
        ),
        ("zoom_changed", json!({"zoom_factor": 1.25, "zoom_percent": 125})),
        (
            "audio_state_changed",
            json!({"is_playing_audio": true, "is_muted": false, "url": "https://tab-b.test/"}),
        ),
    ];
    for (name, fields) in &kinds {
        b.send(event(name, fields.clone())).await;
        let p = m.recv_type("browser_event").await;
        assert_eq!(
            (p["event"].as_str(), p["browser_uuid"].as_str()),
            (Some(*name), Some(b.session.as_str()))
        );
        for (k, v) in fields.as_object().unwrap() {
            assert_eq!(&p["data"][k], v, "{p}");
        }
        if *name == "download_starting" {
            // A download's URL is not taken for the page's.
            let (_, body) = srv.get_json("/api/browsers").await;
            let listed = body["browsers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["sessionId"] == b.session.as_str())
                .cloned();
            assert_eq!(listed.unwrap()["url"], "https://tab-b.test/#x", "{body}");
        }
    }
    // subscribe: false stops each; nothing more is pushed.
    for target in [format!("browser:{}", a.session), "layout:8".to_string()] {
        m.send(json!({"type": "subscribe", "target": target, "subscribe": false, "id": 3})).await;
        assert_eq!(m.recv_type("subscribe").await["data"]["subscribed"], false);
    }
    a.send(event("title_changed", json!({"title": "gone"}))).await;
    b.send(event("title_changed", json!({"title": "gone"}))).await;
    assert!(m.gets_type_within("browser_event", Duration::from_millis(300)).await.is_none());
    // system: every browser. A bad target is an error.
    m.send(json!({"type": "subscribe", "target": "system", "id": 4})).await;
    m.recv_type("subscribe").await;
    b.send(event("title_changed", json!({"title": "sys"}))).await;
    assert_eq!(m.recv_type("browser_event").await["data"]["title"], "sys");
    m.send(json!({"type": "subscribe", "target": "tab:1", "id": 5})).await;
    let e = m.recv_type("error").await;
    assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (json!(5), Some("INVALID_MESSAGE")));
}

#[tokio::test]
async fn keepalive_pings_on_the_interval_and_silence_past_the_timeout_closes() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    // The seed's 30 s / 60 s are the defaults; a test shortens them.
    assert_eq!(
        (
            triage_tui::config::Config::default().heartbeat_interval_ms,
            triage_tui::config::Config::default().heartbeat_timeout_ms
        ),
        (30_000, 60_000)
    );
    let srv = start_with(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 300;
    })
    .await;
    // A client that keeps reading answers each ping with a pong and stays connected.
    let mut m = metadock(&srv).await;
    let mut pings = 0;
    while pings < 5 {
        match tokio::time::timeout(WAIT, m.ws.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Message::Text(_)))) => {}
            other => panic!("the connection ended while alive: {other:?}"),
        }
    }
    m.send(json!({"type": "browser", "action": "get_all_browsers", "id": 1})).await;
    assert_eq!(m.recv_type("command-result").await["id"], json!(1));
    drop(m);
    // One that goes silent (reads nothing, so answers no ping) is closed: a close frame, or a
    // reset if the pongs it owes for the pings it reads late hit the closed socket first.
    let mut quiet = metadock(&srv).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let mut ended = false;
    while let Ok(Some(r)) = tokio::time::timeout(WAIT, quiet.ws.next()).await {
        match r {
            Ok(Message::Close(frame)) => {
                assert_eq!(frame.map(|f| f.reason.to_string()).as_deref(), Some("heartbeat timeout"));
                ended = true;
                break;
            }
            Ok(_) => {}
            Err(_) => {
                ended = true;
                break;
            }
        }
    }
    assert!(ended, "the silent client is still connected");
    let (_, health) = srv.get_json("/health").await;
    assert_eq!(health["timeouts"]["heartbeat"], 1, "{health}");
}

#[tokio::test]
async fn bad_layout_and_subscribe_messages_get_clear_errors_and_the_connection_lives() {
    let srv = start_with(|c| c.max_message_bytes = 4096).await;
    let mut m = metadock(&srv).await;
    let big = "x".repeat(5000);
    m.send(
        json!({"type": "layout", "action": "rename", "layout_uuid": "1", "params": {"name": big}, "id": 1}),
    )
    .await;
    assert_eq!(m.recv_type("error").await["data"]["code"], "MESSAGE_TOO_LARGE");
    m.send_text(r#"{"type":"layout","#).await;
    assert_eq!(m.recv_type("error").await["data"]["code"], "INVALID_MESSAGE");
    m.send(json!({"type": "subscribe", "target": 5, "id": 2})).await;
    let e = m.recv_type("error").await;
    assert_eq!((e["id"].clone(), e["data"]["code"].as_str()), (json!(2), Some("INVALID_MESSAGE")));
    m.send(json!({"type": "browser", "action": "get_all_browsers", "id": 3})).await;
    assert_eq!(m.recv_type("command-result").await["id"], json!(3));
}

#[tokio::test]
async fn layout_and_subscribe_wait_for_auth() {
    let srv = start_with(|c| c.token = Some("k3y".into())).await;
    for msg in [
        json!({"type": "layout", "action": "get_browsers", "layout_uuid": "1", "id": 1}),
        json!({"type": "subscribe", "target": "system", "id": 1}),
    ] {
        let mut p = Peer::connect(srv.addr, "/ws", &[], &[]).await.unwrap();
        assert_eq!(p.recv().await.unwrap()["type"], "welcome");
        p.send(msg).await;
        assert_eq!(p.recv_type("error").await["data"]["code"], "UNAUTHORIZED");
        assert!(p.recv().await.is_none(), "closed");
    }
}
