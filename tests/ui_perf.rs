//! Figures for the UI's budgets with a million events (run: `cargo test --release --test
//! ui_perf -- --ignored --nocapture`). Ignored by default: they print figures, they do not
//! assert on time (the benchmark issue owns the thresholds).

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use triage_tui::store::Raw;

use triage_tui::protocol::MessageType;
use triage_tui::store::{Capacities, Level, Store, StoredEvent};
use triage_tui::ui::action::Pane;
use triage_tui::ui::filter::Filter;
use triage_tui::ui::{render, Keymap, State, Theme};

const N: usize = 1_000_000;

fn big_store() -> Store {
    let caps = Capacities { console: N, network: N, elements: 10, frames: 10 };
    let mut s = Store::new(caps);
    s.set_max_bytes(usize::MAX); // a million of each, whatever they weigh
    for i in 0..N {
        let failed = i % 50 == 0;
        let path = if i % 3 == 0 { "api/users" } else { "static/app.js" };
        let env = json!({
            "type": "network-request",
            "timestamp": 1_767_225_600_000i64 + i as i64,
            "data": {"url": format!("https://shop.example.com/{path}?n={i}"), "method": if i % 7 == 0 { "POST" } else { "GET" },
                     "status": if failed { 500 } else { 200 }, "duration": 12, "size": {"response": 2048},
                     "headers": {"request": {"Accept": "application/json"}}},
            "metadata": {"sessionId": "ext-1"}
        });
        s.append(StoredEvent {
            seq: 0,
            ty: MessageType::NetworkRequest,
            level: if failed { Level::Error } else { Level::Info },
            status: if failed { 500 } else { 200 },
            timestamp_ms: 1_767_225_600_000 + i as i64,
            session: "ext-1".into(),
            raw: Raw::from(env.to_string().into_bytes()).into(),
        });
        let level = match i % 10 {
            0 => Level::Error,
            1 => Level::Warn,
            _ => Level::Log,
        };
        let env = json!({"type": "console-log", "data": {"level": level.as_str(), "message": format!("message number {}", i % 1000), "source": "app.js:1"}});
        s.append(StoredEvent {
            seq: 0,
            ty: MessageType::ConsoleLog,
            level,
            status: 0,
            timestamp_ms: 1_767_225_600_000 + i as i64,
            session: "ext-1".into(),
            raw: Raw::from(env.to_string().into_bytes()).into(),
        });
    }
    s
}

#[test]
#[ignore]
fn million_event_figures() {
    let t = Instant::now();
    let store = big_store();
    println!("built 2 x {N} events in {:?}", t.elapsed());
    let mut state = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    state.viewport = (160, 45);
    let far = Instant::now() + Duration::from_secs(600);

    let t = Instant::now();
    state.sync(&store, far);
    println!("first sync (no filter, console dedupe + network) of 2 x {N}: {:?}", t.elapsed());

    for text in ["level:error url:api", "method:POST status:>=400", "users", "-static"] {
        state.views[Pane::Network.index()].set_filter(Filter::parse(text).unwrap());
        let t = Instant::now();
        state.sync(&store, far);
        println!(
            "filter `{text}` over {N} network events: {:?} ({} match)",
            t.elapsed(),
            state.views[Pane::Network.index()].items.len()
        );
    }
    state.views[Pane::Network.index()].set_filter(None);
    state.sync(&store, far);

    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    for pane in Pane::ALL {
        state.pane = pane;
        for detail in [false, true] {
            state.detail_open = [detail; 5];
            let t = Instant::now();
            state.prepare(&store);
            terminal.draw(|f| render(&state, f)).unwrap();
            let cold = t.elapsed();
            let runs = 200;
            let t = Instant::now();
            for _ in 0..runs {
                state.prepare(&store);
                terminal.draw(|f| render(&state, f)).unwrap();
            }
            println!(
                "{pane:?} detail={detail}: first frame {cold:?}, then {:?} per frame",
                t.elapsed() / runs
            );
        }
    }

    // Ingest: new events arriving while following (the per-frame incremental sync).
    let mut store = store;
    let batch = 10_000;
    let t = Instant::now();
    for i in 0..batch {
        let env = json!({"type": "console-log", "data": {"level": "log", "message": format!("late {i}")}});
        store.append(StoredEvent {
            seq: 0,
            ty: MessageType::ConsoleLog,
            level: Level::Log,
            status: 0,
            timestamp_ms: 0,
            session: "ext-1".into(),
            raw: Raw::from(env.to_string().into_bytes()).into(),
        });
    }
    let append = t.elapsed();
    let t = Instant::now();
    state.sync(&store, far);
    println!(
        "{batch} new events (the store evicting as many): appended in {append:?}; UI sync {:?} ({:?} per event)",
        t.elapsed(),
        t.elapsed() / batch
    );
}
