//! The Console pane: console messages, screenshot responses, browser events (navigations) and
//! the tool calls of MCP assistants, the markers clients publish (seed 001 pub/sub),
//! as DevTools lists them: time, level, source, message; repeats collapsed with a count.
//! Also the lines the UI adds itself: a JavaScript input (`›`) and its result (`‹`), a
//! command's result, written as console events marked with `uiKind`.

use serde_json::Value;

use super::{cell_text, col, compact, fmt_bytes, fmt_time, num_of, str_of, Column, Detail, Row, Tone, Width};
use crate::protocol::{console_text, data_as, ConsoleEntry, Envelope, MessageType};
use crate::store::{Level, StoredEvent};

pub const COLUMNS: &[Column] = &[
    col("time", Width::Fixed(12)),
    col("level", Width::Fixed(5)),
    col("source", Width::Fixed(18)),
    col("message", Width::Fill),
];

fn source_of(env: &Envelope, entry: &ConsoleEntry) -> String {
    if let Some(s) = entry.source.as_deref().filter(|s| !s.is_empty()) {
        return s.to_string();
    }
    let file = entry.url.as_deref().map(|u| u.rsplit('/').next().unwrap_or(u).to_string());
    match (file, &entry.line) {
        (Some(f), Some(l)) if !f.is_empty() => format!("{f}:{l}"),
        (Some(f), None) if !f.is_empty() => f,
        _ => env.meta_str("source").unwrap_or_default(),
    }
}

/// The text of a screenshot response for the list and the toast.
pub fn screenshot_summary(data: &Value) -> String {
    if data.get("success").and_then(Value::as_bool) == Some(false) {
        let err = data.get("error").map(compact).unwrap_or_else(|| "unknown error".into());
        return format!("screenshot failed: {err}");
    }
    let path = str_of(data, "path").unwrap_or("(no file)");
    match num_of(data, "size") {
        Some(n) => format!("screenshot saved {path} ({})", fmt_bytes(n as u64)),
        None => format!("screenshot saved {path}"),
    }
}

fn browser_event_summary(data: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.push(str_of(data, "event").unwrap_or("event").to_string());
    if let Some(u) = str_of(data, "url") {
        parts.push(u.to_string());
    }
    if let Some(t) = str_of(data, "title") {
        parts.push(format!("“{t}”"));
    }
    parts.join("  ")
}

/// An assistant's tool call (MCP): what it called, with what, and how it went.
pub fn assistant_summary(data: &Value) -> String {
    let tool = str_of(data, "tool").unwrap_or("?");
    let args = match data.get("arguments") {
        Some(Value::Object(m)) if !m.is_empty() => format!(" {}", compact(&Value::Object(m.clone()))),
        _ => String::new(),
    };
    let summary = str_of(data, "summary").unwrap_or("");
    match num_of(data, "durationMs") {
        Some(ms) => format!("{tool}{args} → {summary} ({ms} ms)"),
        None => format!("{tool}{args} … {summary}"),
    }
}

/// A published marker: `◆ channel  message` (a string message as is, others as compact JSON).
pub fn marker_summary(data: &Value) -> String {
    let channel = str_of(data, "channel").unwrap_or("?");
    let message = match data.get("message") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => compact(v),
        None => String::new(),
    };
    format!("◆ {channel}  {message}")
}

/// The message text a console event shows (and `Y` copies).
pub fn message_text(e: &StoredEvent, env: &Envelope) -> String {
    match e.ty {
        MessageType::AssistantCommand => assistant_summary(&env.data),
        MessageType::ScreenshotResponse => screenshot_summary(&env.data),
        MessageType::BrowserEvent => browser_event_summary(&env.data),
        MessageType::Marker => marker_summary(&env.data),
        _ => console_text(&data_as::<ConsoleEntry>(env).unwrap_or_default()),
    }
}

/// The times of a row that stands for several identical consecutive events.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTimes {
    pub count: u32,
    pub last_ts: i64,
    /// The first occurrences' times (at most a few dozen).
    pub times: Vec<i64>,
}

/// A line the UI added (JavaScript input/result, command result): its kind.
pub fn ui_kind(env: &Envelope) -> Option<&str> {
    str_of(&env.data, "uiKind")
}

