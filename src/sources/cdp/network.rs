//! Network events of one page (and its iframes and workers) → `network-request` /
//! `network-error` with headers, timing, sizes, resource type and bodies up to the cap, and the
//! page's own WebSockets → `websocket-frame` (one trafficId per socket). Mirrors the
//! extension's capture.js.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::client::Client;
use super::console::truncate;
use crate::protocol::network_facts::WireFacts;
use crate::protocol::timestamp::now_ms;
use crate::protocol::MessageType;

const MAX_TRACKED: usize = 2000;
const MAX_URL: usize = 8 * 1024;
const MAX_HEADER_VALUE: usize = 8 * 1024;
const MAX_FRAME_BYTES: usize = 256 * 1024;

/// What one request looks like until it finishes or fails.
struct Request {
    session: Arc<str>,
    url: String,
    method: String,
    resource_type: String,
    frame_id: String,
    request_headers: Value,
    raw_request_headers: Option<Value>,
    raw_response_headers: Option<Value>,
    post_data: Option<String>,
    has_post_data: bool,
    start_ts: f64,
    wall_ms: f64,
    initiator: Option<String>,
    response: Option<Value>,
    /// Status, sizes and cache as DevTools shows them (the wire status, encoded and decoded bytes).
    facts: WireFacts,
    end_ts: Option<f64>,
    redirected_to: Option<String>,
    /// When the last response byte (or the headers) arrived; for requests that never finish.
    last_seen: Option<std::time::Instant>,
    /// Already reported as incomplete: a late loadingFinished must not report it twice.
    reported: bool,
    /// `responseReceived` said ExtraInfo events (the wire status and headers) come for it.
    wants_extra: bool,
    /// loadingFinished arrived before the response's ExtraInfo: held until it does, or [`EXTRA_WAIT`].
    finished_at: Option<std::time::Instant>,
}

/// Chrome sends no loadingFinished for a fetch() whose body the page never reads: a response
/// with no data for this long is reported as it is, marked incomplete (as the extension does).
const STALL: std::time::Duration = std::time::Duration::from_secs(3);

/// Chrome may send `responseReceivedExtraInfo` after `loadingFinished` (a revalidation's 304
/// then reads 200): a finished request that expects it waits this long, then is reported as is.
const EXTRA_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Extra-info events may arrive before their request: held until it does.
#[derive(Default)]
struct Extra {
    request_headers: Option<Value>,
    response_headers: Option<Value>,
    status: Option<i64>,
}

/// One page's requests and sockets in flight.
#[derive(Default)]
pub struct Net {
    requests: HashMap<String, Request>,
    order: std::collections::VecDeque<String>,
    extra: HashMap<String, Extra>,
    sockets: HashMap<String, String>,
}

/// What a network event produced.
pub type Out = Vec<(MessageType, Value)>;

fn headers_map(h: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in h.as_object().into_iter().flatten() {
        let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        out.insert(k.clone(), json!(truncate(&v, MAX_HEADER_VALUE)));
    }
    Value::Object(out)
}

fn headers_size(h: &Value) -> usize {
    h.as_object().into_iter().flatten().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len) + 4).sum()
}

fn round(n: f64) -> f64 {
    (n * 100.0).round() / 100.0
}

fn textual(mime: &str) -> bool {
    let m = mime.to_ascii_lowercase();
    m.is_empty()
        || m.starts_with("text/")
        || m == "image/svg+xml"
        || (m.starts_with("application/")
            && ["json", "javascript", "ecmascript", "xml", "x-www-form-urlencoded", "graphql", "x-ndjson"]
                .iter()
                .any(|t| m.contains(t)))
}

