//! Owns the HAR 1.2 writer: network events become `log.entries` (as Chrome DevTools writes them,
//! with its `_resourceType`, `_initiator`, `_fromCache`, `_transferSize`, `response._error`), page
//! WebSocket frames go on their socket's entry as Chrome's `_webSocketMessages`, navigations become
//! `log.pages`. Unknown sizes and timings are `-1`; `send`, `wait` and `receive` are never negative.
//! The document is streamed to a `Write` entry by entry (`write_to`).

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use base64::Engine;
use serde_json::{json, Map, Value};

use super::select::Picked;
use crate::protocol::redact::REDACTED;
use crate::store::{Direction, FrameRecord, StoredEvent};

/// What a written HAR holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub entries: usize,
    pub pages: usize,
}

/// Writes the HAR 1.2 document of what was picked to `out`, one entry at a time: a large export
/// never holds more than one entry in memory (building the whole log as one `Value` first cost
/// ten seconds and gigabytes for 100 000 requests). Compact JSON, one entry per line.
pub fn write_to<W: Write>(out: W, picked: &Picked) -> io::Result<Summary> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let pages = pages(&picked.navigations);
    out.write_all(b"{\"log\":{\"version\":\"1.2\",\"creator\":")?;
    serde_json::to_writer(&mut out, &json!({ "name": "triage-tui", "version": env!("CARGO_PKG_VERSION") }))?;
    out.write_all(b",\"pages\":[")?;
    for (i, p) in pages.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, &p.json)?;
    }
    out.write_all(b"],\"entries\":[")?;
    let mut summary = Summary { entries: 0, pages: pages.len() };
    let mut redacted = false;
    // Each socket's frames, in order, found once (a scan per entry was quadratic).
    let mut sockets: HashMap<&str, Vec<&FrameRecord>> = HashMap::new();
    for f in &picked.frames {
        sockets.entry(&f.traffic_id).or_default().push(f);
    }
    for e in &picked.network {
        let data = e.envelope().data;
        let mut entry = entry(&data, e.timestamp_ms);
        redacted |= has_redaction(&entry);
        if let Some(p) = page_of(&pages, &e.session, started_ms(&data, e.timestamp_ms)) {
            entry["pageref"] = json!(p);
        }
        let id = data["requestId"].as_str().or(data["id"].as_str()).unwrap_or("");
        if let Some(frames) = sockets.remove(id).filter(|_| !id.is_empty()) {
            entry["_webSocketMessages"] = frames.into_iter().map(message).collect();
        }
        put(&mut out, &mut summary, &entry)?;
    }
    // Frames of a socket whose handshake was not captured still get an entry, so none is lost;
    // those entries come in the order of their first frame.
    let mut orphans: Vec<Vec<&FrameRecord>> = sockets.into_values().collect();
    orphans.sort_by_key(|frames| (frames[0].timestamp_ms, frames[0].traffic_id.clone()));
    for frames in orphans {
        let first = frames[0];
        let data = json!({
            "url": first.url.as_deref().unwrap_or(""), "method": "GET", "status": 101,
            "statusText": "Switching Protocols", "resourceType": "websocket",
        });
        let mut entry = entry(&data, first.timestamp_ms);
        entry["_webSocketMessages"] = frames.into_iter().map(message).collect();
        put(&mut out, &mut summary, &entry)?;
    }
    out.write_all(b"\n]")?;
    if redacted {
        // Known only once every entry is written; a JSON object's keys have no order.
        out.write_all(b",\"comment\":")?;
        let comment = format!(
            "Header values shown as {REDACTED} were redacted by triage-tui on capture and stay redacted here."
        );
        serde_json::to_writer(&mut out, &comment)?;
    }
    out.write_all(b"}}\n")?;
    out.flush()?;
    Ok(summary)
}

/// The HAR as bytes (tests, the bench and small exports).
pub fn to_vec(picked: &Picked) -> io::Result<(Vec<u8>, Summary)> {
    let mut bytes = Vec::new();
    let summary = write_to(&mut bytes, picked)?;
    Ok((bytes, summary))
}

fn put(out: &mut impl Write, summary: &mut Summary, entry: &Value) -> io::Result<()> {
    out.write_all(if summary.entries == 0 { b"\n" } else { b",\n" })?;
    serde_json::to_writer(&mut *out, entry)?;
    summary.entries += 1;
    Ok(())
}

struct Page {
    session: String,
    started_ms: i64,
    id: String,
    json: Value,
}

