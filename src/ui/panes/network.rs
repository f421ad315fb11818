//! The Network pane: method, status (coloured by class), resource type, name (host dimmed,
//! the path kept: cut in the middle), size, duration with a bar against the slowest visible
//! request; failures highlighted. Detail: headers, bodies (JSON pretty-printed), timing
//! (unknown ones "—"). Also the `fetch` that re-issues a request from the page (copies of a
//! request as curl, fetch, HTTPie or raw HTTP live in `export::copy`).

use serde_json::Value;

use super::{
    cell_text, col, col_middle, compact, fmt_bytes, fmt_ms, fmt_time, num_of, pretty_value, str_of, Column,
    Detail, Row, Tone, Width,
};
use crate::export::request::{bodies, headers};
use crate::protocol::{Envelope, MessageType};
use crate::store::StoredEvent;
use crate::ui::filter::short_resource_type;

pub const COLUMNS: &[Column] = &[
    col("time", Width::Fixed(12)),
    col("method", Width::Fixed(6)),
    col("status", Width::Fixed(6)),
    col("type", Width::Fixed(6)),
    col_middle("name", Width::Fill),
    col("size", Width::Fixed(8)),
    col("duration", Width::Fixed(16)),
];

/// The type column of a request: the sender's resource type, else a guess from the URL.
pub fn resource_short(data: &Value, url: &str) -> &'static str {
    if let Some(t) = str_of(data, "resourceType") {
        if let Some(s) = short_resource_type(t.as_bytes()) {
            return s;
        }
    }
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    let ext = path.rsplit('/').next().and_then(|f| f.rsplit_once('.')).map(|(_, e)| e).unwrap_or("");
    match ext {
        "js" | "mjs" => "script",
        "css" => "css",
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "ico" | "avif" => "img",
        "woff" | "woff2" | "ttf" | "otf" => "font",
        _ if url.starts_with("ws") => "ws",
        _ => "other",
    }
}

/// A URL as the name column shows it: without `https://`, and the byte where its path starts
/// (the host before it is drawn dimmed).
pub fn name_of(url: &str) -> (String, Option<usize>) {
    let Some((_, rest)) = url.split_once("://") else { return (url.to_string(), None) };
    let shown = cell_text(rest);
    let split = shown.find('/').unwrap_or(shown.len());
    (shown, Some(split))
}

/// The colour of a status: 2xx green, 3xx dim, 4xx amber, 5xx and failures red.
pub fn status_tone(e: &StoredEvent) -> Tone {
    match (e.ty, e.status) {
        (MessageType::NetworkError, _) | (_, 500..) => Tone::Error,
        (_, 400..=499) => Tone::Warn,
        (_, 300..=399) => Tone::Debug,
        (_, 100..=299) => Tone::Success,
        _ => Tone::Muted,
    }
}

pub fn failed(e: &StoredEvent) -> bool {
    e.ty == MessageType::NetworkError || e.status >= 400
}

fn size_of(data: &Value, side: &str) -> Option<u64> {
    let s = data.get("size")?;
    match s {
        Value::Number(n) if side == "response" => n.as_u64(),
        Value::Object(_) => num_of(s, side).map(|f| f as u64),
        _ => None,
    }
}

/// The size column, as DevTools' first size line: `(memory)` / `(disk)` / `(sw)` for a response
/// from a cache, else the bytes over the wire (`size.transferred`), else the older `size.response`.
fn size_cell(data: &Value) -> String {
    match str_of(data, "cache") {
        Some("memory") => "(memory)".into(),
        Some("disk") => "(disk)".into(),
        Some("service-worker") => "(sw)".into(),
        _ => size_of(data, "transferred")
            .or_else(|| size_of(data, "response"))
            .map(fmt_bytes)
            .unwrap_or_default(),
    }
}

pub fn row(e: &StoredEvent, env: &Envelope, utc: bool) -> Row {
    let data = &env.data;
    let status = match (e.status, e.ty) {
        (0, MessageType::NetworkError) => "ERR".to_string(),
        (0, _) => "-".to_string(),
        (s, _) => s.to_string(),
    };
    let url = str_of(data, "url").unwrap_or("");
    let (shown, split) = name_of(url);
    let duration = num_of(data, "duration");
    let mut row = Row::new(
        e.seq,
        e.timestamp_ms,
        vec![
            fmt_time(e.timestamp_ms, utc),
            cell_text(str_of(data, "method").unwrap_or("GET")),
            status,
            resource_short(data, url).to_string(),
            shown.clone(),
            size_cell(data),
            duration.map(fmt_ms).unwrap_or_else(|| "—".into()),
        ],
        match status_tone(e) {
            Tone::Error => Tone::Error,
            _ => Tone::Normal,
        },
    );
    row.accents.push((2, status_tone(e)));
    row.dim_prefix = split.map(|p| (4, p));
    row.bar = duration.filter(|d| d.is_finite() && *d >= 0.0);
    row
}