impl Net {
    /// Handles one `Network.*` event from `session`. `main_frame` marks main-document failures;
    /// `fetch_bodies` false (a flood) leaves bodies out, saying why.
    #[allow(clippy::too_many_arguments)]
    pub async fn on_event(
        &mut self,
        client: &Client,
        session: &Arc<str>,
        method: &str,
        p: &Value,
        body_cap: usize,
        main_frame: Option<&str>,
        fetch_bodies: bool,
    ) -> Out {
        let mut out = Out::new();
        let id = p["requestId"].as_str().unwrap_or("").to_string();
        match method {
            "Network.requestWillBeSent" => {
                if let (Some(redirect), Some(mut prev)) =
                    (p.get("redirectResponse"), self.requests.remove(&id))
                {
                    prev.facts.response_status = redirect["status"].as_i64();
                    prev.response = Some(redirect.clone());
                    prev.end_ts = p["timestamp"].as_f64();
                    prev.facts.encoded_length = redirect["encodedDataLength"].as_f64();
                    prev.redirected_to = p["request"]["url"].as_str().map(str::to_string);
                    out.push((MessageType::NetworkRequest, data_of(&id, &prev, None, body_cap)));
                }
                let r = &p["request"];
                let extra = self.extra.remove(&id).unwrap_or_default();
                let req = Request {
                    session: session.clone(),
                    url: format!(
                        "{}{}",
                        r["url"].as_str().unwrap_or(""),
                        r["urlFragment"].as_str().unwrap_or("")
                    ),
                    method: r["method"].as_str().unwrap_or("GET").to_string(),
                    resource_type: p["type"].as_str().unwrap_or("Other").to_string(),
                    frame_id: p["frameId"].as_str().unwrap_or("").to_string(),
                    request_headers: r["headers"].clone(),
                    raw_request_headers: extra.request_headers,
                    raw_response_headers: extra.response_headers,
                    post_data: r["postData"].as_str().map(str::to_string),
                    has_post_data: r["hasPostData"].as_bool().unwrap_or(false),
                    start_ts: p["timestamp"].as_f64().unwrap_or(0.0),
                    wall_ms: p["wallTime"].as_f64().map_or(now_ms() as f64, |w| w * 1000.0),
                    initiator: p["initiator"]["type"].as_str().map(str::to_string),
                    response: None,
                    facts: WireFacts { wire_status: extra.status, ..WireFacts::default() },
                    end_ts: None,
                    redirected_to: None,
                    last_seen: None,
                    reported: false,
                    wants_extra: false,
                    finished_at: None,
                };
                self.track(id, req);
            }
            "Network.requestWillBeSentExtraInfo" => match self.requests.get_mut(&id) {
                Some(req) => req.raw_request_headers = Some(p["headers"].clone()),
                None => self.stash(id, |e| e.request_headers = Some(p["headers"].clone())),
            },
            "Network.responseReceivedExtraInfo" => {
                let status = p["statusCode"].as_i64();
                match self.requests.get_mut(&id) {
                    Some(req) => {
                        req.raw_response_headers = Some(p["headers"].clone());
                        req.facts.wire_status = status;
                        if req.finished_at.is_some() {
                            if let Some(req) = self.requests.remove(&id) {
                                out.push(finish(client, &id, req, body_cap, fetch_bodies).await);
                            }
                        }
                    }
                    None => self.stash(id, |e| {
                        e.response_headers = Some(p["headers"].clone());
                        e.status = status;
                    }),
                }
            }
            "Network.responseReceived" => {
                if let Some(req) = self.requests.get_mut(&id) {
                    let r = &p["response"];
                    req.facts.response_status = r["status"].as_i64();
                    req.facts.from_disk_cache = r["fromDiskCache"].as_bool() == Some(true);
                    req.facts.from_prefetch_cache = r["fromPrefetchCache"].as_bool() == Some(true);
                    req.facts.from_service_worker = r["fromServiceWorker"].as_bool() == Some(true);
                    req.response = Some(r.clone());
                    req.wants_extra = p["hasExtraInfo"].as_bool() == Some(true);
                    req.last_seen = Some(std::time::Instant::now());
                    req.end_ts = p["timestamp"].as_f64();
                    if let Some(t) = p["type"].as_str() {
                        req.resource_type = t.to_string();
                    }
                    if req.resource_type == "EventSource" {
                        // A server-sent-event stream may never finish: report it at its headers.
                        req.end_ts = p["timestamp"].as_f64();
                        if let Some(req) = self.requests.remove(&id) {
                            let mut d = data_of(&id, &req, None, body_cap);
                            d["body"]["responseOmitted"] = json!("event stream (frames are not captured)");
                            out.push((MessageType::NetworkRequest, d));
                        }
                    }
                }
            }
            "Network.dataReceived" => {
                if let Some(req) = self.requests.get_mut(&id) {
                    req.facts.decoded_length += p["dataLength"].as_u64().unwrap_or(0);
                    req.last_seen = Some(std::time::Instant::now());
                    req.end_ts = p["timestamp"].as_f64();
                }
            }
            "Network.requestServedFromCache" => {
                if let Some(req) = self.requests.get_mut(&id) {
                    req.facts.from_memory_cache = true;
                }
            }
            "Network.loadingFinished" => {
                if let Some(req) = self.requests.get_mut(&id).filter(|r| !r.reported) {
                    req.end_ts = p["timestamp"].as_f64();
                    req.facts.encoded_length = p["encodedDataLength"].as_f64();
                    if req.wants_extra && req.raw_response_headers.is_none() {
                        req.finished_at = Some(std::time::Instant::now());
                    } else if let Some(req) = self.requests.remove(&id) {
                        out.push(finish(client, &id, req, body_cap, fetch_bodies).await);
                    }
                } else {
                    self.requests.remove(&id);
                }
            }
            "Network.loadingFailed" => {
                if let Some(mut req) = self.requests.remove(&id) {
                    req.end_ts = p["timestamp"].as_f64();
                    let error_text = p["errorText"].as_str().unwrap_or("failed");
                    if req.resource_type == "Document" && main_frame.is_none_or(|m| m == req.frame_id) {
                        out.push((
                            MessageType::BrowserEvent,
                            json!({ "event": "navigation_completed", "url": req.url, "success": false,
                                    "error": error_text, "timestamp": now_ms() }),
                        ));
                    }
                    let mut d = data_of(&id, &req, None, body_cap);
                    let mut error = error_text.to_string();
                    if p["canceled"].as_bool() == Some(true) {
                        error.push_str(" (canceled)");
                    }
                    if let Some(b) = p["blockedReason"].as_str() {
                        error.push_str(&format!(" (blocked: {b})"));
                        d["blockedReason"] = json!(b);
                    }
                    if let Some(c) = p["corsErrorStatus"]["corsError"].as_str() {
                        error.push_str(&format!(" (CORS: {c})"));
                    }
                    d["error"] = json!(error);
                    d["canceled"] = json!(p["canceled"].as_bool().unwrap_or(false));
                    out.push((MessageType::NetworkError, d));
                }
            }
            "Network.webSocketCreated" => {
                self.sockets.insert(id, p["url"].as_str().unwrap_or("").to_string());
                if self.sockets.len() > 500 {
                    if let Some(k) = self.sockets.keys().next().cloned() {
                        self.sockets.remove(&k);
                    }
                }
            }
            "Network.webSocketHandshakeResponseReceived" => {
                let res = &p["response"];
                let url = self.sockets.get(&id).cloned().unwrap_or_default();
                out.push((
                    MessageType::NetworkRequest,
                    json!({
                        "requestId": id, "url": url, "method": "GET",
                        "status": res["status"], "statusText": res["statusText"],
                        "resourceType": "WebSocket", "mimeType": "",
                        "headers": { "request": headers_map(&res["requestHeaders"]), "response": headers_map(&res["headers"]) },
                        "body": { "request": null, "response": null },
                        "size": { "request": headers_size(&res["requestHeaders"]), "response": 0, "body": 0 },
                        "timing": { "startTime": now_ms() },
                    }),
                ));
            }
            "Network.webSocketFrameSent" | "Network.webSocketFrameReceived" => {
                let direction = if method == "Network.webSocketFrameSent" {
                    "client-to-server"
                } else {
                    "server-to-client"
                };
                out.push((MessageType::WebsocketFrame, self.frame(&id, &p["response"], direction)));
            }
            "Network.webSocketClosed" => {
                let url = self.sockets.remove(&id);
                out.push((
                    MessageType::WebsocketFrame,
                    json!({ "trafficId": id, "url": url, "timestamp": now_ms(), "direction": "server-to-client",
                            "opcode": 8, "data": null, "isBinary": false, "length": 0, "closed": true }),
                ));
            }
            "Network.webSocketFrameError" => {
                out.push((
                    MessageType::NetworkError,
                    json!({ "requestId": id, "url": self.sockets.get(&id), "method": "GET", "status": 0,
                            "statusText": "", "resourceType": "WebSocket",
                            "error": format!("WebSocket frame error: {}", p["errorMessage"].as_str().unwrap_or("")) }),
                ));
            }
            _ => {}
        }
        out
    }