/// A line the UI adds to the Console (JavaScript input `›`, a result `‹`), as a console event
/// of `session` marked with `uiKind`, so it sits in the log in order with the page's own lines.
pub fn ui_line(session: Option<&str>, kind: &str, source: &str, text: &str, now_ms: i64) -> StoredEvent {
    let level = if kind == "error" { Level::Error } else { Level::Info };
    let session = session.unwrap_or("triage-ui");
    let env = serde_json::json!({
        "type": "console-log",
        "timestamp": now_ms,
        "data": { "level": level.as_str(), "message": text, "source": source, "uiKind": kind },
        "metadata": { "sessionId": session, "source": "triage-ui" },
    });
    StoredEvent {
        seq: 0,
        ty: MessageType::ConsoleLog,
        level,
        status: 0,
        timestamp_ms: now_ms,
        session: session.into(),
        raw: crate::store::Raw::from(env.to_string().into_bytes()).into(),
    }
}

/// What `Y` copies: the message, and for an error its stack, one frame a line.
pub fn message_and_stack(e: &StoredEvent, env: &Envelope) -> String {
    let text = message_text(e, env);
    let entry: ConsoleEntry = data_as(env).unwrap_or_default();
    match stack_text(&entry) {
        Some(stack) if !text.contains(stack.trim()) => format!("{text}\n{stack}"),
        _ => text,
    }
}

fn stack_text(entry: &ConsoleEntry) -> Option<String> {
    match &entry.stack {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Array(frames)) => Some(frames.iter().map(compact).collect::<Vec<_>>().join("\n")),
        _ => None,
    }
}

pub fn row(e: &StoredEvent, env: &Envelope, utc: bool) -> Row {
    if let Some(kind) = ui_kind(env) {
        let (mark, tone) = match kind {
            "input" => ("›", Tone::Normal),
            "error" => ("‹ ✗", Tone::Error),
            _ => ("‹", Tone::Success),
        };
        let source = str_of(&env.data, "source").unwrap_or("console");
        let cells = vec![
            fmt_time(e.timestamp_ms, utc),
            mark.to_string(),
            cell_text(source),
            cell_text(&message_text(e, env)),
        ];
        return Row::new(e.seq, e.timestamp_ms, cells, tone);
    }
    let (level, source, tone) = match e.ty {
        MessageType::ScreenshotResponse => {
            let ok = e.level != Level::Error;
            ("shot", "screenshot".to_string(), if ok { Tone::Success } else { Tone::Error })
        }
        MessageType::BrowserEvent => ("event", "browser".to_string(), Tone::Muted),
        MessageType::Marker => {
            let who = str_of(&env.data, "publisher").unwrap_or("client").to_string();
            ("mark", who, Tone::Marker)
        }
        MessageType::AssistantCommand => {
            let who = str_of(&env.data, "client").unwrap_or("assistant").to_string();
            ("mcp", who, if e.level == Level::Error { Tone::Error } else { Tone::Success })
        }
        _ => {
            let entry: ConsoleEntry = data_as(env).unwrap_or_default();
            let tone = match e.level {
                Level::Error => Tone::Error,
                Level::Warn => Tone::Warn,
                Level::Debug | Level::Trace => Tone::Debug,
                _ => Tone::Normal,
            };
            (e.level.as_str(), source_of(env, &entry), tone)
        }
    };
    let cells = vec![
        fmt_time(e.timestamp_ms, utc),
        level.to_string(),
        cell_text(&source),
        cell_text(&message_text(e, env)),
    ];
    Row::new(e.seq, e.timestamp_ms, cells, tone)
}