pub fn detail(e: &StoredEvent, env: &Envelope, utc: bool) -> Detail {
    let data = &env.data;
    let mut d = Detail::default();
    let method = str_of(data, "method").unwrap_or("GET");
    let url = str_of(data, "url").unwrap_or("");
    d.heading(&format!("{method} {url}"));
    let status = match (e.status, str_of(data, "statusText")) {
        (0, _) => "no response".to_string(),
        (s, Some(t)) => format!("{s} {t}"),
        (s, None) => s.to_string(),
    };
    if failed(e) {
        d.lines.push(super::DLine { kind: super::DKind::Error, key: "status".into(), text: status });
    } else {
        d.field("status", &status);
    }
    d.field("type", e.ty.as_str());
    d.field("time", &fmt_time(e.timestamp_ms, utc));
    if let Some(ms) = num_of(data, "duration") {
        d.field("duration", &fmt_ms(ms));
    }
    if let Some(n) = size_of(data, "request") {
        d.field("request size", &fmt_bytes(n));
    }
    if let Some(n) = size_of(data, "response") {
        d.field("response size", &fmt_bytes(n));
    }
    match (size_of(data, "transferred"), size_of(data, "resource")) {
        (Some(t), Some(r)) => {
            d.field("size", &format!("{} transferred / {} resource", fmt_bytes(t), fmt_bytes(r)))
        }
        (Some(t), None) => d.field("size", &format!("{} transferred", fmt_bytes(t))),
        (None, Some(r)) => d.field("size", &format!("{} resource", fmt_bytes(r))),
        (None, None) => {}
    }
    if let Some(c) = str_of(data, "cache") {
        d.field("cache", &format!("served from the {c} cache"));
    }
    if data.get("revalidated").and_then(Value::as_bool) == Some(true) {
        d.field("revalidated", "yes: the server answered 304 Not Modified, the cached copy was used");
    }
    let short = resource_short(data, url);
    match str_of(data, "resourceType") {
        Some(t) => d.field("resource", &format!("{t} (type:{short})")),
        None => d.field("resource", &format!("type:{short} (guessed from the URL)")),
    }
    d.field("session", &e.session);
    if let Some(err) = data.get("error").filter(|v| !v.is_null()) {
        d.heading("Error");
        d.error(&compact(err));
    }
    let (req_h, resp_h) = headers(data);
    let (req_b, resp_b) = bodies(data);
    d.heading("Request headers");
    if req_h.is_empty() {
        d.muted("(none)");
    }
    for (k, v) in &req_h {
        d.field(k, v);
    }
    if let Some(b) = req_b {
        d.heading("Request body");
        d.json(b);
    }
    d.heading("Response headers");
    if resp_h.is_empty() {
        d.muted("(none)");
    }
    for (k, v) in &resp_h {
        d.field(k, v);
    }
    if let Some(b) = resp_b {
        d.heading("Response body");
        d.json(b);
    }
    if let Some(t) = data.get("timing").filter(|v| !v.is_null()) {
        d.heading("Timing");
        match t.as_object() {
            Some(obj) => {
                for (k, v) in obj {
                    let shown = v.as_f64().map(fmt_ms).unwrap_or_else(|| compact(v));
                    d.field(k, &shown);
                }
            }
            None => d.text(&pretty_value(t)),
        }
    }
    d
}

/// The request as a `fetch()` the page can run to issue it again: same method, URL, headers
/// (but not redacted ones, nor those the browser sets itself) and body. Also the names of the
/// headers left out because their values were redacted.
pub fn resend_script(env: &Envelope) -> Option<(String, Vec<String>)> {
    let data = &env.data;
    let url = str_of(data, "url")?;
    let method = str_of(data, "method").unwrap_or("GET").to_ascii_uppercase();
    let (req_h, _) = headers(data);
    let mut sent = serde_json::Map::new();
    let mut left_out = Vec::new();
    for (k, v) in req_h {
        let lower = k.to_ascii_lowercase();
        if v.contains("[REDACTED]") {
            left_out.push(k);
            continue;
        }
        if lower == "content-length" || lower == "host" || lower.starts_with(':') || lower.starts_with("sec-")
        {
            continue;
        }
        sent.insert(k, Value::String(v));
    }
    let mut init = serde_json::Map::new();
    init.insert("method".into(), Value::String(method.clone()));
    if !sent.is_empty() {
        init.insert("headers".into(), Value::Object(sent));
    }
    if let (Some(body), _) = bodies(data) {
        if method != "GET" && method != "HEAD" {
            let text = match body {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            init.insert("body".into(), Value::String(text));
        }
    }
    let script = format!("fetch({}, {})", Value::String(url.to_string()), Value::Object(init));
    Some((script, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn size_column_is_transferred_or_the_cache() {
        let data = json!({"size": {"request": 10, "response": 104, "transferred": 2048, "resource": 1700}});
        assert_eq!(size_cell(&data), "2.0 KB");
        assert_eq!(size_cell(&json!({"size": {"response": 104}})), "104 B");
        assert_eq!(size_cell(&json!({"size": {"transferred": 0}, "cache": "memory"})), "(memory)");
        assert_eq!(size_cell(&json!({"size": 5})), "5 B");
        assert_eq!(size_cell(&json!({})), "");
    }

    #[test]
    fn resend_is_a_fetch_without_redacted_headers() {
        let env = Envelope::new(
            "network-request",
            json!({
                "url": "https://api.example.com/cart",
                "method": "post",
                "headers": {"request": {"Authorization": "[REDACTED]", "Content-Type": "application/json", "Content-Length": "12"}},
                "body": {"request": "{\"sku\": 1}"}
            }),
        );
        let (script, left_out) = resend_script(&env).unwrap();
        assert_eq!(
            script,
            r#"fetch("https://api.example.com/cart", {"method":"POST","headers":{"Content-Type":"application/json"},"body":"{\"sku\": 1}"})"#
        );
        assert_eq!(left_out, vec!["Authorization".to_string()]);
    }
}
