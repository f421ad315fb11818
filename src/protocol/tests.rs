//! One test per JSON message example in the seed documents, plus the tolerance and validation
//! rules of DESIGN.md.

use super::*;
use serde_json::json;

const MAX: usize = 1024 * 1024;

fn ok(text: &str) -> (Envelope, MessageType) {
    match parse_envelope(text, MAX) {
        Ok(v) => v,
        Err(e) => panic!("expected {text} to parse, got {e}"),
    }
}

fn err(text: &str) -> ProtocolError {
    match parse_envelope(text, MAX) {
        Ok(v) => panic!("expected {text} to be refused, got {v:?}"),
        Err(e) => e,
    }
}

// ---- seed 000 (RapidTriageME) ----

#[test]
fn seed000_console_log() {
    let (env, ty) = ok(r#"{"id":"msg_001","type":"console-log","timestamp":1704067200000,
        "data":{"level":"info","message":"Application started successfully",
                "args":["Application","started",{"version":"1.0"}],"source":"app.js:42:8","stack":null},
        "metadata":{"sessionId":"session-123","tabId":"tab-456","url":"https://example.com"}}"#);
    assert_eq!(ty, MessageType::ConsoleLog);
    assert_eq!(env.timestamp, Some(Timestamp(1_704_067_200_000)));
    let entry: ConsoleEntry = data_as(&env).unwrap();
    assert_eq!(entry.level.as_deref(), Some("info"));
    assert_eq!(entry.args.len(), 3);
    assert_eq!(env.meta_str("tabId").as_deref(), Some("tab-456"));
}

#[test]
fn seed000_console_error() {
    let (env, ty) = ok(r#"{"id":"msg_002","type":"console-error","timestamp":1704067200000,
        "data":{"level":"error","message":"Uncaught TypeError: Cannot read property 'x' of undefined",
        "stack":"TypeError: Cannot read property 'x' of undefined\n at Object.handleClick (app.js:15:5)\n at HTMLButtonElement.onclick (index.html:1:1)",
        "source":"app.js:15:5"}}"#);
    assert_eq!(ty, MessageType::ConsoleError);
    let entry: ConsoleEntry = data_as(&env).unwrap();
    assert!(entry.stack.unwrap().as_str().unwrap().contains("handleClick"));
}

#[test]
fn seed000_network_request() {
    let (env, ty) = ok(r#"{"id":"msg_003","type":"network-request","timestamp":1704067200000,
        "data":{"url":"https://api.example.com/users","method":"GET","status":200,"statusText":"OK","duration":145,
        "size":{"request":512,"response":2048},
        "headers":{"request":{"Authorization":"Bearer [REDACTED]","Content-Type":"application/json"},
                   "response":{"Content-Type":"application/json","Cache-Control":"max-age=300"}},
        "body":{"request":"{\"page\": 1}","response":"{\"users\": [...]}"}}}"#);
    assert_eq!(ty, MessageType::NetworkRequest);
    let n: NetworkExchange = data_as(&env).unwrap();
    assert_eq!(n.status.and_then(|s| s.as_i64()), Some(200));
    assert_eq!(n.size.unwrap().response.and_then(|s| s.as_i64()), Some(2048));
}

#[test]
fn seed000_network_error() {
    let (env, ty) = ok(r#"{"id":"msg_004","type":"network-error","timestamp":1704067200000,
        "data":{"url":"https://api.example.com/broken","method":"POST","status":500,
        "statusText":"Internal Server Error","error":"Server returned 500 status","duration":5000}}"#);
    assert_eq!(ty, MessageType::NetworkError);
    assert_eq!(env.data["error"], "Server returned 500 status");
}

#[test]
fn seed000_heartbeat() {
    let (_, ty) = ok(r#"{"id":"hb_001","type":"heartbeat","timestamp":1704067200000,
        "data":{"status":"alive","uptime":3600000,"connections":3}}"#);
    assert_eq!(ty, MessageType::Heartbeat);
}