pub fn detail(e: &StoredEvent, env: &Envelope, group: Option<&GroupTimes>, utc: bool) -> Detail {
    let mut d = Detail::default();
    d.heading(&format!("{} · {} · {}", e.ty, e.level.as_str(), fmt_time(e.timestamp_ms, utc)));
    if let Some(g) = group.filter(|g| g.count > 1) {
        d.field("repeated", &format!("{} identical messages in a row (nothing between them)", g.count));
        d.field("first", &fmt_time(e.timestamp_ms, utc));
        d.field("last", &fmt_time(g.last_ts, utc));
    }
    d.field("session", &e.session);
    if let Some(tab) = env.meta_str("tabId") {
        d.field("tab", &tab);
    }
    if let Some(url) = env.meta_str("url") {
        d.field("page", &url);
    }
    match e.ty {
        MessageType::ScreenshotResponse => {
            let data = &env.data;
            d.field("result", &screenshot_summary(data));
            for k in ["path", "screenshotId", "format"] {
                if let Some(v) = str_of(data, k) {
                    d.field(k, v);
                }
            }
            if let Some(n) = num_of(data, "size") {
                d.field("size", &fmt_bytes(n as u64));
            }
            if let Some(dim) = data.get("dimensions").filter(|v| !v.is_null()) {
                d.field("dimensions", &compact(dim));
            }
            if let Some(err) = data.get("error").filter(|v| !v.is_null()) {
                d.heading("Error");
                d.error(&compact(err));
            }
            if str_of(data, "path").is_some() {
                d.muted("press o to open it in the system image viewer");
            }
        }
        MessageType::BrowserEvent | MessageType::AssistantCommand | MessageType::Marker => {
            if let Some(obj) = env.data.as_object() {
                for (k, v) in obj {
                    d.field(k, &compact(v));
                }
            }
        }
        _ => {
            let entry: ConsoleEntry = data_as(env).unwrap_or_default();
            let source = source_of(env, &entry);
            d.field("source", &source);
            if let Some(u) = entry.url.as_deref() {
                d.field("url", u);
            }
            d.heading("Message");
            let text = console_text(&entry);
            if e.level == Level::Error {
                d.error(&text);
            } else {
                d.text(&text);
            }
            let stack = stack_text(&entry);
            // An argument that only repeats the message or the stack is not shown twice.
            let repeats = |s: &str| {
                let s = s.trim();
                s.len() > 20
                    && (stack.as_deref().is_some_and(|st| st.contains(s) || s.contains(st.trim()))
                        || (s.contains('\n') && text.contains(s)))
            };
            let args: Vec<(usize, &Value)> =
                entry.args.iter().enumerate().filter(|(_, a)| !a.as_str().is_some_and(repeats)).collect();
            // Args that only spell out the message (all strings, joined) add nothing.
            let spelled = entry.args.iter().all(Value::is_string)
                && entry.args.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ") == text;
            if !args.is_empty() && !spelled {
                d.heading("Args");
                for (i, a) in args {
                    let shown = match a {
                        Value::String(s) if s.contains('\n') => s.clone(),
                        Value::String(s) => format!("{s:?}"),
                        other => serde_json::to_string_pretty(other).unwrap_or_default(),
                    };
                    d.field(&format!("[{i}]"), &shown);
                }
            }
            if let Some(st) = stack {
                d.heading("Stack trace");
                d.stack(&st);
            } else if let Some(v) = entry.stack.as_ref().filter(|v| !v.is_null()) {
                d.heading("Stack trace");
                d.json(v);
            }
        }
    }
    if let Some(g) = group.filter(|g| g.count > 1) {
        d.heading(&format!("Occurrences ({})", g.count));
        for (i, t) in g.times.iter().enumerate() {
            d.field(&format!("#{}", i + 1), &fmt_time(*t, utc));
        }
        if g.count as usize > g.times.len() {
            d.muted(&format!("… and {} more", g.count as usize - g.times.len()));
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_row_is_banded_apart_from_page_logs() {
        let raw = r#"{"type":"marker","timestamp":1,"data":{"channel":"ci","message":"checkout test started","publisher":"cli-1"}}"#;
        let (env, _) = crate::protocol::parse_envelope(raw, 1 << 20).unwrap();
        let e = StoredEvent {
            seq: 1,
            ty: MessageType::Marker,
            level: Level::Info,
            status: 0,
            timestamp_ms: 1,
            session: "cli-1".into(),
            raw: crate::store::Raw::from(raw.as_bytes()).into(),
        };
        let r = row(&e, &env, true);
        assert_eq!(r.tone, Tone::Marker);
        assert_eq!((r.cells[1].as_str(), r.cells[2].as_str()), ("mark", "cli-1"));
        assert_eq!(r.cells[3], "◆ ci  checkout test started");
        let log = ui_line(None, "result", "x", "checkout test started", 1);
        assert_ne!(row(&log, &log.envelope(), true).tone, Tone::Marker);
    }
}
