//! The reading tools: console messages, network requests, page WebSocket frames, sessions, the
//! selected element, and `wait_for`. Everything is read from the connector's store under short
//! read locks; list results are paged and cut so they never flood an assistant's context.

use std::time::Duration;

use base64::Engine;
use rmcp::model::CallToolResult;
use serde_json::{json, Value};

use super::args::{ConsoleQuery, FramesQuery, NetworkQuery, WaitFor};
use super::format::{
    cut, cut_value, event_id, invalid, ok_json, page_of, parse_event_id, parse_filter, Since, BODY_CAP,
    DEFAULT_PAGE_SIZE, LIST_STRING_CAP,
};
use crate::protocol::{console_text, data_as, ConsoleEntry, MessageType, NetworkExchange};
use crate::server::{Connector, PeerKind};
use crate::store::{Category, Ev, FrameOrigin, FrameRecord, StoredEvent};
use crate::ui::filter::Filter;

/// Longest `wait_for` may wait, and its default.
pub const MAX_WAIT_MS: u64 = 300_000;
pub const DEFAULT_WAIT_MS: u64 = 30_000;

fn is_console_message(ty: MessageType) -> bool {
    matches!(ty, MessageType::ConsoleLog | MessageType::ConsoleError)
}

/// A console message as a list shows it.
pub fn console_row(e: &StoredEvent) -> Value {
    let env = e.envelope();
    let entry: ConsoleEntry = data_as(&env).unwrap_or_default();
    let mut row = json!({
        "id": event_id(e),
        "time": e.timestamp_ms,
        "level": e.level.as_str(),
        "type": e.ty.as_str(),
        "message": cut(&console_text(&entry), LIST_STRING_CAP, "get_console_message {id}"),
        "session": &*e.session,
    });
    let source = entry.source.clone().or_else(|| {
        entry.url.as_ref().map(|u| match entry.line.as_ref().and_then(|l| l.as_i64()) {
            Some(l) => format!("{u}:{l}"),
            None => u.clone(),
        })
    });
    if let Some(s) = source {
        row["source"] = json!(cut(&s, LIST_STRING_CAP, "get_console_message {id}"));
    }
    if let Some(page) = env.meta_str("url") {
        row["page"] = json!(page);
    }
    row
}

/// A network request as a list shows it.
pub fn network_row(e: &StoredEvent) -> Value {
    let env = e.envelope();
    let x: NetworkExchange = data_as(&env).unwrap_or_default();
    let mut row = json!({
        "id": event_id(e),
        "time": e.timestamp_ms,
        "type": e.ty.as_str(),
        "method": x.method.as_deref().unwrap_or("GET"),
        "url": cut(x.url.as_deref().unwrap_or(""), LIST_STRING_CAP, "get_network_request {id}"),
        "status": (e.status != 0).then_some(e.status),
        "session": &*e.session,
    });
    if let Some(d) = x.duration.as_ref().and_then(|d| d.as_f64()) {
        row["durationMs"] = json!(d);
    }
    if let Some(t) = x.resource_type {
        row["resourceType"] = json!(t);
    }
    if let Some(mut err) = x.error.filter(|v| !v.is_null()) {
        cut_value(&mut err, LIST_STRING_CAP, "get_network_request {id}");
        row["error"] = err;
    }
    row
}

fn frame_row(f: &FrameRecord) -> Value {
    let mut row = f.to_json();
    let payload = f.data.as_deref().unwrap_or_default();
    let shown = if f.opcode == 1 {
        String::from_utf8_lossy(payload).into_owned()
    } else {
        base64::engine::general_purpose::STANDARD.encode(payload)
    };
    row["data"] = json!(cut(&shown, LIST_STRING_CAP, "GET /api/websocket/frame/{id}"));
    row["encoding"] = json!(if f.opcode == 1 { "text" } else { "base64" });
    row
}

