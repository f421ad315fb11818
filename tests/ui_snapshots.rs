//! Whole-screen snapshots of the UI (ratatui `TestBackend` + insta) at 80x24 and 160x45:
//! every pane with its detail, the lists, the empty states, the help overlay, the palette and
//! the filter prompt. Times, ports and ids are filtered; CI runs with INSTA_UPDATE=no.

use std::time::{Duration, Instant};

use base64::Engine;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use triage_tui::store::Raw;

use triage_tui::protocol::MessageType;
use triage_tui::server::{PeerKind, SessionInfo};
use triage_tui::store::{Direction, FrameOrigin, FrameRecord, Level, Store, StoredEvent};
use triage_tui::ui::action::{Action, CommandOutcome, Pane};
use triage_tui::ui::{render, update, Keymap, State, Theme};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn ev(ty: MessageType, level: Level, status: u16, offset_ms: i64, data: serde_json::Value) -> StoredEvent {
    let env = json!({
        "id": format!("msg-{offset_ms}"),
        "type": ty.as_str(),
        "timestamp": T0 + offset_ms,
        "data": data,
        "metadata": {"sessionId": "ext-demo01", "tabId": "tab-7", "url": "https://shop.example.com/cart"}
    });
    StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms: T0 + offset_ms,
        session: "ext-demo01".into(),
        raw: Raw::from(env.to_string().into_bytes()).into(),
    }
}

