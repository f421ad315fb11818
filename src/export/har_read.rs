//! Owns the HAR reader: a HAR from Chrome, Firefox, Playwright or Charles (or our own) becomes
//! canonical envelopes — `network-request`/`network-error` per entry, `websocket-frame` per
//! `_webSocketMessages` item — in the shapes the capture writes, so the UI and API show them as
//! they would live traffic.
//!
//! Entries are read one at a time from any `Read` (a file, for `open FILE`) by `read_from`: a
//! scan for each entry's end in the `entries` array (brackets and strings only), then serde_json
//! over that entry's bytes. Each entry is handed on before the next is read, so a loader stores
//! entries while the rest of the file is still being read; a truncated file (a download cut
//! short, an export that ran out of disk) still gives every entry before the cut; at most one
//! entry's `Value` and about a MiB of the file are held at once. An entry that is JSON but not an
//! entry is skipped and counted; what follows the array is not read. Measured on the 106 MB bench
//! HAR (`open_har_100mb_parse_ms`, release, loaded 2-core machine): a serde visitor over
//! `from_reader` took 6 334 ms, this scan 5 579 and 7 905 ms (machine noise is larger
//! than the difference; most of it is building the `Value`s).

use base64::Engine;
use serde_json::{json, Map, Value};

/// What a HAR held.
#[derive(Debug, Default)]
pub struct HarRead {
    /// Canonical envelopes, one JSON object each.
    pub envelopes: Vec<Value>,
    pub entries: usize,
    /// Entries that could not be read: (entry index, why).
    pub skipped: Vec<(usize, String)>,
    /// Why reading stopped before the end of `entries` (truncated or malformed JSON), if it did.
    pub stopped: Option<String>,
}

/// Whether these first bytes look like a HAR (`{"log": …`) rather than NDJSON events.
pub fn looks_like_har(head: &[u8]) -> bool {
    let s = String::from_utf8_lossy(head);
    let s = s.trim_start().strip_prefix('{').map(str::trim_start);
    s.is_some_and(|s| s.starts_with("\"log\""))
}

/// One entry as read: its envelopes, or why it was skipped (entry index, why).
pub type Entry = Result<Vec<Value>, (usize, String)>;

/// How a streamed read ended: the number of entries seen, and why it stopped early, if it did.
#[derive(Debug, Default)]
pub struct ReadEnd {
    pub entries: usize,
    pub stopped: Option<String>,
}

/// Reads a HAR's entries from `reader`, handing each to `on_entry` as soon as it is parsed. A
/// document with no `log.entries` array at all is an error; JSON that breaks off inside the
/// array ends the read with `stopped` saying why, after every entry before it was handed on.
pub fn read_from<R: std::io::Read>(
    reader: R,
    session: &str,
    on_entry: &mut dyn FnMut(Entry),
) -> Result<ReadEnd, String> {
    let mut buf = Chunks { reader, bytes: Vec::new(), start: 0, eof: false };
    let mut pos = loop {
        if let Some(at) = entries_start(&buf.bytes) {
            break at;
        }
        if !buf.more() {
            return Err("not a HAR: no \"log\".\"entries\" array".into());
        }
    };
    let mut end = ReadEnd::default();
    loop {
        while buf.byte(pos).is_some_and(|b| b.is_ascii_whitespace() || b == b',') {
            pos += 1;
        }
        match buf.byte(pos) {
            Some(b']') => break,
            None => {
                end.stopped = Some(format!(
                    "the file is truncated at entry {}: it ends inside \"entries\"",
                    end.entries + 1
                ));
                break;
            }
            _ => {}
        }
        let stop = value_end(&mut buf, pos);
        let parsed = serde_json::from_slice::<Value>(&buf.bytes[pos - buf.start..stop - buf.start]);
        match parsed {
            Ok(entry) => {
                let index = end.entries;
                end.entries += 1;
                on_entry(envelopes_of(&entry, index, session).map_err(|why| (index, why)));
            }
            Err(e) => {
                let what = if e.is_eof() { "the file is truncated" } else { "malformed JSON" };
                end.stopped = Some(format!("{what} at entry {}: {e}", end.entries + 1));
                break;
            }
        }
        pos = stop;
        buf.consume(pos);
    }
    Ok(end)
}

/// Reads a HAR's entries from bytes. A file with no `entries` array at all is an error.
pub fn read(bytes: &[u8], session: &str) -> Result<HarRead, String> {
    let mut out = HarRead::default();
    let end = read_from(bytes, session, &mut |entry| match entry {
        Ok(envs) => out.envelopes.extend(envs),
        Err(skipped) => out.skipped.push(skipped),
    })?;
    out.entries = end.entries;
    out.stopped = end.stopped;
    Ok(out)
}

/// The file's bytes from `start` (an absolute offset) on, read in chunks as the scan needs them.
struct Chunks<R> {
    reader: R,
    bytes: Vec<u8>,
    start: usize,
    eof: bool,
}

