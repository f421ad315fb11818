//! `update` tests for the defects of issue 11 (each failed before its fix) and the features
//! that came with it: grouping, target, per-pane detail, stacks, Network type filter, filter
//! validation, replay, clear one pane, search, marks, time format, PAUSED count.

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use serde_json::{json, Value};

use super::tests::{press, press_code};
use super::*;
use crate::protocol::MessageType;
use crate::server::SessionInfo;
use crate::store::{Level, Raw, Store, StoredEvent};
use crate::ui::keymap::Keymap;
use crate::ui::state::{Selected, TimeFormat};
use crate::ui::theme::Theme;

fn state() -> State {
    let mut s = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    s.viewport = (100, 30);
    s.utc = true;
    s
}

fn tab(id: &str, title: &str, url: &str, last_active: i64) -> SessionInfo {
    SessionInfo {
        session_id: id.into(),
        tab_id: Some("7".into()),
        url: Some(url.into()),
        title: Some(title.into()),
        remote: "127.0.0.1:5000".into(),
        last_active,
        ..SessionInfo::default()
    }
}

fn two_tabs() -> State {
    let mut s = state();
    s.set_sessions(vec![
        tab("ext-650a96a7703a", "Cart", "https://shop.example.com/cart", 5),
        tab("ext-77b1", "Docs", "https://docs.example.org/", 9),
    ]);
    s
}

fn ev(ty: MessageType, level: Level, status: u16, session: &str, ms: i64, data: Value) -> StoredEvent {
    let raw = json!({"id": format!("e{ms}"), "type": ty.as_str(), "timestamp": ms, "data": data,
                     "metadata": {"sessionId": session}});
    StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms: ms,
        session: session.into(),
        raw: Raw::from(raw.to_string().into_bytes()).into(),
    }
}

fn log(msg: &str, args: Value, ms: i64) -> StoredEvent {
    ev(MessageType::ConsoleLog, Level::Info, 0, "ext-650a96a7703a", ms, json!({"message": msg, "args": args}))
}

fn synced(s: &mut State, store: &Store) {
    while s.sync(store, Instant::now() + Duration::from_secs(5)) {}
    s.prepare(store);
}

fn command(effects: &[Effect]) -> &Command {
    match effects.iter().find_map(|e| match e {
        Effect::Command { command, .. } => Some(command),
        _ => None,
    }) {
        Some(c) => c,
        None => panic!("no command in {effects:?}"),
    }
}

#[test]
fn groups_only_identical_events_next_to_each_other_in_the_log() {
    let mut store = Store::new(Default::default());
    // Same text, different args: not one group.
    store.append(log("[ws] message", json!(["[ws] message", {"n": 1}]), 1000));
    store.append(log("[ws] message", json!(["[ws] message", {"n": 2}]), 1001));
    // Identical and adjacent: one group of two.
    store.append(log("tick", json!(["tick"]), 1002));
    store.append(log("tick", json!(["tick"]), 1003));
    // Identical but something else came between them: two rows.
    store.append(log("[ws] message", json!(["[ws] message", {"n": 3}]), 1004));
    store.append(log("other", json!([]), 1005));
    store.append(log("[ws] message", json!(["[ws] message", {"n": 3}]), 1006));
    let mut s = state();
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [0, 1, 2, 4, 5, 6]);
    assert_eq!(s.views[0].count_of(2), 2);
    // A filter hides "other" but does not join what it separated.
    press(&mut s, "/\"[ws] message\"");
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [0, 1, 4, 6], "interleaved events are never grouped");
    assert!(s.views[0].dups.is_empty());
    // The group's detail gives its first and last time; = shows every event on its own row.
    press_code(&mut s, KeyCode::Esc);
    synced(&mut s, &store);
    s.views[0].go_top();
    s.views[0].move_by(2);
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    let text: Vec<String> =
        s.detail.as_ref().unwrap().lines.iter().map(|l| format!("{} {}", l.key, l.text)).collect();
    assert!(text.iter().any(|l| l.contains("2 identical messages in a row")), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("first") && l.contains("00:00:01.002")), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("last") && l.contains("00:00:01.003")), "{text:?}");
    press(&mut s, "=");
    synced(&mut s, &store);
    assert_eq!(s.views[0].items.len(), 7, "ungrouped: every event its own row");
}

