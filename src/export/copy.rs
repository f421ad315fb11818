//! Copies of one captured request as something to run elsewhere: a `curl` command, a `fetch()`
//! call shaped like DevTools' "Copy as fetch", an HTTPie command, and the raw HTTP/1.1 request.
//! Pure functions of the request event's data; redacted header values stay `[REDACTED]`.

use serde_json::{Map, Value};

use super::request::Request;

/// The copy formats, in the order the UI offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Curl,
    Fetch,
    Httpie,
    Raw,
}

impl CopyFormat {
    pub const ALL: [CopyFormat; 4] =
        [CopyFormat::Curl, CopyFormat::Fetch, CopyFormat::Httpie, CopyFormat::Raw];

    pub fn name(self) -> &'static str {
        match self {
            CopyFormat::Curl => "curl",
            CopyFormat::Fetch => "fetch",
            CopyFormat::Httpie => "HTTPie",
            CopyFormat::Raw => "raw HTTP",
        }
    }

    /// The request (an event's `data`) in this format.
    pub fn write(self, data: &Value) -> String {
        let r = Request::of(data);
        match self {
            CopyFormat::Curl => curl(&r),
            CopyFormat::Fetch => fetch(&r),
            CopyFormat::Httpie => httpie(&r),
            CopyFormat::Raw => raw(&r),
        }
    }
}

/// POSIX shell single-quoting.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Headers the client computes itself (copying them breaks the command when the body changes),
/// and HTTP/2 pseudo-headers, which are not headers at all.
fn computed(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.starts_with(':')
}

/// A runnable `curl` command: method, URL, headers and body.
pub fn curl(r: &Request) -> String {
    let mut parts = vec!["curl".to_string()];
    if r.method != "GET" {
        parts.push(format!("-X {}", sh_quote(&r.method)));
    }
    parts.push(sh_quote(&r.url));
    for (k, v) in r.headers.iter().filter(|(k, _)| !computed(k)) {
        parts.push(format!("-H {}", sh_quote(&format!("{k}: {v}"))));
    }
    if let Some(body) = &r.body {
        parts.push(format!("--data-raw {}", sh_quote(body)));
    }
    parts.join(" \\\n  ")
}

/// Headers DevTools leaves out of "Copy as fetch": the browser sets them, or fetch forbids them.
const FETCH_DROPPED: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "via",
];

/// A `fetch()` call as DevTools' "Copy as fetch" writes it: lower-case header names, the
/// referrer from `Referer`, `body` (null without one), method, `mode: "cors"`, and
/// `credentials: "include"` when the request carried a cookie or an Authorization header.
pub fn fetch(r: &Request) -> String {
    let mut headers = Map::new();
    let mut referrer = None;
    let mut credentials = false;
    for (k, v) in &r.headers {
        let name = k.to_ascii_lowercase();
        credentials |= name == "cookie" || name == "authorization";
        if name == "referer" {
            referrer = Some(v.clone());
        }
        if name.starts_with(':') || name.starts_with("sec-") || FETCH_DROPPED.contains(&name.as_str()) {
            continue;
        }
        headers.insert(name, Value::String(v.clone()));
    }
    let mut init = Map::new();
    init.insert("headers".into(), Value::Object(headers));
    if let Some(referrer) = referrer {
        init.insert("referrer".into(), Value::String(referrer));
    }
    init.insert("body".into(), r.body.clone().map_or(Value::Null, Value::String));
    init.insert("method".into(), Value::String(r.method.clone()));
    init.insert("mode".into(), Value::String("cors".into()));
    let credentials = if credentials { "include" } else { "omit" };
    init.insert("credentials".into(), Value::String(credentials.into()));
    let init = serde_json::to_string_pretty(&Value::Object(init)).unwrap_or_default();
    format!("fetch({}, {init});", Value::String(r.url.clone()))
}

/// An HTTPie command: `http [--raw BODY] METHOD URL 'Name:value'…` (`--raw` sends the body as
/// is, HTTPie 3).
pub fn httpie(r: &Request) -> String {
    let mut parts = vec!["http".to_string()];
    if let Some(body) = &r.body {
        parts.push(format!("--raw {}", sh_quote(body)));
    }
    parts.push(r.method.clone());
    parts.push(sh_quote(&r.url));
    for (k, v) in r.headers.iter().filter(|(k, _)| !computed(k)) {
        parts.push(sh_quote(&format!("{k}:{v}")));
    }
    parts.join(" \\\n  ")
}

/// The request as HTTP/1.1 on the wire (CRLF line ends): request line with the path, `Host` (from
/// the headers, `:authority`, or the URL), the other headers as captured, a blank line, the body.
pub fn raw(r: &Request) -> String {
    let rest = r.url.split_once("://").map_or(r.url.as_str(), |(_, rest)| rest);
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let host = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host") || k == ":authority")
        .map_or(authority, |(_, v)| v.as_str());
    let mut lines = vec![format!("{} {path} HTTP/1.1", r.method), format!("Host: {host}")];
    for (k, v) in &r.headers {
        if !k.starts_with(':') && !k.eq_ignore_ascii_case("host") {
            lines.push(format!("{k}: {v}"));
        }
    }
    format!("{}\r\n\r\n{}", lines.join("\r\n"), r.body.as_deref().unwrap_or(""))
}
