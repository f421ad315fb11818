//! `update` unit tests: key → Action → state and effects.

use std::time::{Duration, Instant};

use crate::store::Raw;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::*;
use crate::protocol::actions::ACTIONS;
use crate::protocol::{ErrorCode, MessageType, ProtocolError};
use crate::server::SessionInfo;
use crate::store::{Level, Store, StoredEvent};
use crate::ui::action::CommandOutcome;
use crate::ui::keymap::Keymap;
use crate::ui::state::Modal;
use crate::ui::theme::Theme;

fn state() -> State {
    let mut s = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    s.viewport = (100, 30);
    s
}

fn browser(id: &str) -> SessionInfo {
    SessionInfo {
        session_id: id.into(),
        tab_id: Some("7".into()),
        url: Some("https://shop.example.com/".into()),
        remote: "127.0.0.1:5000".into(),
        ..SessionInfo::default()
    }
}

fn with_browser() -> State {
    let mut s = state();
    s.set_sessions(vec![browser("ext-1"), browser("ext-2")]);
    s
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Presses keys the way the event loop does: keymap or prompt input, then update.
pub(super) fn press(s: &mut State, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        if let Some(a) = key_to_action(s, &key(c)) {
            effects.extend(update(s, a));
        }
    }
    effects
}

pub(super) fn press_code(s: &mut State, code: KeyCode) -> Vec<Effect> {
    match key_to_action(s, &KeyEvent::new(code, KeyModifiers::NONE)) {
        Some(a) => update(s, a),
        None => Vec::new(),
    }
}

fn command_of(effects: &[Effect]) -> &Command {
    match effects {
        [Effect::Command { command, .. }] => command,
        other => panic!("expected one command, got {other:?}"),
    }
}

fn event(ty: MessageType, level: Level, status: u16, raw: serde_json::Value) -> StoredEvent {
    StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms: 1_700_000_000_000,
        session: "ext-1".into(),
        raw: Raw::from(raw.to_string().into_bytes()).into(),
    }
}

fn synced(s: &mut State, store: &Store) {
    s.sync(store, Instant::now() + Duration::from_secs(5));
    s.prepare(store);
}

#[test]
fn keys_map_to_actions_and_prompts_take_every_key() {
    let mut s = state();
    assert_eq!(key_to_action(&s, &key('j')), Some(Action::MoveDown));
    assert_eq!(key_to_action(&s, &key('2')), Some(Action::ShowPane(Pane::Network)));
    press(&mut s, "/");
    assert!(matches!(s.modal, Modal::Filter { .. }));
    assert_eq!(key_to_action(&s, &key('j')), Some(Action::Input(InputKey::Char('j'))));
    assert_eq!(
        key_to_action(&s, &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Input(InputKey::Esc))
    );
}

#[test]
fn pane_switching_by_number_and_tab() {
    let mut s = state();
    press(&mut s, "4");
    assert_eq!(s.pane, Pane::Frames);
    press_code(&mut s, KeyCode::Tab);
    assert_eq!(s.pane, Pane::Sessions);
    press_code(&mut s, KeyCode::Tab);
    assert_eq!(s.pane, Pane::Console);
    update(&mut s, Action::PrevPane);
    assert_eq!(s.pane, Pane::Sessions);
}

#[test]
fn commands_without_a_browser_say_so_and_send_nothing() {
    let mut s = state();
    for k in ["s", "S", "r", "[", "]", "n", "e", "t"] {
        assert!(press(&mut s, k).is_empty(), "{k} sent something");
        let toast = s.toast.as_ref().expect("a toast");
        assert!(toast.error && toast.text.contains("No browser connected"), "{k}: {}", toast.text);
        assert_eq!(s.modal, Modal::None, "{k} opened a prompt");
    }
    // Clearing everything asks first, then clears the store (the connector does it).
    assert!(press(&mut s, "C").is_empty());
    assert_eq!(s.modal, Modal::Confirm(crate::ui::state::Confirm::ClearAll));
    let cmd = command_of(&press(&mut s, "y")).clone();
    assert_eq!(cmd.ty, MessageType::ClearLogs);
}