#[test]
fn auto_target_is_the_selected_rows_tab_and_results_name_it() {
    let mut s = two_tabs();
    let mut store = Store::new(Default::default());
    store.append(log("on cart", json!([]), 1));
    store.append(ev(MessageType::ConsoleLog, Level::Info, 0, "ext-77b1", 2, json!({"message": "on docs"})));
    synced(&mut s, &store);
    // Follow selects the newest row (the Docs tab): every command goes there.
    for key in ["n", "r", "[", "]"] {
        let effects = press(&mut s, key);
        let effects = if key == "n" {
            assert!(matches!(&s.modal, Modal::Prompt(p) if p.title.contains("Docs · docs.example.org")));
            press(&mut s, "x.dev");
            press_code(&mut s, KeyCode::Enter)
        } else {
            effects
        };
        assert_eq!(command(&effects).target.as_deref(), Some("ext-77b1"), "{key}");
    }
    assert!(s.target_summary().contains("Docs · docs.example.org"), "{}", s.target_summary());
    assert!(!s.target_summary().contains("ext-"), "named by title and host, not id");
    // Select the Cart row: the same keys now go to Cart.
    press(&mut s, "k");
    s.prepare(&store);
    let effects = press(&mut s, "r");
    assert_eq!(command(&effects).target.as_deref(), Some("ext-650a96a7703a"));
    let Effect::Command { target_name, .. } = &effects[0] else { panic!() };
    assert_eq!(target_name, "Cart · shop.example.com");
    let outcome = outcome_of(
        1,
        "forward",
        target_name,
        MessageType::BrowserAction,
        false,
        &json!({}),
        Err(crate::protocol::ProtocolError::new(
            crate::protocol::ErrorCode::ServerError,
            "no forward history",
        )),
    );
    assert_eq!(outcome.message, "Could not go forward in Cart · shop.example.com: no forward history");
}

#[test]
fn a_prompt_sends_to_the_tab_it_names() {
    let mut s = two_tabs();
    // Following: auto is the most recently active tab, Docs.
    press(&mut s, "e");
    assert!(matches!(&s.modal, Modal::Prompt(p) if p.title.contains("Docs")));
    // Cart becomes the most recently active while the prompt is open.
    s.set_sessions(vec![
        tab("ext-650a96a7703a", "Cart", "https://shop.example.com/cart", 50),
        tab("ext-77b1", "Docs", "https://docs.example.org/", 9),
    ]);
    press(&mut s, "1");
    let effects = press_code(&mut s, KeyCode::Enter);
    assert_eq!(command(&effects).target.as_deref(), Some("ext-77b1"));
}

#[test]
fn detail_is_per_pane_and_follows_the_filter() {
    let mut s = two_tabs();
    let mut store = Store::new(Default::default());
    store.append(log("just info", json!([]), 1));
    store.append(ev(MessageType::ConsoleError, Level::Error, 0, "ext-77b1", 2, json!({"message": "boom"})));
    store.append(log("more info", json!([]), 3));
    synced(&mut s, &store);
    press(&mut s, "g");
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    assert!(s.detail.as_ref().unwrap().lines[0].text.contains("console-log"));
    press(&mut s, "/level:error");
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    match &s.selected_item {
        Some(Selected::Event(_, e)) => {
            assert_eq!(e.level, Level::Error, "the detail moved to a row of the view")
        }
        other => panic!("{other:?}"),
    }
    assert!(s.detail.as_ref().unwrap().lines[0].text.contains("console-error"));
    // Network has its own detail, closed.
    press(&mut s, "2");
    assert!(!s.detail_is_open());
    press(&mut s, "1");
    assert!(s.detail_is_open());
}

