//! The wire protocol: message envelopes, typed payloads, parsing and validation.
//!
//! Pure: no IO, no clocks except where a caller passes "now". Parsing is tolerant (seed 000 is
//! canonical; seed 004's `payload` and RFC 3339 timestamps are accepted; unknown fields are kept),
//! validation is strict about what the server relies on and answers with seed 004's error codes.

pub mod actions;
pub mod canonical_json;
pub mod console_format;
pub mod messages;
pub mod network_facts;
pub mod redact;
pub mod shape;
pub mod timestamp;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use messages::*;
pub use timestamp::Timestamp;

/// The longest prefix of `text` that is at most `max` bytes and ends on a character boundary.
pub fn byte_prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Subprotocols we speak, in order of preference.
pub const SUBPROTOCOLS: [&str; 3] = ["rapidtriage-extension-v1", "mcp-server-v1", "rapidtriage-client-v1"];

/// The envelope every message travels in.
///
/// `data` also accepts seed 004's `payload`; fields we do not know are kept in `extra` and written
/// back out, so nothing a sender adds is lost on the way through the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// A string; seed 002's numeric ids are accepted and kept as their text.
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(default, alias = "payload", skip_serializing_if = "Value::is_null")]
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Envelope {
    pub fn new(kind: impl Into<String>, data: Value) -> Self {
        Envelope { id: None, kind: kind.into(), timestamp: None, data, metadata: None, extra: Map::new() }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    pub fn with_timestamp(mut self, epoch_ms: i64) -> Self {
        self.timestamp = Some(Timestamp(epoch_ms));
        self
    }

    pub fn to_json(&self) -> String {
        // An Envelope holds only JSON values and strings: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// A metadata string field, e.g. `tabId` or `url`. Numbers are given as their text.
    pub fn meta_str(&self, key: &str) -> Option<String> {
        match self.metadata.as_ref()?.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn set_meta(&mut self, key: &str, value: Value) {
        self.metadata.get_or_insert_with(Map::new).insert(key.to_string(), value);
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!("`id` must be a string or a number, not {other}")))
        }
    })
}

/// Seed 004's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidMessage,
    MessageTooLarge,
    RateLimited,
    Unauthorized,
    InvalidSession,
    ServerError,
    /// A command went to a browser and no answer came within the command timeout.
    Timeout,
    /// A command was sent while no browser session was connected.
    NoBrowser,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::InvalidMessage,
        ErrorCode::MessageTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Unauthorized,
        ErrorCode::InvalidSession,
        ErrorCode::ServerError,
        ErrorCode::Timeout,
        ErrorCode::NoBrowser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidMessage => "INVALID_MESSAGE",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::InvalidSession => "INVALID_SESSION",
            ErrorCode::ServerError => "SERVER_ERROR",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::NoBrowser => "NO_BROWSER",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message was refused. Becomes an `error` message on the wire.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProtocolError { code, message: message.into(), details: Value::Null }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidMessage, message)
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The `error` envelope for this error; `in_reply_to` is the offending message's id, if known.
    pub fn to_envelope(&self, in_reply_to: Option<&str>, now_ms: i64) -> Envelope {
        let mut env = Envelope::new(
            "error",
            serde_json::json!({
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }),
        )
        .with_timestamp(now_ms);
        env.id = in_reply_to.map(str::to_string);
        env
    }
}

/// What kind of thing a message is, as far as routing and storage care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageType {
    ConnectionInit,
    ConnectionAck,
    ConnectionClose,
    ConsoleLog,
    ConsoleError,
    NetworkRequest,
    NetworkError,
    ElementSelected,
    ScreenshotRequest,
    ScreenshotResponse,
    WebsocketFrame,
    BrowserEvent,
    BrowserAction,
    CommandResult,
    ClearLogs,
    Heartbeat,
    Subscribe,
    Auth,
    Error,
    /// A tool call an MCP assistant made (stored by the connector itself, never accepted from a peer).
    AssistantCommand,
    /// Seed 001's `publish` {channel, message}: a client puts its own event into the stream.
    Publish,
    /// What a publish is stored as: `{channel, message, publisher}` (stored by the connector itself).
    Marker,
}

