//! Typed payloads (`data`) of every message in DESIGN.md.
//!
//! Every field a sender may leave out is optional, and every struct keeps unknown fields in
//! `extra`, so a newer extension's additions survive. Field names follow seed 000 (camelCase).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `null` reads as the default (an empty list), as the validation shapes allow it.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A number or a numeric string: extensions differ on how they send ids and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Loose {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Loose {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Loose::Int(i) => Some(*i),
            Loose::Float(f) => Some(*f as i64),
            Loose::Text(s) => s.trim().parse().ok(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Loose::Int(i) => Some(*i as f64),
            Loose::Float(f) => Some(*f),
            Loose::Text(s) => s.trim().parse().ok(),
        }
    }
}

impl std::fmt::Display for Loose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loose::Int(i) => write!(f, "{i}"),
            Loose::Float(x) => write!(f, "{x}"),
            Loose::Text(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInit {
    pub client_type: Option<String>,
    pub version: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<Value>,
    pub user_agent: Option<String>,
    pub tab_id: Option<Loose>,
    pub url: Option<String>,
    pub title: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionAck {
    pub session_id: String,
    pub server_id: String,
    pub supported_protocols: Vec<String>,
    pub max_message_size: u64,
    pub heartbeat_interval: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionClose {
    pub reason: Option<String>,
    pub code: Option<u16>,
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A console message (`console-log` or `console-error`), one of DevTools' levels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleEntry {
    pub level: Option<String>,
    pub message: Option<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<Value>,
    pub source: Option<String>,
    pub url: Option<String>,
    pub line: Option<Loose>,
    pub column: Option<Loose>,
    pub stack: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SizePair {
    pub request: Option<Loose>,
    pub response: Option<Loose>,
}

/// A request/response pair, or a request that failed (`network-error`).
///
/// Headers come as objects (seed 000: `headers.request`/`headers.response`) or, from the
/// browser-tools extension, as `requestHeaders: [{name, value}]` arrays: both are kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkExchange {
    pub url: Option<String>,
    pub method: Option<String>,
    pub status: Option<Loose>,
    pub status_text: Option<String>,
    pub duration: Option<Loose>,
    pub size: Option<SizePair>,
    pub headers: Option<Value>,
    pub body: Option<Value>,
    pub request_headers: Option<Value>,
    pub response_headers: Option<Value>,
    pub request_body: Option<Value>,
    pub response_body: Option<Value>,
    pub resource_type: Option<String>,
    pub error: Option<Value>,
    pub timing: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementInfo {
    pub tag_name: Option<String>,
    pub id: Option<String>,
    pub class_name: Option<String>,
    /// An object (seed 000) or a list of `{name, value}` (browser-tools).
    pub attributes: Option<Value>,
    pub dimensions: Option<Value>,
    pub styles: Option<Value>,
    #[serde(rename = "innerHTML")]
    pub inner_html: Option<String>,
    pub text_content: Option<String>,
    pub xpath: Option<String>,
    pub css_selector: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ElementSelection {
    pub element: Option<ElementInfo>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenshotRequest {
    pub format: Option<String>,
    pub quality: Option<Loose>,
    pub full_page: Option<bool>,
    pub selector: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenshotResponse {
    pub success: Option<bool>,
    pub path: Option<String>,
    /// A `data:image/png;base64,...` URL or bare base64. Replaced by a file on ingest.
    pub base64: Option<String>,
    pub size: Option<Loose>,
    pub dimensions: Option<Value>,
    pub error: Option<Value>,
    /// Set by the server once the image is on disk: fetch it from `/api/screenshots/:id`.
    pub screenshot_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Seed 003's frame: a page's own WebSocket frame, or one of the connector's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebSocketFrame {
    pub id: Option<String>,
    pub traffic_id: Option<String>,
    pub timestamp: Option<super::Timestamp>,
    pub direction: Option<String>,
    pub opcode: Option<u8>,
    /// Base64 of the payload, `null` for frames without one.
    pub data: Option<String>,
    pub is_binary: Option<bool>,
    pub length: Option<u64>,
    pub url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Seed 002's browser events: navigation_starting, navigation_completed, title_changed, ...
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrowserEvent {
    pub event: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub success: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A command for the browser: one of seed 002's action names with its parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrowserAction {
    pub action: String,
    #[serde(default)]
    pub params: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A browser's answer to a command (seed 001's result: success, data, error, duration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub success: Option<bool>,
    pub data: Option<Value>,
    pub error: Option<Value>,
    pub duration: Option<Loose>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorData {
    pub code: String,
    pub message: Option<String>,
    pub details: Option<Value>,
}

/// A client narrows its live stream: only these types, only this browser session.
/// Empty lists mean "everything". `subscribe: false` with no filters resets to everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribe {
    #[serde(default)]
    pub types: Vec<String>,
    pub session_id: Option<String>,
    #[serde(default)]
    pub sessions: Vec<String>,
    /// Seed 001's pub/sub channels: their markers arrive as `channel:NAME` messages.
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The text a console message shows: `message`, else its args joined as DevTools prints them.
pub fn console_text(entry: &ConsoleEntry) -> String {
    match &entry.message {
        Some(Value::String(s)) => s.clone(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => entry
            .args
            .iter()
            .map(|a| match a {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}