#[test]
fn stacks_one_frame_per_line_not_repeated_in_args_and_y_copies_them() {
    let stack = "TypeError: x is undefined\n    at render (https://shop.example.com/static/js/vendor.js:655:7)\n    at main (app.js:1:1)";
    let mut store = Store::new(Default::default());
    store.append(ev(
        MessageType::ConsoleError,
        Level::Error,
        0,
        "ext-650a96a7703a",
        1,
        json!({"message": "TypeError: x is undefined", "args": ["TypeError: x is undefined", stack], "stack": stack}),
    ));
    let mut s = state();
    s.viewport = (60, 40);
    synced(&mut s, &store);
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    let lines = &s.detail.as_ref().unwrap().lines;
    let frames: Vec<&str> =
        lines.iter().filter(|l| l.kind == crate::ui::panes::DKind::Frame).map(|l| l.text.as_str()).collect();
    assert!(frames.iter().any(|l| l.trim() == "at render"), "{frames:?}");
    assert!(
        frames.iter().any(|l| l.trim() == "(https://shop.example.com/static/js/vendor.js:655:7)"),
        "never cut mid-token: {frames:?}"
    );
    assert!(!lines.iter().any(|l| l.text.contains("\\n")), "no escaped newlines under Args");
    assert_eq!(
        lines.iter().filter(|l| l.text.contains("at main (app.js:1:1)")).count(),
        1,
        "the stack is shown once"
    );
    match &press(&mut s, "Y")[..] {
        [Effect::Copy { text, what }] => {
            assert!(
                text.starts_with("TypeError: x is undefined\n") && text.contains("at main (app.js:1:1)"),
                "{text}"
            );
            assert_eq!(what, "message and stack");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn network_type_filter_and_unknown_timings() {
    let mut store = Store::new(Default::default());
    let req = |url: &str, kind: &str, duration: f64| {
        ev(
            MessageType::NetworkRequest,
            Level::Info,
            200,
            "ext-650a96a7703a",
            1,
            json!({"url": url, "method": "GET", "status": 200, "resourceType": kind, "duration": duration}),
        )
    };
    store.append(req("https://shop.example.com/api/cart", "Fetch", 12.0));
    store.append(req("https://shop.example.com/static/app.css", "Stylesheet", -1.0));
    store.append(req("https://shop.example.com/", "Document", 80.0));
    let mut s = state();
    press(&mut s, "2");
    synced(&mut s, &store);
    for (filter, n) in [("type:fetch", 1), ("type:css", 1), ("type:doc", 1), ("-type:fetch", 2)] {
        press(&mut s, "/");
        update(&mut s, Action::Input(InputKey::KillLine));
        press(&mut s, filter);
        press_code(&mut s, KeyCode::Enter);
        synced(&mut s, &store);
        assert_eq!(s.views[1].items.len(), n, "{filter}");
    }
    let row = crate::ui::panes::network::row(
        &store.log(crate::store::Category::Network).get(1).unwrap(),
        &store.log(crate::store::Category::Network).get(1).unwrap().envelope(),
        true,
    );
    assert_eq!(row.cells[6], "—", "an unknown timing reads —, not -1 ms");
    assert_eq!(row.cells[3], "css");
}

#[test]
fn a_bad_filter_is_refused_with_its_hint_and_the_list_is_kept() {
    let mut store = Store::new(Default::default());
    store.append(ev(
        MessageType::NetworkRequest,
        Level::Info,
        404,
        "ext-650a96a7703a",
        1,
        json!({"url": "https://x.dev/a", "status": 404}),
    ));
    let mut s = state();
    press(&mut s, "2");
    synced(&mut s, &store);
    press(&mut s, "/status:abc");
    press_code(&mut s, KeyCode::Enter);
    assert!(
        matches!(&s.modal, Modal::Filter { error: Some(e), .. } if e.contains("status:>=400")),
        "{:?}",
        s.modal
    );
    synced(&mut s, &store);
    assert_eq!(s.views[1].items.len(), 1, "nothing half-typed was applied");
    assert!(s.views[1].filter.as_ref().is_none_or(|f| !f.text().contains(':')), "status:… was not applied");
}

#[test]
fn free_text_matches_what_the_row_shows() {
    let mut store = Store::new(Default::default());
    store.append(ev(
        MessageType::ScreenshotResponse,
        Level::Info,
        0,
        "ext-650a96a7703a",
        1,
        json!({"success": true, "path": "/d/shot-1.png"}),
    ));
    store.append(log("unrelated", json!([]), 2));
    let mut s = state();
    synced(&mut s, &store);
    press(&mut s, "/saved");
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [0], "the row reads “screenshot saved …”");
}

#[test]
fn a_filter_rescan_is_work_the_loop_must_finish_without_new_traffic() {
    let mut store = Store::new(Default::default());
    for i in 0..600 {
        store.append(log(&format!("alpha {i}"), json!([]), i));
    }
    let mut s = state();
    synced(&mut s, &store);
    assert!(!s.needs_sync());
    press(&mut s, "/alpha 59");
    assert!(s.needs_sync(), "a new filter asks the loop for a rescan");
    synced(&mut s, &store);
    assert!(!s.needs_sync());
    // "alpha 59", "alpha 590"…"599" and "alpha 159"…"559".
    assert_eq!(s.views[0].items.len(), 16);
}

#[test]
fn replay_is_read_only_and_clearing_asks() {
    let mut s = two_tabs();
    s.replay = Some("session.ndjson".into());
    for key in ["r", "s", "["] {
        assert!(press(&mut s, key).is_empty(), "{key}");
        assert!(s.toast.as_ref().unwrap().text.starts_with("Read-only: this is a replay of session.ndjson"));
    }
    press(&mut s, "e");
    assert_eq!(s.modal, Modal::None, "no prompt for a command that cannot run");
    assert!(press(&mut s, "C").is_empty());
    assert!(matches!(s.modal, Modal::Confirm(_)));
    assert!(press(&mut s, "n").is_empty());
    assert_eq!(s.modal, Modal::None);
    press(&mut s, "C");
    assert!(matches!(&press(&mut s, "y")[..], [Effect::ClearStore]));
}

#[test]
fn c_clears_the_current_pane_only() {
    let mut store = Store::new(Default::default());
    store.append(log("old", json!([]), 1));
    store.append(ev(
        MessageType::NetworkRequest,
        Level::Info,
        200,
        "ext-650a96a7703a",
        2,
        json!({"url": "https://x.dev/"}),
    ));
    let mut s = two_tabs();
    synced(&mut s, &store);
    assert!(press(&mut s, "c").is_empty(), "no command to the browser");
    synced(&mut s, &store);
    assert!(s.views[0].items.is_empty());
    assert_eq!(s.views[1].items.len(), 1, "Network keeps its rows");
    store.append(log("new", json!([]), 3));
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [1]);
    // A new filter does not bring the cleared rows back.
    press(&mut s, "/o");
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [1]);
}