fn fixture_store() -> Store {
    let mut s = Store::new(Default::default());
    for i in 0..3 {
        s.append(ev(
            MessageType::ConsoleLog,
            Level::Info,
            0,
            i * 10,
            json!({"level":"info","message":"Application started","args":["Application","started",{"version":"1.0"}],"source":"app.js:42:8"}),
        ));
    }
    s.append(ev(
        MessageType::ConsoleError,
        Level::Error,
        0,
        100,
        json!({"level":"error","message":"Uncaught TypeError: Cannot read property 'x' of undefined \u{1b}[31mred\u{1b}]0;pwned\u{7}","source":"app.js:15:5",
               "stack":"TypeError: Cannot read property 'x' of undefined\n    at Object.handleClick (app.js:15:5)\n    at HTMLButtonElement.onclick (index.html:1:1)"}),
    ));
    s.append(ev(
        MessageType::ConsoleLog,
        Level::Warn,
        0,
        200,
        json!({"level":"warn","message":format!("Deprecated API: use fetch() instead {}", "x".repeat(200)),"source":"legacy.js:3:1"}),
    ));
    s.append(ev(
        MessageType::BrowserEvent,
        Level::Info,
        0,
        300,
        json!({"event":"navigation_completed","url":"https://shop.example.com/cart","title":"Cart"}),
    ));
    s.append(ev(
        MessageType::ScreenshotResponse,
        Level::Info,
        0,
        400,
        json!({"success":true,"path":"/data/screenshots/shot-1.png","screenshotId":"shot-1","size":150240,"format":"png","dimensions":{"width":1280,"height":800}}),
    ));
    s.append(ev(
        MessageType::NetworkRequest,
        Level::Info,
        200,
        500,
        json!({"url":"https://api.example.com/users?page=1","method":"GET","status":200,"statusText":"OK","duration":145,
               "size":{"request":512,"response":2048},
               "headers":{"request":{"Authorization":"[REDACTED]","Content-Type":"application/json"},"response":{"Content-Type":"application/json","Cache-Control":"max-age=300"}},
               "body":{"request":"{\"page\": 1}","response":"{\"users\": [{\"id\": 1, \"name\": \"Ada\"}]}"},
               "timing":{"dns":2,"connect":10,"ttfb":120}}),
    ));
    s.append(ev(
        MessageType::NetworkError,
        Level::Error,
        500,
        600,
        json!({"url":"https://api.example.com/orders","method":"POST","status":500,"statusText":"Internal Server Error","error":"Server returned 500 status","duration":5000}),
    ));
    s.append(ev(
        MessageType::NetworkRequest,
        Level::Info,
        304,
        700,
        json!({"url":"https://cdn.example.com/app.css","method":"GET","status":304,"duration":12,"size":{"response":0}}),
    ));
    s.append(ev(
        MessageType::ElementSelected,
        Level::Info,
        0,
        800,
        json!({"element":{"tagName":"DIV","id":"main-content","className":"container mt-4",
               "attributes":{"data-testid":"main","role":"main"},"dimensions":{"width":1200,"height":800,"top":100,"left":0},
               "styles":{"backgroundColor":"rgb(255, 255, 255)","color":"rgb(33, 37, 41)"},
               "innerHTML":"<h1>Welcome</h1><p>Content...</p>","textContent":"Welcome Content...",
               "xpath":"/html/body/div[1]/main/div[1]","cssSelector":"#main-content"}}),
    ));
    let frames: [(Direction, u8, &[u8], FrameOrigin); 4] = [
        (Direction::ClientToServer, 1, br#"{"op":"subscribe","channel":"prices"}"#, FrameOrigin::Page),
        (Direction::ServerToClient, 1, br#"{"channel":"prices","data":{"BTC":97000.5}}"#, FrameOrigin::Page),
        (
            Direction::ServerToClient,
            2,
            &[0, 1, 2, 3, 0xde, 0xad, 0xbe, 0xef, b'h', b'i', 10, 255, 7, 8, 9, 10, 11, 12, 13],
            FrameOrigin::Page,
        ),
        (Direction::ClientToServer, 9, b"ping", FrameOrigin::Connector),
    ];
    for (i, (direction, opcode, data, origin)) in frames.into_iter().enumerate() {
        let seq = s.next_seq();
        let page = origin == FrameOrigin::Page;
        s.frames.push(FrameRecord {
            seq,
            traffic_id: if page { "page-ws-1".into() } else { "ext-demo01".into() },
            session: "ext-demo01".into(),
            timestamp_ms: T0 + 900 + i as i64,
            direction,
            opcode,
            data: Some(Raw::from(data)),
            length: data.len() as u64,
            origin,
            url: page.then(|| "wss://stream.example.com/".into()),
        });
    }
    s
}

fn session(id: &str, kind: PeerKind, url: Option<&str>) -> SessionInfo {
    SessionInfo {
        session_id: id.into(),
        kind,
        tab_id: (kind == PeerKind::Extension).then(|| "tab-7".into()),
        url: url.map(Into::into),
        title: Some("Cart".into()),
        client_type: (kind == PeerKind::Client).then(|| "mcp-server".into()),
        subprotocol: Some("rapidtriage-extension-v1".into()),
        remote: "127.0.0.1:50000".into(),
        connected_at: T0,
        last_active: T0 + 1000,
        messages: 42,
        messages_out: 3,
        ..SessionInfo::default()
    }
}

fn state(size: (u16, u16)) -> State {
    let mut s = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    s.viewport = size;
    s.utc = true;
    s
}

fn populated(size: (u16, u16)) -> (State, Store) {
    let store = fixture_store();
    let mut s = state(size);
    s.set_sessions(vec![
        session("ext-demo01", PeerKind::Extension, Some("https://shop.example.com/cart")),
        session("cli-tool0001", PeerKind::Client, None),
    ]);
    s.status.events_per_sec = 12.0;
    s.sync(&store, Instant::now() + Duration::from_secs(5));
    (s, store)
}

/// The screen as text, one line per row, trailing spaces trimmed.
fn draw(state: &mut State, store: &Store) -> String {
    state.prepare(store);
    let (w, h) = state.viewport;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(state, f)).unwrap();
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

macro_rules! snap {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\d{2}:\d{2}:\d{2}\.\d{3}", "[time]"),
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
                (r"shot-\d+(-\d+)?", "shot-[id]"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];

fn size_name((w, h): (u16, u16)) -> String {
    format!("{w}x{h}")
}

#[test]
fn every_pane_with_its_detail() {
    for size in SIZES {
        for pane in Pane::ALL {
            let (mut s, store) = populated(size);
            s.pane = pane;
            s.detail_open = [true; 5];
            // Select an interesting row: the error in Console and Network.
            match pane {
                Pane::Console => {
                    s.views[0].follow = false;
                    s.views[0].selected = Some(3);
                }
                Pane::Network => {
                    s.views[1].follow = false;
                    s.views[1].selected = Some(1);
                }
                Pane::Frames => {
                    s.views[3].follow = false;
                    s.views[3].selected = Some(1);
                }
                _ => {}
            }
            let text = draw(&mut s, &store);
            snap!(format!("{}_detail_{}", pane.title().to_lowercase(), size_name(size)), text);
        }
    }
}

#[test]
fn lists_without_detail() {
    for size in SIZES {
        for pane in [Pane::Console, Pane::Network, Pane::Frames] {
            let (mut s, store) = populated(size);
            s.pane = pane;
            let text = draw(&mut s, &store);
            snap!(format!("{}_list_{}", pane.title().to_lowercase(), size_name(size)), text);
        }
    }
}

#[test]
fn empty_states() {
    for size in SIZES {
        for pane in Pane::ALL {
            let store = Store::new(Default::default());
            let mut s = state(size);
            s.pane = pane;
            s.sync(&store, Instant::now() + Duration::from_secs(1));
            let text = draw(&mut s, &store);
            snap!(format!("{}_empty_{}", pane.title().to_lowercase(), size_name(size)), text);
        }
    }
}

#[test]
fn help_overlay_from_the_keymap() {
    for size in SIZES {
        let (mut s, store) = populated(size);
        update(&mut s, Action::Help);
        let text = draw(&mut s, &store);
        assert!(text.contains("screenshot (visible)"), "{text}");
        snap!(format!("help_{}", size_name(size)), text);
    }
}

#[test]
fn palette_filter_prompt_and_command_status() {
    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::Palette);
    for c in "cookie".chars() {
        update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Char(c)));
    }
    snap!("palette_80x24", draw(&mut s, &store));

    let (mut s, store) = populated((160, 45));
    update(&mut s, Action::Filter);
    for c in "level:error".chars() {
        update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Char(c)));
    }
    s.sync(&store, Instant::now() + Duration::from_secs(5));
    let text = draw(&mut s, &store);
    assert!(text.contains("1 match"), "{text}");
    snap!("filter_prompt_160x45", text);

    let (mut s, store) = populated((160, 45));
    let effects = update(&mut s, Action::Screenshot);
    let id = match &effects[..] {
        [triage_tui::ui::Effect::Command { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let text = draw(&mut s, &store);
    assert!(text.contains("screenshot → Cart · shop.example.com … pending"), "{text}");
    update(
        &mut s,
        Action::CommandDone(CommandOutcome {
            id,
            label: "screenshot".into(),
            ok: true,
            message: "screenshot saved /data/screenshots/shot-2.png (1.2 KB)".into(),
            duration_ms: 120,
            result: None,
            session: Some("ext-demo01".into()),
        }),
    );
    snap!("command_done_160x45", draw(&mut s, &store));
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let (mut s, store) = populated((160, 45));
    s.detail_open = [true; 5];
    s.views[0].follow = false;
    s.views[0].selected = Some(3);
    let text = draw(&mut s, &store);
    assert!(!text.chars().any(|c| c == '\u{1b}' || c == '\u{7}'), "{text}");
    assert!(text.contains("␛[31mred") && text.contains("pwned␇"), "{text}");
}

#[test]
fn base64_is_what_frames_store() {
    // Keeps the fixture honest: frames hold raw bytes, to_json shows base64 (seed 003).
    let store = fixture_store();
    let f = store.frames.log().get(0).unwrap();
    let b64 = f.to_json()["data"].as_str().unwrap().to_string();
    assert_eq!(
        base64::engine::general_purpose::STANDARD.decode(b64).unwrap(),
        f.data.clone().unwrap().to_vec()
    );
}

/// The box an overlay draws: every row between its top and bottom border is closed on both
/// sides, so nothing leaks past it, and the whole box is on screen.
fn assert_boxed(text: &str, title: &str) {
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let top = lines.iter().position(|l| l.iter().collect::<String>().contains(title)).expect(title);
    let left = lines[top].iter().position(|&c| c == '╭').expect("top-left corner");
    let right = lines[top].iter().position(|&c| c == '╮').expect("top-right corner");
    let bottom = (top + 1..lines.len()).find(|&y| lines[y].get(left) == Some(&'╰')).expect("bottom border");
    assert_eq!(lines[bottom].get(right), Some(&'╯'), "{text}");
    for (y, line) in lines.iter().enumerate().take(bottom).skip(top + 1) {
        assert_eq!(line.get(left), Some(&'│'), "row {y} left\n{text}");
        assert_eq!(line.get(right), Some(&'│'), "row {y} right\n{text}");
    }
}

#[test]
fn every_overlay_fits_at_80x24() {
    use triage_tui::ui::action::InputKey;
    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::Help);
    let text = draw(&mut s, &store);
    assert_boxed(&text, "Keys (from your keymap)");
    assert!(text.contains("j/k scroll"), "a help taller than the screen says it scrolls\n{text}");
    // Scrolled to the end, the last entries and notes show, still inside the box.
    for _ in 0..40 {
        update(&mut s, Action::Input(InputKey::Down));
    }
    let text = draw(&mut s, &store);
    assert_boxed(&text, "Keys (from your keymap)");
    assert!(text.contains("Rebind keys"), "{text}");
    snap!("help_end_80x24", text);

    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::ChooseTarget);
    let text = draw(&mut s, &store);
    assert_boxed(&text, "Target browser");
    assert!(text.contains("Cart · shop.example.com"), "tabs by title and host\n{text}");
    snap!("target_80x24", text);

    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::ClearLogs);
    let text = draw(&mut s, &store);
    assert_boxed(&text, "Clear everything");
    snap!("confirm_clear_80x24", text);

    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::Palette);
    assert_boxed(&draw(&mut s, &store), "Command palette");
    // With no overlay the footer names the help key, whatever the width.
    let (mut s, store) = populated((80, 24));
    assert!(draw(&mut s, &store).lines().nth(22).is_some_and(|l| l.ends_with("? help")));
}