    /// Requests with a response and nothing more for [`STALL`]: reported once, marked incomplete.
    /// Finished requests whose ExtraInfo did not come within [`EXTRA_WAIT`]: reported as they are.
    pub async fn stalled(&mut self, client: &Client, body_cap: usize) -> Out {
        let mut out = Out::new();
        let waited: Vec<String> = self
            .requests
            .iter()
            .filter(|(_, r)| r.finished_at.is_some_and(|t| t.elapsed() >= EXTRA_WAIT))
            .map(|(id, _)| id.clone())
            .collect();
        for id in waited {
            if let Some(req) = self.requests.remove(&id) {
                out.push(finish(client, &id, req, body_cap, true).await);
            }
        }
        let due: Vec<String> = self
            .requests
            .iter()
            .filter(|(_, r)| {
                !r.reported && r.finished_at.is_none() && r.last_seen.is_some_and(|t| t.elapsed() >= STALL)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            let Some(req) = self.requests.get_mut(&id) else { continue };
            req.reported = true;
            let body = if body_cap > 0 { Some(fetch_body(client, req, &id).await) } else { None };
            let mut d = data_of(&id, req, body, body_cap);
            d["incomplete"] = json!(true);
            d["note"] = json!(format!(
                "no loadingFinished {} s after the last data: the page has not read the body, or the response is still streaming",
                STALL.as_secs()
            ));
            out.push((MessageType::NetworkRequest, d));
        }
        out
    }

    fn track(&mut self, id: String, req: Request) {
        if self.requests.insert(id.clone(), req).is_none() {
            self.order.push_back(id);
        }
        while self.requests.len() > MAX_TRACKED {
            match self.order.pop_front() {
                Some(old) => {
                    self.requests.remove(&old);
                }
                None => break,
            }
        }
        if self.order.len() > MAX_TRACKED * 2 {
            let live = &self.requests;
            self.order.retain(|k| live.contains_key(k));
        }
    }

    fn stash(&mut self, id: String, f: impl FnOnce(&mut Extra)) {
        if self.extra.len() > 500 {
            self.extra.clear();
        }
        f(self.extra.entry(id).or_default());
    }

    fn frame(&self, id: &str, r: &Value, direction: &str) -> Value {
        let opcode = r["opcode"].as_u64().unwrap_or(1);
        let payload = r["payloadData"].as_str().unwrap_or("");
        let b64 = base64::engine::general_purpose::STANDARD;
        // Binary payloads arrive base64-encoded already; text ones as text.
        let (bytes, length) = if opcode == 2 {
            let raw = b64.decode(payload).unwrap_or_default();
            let len = raw.len();
            (raw, len)
        } else {
            (payload.as_bytes().to_vec(), payload.len())
        };
        let kept = &bytes[..bytes.len().min(MAX_FRAME_BYTES)];
        let mut d = json!({
            "trafficId": id, "url": self.sockets.get(id), "timestamp": now_ms(), "direction": direction,
            "opcode": opcode, "data": b64.encode(kept), "isBinary": opcode == 2, "length": length,
        });
        if kept.len() < bytes.len() {
            d["truncated"] = json!(true);
        }
        d
    }
}

/// A finished request as its `network-request`, with its body (fetched unless `fetch_bodies` is
/// false: a flood) and its post data.
async fn finish(
    client: &Client,
    id: &str,
    mut req: Request,
    body_cap: usize,
    fetch_bodies: bool,
) -> (MessageType, Value) {
    let status = req.facts.status();
    let mut body = None;
    if body_cap > 0 && req.method != "OPTIONS" && status != 204 && status != 304 {
        body = Some(if fetch_bodies {
            fetch_body(client, &req, id).await
        } else {
            Body::Omitted("not fetched: the page was producing events faster than they were stored".into())
        });
    }
    if req.has_post_data && req.post_data.is_none() && body_cap > 0 {
        let r =
            client.call(Some(&req.session), "Network.getRequestPostData", json!({ "requestId": id })).await;
        req.post_data = r.ok().and_then(|v| v["postData"].as_str().map(str::to_string));
    }
    (MessageType::NetworkRequest, data_of(id, &req, body, body_cap))
}

/// A response body as text, or why it was left out.
enum Body {
    Text(String),
    Omitted(String),
}

async fn fetch_body(client: &Client, req: &Request, id: &str) -> Body {
    let mime = req.response.as_ref().and_then(|r| r["mimeType"].as_str()).unwrap_or("").to_string();
    if !textual(&mime) {
        return Body::Omitted(format!("binary body not captured ({mime})"));
    }
    match client.call(Some(&req.session), "Network.getResponseBody", json!({ "requestId": id })).await {
        Ok(r) if r["base64Encoded"].as_bool() == Some(true) => {
            let n = r["body"].as_str().map_or(0, |b| b.len() / 4 * 3);
            Body::Omitted(format!(
                "binary body (about {n} bytes, {})",
                if mime.is_empty() { "unknown type" } else { &mime }
            ))
        }
        Ok(r) => Body::Text(r["body"].as_str().unwrap_or("").to_string()),
        Err(e) => Body::Omitted(format!("body unavailable: {e}")),
    }
}

/// Timing phases in ms as the extension reports them; -1 for a phase that did not happen
/// (no DNS lookup for an IP literal, no TLS over http, a reused connection).
fn timing_of(req: &Request) -> Value {
    let total = req.end_ts.map(|e| round((e - req.start_ts) * 1000.0));
    let mut out = json!({ "startTime": req.wall_ms.round(), "total": total });
    let Some(t) = req.response.as_ref().map(|r| &r["timing"]).filter(|t| t.is_object()) else { return out };
    let f = |k: &str| t[k].as_f64().unwrap_or(-1.0);
    let span = |a: &str, b: &str| if f(a) >= 0.0 && f(b) >= 0.0 { round(f(b) - f(a)) } else { -1.0 };
    let request_time = f("requestTime");
    out["queued"] = json!(round((request_time - req.start_ts) * 1000.0).max(0.0));
    out["dns"] = json!(span("dnsStart", "dnsEnd"));
    out["connect"] = json!(span("connectStart", "connectEnd"));
    out["ssl"] = json!(span("sslStart", "sslEnd"));
    out["send"] = json!(span("sendStart", "sendEnd"));
    out["wait"] = json!(span("sendEnd", "receiveHeadersEnd"));
    out["receive"] = json!(req
        .end_ts
        .map_or(-1.0, |e| round(((e - request_time) * 1000.0 - f("receiveHeadersEnd")).max(0.0))));
    out
}

fn data_of(id: &str, req: &Request, body: Option<Body>, cap: usize) -> Value {
    let res = req.response.as_ref();
    let req_headers = req.raw_request_headers.as_ref().unwrap_or(&req.request_headers);
    let empty = json!({});
    let res_headers =
        res.map(|r| req.raw_response_headers.as_ref().unwrap_or(&r["headers"])).unwrap_or(&empty);
    let status = req.facts.status();
    let status_text = res.and_then(|r| r["statusText"].as_str()).unwrap_or("");
    let request_body = req.post_data.as_deref().filter(|_| cap > 0).map(|b| truncate(b, cap));
    let mut d = json!({
        "requestId": id,
        "url": truncate(&req.url, MAX_URL),
        "method": req.method,
        "status": status,
        "statusText": if status_text.is_empty() { reason(status) } else { status_text },
        "resourceType": req.resource_type,
        "mimeType": res.and_then(|r| r["mimeType"].as_str()).unwrap_or(""),
        "duration": req.end_ts.map(|e| round((e - req.start_ts) * 1000.0)),
        "size": {
            "request": headers_size(req_headers) + req.post_data.as_ref().map_or(0, String::len),
            "response": req.facts.encoded_length.or_else(|| res.and_then(|r| r["encodedDataLength"].as_f64())).unwrap_or(0.0),
            "body": req.facts.decoded_length,
        },
        "headers": { "request": headers_map(req_headers), "response": headers_map(res_headers) },
        "body": { "request": request_body, "response": null },
        "timing": timing_of(req),
    });
    req.facts.apply(&mut d);
    match body {
        Some(Body::Text(t)) => {
            if t.len() > cap {
                d["body"]["responseTruncated"] = json!(true);
            }
            d["body"]["response"] = json!(truncate(&t, cap));
        }
        Some(Body::Omitted(why)) => d["body"]["responseOmitted"] = json!(why),
        None => {}
    }
    if req.post_data.as_ref().is_some_and(|p| p.len() > cap) {
        d["body"]["requestTruncated"] = json!(true);
    }
    if let Some(r) = res {
        if let Some(p) = r["protocol"].as_str() {
            d["protocol"] = json!(p);
        }
        if let Some(ip) = r["remoteIPAddress"].as_str() {
            d["remoteAddress"] = json!(format!("{ip}:{}", r["remotePort"]));
        }
        if r["fromDiskCache"].as_bool() == Some(true) || r["fromPrefetchCache"].as_bool() == Some(true) {
            d["fromCache"] = json!(true);
        }
        if r["fromServiceWorker"].as_bool() == Some(true) {
            d["fromServiceWorker"] = json!(true);
        }
    }
    if let Some(to) = &req.redirected_to {
        d["redirectedTo"] = json!(to);
    }
    if let Some(i) = &req.initiator {
        d["initiator"] = json!(i);
    }
    d
}

fn reason(status: i64) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
#[path = "network_tests.rs"]
mod tests;
