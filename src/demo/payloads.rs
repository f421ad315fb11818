//! Builders for the `data` of each message the demo browser sends, in the shapes the real
//! extension (`assets/extension/lib/capture.js`) produces, so the demo exercises the same paths.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::rng::Rng;
use super::site::Tab;

/// One message to send: its type and `data`. The envelope (id, timestamp, metadata) is added
/// when it goes out, so timestamps are the moment of sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: &'static str,
    pub data: Value,
}

/// Where a console call came from: a script of the page and a position in it.
#[derive(Debug, Clone, Copy)]
pub struct Loc {
    pub file: &'static str,
    pub line: u32,
    pub col: u32,
}

pub const fn at(file: &'static str, line: u32, col: u32) -> Loc {
    Loc { file, line, col }
}

/// The URL of one of the page's scripts.
pub fn script_url(origin: &str, file: &str) -> String {
    format!("{origin}/static/js/{file}")
}

/// A V8-style stack: the first line, then `    at fn (url:line:col)` frames.
pub fn stack(first_line: &str, origin: &str, frames: &[(&str, Loc)]) -> String {
    let mut s = first_line.to_string();
    for (func, loc) in frames {
        let place = format!("{}:{}:{}", script_url(origin, loc.file), loc.line, loc.col);
        if func.is_empty() {
            s.push_str(&format!("\n    at {place}"));
        } else {
            s.push_str(&format!("\n    at {func} ({place})"));
        }
    }
    s
}

/// A console message at any DevTools level; `error` goes out as `console-error`.
pub fn console(
    level: &str,
    message: &str,
    args: Vec<Value>,
    origin: &str,
    loc: Loc,
    stack: Option<String>,
) -> Event {
    let kind = if level == "error" { "console-error" } else { "console-log" };
    Event {
        kind,
        data: json!({
            "level": level,
            "message": message,
            "args": args,
            "source": format!("{}:{}:{}", loc.file, loc.line, loc.col),
            "url": script_url(origin, loc.file),
            "line": loc.line,
            "column": loc.col,
            "stack": stack,
        }),
    }
}

/// An uncaught exception or unhandled rejection, as `Runtime.exceptionThrown` reports it.
pub fn exception(message: &str, stack: String, origin: &str, loc: Loc, rejection: bool) -> Event {
    let mut e = console("error", message, vec![json!(stack.clone())], origin, loc, Some(stack));
    if let Some(obj) = e.data.as_object_mut() {
        obj.insert("exception".into(), json!(true));
        obj.insert("kind".into(), json!(if rejection { "unhandledrejection" } else { "uncaught" }));
    }
    e
}

pub fn status_text(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// A fake but well-formed JWT: the Authorization header redaction should hide.
fn bearer(rng: &mut Rng) -> String {
    format!(
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfODQyIiwicm9sZSI6InNob3BwZXIifQ.{}",
        rng.hex(43)
    )
}

/// One HTTP exchange the page makes.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: &'static str,
    pub url: String,
    pub status: u16,
    /// DevTools' resource type: Document, Script, Stylesheet, Image, Font, Fetch, XHR, WebSocket.
    pub resource_type: &'static str,
    pub mime: &'static str,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub duration_ms: u64,
    /// API calls carry the user's token; static files do not.
    pub authorized: bool,
    pub set_cookie: bool,
}

impl Exchange {
    pub fn new(method: &'static str, url: String, status: u16) -> Self {
        Exchange {
            method,
            url,
            status,
            resource_type: "Fetch",
            mime: "application/json",
            request_body: None,
            response_body: None,
            duration_ms: 80,
            authorized: true,
            set_cookie: false,
        }
    }

    pub fn asset(url: String, status: u16, resource_type: &'static str, mime: &'static str) -> Self {
        Exchange { resource_type, mime, authorized: false, ..Exchange::new("GET", url, status) }
    }

    pub fn body(mut self, request: Option<Value>, response: Option<Value>) -> Self {
        self.request_body = request.map(|v| v.to_string());
        self.response_body = response.map(|v| v.to_string());
        self
    }