#[test]
fn screenshot_reload_history_go_to_the_target() {
    let mut s = with_browser();
    let cmd = command_of(&press(&mut s, "s")).clone();
    assert_eq!(cmd.ty, MessageType::ScreenshotRequest);
    assert_eq!(cmd.data["fullPage"], json!(false));
    assert_eq!(cmd.target.as_deref(), Some("ext-2"), "no target chosen: the most recently active browser");
    assert!(matches!(s.last_command.as_ref().unwrap().phase, CommandPhase::Pending));
    assert_eq!(command_of(&press(&mut s, "S")).data["fullPage"], json!(true));

    // t → pick the second browser.
    press(&mut s, "t");
    assert_eq!(s.modal, Modal::Target { selected: 0 });
    press(&mut s, "jj");
    press_code(&mut s, KeyCode::Enter);
    assert_eq!(s.target.as_deref(), Some("ext-2"));
    let cmd = command_of(&press(&mut s, "r")).clone();
    assert_eq!(cmd.data, json!({"action": "reload", "params": {}}));
    assert_eq!(cmd.target.as_deref(), Some("ext-2"));
    assert_eq!(command_of(&press(&mut s, "[")).data["action"], "go_back");
    assert_eq!(command_of(&press(&mut s, "]")).data["action"], "go_forward");
}

#[test]
fn navigate_and_execute_js_prompt_then_send() {
    let mut s = with_browser();
    assert!(press(&mut s, "n").is_empty());
    assert!(matches!(s.modal, Modal::Prompt(_)));
    assert!(press_code(&mut s, KeyCode::Enter).is_empty(), "empty URL is refused");
    assert!(matches!(&s.modal, Modal::Prompt(p) if p.error.is_some()));
    press(&mut s, "example.com/a");
    let cmd = command_of(&press_code(&mut s, KeyCode::Enter)).clone();
    assert_eq!(cmd.data, json!({"action": "navigate", "params": {"url": "https://example.com/a"}}));
    assert_eq!(s.modal, Modal::None);

    press(&mut s, "e");
    press(&mut s, "document.title");
    let effects = press_code(&mut s, KeyCode::Enter);
    match &effects[..] {
        [Effect::ConsoleLine { .. }, Effect::Command { command, show_result: true, label, .. }] => {
            assert_eq!(label, "execute_js");
            assert_eq!(command.data["params"]["script"], "document.title");
        }
        other => panic!("{other:?}"),
    }
    // Esc cancels a prompt.
    press(&mut s, "n");
    assert!(press_code(&mut s, KeyCode::Esc).is_empty());
    assert_eq!(s.modal, Modal::None);
}

#[test]
fn palette_offers_every_action_and_prompts_for_parameters() {
    assert_eq!(palette_matches("").len(), ACTIONS.len() + super::commands::LOCAL_ACTIONS.len());
    let mut s = with_browser();
    press(&mut s, ":");
    press(&mut s, "set_viewport");
    assert!(press_code(&mut s, KeyCode::Enter).is_empty());
    press(&mut s, "wide");
    press_code(&mut s, KeyCode::Enter);
    assert!(matches!(&s.modal, Modal::Prompt(p) if p.error.as_deref() == Some("width must be a number")));
    press_code(&mut s, KeyCode::Backspace);
    for _ in 0..4 {
        press_code(&mut s, KeyCode::Backspace);
    }
    press(&mut s, "800");
    press_code(&mut s, KeyCode::Enter);
    press(&mut s, "600");
    press_code(&mut s, KeyCode::Enter);
    // deviceScaleFactor is optional: Enter skips it and sends.
    let cmd = command_of(&press_code(&mut s, KeyCode::Enter)).clone();
    assert_eq!(cmd.data, json!({"action": "set_viewport", "params": {"width": 800, "height": 600}}));

    // An action without parameters runs at once; take_screenshot is a screenshot-request.
    press(&mut s, ":");
    press(&mut s, "get_title");
    assert_eq!(command_of(&press_code(&mut s, KeyCode::Enter)).data["action"], "get_title");
    press(&mut s, ":");
    press(&mut s, "take_scr");
    press_code(&mut s, KeyCode::Enter);
    press(&mut s, "y");
    assert_eq!(command_of(&press_code(&mut s, KeyCode::Enter)).ty, MessageType::ScreenshotRequest);
}