struct Common<'a> {
    filter: Option<&'a str>,
    session: Option<&'a str>,
    since: Option<&'a str>,
    page: Option<usize>,
    page_size: Option<usize>,
}

/// Lists one log's events that pass `keep` and the common arguments, paged.
fn list_events(
    c: &Connector,
    category: Category,
    keep: impl Fn(&StoredEvent) -> bool,
    args: Common,
    row: fn(&StoredEvent) -> Value,
) -> CallToolResult {
    let filter = match parse_filter(args.filter) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let since = match args.since.map(Since::parse).transpose() {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let hits: Vec<StoredEvent> = {
        let store = c.store().read();
        store
            .log(category)
            .iter()
            .map(|(_, e)| e)
            .filter(|e| keep(e))
            .filter(|e| args.session.is_none_or(|s| &*e.session == s))
            .filter(|e| since.is_none_or(|s| s.admits(e.seq, e.timestamp_ms)))
            .filter(|e| filter.as_ref().is_none_or(|f| f.matches_event(e)))
            .map(Ev::into_owned)
            .collect()
    };
    let (rows, mut info) = page_of(hits, args.page.unwrap_or(0), args.page_size.unwrap_or(DEFAULT_PAGE_SIZE));
    info["rows"] = Value::Array(rows.iter().map(row).collect());
    ok_json(info)
}

pub fn list_console(c: &Connector, q: ConsoleQuery) -> CallToolResult {
    let mut text = q.filter.clone().unwrap_or_default();
    if let Some(level) = q.level.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        text = format!("{text} level:{level}");
    }
    let args = Common {
        filter: Some(&text),
        session: q.session.as_deref(),
        since: q.since.as_deref(),
        page: q.page,
        page_size: q.page_size,
    };
    list_events(c, Category::Console, |e| is_console_message(e.ty), args, console_row)
}

pub fn list_network(c: &Connector, q: NetworkQuery) -> CallToolResult {
    let args = Common {
        filter: q.filter.as_deref(),
        session: q.session.as_deref(),
        since: q.since.as_deref(),
        page: q.page,
        page_size: q.page_size,
    };
    list_events(c, Category::Network, |_| true, args, network_row)
}

/// Network requests that failed: `network-error`, or a status of 400 and up.
pub fn list_network_errors(c: &Connector, q: NetworkQuery) -> CallToolResult {
    let args = Common {
        filter: q.filter.as_deref(),
        session: q.session.as_deref(),
        since: q.since.as_deref(),
        page: q.page,
        page_size: q.page_size,
    };
    list_events(
        c,
        Category::Network,
        |e| e.ty == MessageType::NetworkError || e.status >= 400,
        args,
        network_row,
    )
}

fn find(c: &Connector, category: Category, id: &str) -> Option<StoredEvent> {
    let seq = parse_event_id(id)?;
    let store = c.store().read();
    let log = store.log(category);
    let at = log.partition_point(|e| e.seq >= seq);
    log.get(at).filter(|e| e.seq == seq).map(Ev::into_owned)
}

fn not_found(what: &str, id: &str, list_tool: &str) -> CallToolResult {
    invalid(format!(
        "no {what} with id {id:?} is held (it may have been cleared or evicted): call {list_tool} for current ids"
    ))
}

pub fn get_console(c: &Connector, id: &str) -> CallToolResult {
    let Some(e) = find(c, Category::Console, id).filter(|e| is_console_message(e.ty)) else {
        return not_found("console message", id, "list_console_messages");
    };
    let env = e.envelope();
    let entry: ConsoleEntry = data_as(&env).unwrap_or_default();
    ok_json(json!({
        "id": event_id(&e),
        "time": e.timestamp_ms,
        "level": e.level.as_str(),
        "type": e.ty.as_str(),
        "message": console_text(&entry),
        "args": entry.args,
        "stack": entry.stack,
        "source": entry.source,
        "url": entry.url,
        "line": entry.line,
        "column": entry.column,
        "page": env.meta_str("url"),
        "tab": env.meta_str("tabId"),
        "session": &*e.session,
        "wireId": env.id,
        "data": env.data,
    }))
}