    pub fn took(mut self, ms: u64) -> Self {
        self.duration_ms = ms;
        self
    }

    pub fn request_headers(&self, tab: &Tab, rng: &mut Rng) -> Map<String, Value> {
        let mut h = Map::new();
        let accept = if self.resource_type == "Document" {
            "text/html,application/xhtml+xml,*/*;q=0.8"
        } else {
            "*/*"
        };
        h.insert(
            "Accept".into(),
            json!(if self.mime == "application/json" { "application/json" } else { accept }),
        );
        h.insert("Accept-Language".into(), json!("en-US,en;q=0.9"));
        if self.authorized {
            h.insert("Authorization".into(), json!(bearer(rng)));
        }
        let cookies: Vec<String> = tab.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !cookies.is_empty() {
            h.insert("Cookie".into(), json!(cookies.join("; ")));
        }
        if self.request_body.is_some() {
            h.insert("Content-Type".into(), json!("application/json"));
        }
        if self.status == 304 {
            h.insert("If-None-Match".into(), json!(format!("W/\"{}\"", rng.hex(12))));
        }
        h.insert("User-Agent".into(), json!(tab.user_agent));
        h.insert("X-Request-Id".into(), json!(rng.hex(16)));
        h
    }

    fn response_headers(&self, rng: &mut Rng, length: usize) -> Map<String, Value> {
        let mut h = Map::new();
        if self.status == 101 {
            h.insert("Upgrade".into(), json!("websocket"));
            h.insert("Connection".into(), json!("Upgrade"));
            h.insert("Sec-WebSocket-Accept".into(), json!(format!("{}=", rng.hex(27))));
            return h;
        }
        h.insert("Content-Type".into(), json!(format!("{}; charset=utf-8", self.mime)));
        h.insert("Content-Length".into(), json!(length.to_string()));
        let cache = if self.authorized { "private, no-cache" } else { "public, max-age=31536000, immutable" };
        h.insert("Cache-Control".into(), json!(cache));
        h.insert("ETag".into(), json!(format!("W/\"{}\"", rng.hex(12))));
        h.insert("Server".into(), json!("nginx/1.25.3"));
        h.insert("Vary".into(), json!("Accept-Encoding"));
        if self.set_cookie {
            h.insert(
                "Set-Cookie".into(),
                json!(format!("sid=s%3A{}; Path=/; HttpOnly; Secure; SameSite=Lax", rng.hex(24))),
            );
        }
        h
    }

    /// `network-request`'s data (seed 000's fields plus what the real extension adds).
    pub fn event(&self, tab: &Tab, rng: &mut Rng) -> Event {
        let req_headers = self.request_headers(tab, rng);
        let body_len = self.response_body.as_ref().map_or(0, String::len);
        let resp_headers = self.response_headers(rng, body_len);
        let header_bytes = |h: &Map<String, Value>| -> usize {
            h.iter().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len) + 4).sum()
        };
        let request_size = header_bytes(&req_headers) + self.request_body.as_ref().map_or(0, String::len);
        let response_size = header_bytes(&resp_headers) + if self.status == 304 { 0 } else { body_len };
        let d = self.duration_ms as f64;
        Event {
            kind: "network-request",
            data: json!({
                "requestId": format!("{}.{}", 1000 + tab.number * 100, rng.range(1, 99_999)),
                "url": self.url,
                "method": self.method,
                "status": self.status,
                "statusText": status_text(self.status),
                "resourceType": self.resource_type,
                "mimeType": self.mime,
                "duration": self.duration_ms,
                "size": { "request": request_size, "response": response_size, "body": body_len },
                "headers": { "request": req_headers, "response": resp_headers },
                "body": { "request": self.request_body, "response": self.response_body },
                "timing": {
                    "queued": (d * 0.02).round(),
                    "dns": -1,
                    "connect": -1,
                    "send": 0.1,
                    "wait": (d * 0.8).round(),
                    "receive": (d * 0.18).round(),
                    "total": self.duration_ms,
                },
                "protocol": "h2",
                "remoteAddress": "203.0.113.10:443",
            }),
        }
    }
}