#[test]
fn command_results_update_status_toast_and_result_window() {
    let mut s = with_browser();
    let id = match &press(&mut s, "e")[..] {
        [] => {
            press(&mut s, "1+1");
            match &press_code(&mut s, KeyCode::Enter)[..] {
                // The input goes in the Console at once, as DevTools shows it.
                [Effect::ConsoleLine { kind: "input", text, .. }, Effect::Command { id, .. }] => {
                    assert_eq!(text, "1+1");
                    *id
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    };
    let outcome = CommandOutcome {
        id,
        label: "execute_js".into(),
        ok: true,
        message: "Ran JavaScript in Cart · shop.example.com (result in the Console)".into(),
        duration_ms: 12,
        result: Some(json!(2)),
        session: Some("ext-1".into()),
    };
    let effects = update(&mut s, Action::CommandDone(outcome));
    assert!(matches!(
        &s.last_command.as_ref().unwrap().phase,
        CommandPhase::Done { ok: true, duration_ms: 12, .. }
    ));
    // The result is a Console line, not a modal that swallows keys.
    match &effects[..] {
        [Effect::ConsoleLine { kind: "result", text, session, .. }] => {
            assert_eq!(text, "2");
            assert_eq!(session.as_deref(), Some("ext-1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.modal, Modal::None);
    // ↑ in the prompt brings the last script back.
    press(&mut s, "e");
    press_code(&mut s, KeyCode::Up);
    assert!(matches!(&s.modal, Modal::Prompt(p) if p.input.text() == "1+1"), "{:?}", s.modal);
    press_code(&mut s, KeyCode::Down);
    assert!(matches!(&s.modal, Modal::Prompt(p) if p.input.text().is_empty()));
    press_code(&mut s, KeyCode::Esc);

    let cleared = outcome_of(
        9,
        "clear logs",
        "the browser",
        MessageType::ClearLogs,
        false,
        &json!({}),
        Err(ProtocolError::new(ErrorCode::NoBrowser, "no browser")),
    );
    assert!(cleared.ok && cleared.message.starts_with("Cleared every pane"), "{}", cleared.message);
    let failed = outcome_of(
        9,
        "forward",
        "Cart · shop.example.com",
        MessageType::BrowserAction,
        false,
        &json!({}),
        Err(ProtocolError::new(ErrorCode::Timeout, "did not answer")),
    );
    assert_eq!(failed.message, "Could not go forward in Cart · shop.example.com: did not answer");
}

#[test]
fn filter_applies_live_and_esc_clears() {
    let mut s = state();
    let mut store = Store::new(Default::default());
    store.append(event(
        MessageType::ConsoleLog,
        Level::Log,
        0,
        json!({"type":"console-log","data":{"message":"hello"}}),
    ));
    store.append(event(
        MessageType::ConsoleError,
        Level::Error,
        0,
        json!({"type":"console-error","data":{"message":"boom"}}),
    ));
    synced(&mut s, &store);
    assert_eq!(s.views[0].items.len(), 2);
    press(&mut s, "/level:error");
    synced(&mut s, &store);
    assert_eq!(s.views[0].items.len(), 1);
    assert_eq!(s.views[0].filter.as_ref().unwrap().text(), "level:error");
    press(&mut s, "x");
    assert!(matches!(&s.modal, Modal::Filter { error: Some(_), .. }), "a bad term shows an error");
    assert_eq!(s.views[0].filter.as_ref().unwrap().text(), "level:error", "and keeps the last good filter");
    press_code(&mut s, KeyCode::Backspace);
    press_code(&mut s, KeyCode::Enter);
    assert_eq!(s.modal, Modal::None);
    assert!(s.views[0].filter.is_some(), "Enter keeps the filter");
    press_code(&mut s, KeyCode::Esc);
    synced(&mut s, &store);
    assert!(s.views[0].filter.is_none(), "Esc clears it");
    assert_eq!(s.views[0].items.len(), 2);
}

#[test]
fn moving_up_pauses_follow_and_g_resumes() {
    let mut s = state();
    let mut store = Store::new(Default::default());
    for i in 0..50 {
        store.append(event(
            MessageType::ConsoleLog,
            Level::Log,
            0,
            json!({"data":{"message": format!("m{i}")}}),
        ));
    }
    synced(&mut s, &store);
    assert!(s.views[0].follow);
    assert_eq!(s.views[0].selected, Some(49));
    press(&mut s, "kk");
    assert!(!s.views[0].follow);
    assert_eq!(s.views[0].selected, Some(47));
    store.append(event(MessageType::ConsoleLog, Level::Log, 0, json!({"data":{"message":"new"}})));
    synced(&mut s, &store);
    assert_eq!(s.views[0].selected, Some(47), "selection stays on its event");
    press(&mut s, "g");
    assert_eq!(s.views[0].selected, Some(0));
    press_code(&mut s, KeyCode::PageDown);
    assert!(s.views[0].selected.unwrap() > 10);
    press(&mut s, "G");
    assert!(s.views[0].follow);
    assert_eq!(s.views[0].selected, Some(50));
    press(&mut s, "f");
    assert!(!s.views[0].follow);
}

#[test]
fn copy_json_curl_and_text() {
    let mut s = state();
    let mut store = Store::new(Default::default());
    store.append(event(
        MessageType::NetworkRequest,
        Level::Info,
        200,
        json!({"type":"network-request","data":{"url":"https://api.example.com/x","method":"POST","headers":{"request":{"Authorization":"[REDACTED]"}},"body":{"request":"{}"}}}),
    ));
    store.append(event(
        MessageType::ConsoleLog,
        Level::Log,
        0,
        json!({"type":"console-log","data":{"message":"hi there"}}),
    ));
    synced(&mut s, &store);
    match &press(&mut s, "y")[..] {
        [Effect::Copy { text, what }] => {
            assert_eq!(what, "console-log as JSON");
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(v["data"]["message"], "hi there");
            assert_eq!(v["metadata"]["sessionId"], "ext-1");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&press(&mut s, "Y")[..], [Effect::Copy { text, .. }] if text == "hi there"));
    press(&mut s, "2");
    s.prepare(&store);
    match &press(&mut s, "Y")[..] {
        [Effect::Copy { text, what }] => {
            // Copying a curl whose headers were redacted says so.
            assert!(what.starts_with("request as curl (redacted"), "{what}");
            assert!(
                text.starts_with("curl \\\n  -X 'POST'") && text.contains("Authorization: [REDACTED]"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    // `F` picks the request copy format; `Y` then copies in it, and the toast says so.
    press(&mut s, "F");
    assert!(s.toast.as_ref().is_some_and(|t| t.text.contains("as fetch")), "{:?}", s.toast);
    match &press(&mut s, "Y")[..] {
        [Effect::Copy { text, what }] => {
            assert!(what.starts_with("request as fetch (redacted"), "{what}");
            assert!(
                text.starts_with("fetch(\"https://api.example.com/x\", {")
                    && text.contains("\"method\": \"POST\""),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    for _ in 0..3 {
        press(&mut s, "F");
    }
    assert!(matches!(&press(&mut s, "Y")[..], [Effect::Copy { text, .. }] if text.starts_with("curl")));
    press(&mut s, "3");
    s.prepare(&store);
    assert!(press(&mut s, "y").is_empty());
    assert!(s.toast.as_ref().unwrap().text.contains("Nothing selected"));
}

#[test]
fn open_screenshot_only_on_a_screenshot() {
    let mut s = state();
    let mut store = Store::new(Default::default());
    store.append(event(MessageType::ConsoleLog, Level::Log, 0, json!({"data":{"message":"x"}})));
    synced(&mut s, &store);
    assert!(press(&mut s, "o").is_empty());
    store.append(event(
        MessageType::ScreenshotResponse,
        Level::Info,
        0,
        json!({"type":"screenshot-response","data":{"success":true,"path":"/tmp/shot.png","screenshotId":"shot-1"}}),
    ));
    synced(&mut s, &store);
    assert!(matches!(&press(&mut s, "o")[..], [Effect::Open(p)] if p.to_str() == Some("/tmp/shot.png")));
}

#[test]
fn help_toggle_detail_quit_and_mouse() {
    let mut s = state();
    press(&mut s, "?");
    assert_eq!(s.modal, Modal::Help { scroll: 0 });
    press(&mut s, "j");
    assert_eq!(s.modal, Modal::Help { scroll: 1 });
    press(&mut s, "?");
    assert_eq!(s.modal, Modal::None);
    press_code(&mut s, KeyCode::Enter);
    assert!(s.detail_is_open());
    press_code(&mut s, KeyCode::Esc);
    assert!(!s.detail_is_open(), "Esc with no filter closes the detail");
    // A click on the Network tab (tabs are on row 0).
    let x = crate::ui::render::tab_labels(&s)[0].1.len() as u16 + 3;
    update(&mut s, Action::Click { column: x, row: 0 });
    assert_eq!(s.pane, Pane::Network);
    assert!(matches!(&press(&mut s, "q")[..], [Effect::Quit]));
    assert!(s.quit);
}

#[test]
fn mouse_wheel_moves_the_list_or_scrolls_the_detail() {
    let mut s = state();
    let mut store = Store::new(Default::default());
    for i in 0..40 {
        store.append(event(
            MessageType::ConsoleLog,
            Level::Log,
            0,
            json!({"data":{"message": format!("m{i}")}}),
        ));
    }
    synced(&mut s, &store);
    update(&mut s, Action::ScrollUp { column: 10, row: 5 });
    assert!(!s.views[0].follow, "wheel up pauses follow");
    assert_eq!(s.views[0].selected, Some(36));
    update(&mut s, Action::ScrollDown { column: 10, row: 5 });
    assert_eq!(s.views[0].selected, Some(39));
    // A click on the first list row (row 2: tabs, header, then rows) selects it.
    s.prepare(&store);
    let top = s.views[0].top as u64;
    update(&mut s, Action::Click { column: 5, row: 2 });
    assert_eq!(s.views[0].selected, Some(top));
    // With the detail open (vertical split at 100 columns), the wheel over it scrolls it.
    update(&mut s, Action::ToggleDetail);
    update(&mut s, Action::ScrollDown { column: 10, row: 25 });
    assert_eq!(s.scroll(), 3);
}

#[test]
fn sessions_pane_moves_between_sessions() {
    let mut s = with_browser();
    press(&mut s, "5");
    assert_eq!(s.session_selected.as_deref(), Some("ext-1"));
    press(&mut s, "j");
    assert_eq!(s.session_selected.as_deref(), Some("ext-2"));
    press(&mut s, "g");
    assert_eq!(s.session_selected.as_deref(), Some("ext-1"));
    press(&mut s, "/");
    assert_eq!(s.modal, Modal::None, "no filter on Sessions");
}

#[test]
fn export_har_from_its_key_and_the_palette_carries_the_network_filter() {
    let mut s = with_browser();
    press(&mut s, "2");
    press(&mut s, "/");
    press(&mut s, "status:200");
    press_code(&mut s, KeyCode::Enter);
    let filter_of = |effects: &[Effect]| match effects {
        [Effect::Export { what: crate::ui::export::UiExport::Har, filter }] => {
            filter.as_ref().map(|f| f.text().to_string())
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(filter_of(&press(&mut s, "E")).as_deref(), Some("status:200"));
    press(&mut s, "1");
    press(&mut s, ":");
    press(&mut s, "export_har");
    // From the Console pane too: the export is the Network pane's.
    assert_eq!(filter_of(&press_code(&mut s, KeyCode::Enter)).as_deref(), Some("status:200"));
    assert_eq!(s.modal, Modal::None);
}

#[test]
fn export_console_carries_the_console_filter_and_its_format() {
    use crate::export::console::ConsoleFormat;
    use crate::ui::export::UiExport;
    let mut s = with_browser();
    press(&mut s, "/");
    press(&mut s, "level:error");
    press_code(&mut s, KeyCode::Enter);
    assert!(matches!(&press(&mut s, "X")[..],
        [Effect::Export { what: UiExport::Console(ConsoleFormat::Ndjson), filter: Some(f) }] if f.text() == "level:error"));
    press(&mut s, ":");
    press(&mut s, "export_console_text");
    assert!(matches!(
        &press_code(&mut s, KeyCode::Enter)[..],
        [Effect::Export { what: UiExport::Console(ConsoleFormat::Text), filter: Some(_) }]
    ));
}