#[test]
fn replay_says_so_and_refuses_commands() {
    let (mut s, store) = populated((80, 24));
    s.replay = Some("session.ndjson".into());
    update(&mut s, Action::Reload);
    let text = draw(&mut s, &store);
    assert!(text.contains("REPLAY (read-only)"), "{text}");
    assert!(text.contains("Read-only: this is a replay"), "the refusal is in the status line\n{text}");
    assert!(!text.contains(" e JS"), "no command keys in the footer of a replay\n{text}");
    snap!("replay_80x24", text);
}

#[test]
fn console_input_results_search_marks_and_relative_times() {
    use triage_tui::ui::panes::console::ui_line;
    let (mut s, mut store) = populated((160, 45));
    store.append(ui_line(Some("ext-demo01"), "input", "console", "document.title", T0 + 1000));
    store.append(ui_line(Some("ext-demo01"), "result", "console", "\"Cart\"", T0 + 1012));
    store.append(ui_line(Some("ext-demo01"), "input", "console", "foo()", T0 + 1500));
    store.append(ui_line(
        Some("ext-demo01"),
        "error",
        "console",
        "ReferenceError: foo is not defined",
        T0 + 1503,
    ));
    s.sync(&store, Instant::now() + Duration::from_secs(5));
    update(&mut s, Action::Search);
    for c in "cart".chars() {
        update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Char(c)));
    }
    update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Enter));
    update(&mut s, Action::ToggleTimeFormat);
    update(&mut s, Action::ToggleTimeFormat);
    s.prepare(&store);
    update(&mut s, Action::MoveUp);
    s.prepare(&store);
    update(&mut s, Action::ToggleMark);
    let text = draw(&mut s, &store);
    assert!(text.contains("› ") && text.contains("document.title"), "{text}");
    assert!(text.contains("‹ ✗") && text.contains("ReferenceError"), "{text}");
    assert!(text.contains("+first") && text.contains("+1.012 s"), "{text}");
    assert!(text.contains("search cart"), "{text}");
    snap!("console_js_search_160x45", text);
}