/// One page per completed navigation, in order.
fn pages(navigations: &[StoredEvent]) -> Vec<Page> {
    let mut out = Vec::new();
    for e in navigations {
        let data = e.envelope().data;
        if data["event"].as_str() != Some("navigation_completed") {
            continue;
        }
        let id = format!("page_{}", out.len() + 1);
        let title = data["title"].as_str().or(data["url"].as_str()).unwrap_or("").to_string();
        out.push(Page {
            session: e.session.to_string(),
            started_ms: e.timestamp_ms,
            json: json!({
                "startedDateTime": iso(e.timestamp_ms), "id": &id, "title": title,
                "pageTimings": { "onContentLoad": -1, "onLoad": -1 },
            }),
            id,
        });
    }
    out
}

/// The page a request belongs to: the session's latest navigation at or before it.
fn page_of<'a>(pages: &'a [Page], session: &str, at_ms: i64) -> Option<&'a str> {
    pages.iter().rev().find(|p| p.session == session && p.started_ms <= at_ms).map(|p| p.id.as_str())
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().filter(|n| n.is_finite())
}

/// When the request started: `timing.startTime`, else the event time less its duration.
fn started_ms(data: &Value, event_ms: i64) -> i64 {
    num(&data["timing"]["startTime"])
        .map(|t| t as i64)
        .unwrap_or_else(|| event_ms - num(&data["duration"]).unwrap_or(0.0).max(0.0) as i64)
}

/// A header collection (`{Name: value}` or `[{name, value}]`) as HAR's list.
fn headers(v: &Value) -> Vec<Value> {
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match v {
        Value::Object(map) => map.iter().map(|(k, v)| json!({ "name": k, "value": text(v) })).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|h| Some(json!({ "name": h["name"].as_str()?, "value": text(&h["value"]) })))
            .collect(),
        _ => Vec::new(),
    }
}

fn header<'a>(list: &'a [Value], name: &str) -> Option<&'a str> {
    list.iter().find(|h| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))?["value"].as_str()
}

/// The URL's query as HAR's list (names and values as they appear in the URL).
fn query_string(url: &str) -> Vec<Value> {
    let Some((_, q)) = url.split_once('?') else { return Vec::new() };
    let q = q.split('#').next().unwrap_or("");
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            json!({ "name": n, "value": v })
        })
        .collect()
}

/// A body as HAR text: strings as they are, anything else as its JSON.
fn body_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A size field: the issue-12 name first, then today's, `-1` when neither is a number.
fn size(data: &Value, names: &[&str]) -> i64 {
    names.iter().find_map(|n| num(&data["size"][n])).map_or(-1, |n| n.round() as i64)
}

fn timings(data: &Value) -> (Value, f64) {
    let t = &data["timing"];
    let part = |k: &str| num(&t[k]).filter(|n| *n >= 0.0);
    let duration = num(&data["duration"]).or_else(|| num(&t["total"])).filter(|n| *n >= 0.0);
    let (send, wait, receive) = match (part("send"), part("wait"), part("receive")) {
        (None, None, None) => (0.0, duration.unwrap_or(0.0), 0.0),
        (s, w, r) => (s.unwrap_or(0.0), w.unwrap_or(0.0), r.unwrap_or(0.0)),
    };
    let opt = |k: &str| part(k).map_or(json!(-1), |n| json!(n));
    let blocked = part("blocked").or_else(|| part("queued"));
    let mut out = json!({
        "blocked": blocked.map_or(json!(-1), |n| json!(n)),
        "dns": opt("dns"), "connect": opt("connect"), "ssl": opt("ssl"),
        "send": send, "wait": wait, "receive": receive,
    });
    // HAR's `connect` includes `ssl`; the capture measures them apart.
    if let (Some(c), Some(s)) = (part("connect"), part("ssl")) {
        out["connect"] = json!(c.max(s));
    }
    let total: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
        .iter()
        .filter_map(|k| num(&out[k]))
        .filter(|n| *n >= 0.0)
        .sum();
    (out, duration.unwrap_or(total).max(total))
}