/// A request that never got a response (`Network.loadingFailed`).
pub fn network_error(tab: &Tab, rng: &mut Rng, x: &Exchange, error: &str) -> Event {
    Event {
        kind: "network-error",
        data: json!({
            "requestId": format!("{}.{}", 1000 + tab.number * 100, rng.range(1, 99_999)),
            "url": x.url,
            "method": x.method,
            "status": 0,
            "statusText": "",
            "resourceType": x.resource_type,
            "duration": x.duration_ms,
            "headers": { "request": x.request_headers(tab, rng), "response": {} },
            "body": { "request": x.request_body, "response": null },
            "error": error,
            "canceled": false,
        }),
    }
}

/// The page's own WebSocket connection, whose frames the extension forwards.
#[derive(Debug, Clone)]
pub struct PageSocket {
    /// Seed 003's `trafficId`: one per connection the page opens.
    pub traffic_id: String,
    pub url: String,
    pub frames: u64,
    pub open: bool,
}

pub const CLIENT_TO_SERVER: &str = "client-to-server";
pub const SERVER_TO_CLIENT: &str = "server-to-client";

/// One frame (seed 003): opcode 1 text, 2 binary, 8 close, 9 ping, 10 pong; `data` is base64.
pub fn frame(socket: &mut PageSocket, direction: &str, opcode: u8, payload: Option<&[u8]>) -> Event {
    socket.frames += 1;
    let b64 = payload.map(|p| base64::engine::general_purpose::STANDARD.encode(p));
    Event {
        kind: "websocket-frame",
        data: json!({
            "id": format!("{}-f{}", socket.traffic_id, socket.frames),
            "trafficId": socket.traffic_id,
            "url": socket.url,
            "timestamp": 0,
            "direction": direction,
            "opcode": opcode,
            "data": b64,
            "isBinary": opcode == 2,
            "length": payload.map_or(0, <[u8]>::len),
        }),
    }
}

pub fn text_frame(socket: &mut PageSocket, direction: &str, message: &Value) -> Event {
    frame(socket, direction, 1, Some(message.to_string().as_bytes()))
}

/// Seed 002's browser events: navigation_starting, navigation_completed, title_changed, ...
pub fn browser_event(event: &str, url: &str, extra: Value) -> Event {
    let mut data = json!({ "event": event, "url": url, "timestamp": 0 });
    if let (Some(d), Value::Object(e)) = (data.as_object_mut(), extra) {
        d.extend(e);
    }
    Event { kind: "browser-event", data }
}

/// An element the user picked, with everything seed 000 lists.
#[derive(Debug, Clone, Copy)]
pub struct Element {
    pub tag: &'static str,
    pub id: &'static str,
    pub class: &'static str,
    pub attributes: &'static [(&'static str, &'static str)],
    /// width, height, top, left
    pub rect: (u32, u32, u32, u32),
    pub color: &'static str,
    pub background: &'static str,
    pub inner_html: &'static str,
    pub text: &'static str,
    pub xpath: &'static str,
    pub css: &'static str,
}

pub fn element_selected(el: &Element) -> Event {
    let attributes: Map<String, Value> =
        el.attributes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let (width, height, top, left) = el.rect;
    Event {
        kind: "element-selected",
        data: json!({
            "element": {
                "tagName": el.tag,
                "id": el.id,
                "className": el.class,
                "attributes": attributes,
                "dimensions": { "width": width, "height": height, "top": top, "left": left },
                "styles": {
                    "display": if el.tag == "BUTTON" || el.tag == "SPAN" { "inline-flex" } else { "block" },
                    "color": el.color,
                    "backgroundColor": el.background,
                    "fontSize": "14px",
                    "fontFamily": "Inter, system-ui, sans-serif",
                    "padding": "8px 16px",
                    "margin": "0px",
                    "position": "static",
                },
                "innerHTML": el.inner_html,
                "textContent": el.text,
                "xpath": el.xpath,
                "cssSelector": el.css,
            }
        }),
    }
}