/// A body as returned: whole up to [`BODY_CAP`] characters, else cut with the cap stated.
fn capped_body(v: &Value) -> Value {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => return Value::Null,
        other => other.to_string(),
    };
    let total = text.chars().count();
    if total <= BODY_CAP {
        return json!({ "text": text, "chars": total });
    }
    json!({
        "text": text.chars().take(BODY_CAP).collect::<String>(),
        "chars": total,
        "truncated": format!("cut at {BODY_CAP} of {total} characters (the cap on bodies returned over MCP)"),
    })
}

pub fn get_network(c: &Connector, id: &str, include_bodies: bool) -> CallToolResult {
    let Some(e) = find(c, Category::Network, id) else {
        return not_found("network request", id, "list_network_requests");
    };
    let env = e.envelope();
    let mut data = env.data.clone();
    let mut bodies = serde_json::Map::new();
    if let Some(obj) = data.as_object_mut() {
        for key in ["requestBody", "responseBody", "body"] {
            if let Some(b) = obj.remove(key) {
                if include_bodies {
                    bodies.insert(key.to_string(), capped_body(&b));
                } else if !b.is_null() {
                    let chars = b.as_str().map_or_else(|| b.to_string().len(), |s| s.chars().count());
                    bodies.insert(
                        key.to_string(),
                        json!(format!("{chars} characters, not included: pass include_bodies: true")),
                    );
                }
            }
        }
    }
    let x: NetworkExchange = data_as(&env).unwrap_or_default();
    ok_json(json!({
        "id": event_id(&e),
        "time": e.timestamp_ms,
        "type": e.ty.as_str(),
        "method": x.method,
        "url": x.url,
        "status": (e.status != 0).then_some(e.status),
        "statusText": x.status_text,
        "durationMs": x.duration.as_ref().and_then(|d| d.as_f64()),
        "timing": x.timing,
        "sizes": x.size,
        "headers": x.headers,
        "requestHeaders": x.request_headers,
        "responseHeaders": x.response_headers,
        "error": x.error,
        "bodies": bodies,
        "page": env.meta_str("url"),
        "session": &*e.session,
        "data": data,
    }))
}

pub fn list_frames(c: &Connector, q: FramesQuery) -> CallToolResult {
    let filter = match parse_filter(q.filter.as_deref()) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let hits: Vec<Value> = {
        let store = c.store().read();
        store
            .frames
            .log()
            .iter()
            .map(|(_, f)| f)
            .filter(|f| match q.traffic_id.as_deref() {
                Some(t) => &*f.traffic_id == t,
                None => f.origin == FrameOrigin::Page,
            })
            .filter(|f| filter.as_ref().is_none_or(|flt| flt.matches_frame(f)))
            .map(frame_row)
            .collect()
    };
    let (rows, mut info) = page_of(hits, q.page.unwrap_or(0), q.page_size.unwrap_or(DEFAULT_PAGE_SIZE));
    info["rows"] = Value::Array(rows);
    ok_json(info)
}

pub fn list_sessions(c: &Connector) -> CallToolResult {
    let default = c.registry().most_recent_browser(None);
    let sessions: Vec<Value> = c
        .sessions()
        .into_iter()
        .map(|s| {
            let kind = match s.kind {
                PeerKind::Extension => "browser",
                PeerKind::Client if s.subprotocol.as_deref() == Some(super::presence::MCP_SUBPROTOCOL) => {
                    "mcp"
                }
                PeerKind::Client => "client",
                PeerKind::Cdp => "cdp",
                PeerKind::Remote => "remote",
            };
            json!({
                "id": s.session_id,
                "kind": kind,
                "dialect": s.dialect,
                "tab": s.tab_id,
                "url": s.url,
                "title": s.title,
                "client": s.client_type,
                "connectedAt": s.connected_at,
                "lastActive": s.last_active,
                "messages": s.messages,
                "default": default.as_deref() == Some(s.session_id.as_str()),
            })
        })
        .collect();
    let browsers = sessions.iter().filter(|s| s["kind"] == "browser").count();
    ok_json(json!({ "browsers": browsers, "sessions": sessions }))
}