#[test]
fn seed000_screenshot_request() {
    let (env, ty) = ok(r#"{"id":"cmd_001","type":"screenshot-request","timestamp":1704067200000,
        "data":{"format":"png","quality":90,"fullPage":false,"selector":null}}"#);
    assert_eq!(ty, MessageType::ScreenshotRequest);
    let r: ScreenshotRequest = data_as(&env).unwrap();
    assert_eq!(r.full_page, Some(false));
}

#[test]
fn seed000_screenshot_response() {
    let (env, ty) = ok(r#"{"id":"cmd_001","type":"screenshot-response","timestamp":1704067200000,
        "data":{"success":true,"path":"/Users/Downloads/screenshot-2024-01-01.png",
        "base64":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA...","size":150240,
        "dimensions":{"width":1920,"height":1080}}}"#);
    assert_eq!(ty, MessageType::ScreenshotResponse);
    let r: ScreenshotResponse = data_as(&env).unwrap();
    assert_eq!(r.success, Some(true));
    assert_eq!(env.id.as_deref(), Some("cmd_001"));
}

#[test]
fn seed000_element_selected() {
    let (env, ty) = ok(r##"{"id":"sel_001","type":"element-selected","timestamp":1704067200000,
        "data":{"element":{"tagName":"DIV","id":"main-content","className":"container mt-4",
        "attributes":{"data-testid":"main","role":"main"},
        "dimensions":{"width":1200,"height":800,"top":100,"left":0},
        "styles":{"backgroundColor":"rgb(255, 255, 255)","color":"rgb(33, 37, 41)"},
        "innerHTML":"<h1>Welcome</h1><p>Content...</p>","textContent":"Welcome Content...",
        "xpath":"/html/body/div[1]/main/div[1]","cssSelector":"#main-content"}}}"##);
    assert_eq!(ty, MessageType::ElementSelected);
    let sel: ElementSelection = data_as(&env).unwrap();
    let el = sel.element.unwrap();
    assert_eq!(el.tag_name.as_deref(), Some("DIV"));
    assert_eq!(el.css_selector.as_deref(), Some("#main-content"));
    assert_eq!(el.inner_html.as_deref(), Some("<h1>Welcome</h1><p>Content...</p>"));
}

#[test]
fn seed000_connection_init() {
    let (env, ty) =
        ok(r#"{"type":"connection-init","data":{"clientType":"chrome-extension","version":"1.0.0",
        "capabilities":["console-capture","network-capture","screenshot-capture","element-selection"],
        "userAgent":"Chrome Extension/1.0","tabId":"tab-456"}}"#);
    assert_eq!(ty, MessageType::ConnectionInit);
    let init: ConnectionInit = data_as(&env).unwrap();
    assert_eq!(init.capabilities.len(), 4);
    assert_eq!(init.tab_id.unwrap().to_string(), "tab-456");
}

#[test]
fn seed000_connection_ack() {
    let (env, ty) = ok(
        r#"{"type":"connection-ack","data":{"sessionId":"session-123","serverId":"rapidtriage-server-1.0",
        "supportedProtocols":["rapidtriage-v1"],"maxMessageSize":1048576,"heartbeatInterval":30000}}"#,
    );
    assert_eq!(ty, MessageType::ConnectionAck);
    let ack: ConnectionAck = data_as(&env).unwrap();
    assert_eq!(ack.max_message_size, 1_048_576);
}

#[test]
fn seed000_connection_close() {
    let (_, ty) = ok(
        r#"{"type":"connection-close","data":{"reason":"client-disconnect","code":1000,"message":"Normal closure"}}"#,
    );
    assert_eq!(ty, MessageType::ConnectionClose);
}

