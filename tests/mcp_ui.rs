//! The human sees the assistant: an MCP client's tool calls as their own Console rows, the client
//! in the Sessions pane as `mcp` under its initialize name, and the status-bar indicator. The rows
//! and the session here are what `crate::mcp` stores and registers (tests/mcp.rs checks that part
//! through the real connector).

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

use triage_tui::protocol::MessageType;
use triage_tui::server::{PeerKind, SessionInfo};
use triage_tui::store::{Level, Raw, Store, StoredEvent};
use triage_tui::ui::action::Pane;
use triage_tui::ui::{render, Keymap, State, Theme};

const T0: i64 = 1_767_225_600_000;

fn event(ty: MessageType, level: Level, session: &str, data: serde_json::Value) -> StoredEvent {
    let env = json!({"type": ty.as_str(), "timestamp": T0, "data": data, "metadata": {"sessionId": session, "source": "mcp"}});
    StoredEvent {
        seq: 0,
        ty,
        level,
        status: 0,
        timestamp_ms: T0,
        session: session.into(),
        raw: Raw::from(env.to_string().into_bytes()).into(),
    }
}

fn mcp_session() -> SessionInfo {
    SessionInfo {
        session_id: "mcp-1a2b3c4d".into(),
        kind: PeerKind::Client,
        title: Some("claude-code".into()),
        client_type: Some("mcp claude-code 1.0".into()),
        subprotocol: Some(triage_tui::mcp::presence::MCP_SUBPROTOCOL.into()),
        remote: "mcp stdio".into(),
        connected_at: T0,
        last_active: T0,
        messages: 3,
        ..SessionInfo::default()
    }
}

fn screen(state: &mut State, store: &Store) -> String {
    state.prepare(store);
    let (w, h) = state.viewport;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| render(state, f)).expect("draw");
    let buf = terminal.backend().buffer();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
}

#[test]
fn assistant_calls_sessions_and_status_bar() {
    let mut store = Store::new(Default::default());
    store.append(event(
        MessageType::ConsoleLog,
        Level::Log,
        "ext-1",
        json!({"level": "log", "message": "page says hi"}),
    ));
    store.append(event(
        MessageType::AssistantCommand,
        Level::Info,
        "mcp-1a2b3c4d",
        json!({"client": "claude-code", "tool": "evaluate_script", "arguments": {"script": "document.title"},
               "success": true, "summary": "ok → \"Cart\"", "phase": "done", "durationMs": 12}),
    ));
    store.append(event(
        MessageType::AssistantCommand,
        Level::Error,
        "mcp-1a2b3c4d",
        json!({"client": "claude-code", "tool": "take_screenshot", "arguments": {},
               "success": false, "summary": "NO_BROWSER: no browser connected", "phase": "done", "durationMs": 1}),
    ));
    let mut state = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    state.viewport = (160, 30);
    state.utc = true;
    state.set_sessions(vec![mcp_session()]);
    state.sync(&store, Instant::now() + Duration::from_secs(5));

    let console = screen(&mut state, &store);
    assert!(console.contains("page says hi"), "{console}");
    let row = console.lines().find(|l| l.contains("evaluate_script")).unwrap_or_else(|| panic!("{console}"));
    assert!(row.contains(" mcp ") && row.contains("claude-code"), "{row}");
    assert!(row.contains("document.title") && row.contains("(12 ms)"), "{row}");
    assert!(console.contains("take_screenshot → NO_BROWSER"), "{console}");
    assert!(console.contains("◆ MCP claude-code"), "status bar: {console}");

    state.pane = Pane::Sessions;
    let sessions = screen(&mut state, &store);
    let row = sessions.lines().find(|l| l.contains("mcp-1a2b3c4d")).unwrap_or_else(|| panic!("{sessions}"));
    assert!(row.contains(" mcp ") && row.contains("mcp claude-code 1.0"), "{row}");

    // No assistant, no indicator.
    state.set_sessions(Vec::new());
    assert!(!screen(&mut state, &store).contains("◆ MCP"));
}