/// One HAR entry from a network event's `data`.
pub fn entry(data: &Value, event_ms: i64) -> Value {
    let url = data["url"].as_str().unwrap_or("");
    let req_headers = headers(&data["headers"]["request"]);
    let res_headers = headers(&data["headers"]["response"]);
    let http_version = data["protocol"].as_str().unwrap_or("").to_string();
    let mut request = json!({
        "method": data["method"].as_str().unwrap_or("GET"), "url": url, "httpVersion": http_version,
        "cookies": [], "headers": req_headers, "queryString": query_string(url),
        "headersSize": -1, "bodySize": -1,
    });
    if let Some(text) = body_text(&data["body"]["request"]) {
        let mime = header(&req_headers, "content-type").unwrap_or("").to_string();
        request["bodySize"] = json!(text.len());
        request["postData"] = json!({ "mimeType": mime, "text": text });
    } else if data["method"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("GET")) {
        request["bodySize"] = json!(0);
    }
    let mime = data["mimeType"]
        .as_str()
        .filter(|m| !m.is_empty())
        .or_else(|| header(&res_headers, "content-type"))
        .unwrap_or("")
        .to_string();
    let mut content = json!({ "size": size(data, &["resource", "body"]), "mimeType": mime });
    if let Some(text) = body_text(&data["body"]["response"]) {
        if content["size"] == json!(-1) {
            content["size"] = json!(text.len());
        }
        content["text"] = json!(text);
        if data["body"]["responseEncoding"].as_str() == Some("base64") {
            content["encoding"] = json!("base64");
        }
    }
    if let Some(why) = data["body"]["responseOmitted"].as_str() {
        content["comment"] = json!(format!("body not captured: {why}"));
    }
    let transferred = size(data, &["transferred", "response"]);
    let status = num(&data["status"]).map_or(0, |s| s as i64);
    let response = json!({
        "status": status, "statusText": data["statusText"].as_str().unwrap_or(""),
        "httpVersion": http_version, "cookies": [], "headers": res_headers, "content": content,
        "redirectURL": data["redirectedTo"].as_str().or_else(|| header(&res_headers, "location")).unwrap_or(""),
        "headersSize": -1, "bodySize": transferred, "_transferSize": transferred,
    });
    let (timings, time) = timings(data);
    let mut entry = Map::new();
    entry.insert("startedDateTime".into(), json!(iso(started_ms(data, event_ms))));
    entry.insert("time".into(), json!(time));
    entry.insert("request".into(), request);
    entry.insert("response".into(), response);
    entry.insert("cache".into(), json!({}));
    entry.insert("timings".into(), timings);
    if let Some(addr) = data["remoteAddress"].as_str() {
        let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip).trim_matches(['[', ']']);
        entry.insert("serverIPAddress".into(), json!(ip));
    }
    if let Some(t) = data["resourceType"].as_str() {
        entry.insert("_resourceType".into(), json!(t.to_ascii_lowercase()));
    }
    if !data["initiator"].is_null() {
        entry.insert("_initiator".into(), data["initiator"].clone());
    }
    let cache = data["cache"].as_str().or(if data["fromCache"] == json!(true) { Some("disk") } else { None });
    match cache {
        Some("service-worker") => {
            entry.insert("_fetchedViaServiceWorker".into(), json!(true));
        }
        Some(c) => {
            entry.insert("_fromCache".into(), json!(c));
        }
        None if data["fromServiceWorker"] == json!(true) => {
            entry.insert("_fetchedViaServiceWorker".into(), json!(true));
        }
        None => {}
    }
    if data["revalidated"] == json!(true) {
        entry.insert("_revalidated".into(), json!(true));
    }
    if let Some(err) = data["error"].as_str().filter(|e| !e.is_empty()) {
        // Where Chrome writes it.
        entry["response"]["_error"] = json!(err);
    }
    Value::Object(entry)
}

/// A frame as Chrome's `_webSocketMessages` item: text frames as text, others as base64.
pub fn message(f: &FrameRecord) -> Value {
    let data = f.data.as_ref().map_or(String::new(), |d| match (f.opcode, std::str::from_utf8(d)) {
        (1, Ok(text)) => text.to_string(),
        _ => base64::engine::general_purpose::STANDARD.encode(d),
    });
    let kind = if f.direction == Direction::ClientToServer { "send" } else { "receive" };
    json!({ "type": kind, "time": f.timestamp_ms as f64 / 1000.0, "opcode": f.opcode, "data": data })
}

fn has_redaction(entry: &Value) -> bool {
    ["request", "response"].iter().any(|k| {
        entry[k]["headers"]
            .as_array()
            .is_some_and(|hs| hs.iter().any(|h| h["value"].as_str() == Some(REDACTED)))
    })
}