#[test]
fn paused_counts_what_arrived() {
    let (mut s, mut store) = populated((160, 45));
    update(&mut s, Action::ToggleFollow);
    for i in 0..4 {
        store.append(ev(
            MessageType::ConsoleLog,
            Level::Info,
            0,
            2000 + i,
            json!({"message": format!("later {i}")}),
        ));
    }
    s.sync(&store, Instant::now() + Duration::from_secs(5));
    let text = draw(&mut s, &store);
    assert!(text.contains("PAUSED +4"), "{text}");
}

#[test]
fn toasts_live_in_the_status_line_not_over_the_list() {
    let (mut s, store) = populated((80, 24));
    update(&mut s, Action::Notify { text: "Filter cleared".into(), error: false });
    let text = draw(&mut s, &store);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[23].contains("Filter cleared"), "{text}");
    assert!(lines[..23].iter().all(|l| !l.contains("Filter cleared")), "{text}");
}

#[test]
fn a_short_rescan_shows_no_percentage() {
    let mut store = Store::new(Default::default());
    for i in 0..600 {
        store.append(ev(
            MessageType::ConsoleLog,
            Level::Info,
            0,
            i,
            json!({"message": format!("alpha {i}")}),
        ));
    }
    let mut s = state((80, 24));
    s.sync(&store, Instant::now() + Duration::from_secs(5));
    update(&mut s, Action::Filter);
    update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Char('q')));
    // Drawn before the rescan ran: it says it is filtering, without a flashing "0%".
    let text = draw(&mut s, &store);
    assert!(text.contains("Filtering…") || text.contains("filtering…"), "{text}");
    assert!(!text.contains("0%"), "{text}");
}