#[test]
fn seed000_client_examples_clear_logs_without_data() {
    // The Node and Python clients send `{type: 'clear-logs'}` with an id and timestamp added.
    let (_, ty) = ok(r#"{"id":"mcp_1_abc","timestamp":1704067200000,"type":"clear-logs"}"#);
    assert_eq!(ty, MessageType::ClearLogs);
}

// ---- seed 002 (MetaDock) ----

#[test]
fn seed002_auth_with_numeric_id() {
    let (env, ty) = ok(
        r#"{"type":"auth","api_key":"your-api-key-here","client_id":"optional-client-identifier","id":1}"#,
    );
    assert_eq!(ty, MessageType::Auth);
    assert_eq!(env.id.as_deref(), Some("1"));
    assert_eq!(env.extra["api_key"], "your-api-key-here");
}

#[test]
fn seed002_browser_command_becomes_browser_action() {
    let (env, ty) = ok(
        r#"{"type":"browser","action":"navigate","browser_uuid":"uuid-here","params":{"url":"https://example.com"},"id":1}"#,
    );
    assert_eq!(ty, MessageType::BrowserAction);
    let action: BrowserAction = data_as(&env).unwrap();
    assert_eq!(action.action, "navigate");
    assert_eq!(action.params["url"], "https://example.com");
}

#[test]
fn seed002_subscribe() {
    let (env, ty) = ok(r#"{"type":"subscribe","target":"browser:uuid-here","subscribe":true,"id":1}"#);
    assert_eq!(ty, MessageType::Subscribe);
    assert_eq!(env.data["target"], "browser:uuid-here");
}

#[test]
fn seed002_browser_event_with_rfc3339_timestamp() {
    let (env, ty) = ok(r#"{"type":"browser_event","browser_uuid":"uuid-here","event":"navigation_completed",
        "data":{"url":"https://example.com","success":true,"timestamp":"2025-01-04T12:00:00Z"},
        "timestamp":"2025-01-04T12:00:00Z"}"#);
    assert_eq!(ty, MessageType::BrowserEvent);
    assert_eq!(env.timestamp, Some(Timestamp(1_735_992_000_000)));
    let ev: BrowserEvent = data_as(&env).unwrap();
    assert_eq!(ev.event.as_deref(), Some("navigation_completed"));
}

#[test]
fn seed002_welcome_is_a_server_message_we_do_not_take() {
    let e = err(
        r#"{"type":"welcome","message":"MetaDock WebSocket API - Authentication required","version":"1.0"}"#,
    );
    assert_eq!(e.code, ErrorCode::InvalidMessage);
    assert!(e.message.contains("unknown message type"), "{e}");
}

// ---- seed 003 (NectoProxy frames) ----

#[test]
fn seed003_frames_as_websocket_frame_data() {
    for frame in [
        json!({"id":"frame-uuid-1","trafficId":"traffic-uuid-1","timestamp":1709136000100u64,"direction":"client-to-server",
               "opcode":1,"data":"eyJhY3Rpb24iOiJzdWJzY3JpYmUiLCJjaGFubmVsIjoiY2hhdCJ9","isBinary":false,"length":42}),
        json!({"id":"frame-uuid-2","trafficId":"traffic-uuid-1","timestamp":1709136000200u64,"direction":"server-to-client",
               "opcode":1,"data":"eyJzdGF0dXMiOiJzdWJzY3JpYmVkIiwiY2hhbm5lbCI6ImNoYXQifQ==","isBinary":false,"length":45}),
        json!({"id":"frame-uuid-3","trafficId":"traffic-uuid-1","timestamp":1709136001000u64,"direction":"server-to-client",
               "opcode":9,"data":null,"isBinary":false,"length":0}),
        json!({"id":"frame-uuid-4","trafficId":"traffic-uuid-1","timestamp":1709136001001u64,"direction":"client-to-server",
               "opcode":10,"data":null,"isBinary":false,"length":0}),
    ] {
        let text = json!({"type": "websocket-frame", "data": frame}).to_string();
        let (env, ty) = ok(&text);
        assert_eq!(ty, MessageType::WebsocketFrame);
        let f: WebSocketFrame = data_as(&env).unwrap();
        assert_eq!(f.traffic_id.as_deref(), Some("traffic-uuid-1"));
    }
}

// ---- seed 004 (MCP-RS) ----

#[test]
fn seed004_heartbeat_with_payload_and_rfc3339() {
    let (env, ty) =
        ok(r#"{"id":"msg-001","type":"heartbeat","payload":{},"timestamp":"2025-11-07T10:00:00Z"}"#);
    assert_eq!(ty, MessageType::Heartbeat);
    assert_eq!(env.timestamp, Some(Timestamp(1_762_509_600_000)));
    assert_eq!(env.data, json!({}));
}

#[test]
fn seed004_heartbeat_ack() {
    let (_, ty) = ok(
        r#"{"id":"msg-001","type":"heartbeat_ack","payload":{"server_time":"2025-11-07T10:00:00Z"},"timestamp":"2025-11-07T10:00:00Z"}"#,
    );
    assert_eq!(ty, MessageType::Heartbeat);
}

#[test]
fn seed004_error_message() {
    let (env, ty) = ok(r#"{"id":"error-001","type":"error","payload":{"code":"INVALID_SESSION",
        "message":"Session not found or expired","details":{"session_id":"invalid-session-id"}},
        "timestamp":"2025-11-07T10:00:00Z"}"#);
    assert_eq!(ty, MessageType::Error);
    let e: ErrorData = data_as(&env).unwrap();
    assert_eq!(e.code, "INVALID_SESSION");
}

#[test]
fn seed004_other_messages_parse_as_envelopes_but_are_not_ours() {
    for text in [
        r#"{"id":"edit-001","type":"realtime_edit","payload":{"content":"Updated document content...","cursor_position":125,"user_id":"user1","operation":"insert","change_delta":{"position":125,"insert":"new text"}},"timestamp":"2025-11-07T10:00:00Z"}"#,
        r#"{"id":"session-001","type":"session_connected","payload":{"session_id":"session-uuid","user_id":"user1","connection_count":1},"timestamp":"2025-11-07T10:00:00Z"}"#,
        r#"{"id":"session-002","type":"session_disconnected","payload":{"session_id":"session-uuid","user_id":"user1","reason":"client_disconnect"},"timestamp":"2025-11-07T10:00:00Z"}"#,
    ] {
        // Tolerant parsing accepts the envelope ...
        let env: Envelope = serde_json::from_str(text).unwrap();
        assert!(env.data.is_object());
        // ... and validation names the type it does not know.
        assert!(err(text).message.contains("unknown message type"));
    }
}

// ---- tolerance and validation ----

#[test]
fn unknown_fields_survive_a_round_trip() {
    let (env, _) = ok(
        r#"{"id":"a","type":"console-log","timestamp":1,"data":{"level":"log","message":"m","custom":{"x":1}},"extraTop":true}"#,
    );
    let back: Value = serde_json::from_str(&env.to_json()).unwrap();
    assert_eq!(back["data"]["custom"]["x"], 1);
    assert_eq!(back["extraTop"], true);
}

#[test]
fn timestamps_accept_numbers_strings_and_floats() {
    for (t, want) in [
        ("1704067200000", 1_704_067_200_000),
        ("\"1704067200000\"", 1_704_067_200_000),
        ("1704067200000.7", 1_704_067_200_000),
        ("\"2024-01-01T00:00:00+00:00\"", 1_704_067_200_000),
    ] {
        let (env, _) = ok(&format!(r#"{{"type":"heartbeat","timestamp":{t}}}"#));
        assert_eq!(env.timestamp, Some(Timestamp(want)), "{t}");
    }
    assert!(err(r#"{"type":"heartbeat","timestamp":"yesterday"}"#).message.contains("RFC 3339"));
}

#[test]
fn malformed_and_invalid_messages_get_invalid_message() {
    for bad in [
        "",
        "{",
        "[]",
        "null",
        r#"{"data":{}}"#,
        r#"{"type":42}"#,
        r#"{"type":"console-log","data":"not an object"}"#,
        r#"{"type":"console-log","data":{"args":"not a list"}}"#,
        r#"{"type":"browser-action","data":{"params":{}}}"#,
        r#"{"type":"browser-action","data":{"action":"  "}}"#,
        r#"{"type":"websocket-frame","data":{"opcode":"text"}}"#,
        r#"{"id":{"nested":1},"type":"heartbeat"}"#,
    ] {
        assert_eq!(err(bad).code, ErrorCode::InvalidMessage, "{bad:?}");
    }
}

#[test]
fn oversize_is_refused_before_parsing() {
    let big = format!(r#"{{"type":"console-log","data":{{"message":"{}"}}}}"#, "x".repeat(2048));
    let e = parse_envelope(&big, 1024).unwrap_err();
    assert_eq!(e.code, ErrorCode::MessageTooLarge);
    assert_eq!(e.details["limit"], 1024);
}

#[test]
fn error_envelope_shape() {
    let e = ProtocolError::new(ErrorCode::RateLimited, "slow down").with_details(json!({"dropped": 3}));
    let v: Value = serde_json::from_str(&e.to_envelope(Some("m1"), 5).to_json()).unwrap();
    assert_eq!(
        v,
        json!({"id":"m1","type":"error","timestamp":5,"data":{"code":"RATE_LIMITED","message":"slow down","details":{"dropped":3}}})
    );
}

#[test]
fn console_text_joins_args_when_no_message() {
    let entry: ConsoleEntry = serde_json::from_value(json!({"args": ["a", 1, {"b": 2}]})).unwrap();
    assert_eq!(console_text(&entry), r#"a 1 {"b":2}"#);
}

#[test]
fn credential_check_sees_every_header_form_and_only_headers() {
    use shape::{inspect, Inspected};
    let cases = [
        (r#"{"headers":{"request":{"AuThOrIzAtIoN":"x"}}}"#, true),
        (r#"{"headers":{"response":{"set-cookie":"x"}}}"#, true),
        (r#"{"requestHeaders":[{"name":"COOKIE","value":"x"}]}"#, true),
        (r#"{"responseHeaders":[{"name":"Set-Cookie","value":"x"}]}"#, true),
        (r#"{"headers":{"request":{"Accept":"*/*"}},"body":{"response":"cookie authorization"}}"#, false),
        (r#"{"url":"https://x/authorization"}"#, false),
    ];
    for (data, expected) in cases {
        let Ok(Inspected::Network(n)) = inspect(MessageType::NetworkRequest, data) else { panic!("{data}") };
        assert_eq!(n.may_carry_secrets(), expected, "{data}");
    }
}

/// Mutated versions of real messages through every parser: any input gets Ok or an error, never a
/// panic. Deterministic (xorshift), so a failure reproduces.
#[test]
fn mutated_messages_never_panic() {
    let seeds = [
        r#"{"id":"m","type":"console-log","timestamp":1704067200000,"data":{"level":"info","message":"hi","args":[1,{"a":2}],"source":"app.js:1:2","line":"3"},"metadata":{"tabId":7}}"#,
        r#"{"type":"network-request","payload":{"url":"u","method":"GET","status":"404","headers":{"request":{"Cookie":"a"}},"requestHeaders":[{"name":"Authorization","value":"x"}]},"timestamp":"2025-11-07T10:00:00Z"}"#,
        r#"{"type":"websocket-frame","data":{"trafficId":"t","direction":"client-to-server","opcode":1,"data":"eyJhIjoxfQ==","length":7}}"#,
        r#"{"type":"browser","action":"navigate","params":{"url":"x"},"id":1}"#,
        r#"{"type":"screenshot-data","data":"data:image/png;base64,iVBORw0KGgo=","requestId":"r1"}"#,
        r#"{"type":"subscribe","data":{"types":["console-log"],"sessionId":"s"}}"#,
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]\":,\\0123456789eE+-.truefalsnul \t\n\x00\xff\xc3\xa9";
    for round in 0..30_000u64 {
        let seed = seeds[(round % seeds.len() as u64) as usize].as_bytes();
        let mut bytes = seed.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 3 {
                0 if at < bytes.len() => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = shape::scan(&text, MAX);
        let _ = parse_message(&text, MAX);
        let _ = crate::server::compat::translate_incoming(&text);
        for kind in [
            MessageType::ConsoleLog,
            MessageType::NetworkRequest,
            MessageType::WebsocketFrame,
            MessageType::BrowserAction,
        ] {
            if let Ok(shape::Inspected::Network(n)) = shape::inspect(kind, &text) {
                let _ = n.may_carry_secrets();
            }
        }
    }
}