pub fn selected_element(c: &Connector, session: Option<&str>) -> CallToolResult {
    let newest = {
        let store = c.store().read();
        let found = store
            .log(Category::Elements)
            .iter()
            .rev()
            .map(|(_, e)| e)
            .find(|e| session.is_none_or(|s| &*e.session == s))
            .map(Ev::into_owned);
        found
    };
    match newest {
        Some(e) => {
            let env = e.envelope();
            let mut data = env.data.clone();
            cut_value(&mut data, 20_000, "the Elements pane");
            ok_json(json!({
                "id": event_id(&e),
                "time": e.timestamp_ms,
                "session": &*e.session,
                "page": env.meta_str("url"),
                "element": data.get("element").cloned().unwrap_or(data),
            }))
        }
        None => ok_json(json!({
            "element": null,
            "note": "no element selected yet: pick one with the extension's element picker (or the DevTools Elements panel)",
        })),
    }
}

fn kind_admits(kind: Option<&str>, e: &StoredEvent) -> bool {
    match kind {
        None | Some("") | Some("any") => e.ty != MessageType::AssistantCommand,
        Some("console") => is_console_message(e.ty),
        Some("network") => Category::of(e.ty) == Some(Category::Network),
        Some("elements") => e.ty == MessageType::ElementSelected,
        Some("frames") => e.ty == MessageType::WebsocketFrame,
        Some(_) => false,
    }
}

fn event_row(e: &StoredEvent) -> Value {
    match Category::of(e.ty) {
        Some(Category::Network) => network_row(e),
        Some(Category::Console) if is_console_message(e.ty) => console_row(e),
        _ => {
            let mut env = serde_json::to_value(e.envelope()).unwrap_or(Value::Null);
            cut_value(&mut env, LIST_STRING_CAP, "the list tools");
            json!({ "id": event_id(e), "time": e.timestamp_ms, "type": e.ty.as_str(), "event": env })
        }
    }
}

/// Waits for the first event after the call that matches; `started` runs once the cursor is set.
pub async fn wait_for(c: &Connector, q: &WaitFor, started: impl FnOnce()) -> CallToolResult {
    let filter: Filter = match parse_filter(Some(&q.filter)) {
        Ok(Some(f)) => f,
        Ok(None) => return invalid("wait_for needs a filter, e.g. \"url:/api/checkout method:POST\""),
        Err(e) => return invalid(e),
    };
    let kind = q.kind.as_deref().map(str::trim);
    if let Some(k) = kind.filter(|k| !["", "any", "console", "network", "elements", "frames"].contains(k)) {
        return invalid(format!("kind {k:?}: use console, network, elements or frames"));
    }
    let timeout_ms = q.timeout_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS);
    let mut changes = c.changes();
    let mut cursor = c.store().read().cursor_now();
    started();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
    loop {
        let (batch, _) = c.store().read().read_since(&mut cursor, 1_000);
        if let Some(e) = batch.iter().find(|e| kind_admits(kind, e) && filter.matches_event(e)) {
            return ok_json(json!({ "matched": true, "event": event_row(e) }));
        }
        if !batch.is_empty() {
            continue;
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return invalid("the connector is shutting down"),
            Err(_) => {
                return ok_json(json!({
                    "matched": false,
                    "timedOut": true,
                    "timeoutMs": timeout_ms,
                    "note": format!("nothing matching {:?} arrived within {timeout_ms} ms", q.filter),
                }))
            }
        }
    }
}