#[test]
fn a_requests_method_and_url_stay_while_its_detail_scrolls() {
    let (mut s, store) = populated((80, 24));
    s.pane = Pane::Network;
    s.detail_open = [true; 5];
    s.views[1].follow = false;
    s.views[1].selected = Some(0);
    draw(&mut s, &store);
    for _ in 0..4 {
        update(&mut s, Action::DetailDown);
    }
    let text = draw(&mut s, &store);
    let detail_top = text.lines().position(|l| l.contains("Network detail")).unwrap();
    let first = text.lines().nth(detail_top + 1).unwrap();
    assert!(first.contains("GET https://api.example.com/users?page=1"), "{text}");
    assert!(!text.contains("status    200 OK"), "the rest scrolled\n{text}");
    snap!("network_detail_scrolled_80x24", text);
}

#[test]
fn search_matches_are_highlighted_in_place() {
    let (mut s, store) = populated((160, 45));
    update(&mut s, Action::Search);
    for c in "deprecated".chars() {
        update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Char(c)));
    }
    update(&mut s, Action::Input(triage_tui::ui::action::InputKey::Enter));
    s.prepare(&store);
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    terminal.draw(|f| render(&s, f)).unwrap();
    let buf = terminal.backend().buffer();
    let row: String = (0..160).map(|x| buf[(x, 4)].symbol().to_string()).collect();
    let at = row.find("Deprecated").expect(&row) as u16;
    let warn = s.theme.warn;
    assert!((at..at + 10).all(|x| buf[(x, 4)].bg == warn), "the match is highlighted");
    assert!(buf[(at + 11, 4)].bg != warn, "and only the match");
    assert_eq!(s.views[0].items.len(), 5, "no row is hidden");
}

#[test]
fn a_tab_attached_after_its_load_says_what_is_not_captured_until_it_navigates() {
    let (mut s, store) = populated((100, 30));
    let mut sessions = s.sessions.clone();
    sessions[0].attached_after_load = Some(T0);
    s.set_sessions(sessions.clone());
    // The UI shows UTC here (`state` sets it): the attach time to the second.
    let at = chrono::DateTime::from_timestamp_millis(T0).unwrap().format("%H:%M:%S");
    let notice = format!("opened before {at} (attach) are not captured — r reloads");
    s.pane = Pane::Network;
    let net = draw(&mut s, &store);
    let line = net.lines().nth(1).unwrap_or("");
    assert_eq!(line, format!("Requests and sockets {notice}"), "{net}");
    assert!(net.lines().nth(2).is_some_and(|l| l.contains("method")), "the header follows:\n{net}");
    s.pane = Pane::Frames;
    let frames = draw(&mut s, &store);
    assert_eq!(frames.lines().nth(1), Some(format!("Sockets {notice}").as_str()), "{frames}");
    s.pane = Pane::Console;
    assert!(!draw(&mut s, &store).contains("not captured"), "Console has no such notice");
    // A navigation after the attach: the server clears the mark, and the notice goes.
    sessions[0].attached_after_load = None;
    s.set_sessions(sessions);
    s.pane = Pane::Network;
    assert!(!draw(&mut s, &store).contains("not captured"));
}