#[test]
fn frames_start_on_the_pages_own_sockets() {
    let s = state();
    assert_eq!(s.views[3].filter.as_ref().map(|f| f.text()), Some("type:page"));
}

#[test]
fn search_highlights_without_hiding_and_jumps() {
    let mut store = Store::new(Default::default());
    for (i, m) in ["a needle", "hay 1", "hay 2", "another needle", "hay 3"].iter().enumerate() {
        store.append(log(m, json!([]), i as i64));
    }
    store.append(ev(
        MessageType::ConsoleLog,
        Level::Warn,
        0,
        "ext-650a96a7703a",
        9,
        json!({"message": "careful"}),
    ));
    let mut s = state();
    synced(&mut s, &store);
    update(&mut s, Action::Search);
    press(&mut s, "needle");
    assert_eq!(s.views[0].items.len(), 6, "search hides nothing");
    press_code(&mut s, KeyCode::Enter);
    press(&mut s, "g");
    synced(&mut s, &store);
    update(&mut s, Action::NextMatch);
    synced(&mut s, &store);
    assert_eq!(s.views[0].selected, Some(3));
    update(&mut s, Action::PrevMatch);
    synced(&mut s, &store);
    assert_eq!(s.views[0].selected, Some(0));
    press(&mut s, "}");
    synced(&mut s, &store);
    assert_eq!(s.views[0].selected, Some(5), "next error or warning");
    press(&mut s, "}");
    synced(&mut s, &store);
    assert!(s.toast.as_ref().unwrap().text.contains("No error or warning below"));
}

#[test]
fn marks_filter_and_are_recorded() {
    let mut store = Store::new(Default::default());
    for i in 0..3 {
        store.append(log(&format!("m{i}"), json!([]), i));
    }
    let mut s = state();
    synced(&mut s, &store);
    press(&mut s, "k");
    s.prepare(&store);
    let effects = press(&mut s, "m");
    let key = crate::ui::panes::mark_key(&store.log(crate::store::Category::Console).get(1).unwrap());
    assert!(
        matches!(&effects[..], [Effect::RecordMark { marked: true, key: k }] if *k == key),
        "{effects:?}"
    );
    press(&mut s, "/is:marked");
    press_code(&mut s, KeyCode::Enter);
    synced(&mut s, &store);
    assert_eq!(s.views[0].items, [1]);
    press(&mut s, "m");
    synced(&mut s, &store);
    assert!(s.views[0].items.is_empty(), "unmarking updates an is:marked filter");
}

#[test]
fn time_format_cycles_and_paused_counts_arrivals() {
    let mut store = Store::new(Default::default());
    store.append(log("a", json!([]), 1));
    let mut s = state();
    synced(&mut s, &store);
    press(&mut s, "T");
    assert_eq!(s.time_format, TimeFormat::SincePrevious);
    press(&mut s, "TT");
    assert_eq!(s.time_format, TimeFormat::Absolute);
    press(&mut s, "f");
    for i in 0..3 {
        store.append(log(&format!("n{i}"), json!([]), 10 + i));
    }
    synced(&mut s, &store);
    assert_eq!(s.views[0].arrived_since_pause(), 3);
    press(&mut s, "G");
    assert_eq!(s.views[0].arrived_since_pause(), 0);
}