impl<R: std::io::Read> Chunks<R> {
    /// Reads another chunk; false at the end of the file (or a read error, which ends it too).
    fn more(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let had = self.bytes.len();
        self.bytes.resize(had + (1 << 16), 0);
        let n = loop {
            match self.reader.read(&mut self.bytes[had..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r.unwrap_or(0),
            }
        };
        self.bytes.truncate(had + n);
        self.eof = n == 0;
        !self.eof
    }

    /// The byte at absolute offset `at`, reading on as needed.
    fn byte(&mut self, at: usize) -> Option<u8> {
        while at - self.start >= self.bytes.len() {
            if !self.more() {
                return None;
            }
        }
        Some(self.bytes[at - self.start])
    }

    /// Forgets the bytes before absolute offset `at`.
    fn consume(&mut self, at: usize) {
        if at - self.start > 1 << 20 {
            self.bytes.drain(..at - self.start);
            self.start = at;
        }
    }
}

/// Where the JSON value at `from` ends: the first `,` or `]` outside strings and brackets (or the
/// end of the file). Only brackets and strings are tracked; `serde_json` judges the rest.
fn value_end<R: std::io::Read>(buf: &mut Chunks<R>, from: usize) -> usize {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut at = from;
    while let Some(b) = buf.byte(at) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b',' | b']' if depth == 0 => return at,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        at += 1;
    }
    at
}

/// Finds the byte just past `"entries"` `:` `[`.
fn entries_start(bytes: &[u8]) -> Option<usize> {
    let at = memchr::memmem::find(bytes, b"\"entries\"")? + 9;
    let mut i = at;
    for want in [b':', b'['] {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        (bytes.get(i) == Some(&want)).then_some(())?;
        i += 1;
    }
    Some(i)
}

fn ms_of(date: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(date).ok().map(|d| d.timestamp_millis())
}

/// HAR's header list as the capture's object (repeated names joined as browsers show them).
fn headers(list: &Value) -> Value {
    let mut map = Map::new();
    for h in list.as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (h["name"].as_str(), h["value"].as_str()) else { continue };
        if name.starts_with(':') {
            continue; // HTTP/2 pseudo-headers (Chrome, Firefox) are not headers.
        }
        match map.get_mut(name) {
            Some(Value::String(prev)) => {
                let sep = if name.eq_ignore_ascii_case("set-cookie") { "\n" } else { ", " };
                prev.push_str(sep);
                prev.push_str(value);
            }
            _ => {
                map.insert(name.to_string(), json!(value));
            }
        }
    }
    Value::Object(map)
}

fn non_negative(v: &Value) -> Option<f64> {
    v.as_f64().filter(|n| *n >= 0.0)
}

