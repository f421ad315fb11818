//! Reads a captured request's parts — method, URL, headers, bodies — whichever shape the sender
//! used (seed 003's `headers: {request, response}`, CDP's `requestHeaders` lists, `body` or
//! `requestBody`). Shared by the Network pane's detail and the copy formats (`copy`).

use serde_json::Value;

use crate::ui::panes::{header_pairs, str_of};

/// Header (name, value) pairs in the order sent.
pub type Headers = Vec<(String, String)>;

/// Request and response headers.
pub fn headers(data: &Value) -> (Headers, Headers) {
    let mut req = Vec::new();
    let mut resp = Vec::new();
    if let Some(h) = data.get("headers") {
        if h.get("request").is_some() || h.get("response").is_some() {
            req = h.get("request").map(header_pairs).unwrap_or_default();
            resp = h.get("response").map(header_pairs).unwrap_or_default();
        } else {
            req = header_pairs(h);
        }
    }
    if let Some(h) = data.get("requestHeaders") {
        req.extend(header_pairs(h));
    }
    if let Some(h) = data.get("responseHeaders") {
        resp.extend(header_pairs(h));
    }
    (req, resp)
}

fn nonnull(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Request and response bodies, as captured.
pub fn bodies(data: &Value) -> (Option<&Value>, Option<&Value>) {
    let (mut req, mut resp) = (None, None);
    if let Some(b) = data.get("body") {
        if b.get("request").is_some() || b.get("response").is_some() {
            req = nonnull(b.get("request"));
            resp = nonnull(b.get("response"));
        } else {
            resp = nonnull(Some(b));
        }
    }
    (nonnull(data.get("requestBody")).or(req), nonnull(data.get("responseBody")).or(resp))
}

/// What a copy needs of a request: method (upper case, GET when unknown), URL, headers, body text.
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Headers,
    pub body: Option<String>,
}

impl Request {
    pub fn of(data: &Value) -> Request {
        let body = bodies(data).0.map(|b| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        Request {
            method: str_of(data, "method").unwrap_or("GET").to_ascii_uppercase(),
            url: str_of(data, "url").unwrap_or("").to_string(),
            headers: headers(data).0,
            body,
        }
    }
}
