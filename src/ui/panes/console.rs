//! The Console pane: console messages, screenshot responses, browser events (navigations) and
//! the tool calls of MCP assistants,
//! as DevTools lists them: time, level, source, message; repeats collapsed with a count.

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

/// The message text a console event shows (and `Y` copies).
pub fn message_text(e: &StoredEvent, env: &Envelope) -> String {
    match e.ty {
        MessageType::AssistantCommand => assistant_summary(&env.data),
        MessageType::ScreenshotResponse => screenshot_summary(&env.data),
        MessageType::BrowserEvent => browser_event_summary(&env.data),
        _ => console_text(&data_as::<ConsoleEntry>(env).unwrap_or_default()),
    }
}

pub fn row(e: &StoredEvent, env: &Envelope, utc: bool) -> Row {
    let (level, source, tone) = match e.ty {
        MessageType::ScreenshotResponse => {
            let ok = e.level != Level::Error;
            ("shot", "screenshot".to_string(), if ok { Tone::Success } else { Tone::Error })
        }
        MessageType::BrowserEvent => ("event", "browser".to_string(), Tone::Muted),
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
    Row {
        seq: e.seq,
        cells: vec![
            fmt_time(e.timestamp_ms, utc),
            level.to_string(),
            cell_text(&source),
            cell_text(&message_text(e, env)),
        ],
        tone,
    }
}

pub fn detail(e: &StoredEvent, env: &Envelope, count: u32, utc: bool) -> Detail {
    let mut d = Detail::default();
    d.heading(&format!("{} · {} · {}", e.ty, e.level.as_str(), fmt_time(e.timestamp_ms, utc)));
    if count > 1 {
        d.field("repeated", &format!("{count} times in a row"));
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
        MessageType::BrowserEvent | MessageType::AssistantCommand => {
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
            if !entry.args.is_empty() {
                d.heading("Args");
                for (i, a) in entry.args.iter().enumerate() {
                    let shown = match a {
                        Value::String(s) => format!("{s:?}"),
                        other => serde_json::to_string_pretty(other).unwrap_or_default(),
                    };
                    d.field(&format!("[{i}]"), &shown);
                }
            }
            match &entry.stack {
                Some(Value::String(s)) if !s.is_empty() => {
                    d.heading("Stack trace");
                    d.text(s);
                }
                Some(v) if !v.is_null() => {
                    d.heading("Stack trace");
                    d.json(v);
                }
                _ => {}
            }
        }
    }
    d
}