/// One entry's envelopes: its request and its socket's frames.
fn envelopes_of(e: &Value, index: usize, session: &str) -> Result<Vec<Value>, String> {
    let req = e.get("request").filter(|r| r.is_object()).ok_or("no request")?;
    let url = req["url"].as_str().ok_or("no request.url")?;
    let res = &e["response"];
    let start = e["startedDateTime"].as_str().and_then(ms_of).ok_or("no valid startedDateTime")?;
    let time = non_negative(&e["time"]);
    let id = format!("har-{}", index + 1);
    // Playwright writes -1 for a request that got no response.
    let status = res["status"].as_i64().unwrap_or(0).max(0);
    let content = &res["content"];
    let transferred = e["response"]["_transferSize"]
        .as_i64()
        .filter(|n| *n >= 0)
        .or(res["bodySize"].as_i64().filter(|n| *n >= 0));
    let resource = content["size"].as_i64().filter(|n| *n >= 0);
    let t = &e["timings"];
    let mut timing = json!({ "startTime": start, "total": time });
    for (har, ours) in [
        ("blocked", "queued"),
        ("dns", "dns"),
        ("connect", "connect"),
        ("ssl", "ssl"),
        ("send", "send"),
        ("wait", "wait"),
        ("receive", "receive"),
    ] {
        timing[ours] = json!(t[har].as_f64().unwrap_or(-1.0));
    }
    let mut body = json!({ "request": req["postData"]["text"], "response": content["text"] });
    if content["encoding"].as_str() == Some("base64") {
        body["responseEncoding"] = json!("base64");
    }
    let resource_type = e["_resourceType"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| guess_type(url, content["mimeType"].as_str().unwrap_or("")));
    let mut data = json!({
        "requestId": &id, "url": url, "method": req["method"].as_str().unwrap_or("GET"),
        "status": status, "statusText": res["statusText"].as_str().unwrap_or(""),
        "resourceType": resource_type, "mimeType": content["mimeType"].as_str().unwrap_or(""),
        "duration": time,
        "size": {
            "transferred": transferred.unwrap_or(-1), "resource": resource.unwrap_or(-1),
            "request": req["bodySize"].as_i64().filter(|n| *n >= 0).unwrap_or(0),
            "response": transferred.unwrap_or(0), "body": resource.unwrap_or(0),
        },
        "headers": { "request": headers(&req["headers"]), "response": headers(&res["headers"]) },
        "body": body,
        "timing": timing,
    });
    let http_version = req["httpVersion"].as_str().or(res["httpVersion"].as_str()).unwrap_or("");
    if !http_version.is_empty() {
        data["protocol"] = json!(http_version);
    }
    if !e["_initiator"].is_null() {
        data["initiator"] = e["_initiator"].clone();
    }
    // Chrome and Charles write `response._error`, Playwright `response._failureText`; some tools
    // put it on the entry.
    let err = res["_error"].as_str().or(res["_failureText"].as_str()).or(e["_error"].as_str());
    if let Some(err) = err.filter(|s| !s.is_empty()) {
        data["error"] = json!(err);
    }
    if let Some(c) = e["_fromCache"].as_str() {
        data["cache"] = json!(c);
    }
    if let Some(ip) = e["serverIPAddress"].as_str() {
        data["remoteAddress"] = json!(ip);
    }
    if let Some(to) = res["redirectURL"].as_str().filter(|s| !s.is_empty()) {
        data["redirectedTo"] = json!(to);
    }
    let error = status == 0 && data["error"].is_string();
    let end = start + time.unwrap_or(0.0).round() as i64;
    let mut out = vec![json!({
        "id": &id, "type": if error { "network-error" } else { "network-request" }, "timestamp": end,
        "data": data, "metadata": { "sessionId": session, "source": "har" },
    })];
    for (i, m) in e["_webSocketMessages"].as_array().into_iter().flatten().enumerate() {
        let opcode = m["opcode"].as_u64().unwrap_or(1);
        let text = m["data"].as_str().unwrap_or("");
        // Chrome writes text frames as text and the others as base64; the protocol carries base64.
        let payload = if opcode == 1 {
            base64::engine::general_purpose::STANDARD.encode(text)
        } else {
            text.to_string()
        };
        let direction =
            if m["type"].as_str() == Some("send") { "client-to-server" } else { "server-to-client" };
        let at = m["time"].as_f64().map_or(start, |s| (s * 1000.0).round() as i64);
        out.push(json!({
            "id": format!("{id}-ws-{}", i + 1), "type": "websocket-frame", "timestamp": at,
            "data": { "trafficId": &id, "timestamp": at, "direction": direction, "opcode": opcode,
                      "data": payload, "isBinary": opcode == 2, "url": url },
            "metadata": { "sessionId": session, "source": "har" },
        }));
    }
    Ok(out)
}

/// A resource type for HARs that give none (Firefox, Charles), from the URL and MIME type.
fn guess_type(url: &str, mime: &str) -> String {
    let t = if url.starts_with("ws://") || url.starts_with("wss://") {
        "websocket"
    } else if mime.contains("html") {
        "document"
    } else if mime.contains("javascript") {
        "script"
    } else if mime.contains("css") {
        "stylesheet"
    } else if mime.starts_with("image/") {
        "image"
    } else if mime.contains("font") {
        "font"
    } else {
        "fetch"
    };
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands its bytes on one at a time, counting how many it has given.
    struct Trickle<'a>(&'a [u8], std::rc::Rc<std::cell::Cell<usize>>);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((b, rest)) = self.0.split_first() else { return Ok(0) };
            buf[0] = *b;
            self.0 = rest;
            self.1.set(self.1.get() + 1);
            Ok(1)
        }
    }

    #[test]
    fn entries_are_handed_on_before_the_rest_of_the_file_is_read() {
        let entry = r#"{"startedDateTime":"2026-01-01T00:00:00Z","request":{"url":"https://a.test/"}}"#;
        let doc = format!(r#"{{"log":{{"pages":[{{"id":"p"}}],"entries":[{entry}, 7, {entry}],"tail":"#);
        let given = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut seen = Vec::new();
        let end = read_from(Trickle(doc.as_bytes(), given.clone()), "s", &mut |e| {
            seen.push((e.map(|envs| envs.len()), given.get()));
        })
        .unwrap();
        // The first entry came before the next one was read; the non-entry was skipped.
        assert!(seen[0].1 < doc.find("7,").unwrap(), "{seen:?}");
        assert_eq!(
            seen.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
            [Ok(1), Err((1, "no request".into())), Ok(1)]
        );
        // What follows the entries array is not read: the cut after it loses nothing.
        assert_eq!((end.entries, end.stopped), (3, None));
        let cut = &doc[..doc.find(", 7").unwrap() + 4];
        let end = read_from(cut.as_bytes(), "s", &mut |_| {}).unwrap();
        assert!(end.stopped.unwrap().starts_with("the file is truncated at entry 3"));
        assert!(read_from(&b"{\"log\":{\"pages\":[]}}"[..], "s", &mut |_| {})
            .unwrap_err()
            .contains("not a HAR"));
    }
}
