//! Owns what each pane shows: its columns, how one event becomes a row, and its detail text.
//! One file per pane; this module holds the shared row/detail types and formatting helpers.
//! Everything here is built from one parsed event at a time (only visible rows are built).

pub mod attach_notice;
pub mod console;
pub mod elements;
pub mod frames;
pub mod network;
pub mod sessions;

use serde_json::Value;

use super::sanitize;

/// How a row is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Error,
    Warn,
    Debug,
    Success,
    Muted,
    /// A client's own marker (seed 001 `publish`), banded apart from page logs.
    Marker,
}

/// One list row, already sanitised: its cells in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The event's seq: a cached row is rebuilt when the index now holds another event.
    pub seq: u64,
    /// The event's time (the time column is drawn from it in the chosen format).
    pub ts: i64,
    pub cells: Vec<String>,
    pub tone: Tone,
    /// Cells with their own colour: (column, tone).
    pub accents: Vec<(usize, Tone)>,
    /// A cell drawn as a dimmed prefix and the rest: (column, byte where the rest starts).
    pub dim_prefix: Option<(usize, usize)>,
    /// A bar drawn in the last column: this row's share (0–1) of the slowest visible request.
    pub bar: Option<f64>,
}

impl Row {
    pub fn new(seq: u64, ts: i64, cells: Vec<String>, tone: Tone) -> Row {
        Row { seq, ts, cells, tone, accents: Vec::new(), dim_prefix: None, bar: None }
    }
}

/// Column widths: fixed, or taking what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Fixed(u16),
    Fill,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub width: Width,
    /// Cut in the middle rather than at the end (URLs, names).
    pub middle: bool,
}

pub const fn col(title: &'static str, width: Width) -> Column {
    Column { title, width, middle: false }
}

pub const fn col_middle(title: &'static str, width: Width) -> Column {
    Column { title, width, middle: true }
}

/// How a detail line is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DKind {
    Heading,
    Field,
    Text,
    Error,
    Muted,
    /// One stack frame: wrapped at word boundaries, continued under an indent.
    Frame,
}

/// One logical detail line: `key` (for fields) and sanitised single-line `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct DLine {
    pub kind: DKind,
    pub key: String,
    pub text: String,
}

/// Builds detail lines; every text goes through the sanitiser.
#[derive(Debug, Default)]
pub struct Detail {
    pub lines: Vec<DLine>,
}

/// Longest text kept from one field in a detail (the copy keys give the whole event).
const DETAIL_TEXT_CAP: usize = 256 * 1024;

impl Detail {
    pub fn heading(&mut self, text: &str) {
        if !self.lines.is_empty() {
            self.lines.push(DLine { kind: DKind::Text, key: String::new(), text: String::new() });
        }
        self.lines.push(DLine {
            kind: DKind::Heading,
            key: String::new(),
            text: sanitize::line(text).into_owned(),
        });
    }

    pub fn field(&mut self, key: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut lines = sanitize::block(cap(value)).into_iter();
        let first = lines.next().unwrap_or_default();
        self.lines.push(DLine { kind: DKind::Field, key: key.to_string(), text: first });
        for l in lines {
            self.lines.push(DLine { kind: DKind::Field, key: String::new(), text: l });
        }
    }

    pub fn text(&mut self, value: &str) {
        self.block(DKind::Text, value);
    }

    pub fn error(&mut self, value: &str) {
        self.block(DKind::Error, value);
    }

    pub fn muted(&mut self, value: &str) {
        self.block(DKind::Muted, value);
    }

    /// A stack trace, one frame a line.
    pub fn stack(&mut self, value: &str) {
        self.block(DKind::Frame, value);
    }

    fn block(&mut self, kind: DKind, value: &str) {
        for l in sanitize::block(cap(value)) {
            self.lines.push(DLine { kind, key: String::new(), text: l });
        }
    }

    /// A JSON value: strings as text (pretty-printed when they hold JSON), others pretty-printed.
    pub fn json(&mut self, value: &Value) {
        self.text(&pretty_value(value));
    }
}

fn cap(s: &str) -> &str {
    crate::protocol::byte_prefix(s, DETAIL_TEXT_CAP)
}

/// Pretty JSON for any value; a string holding JSON is parsed and pretty-printed too.
pub fn pretty_value(value: &Value) -> String {
    match value {
        Value::String(s) => pretty_text(s),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A body as text: pretty-printed when it is JSON, as is otherwise.
pub fn pretty_text(s: &str) -> String {
    let t = s.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(s) {
            return serde_json::to_string_pretty(&v).unwrap_or_else(|_| s.to_string());
        }
    }
    s.to_string()
}

/// A value as one short line (for list cells).
pub fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Keeps list cells small: the list shows one line, cut to the column anyway.
pub fn cell_text(s: &str) -> String {
    sanitize::line(crate::protocol::byte_prefix(s, 600)).into_owned()
}

/// A key for an event that is the same in a live session and in its replay (a mark in a
/// `--record` file names its event with it): FNV-1a over type, time, session and data.
pub fn mark_key(e: &crate::store::StoredEvent) -> String {
    let env = e.envelope();
    let text = format!("{}|{}|{}|{}", e.ty, e.timestamp_ms, e.session, env.data);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `HH:MM:SS.mmm`, local time (UTC when `utc`).
pub fn fmt_time(ms: i64, utc: bool) -> String {
    use chrono::{DateTime, Local, Utc};
    let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms) else { return "--:--:--.---".into() };
    if utc {
        t.format("%H:%M:%S%.3f").to_string()
    } else {
        t.with_timezone(&Local).format("%H:%M:%S%.3f").to_string()
    }
}

/// A time difference for the relative time column: `+12 ms`, `+3.250 s`, `+2:05.100`.
pub fn fmt_rel(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let ms = ms.unsigned_abs();
    match ms {
        0..=999 => format!("{sign}{ms} ms"),
        1000..=59_999 => format!("{sign}{}.{:03} s", ms / 1000, ms % 1000),
        60_000..=3_599_999 => format!("{sign}{}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000),
        _ => format!("{sign}{}:{:02}:{:02}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60),
    }
}

pub fn fmt_bytes(n: u64) -> String {
    match n {
        0..=1023 => format!("{n} B"),
        1024..=1_048_575 => format!("{:.1} KB", n as f64 / 1024.0),
        _ => format!("{:.1} MB", n as f64 / 1_048_576.0),
    }
}

/// A duration; negative or not a number (the browser did not measure it) reads "—".
pub fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "—".to_string()
    } else if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{} ms", ms.round() as i64)
    }
}

/// Header entries as `(name, value)` pairs, from an object or a `[{name, value}]` list.
pub fn header_pairs(headers: &Value) -> Vec<(String, String)> {
    match headers {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), compact(v))).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|h| {
                let name = h.get("name")?.as_str()?.to_string();
                Some((name, h.get("value").map(compact).unwrap_or_default()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A field of `data` as a string, if present and not empty.
pub fn str_of<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A numeric field given as a number or a numeric string.
pub fn num_of(data: &Value, key: &str) -> Option<f64> {
    match data.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