impl MessageType {
    pub const ALL: [MessageType; 22] = [
        MessageType::ConnectionInit,
        MessageType::ConnectionAck,
        MessageType::ConnectionClose,
        MessageType::ConsoleLog,
        MessageType::ConsoleError,
        MessageType::NetworkRequest,
        MessageType::NetworkError,
        MessageType::ElementSelected,
        MessageType::ScreenshotRequest,
        MessageType::ScreenshotResponse,
        MessageType::WebsocketFrame,
        MessageType::BrowserEvent,
        MessageType::BrowserAction,
        MessageType::CommandResult,
        MessageType::ClearLogs,
        MessageType::Heartbeat,
        MessageType::Subscribe,
        MessageType::Auth,
        MessageType::Error,
        MessageType::AssistantCommand,
        MessageType::Publish,
        MessageType::Marker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ConnectionInit => "connection-init",
            MessageType::ConnectionAck => "connection-ack",
            MessageType::ConnectionClose => "connection-close",
            MessageType::ConsoleLog => "console-log",
            MessageType::ConsoleError => "console-error",
            MessageType::NetworkRequest => "network-request",
            MessageType::NetworkError => "network-error",
            MessageType::ElementSelected => "element-selected",
            MessageType::ScreenshotRequest => "screenshot-request",
            MessageType::ScreenshotResponse => "screenshot-response",
            MessageType::WebsocketFrame => "websocket-frame",
            MessageType::BrowserEvent => "browser-event",
            MessageType::BrowserAction => "browser-action",
            MessageType::CommandResult => "command-result",
            MessageType::ClearLogs => "clear-logs",
            MessageType::Heartbeat => "heartbeat",
            MessageType::Subscribe => "subscribe",
            MessageType::Auth => "auth",
            MessageType::Error => "error",
            MessageType::AssistantCommand => "assistant-command",
            MessageType::Publish => "publish",
            MessageType::Marker => "marker",
        }
    }

    pub fn parse(s: &str) -> Option<MessageType> {
        // seed 002 and seed 004 spell some types with underscores ("browser_event", "heartbeat_ack"),
        // and seed 002 sends its browser commands as type "browser".
        let s = s.trim();
        match s {
            "heartbeat_ack" | "heartbeat-ack" => return Some(MessageType::Heartbeat),
            "browser" => return Some(MessageType::BrowserAction),
            _ => {}
        }
        Self::ALL.into_iter().find(|t| t.as_str() == s || t.as_str().replace('-', "_") == s)
    }

    /// Commands a client (or the UI) may send to a browser.
    pub fn is_command(self) -> bool {
        matches!(self, MessageType::ScreenshotRequest | MessageType::ClearLogs | MessageType::BrowserAction)
    }

    /// Replies a browser sends to a command, carrying the command's id.
    pub fn is_command_reply(self) -> bool {
        matches!(self, MessageType::ScreenshotResponse | MessageType::CommandResult)
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses one text message into an envelope, with the checks every message must pass.
///
/// `max_bytes` is checked first so an oversize message costs no parsing.
pub fn parse_envelope(text: &str, max_bytes: usize) -> Result<(Envelope, MessageType), ProtocolError> {
    parse_message(text, max_bytes).map(|p| (p.envelope, p.kind))
}

/// A message that passed parsing and validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub envelope: Envelope,
    pub kind: MessageType,
    /// Whether the envelope differs from the text (another seed's shape was normalised), so
    /// the text cannot be stored as it is.
    pub normalized: bool,
}

/// Like [`parse_envelope`], also saying whether the message had to be normalised.
pub fn parse_message(text: &str, max_bytes: usize) -> Result<Parsed, ProtocolError> {
    if text.len() > max_bytes {
        return Err(ProtocolError::new(
            ErrorCode::MessageTooLarge,
            format!("message is {} bytes; the limit is {} bytes", text.len(), max_bytes),
        )
        .with_details(serde_json::json!({ "size": text.len(), "limit": max_bytes })));
    }
    let mut envelope: Envelope = serde_json::from_str(text).map_err(|e| {
        ProtocolError::invalid(format!("not a valid message: {e}"))
            .with_details(serde_json::json!({ "line": e.line(), "column": e.column() }))
    })?;
    let kind = MessageType::parse(&envelope.kind).ok_or_else(|| unknown_type(&envelope.kind))?;
    let normalized = normalize(&mut envelope, kind);
    validate(&envelope, kind)?;
    Ok(Parsed { envelope, kind, normalized })
}

/// Moves seed 002's top-level fields into `data`: `{type:"browser", action, params}` and
/// `{type:"browser_event", event, browser_uuid}` become our shapes.
fn normalize(envelope: &mut Envelope, kind: MessageType) -> bool {
    let renamed = envelope.kind != kind.as_str();
    let lift: &[&str] = match kind {
        MessageType::BrowserAction => &["action", "params", "browser_uuid"],
        MessageType::BrowserEvent => &["event", "browser_uuid"],
        MessageType::Subscribe => &["target", "subscribe", "channels"],
        MessageType::Publish => &["channel", "message"],
        _ => &[],
    };
    if !lift.iter().any(|k| envelope.extra.contains_key(*k)) {
        envelope.kind = kind.as_str().to_string();
        return renamed;
    }
    if envelope.data.is_null() {
        envelope.data = Value::Object(Map::new());
    }
    envelope.kind = kind.as_str().to_string();
    let Some(data) = envelope.data.as_object_mut() else { return true };
    for key in lift {
        if let Some(v) = envelope.extra.remove(*key) {
            data.entry(key.to_string()).or_insert(v);
        }
    }
    true
}

/// Checks that `data` has the shape its type needs (see [`shape`]). Unknown extra fields are
/// always allowed.
pub fn validate(envelope: &Envelope, kind: MessageType) -> Result<(), ProtocolError> {
    let data = if envelope.data.is_null() { "null".to_string() } else { envelope.data.to_string() };
    shape::check_data(kind, &data)
}

pub(crate) fn unknown_type(kind: &str) -> ProtocolError {
    ProtocolError::invalid(format!("unknown message type {kind:?}")).with_details(serde_json::json!({
        "type": kind,
        "known": MessageType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
    }))
}

/// The data of a typed message, if it has the right shape.
pub fn data_as<T: for<'de> Deserialize<'de>>(envelope: &Envelope) -> Option<T> {
    T::deserialize(&envelope.data).ok()
}

#[cfg(test)]
mod tests;
