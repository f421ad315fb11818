//! What each message's `data` must look like, checked without building a `serde_json::Value`.
//!
//! These borrowed structs are the single definition of validity: [`super::validate`] runs them
//! over an owned envelope, [`scan`] over the raw text on the ingest hot path. Fields not listed
//! are allowed and kept; listed fields must have the right JSON type when present.

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{MessageType, ProtocolError, Timestamp};

/// Any JSON array (its items are not looked at).
#[derive(Debug, Default, Clone, Copy)]
pub struct AnyArray;

impl<'de> Deserialize<'de> for AnyArray {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyArray;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyArray, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AnyArray)
            }
        }
        d.deserialize_seq(V)
    }
}

/// A number or a numeric string (ids, sizes, statuses), read as u64 when it is one.
#[derive(Debug, Default, Clone, Copy)]
pub struct LooseNumber(pub Option<f64>);

impl<'de> Deserialize<'de> for LooseNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LooseNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseNumber, E> {
                Ok(LooseNumber(v.trim().parse().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

impl LooseNumber {
    pub fn as_u64(self) -> Option<u64> {
        self.0.filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64)
    }
}

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInitShape<'a> {
    #[serde(borrow)]
    pub client_type: Text<'a>,
    pub capabilities: Option<AnyArray>,
    pub tab_id: Option<IgnoredAny>,
    #[serde(borrow)]
    pub url: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConsoleShape<'a> {
    #[serde(borrow)]
    pub level: Text<'a>,
    pub args: Option<AnyArray>,
    #[serde(borrow)]
    pub source: Text<'a>,
    #[serde(borrow)]
    pub url: Text<'a>,
    pub line: Option<LooseNumber>,
    pub column: Option<LooseNumber>,
    /// The call's raw DevTools-Protocol arguments (triage extension): their text is formatted on arrival.
    #[serde(rename = "remoteArgs")]
    pub remote_args: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkShape<'a> {
    #[serde(borrow)]
    pub url: Text<'a>,
    #[serde(borrow)]
    pub method: Text<'a>,
    pub status: Option<LooseNumber>,
    #[serde(borrow)]
    pub status_text: Text<'a>,
    pub duration: Option<LooseNumber>,
    #[serde(borrow)]
    pub resource_type: Text<'a>,
    /// The header collections, unparsed: the only places redaction looks.
    #[serde(borrow)]
    pub headers: Option<&'a RawValue>,
    #[serde(borrow)]
    pub request_headers: Option<&'a RawValue>,
    #[serde(borrow)]
    pub response_headers: Option<&'a RawValue>,
}

impl NetworkShape<'_> {
    /// Whether a header collection may hold a credential (case-insensitive, so a false positive
    /// only costs the slower path; there are no false negatives).
    pub fn may_carry_secrets(&self) -> bool {
        static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["authorization", "cookie"])
                .expect("two literal patterns always build")
        });
        [self.headers, self.request_headers, self.response_headers]
            .into_iter()
            .flatten()
            .any(|raw| FINDER.is_match(raw.get()))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ElementShape {
    pub element: Option<ElementInner>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementInner {
    pub tag_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenshotRequestShape<'a> {
    #[serde(borrow)]
    pub format: Text<'a>,
    pub quality: Option<LooseNumber>,
    pub full_page: Option<bool>,
    #[serde(borrow)]
    pub selector: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ScreenshotResponseShape<'a> {
    pub success: Option<bool>,
    #[serde(borrow)]
    pub path: Text<'a>,
    #[serde(borrow)]
    pub base64: Text<'a>,
    pub size: Option<LooseNumber>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameShape<'a> {
    #[serde(borrow)]
    pub traffic_id: Text<'a>,
    pub timestamp: Option<Timestamp>,
    #[serde(borrow)]
    pub direction: Text<'a>,
    pub opcode: Option<u8>,
    #[serde(borrow)]
    pub data: Text<'a>,
    pub is_binary: Option<bool>,
    pub length: Option<u64>,
    #[serde(borrow)]
    pub url: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct BrowserEventShape<'a> {
    #[serde(borrow)]
    pub event: Text<'a>,
    #[serde(borrow)]
    pub url: Text<'a>,
    #[serde(borrow)]
    pub title: Text<'a>,
    pub success: Option<bool>,
    #[serde(rename = "attachedAt")]
    pub attached_at: Option<f64>,
    #[serde(rename = "alreadyLoaded")]
    pub already_loaded: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct BrowserActionShape<'a> {
    #[serde(borrow)]
    pub action: Cow<'a, str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CommandResultShape {
    pub success: Option<bool>,
    pub duration: Option<LooseNumber>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorShape<'a> {
    #[serde(borrow)]
    pub code: Cow<'a, str>,
    #[serde(borrow, default)]
    pub message: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeShape<'a> {
    pub types: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    pub session_id: Text<'a>,
    pub sessions: Option<Vec<Cow<'a, str>>>,
    pub channels: Option<Vec<Cow<'a, str>>>,
}

/// Longest pub/sub channel name accepted (seed 001), in bytes.
pub const MAX_CHANNEL_BYTES: usize = 256;

/// Seed 001's `publish` (and the `marker` it is stored as): a channel and any JSON message.
#[derive(Debug, Deserialize)]
pub struct PublishShape<'a> {
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    #[allow(dead_code)] // checked to be present; any JSON value is a message
    pub message: &'a serde_json::value::RawValue,
}

/// A message's data after its shape check: the parsed shape for the types the ingest hot path
/// indexes, `Other` for the rest.
#[derive(Debug)]
pub enum Inspected<'a> {
    Console(ConsoleShape<'a>),
    Network(NetworkShape<'a>),
    BrowserEvent(BrowserEventShape<'a>),
    Frame(FrameShape<'a>),
    Other,
}

/// Checks `data` (a JSON text) against its type's shape.
pub fn check_data(kind: MessageType, data: &str) -> Result<(), ProtocolError> {
    inspect(kind, data).map(|_| ())
}

/// Checks `data` against its type's shape and returns what was read.
pub fn inspect(kind: MessageType, data: &str) -> Result<Inspected<'_>, ProtocolError> {
    fn run<'a, T: Deserialize<'a> + Default>(data: &'a str, kind: MessageType) -> Result<T, ProtocolError> {
        let trimmed = data.trim_start();
        if trimmed == "null" {
            return Ok(T::default());
        }
        if !trimmed.starts_with('{') {
            return Err(ProtocolError::invalid(format!("{kind}: `data` must be an object")));
        }
        serde_json::from_str::<T>(data).map_err(|e| ProtocolError::invalid(format!("{kind}: {e}")))
    }
    Ok(match kind {
        MessageType::ConsoleLog | MessageType::ConsoleError => Inspected::Console(run(data, kind)?),
        MessageType::NetworkRequest | MessageType::NetworkError => Inspected::Network(run(data, kind)?),
        MessageType::BrowserEvent => Inspected::BrowserEvent(run(data, kind)?),
        MessageType::WebsocketFrame => Inspected::Frame(run(data, kind)?),
        MessageType::ConnectionInit => run::<ConnectionInitShape>(data, kind).map(|_| Inspected::Other)?,
        MessageType::ElementSelected => run::<ElementShape>(data, kind).map(|_| Inspected::Other)?,
        MessageType::ScreenshotRequest => {
            run::<ScreenshotRequestShape>(data, kind).map(|_| Inspected::Other)?
        }
        MessageType::ScreenshotResponse => {
            run::<ScreenshotResponseShape>(data, kind).map(|_| Inspected::Other)?
        }
        MessageType::BrowserAction => {
            if data.trim_start() == "null" {
                return Err(ProtocolError::invalid("browser-action: `data.action` is missing"));
            }
            let shape: BrowserActionShape = run_required(data, kind)?;
            if shape.action.trim().is_empty() {
                return Err(ProtocolError::invalid("browser-action: `data.action` is empty"));
            }
            Inspected::Other
        }
        MessageType::CommandResult => run::<CommandResultShape>(data, kind).map(|_| Inspected::Other)?,
        MessageType::Error => {
            run_required::<ErrorShape>(data, kind)?;
            Inspected::Other
        }
        MessageType::Subscribe => run::<SubscribeShape>(data, kind).map(|_| Inspected::Other)?,
        MessageType::Publish | MessageType::Marker => {
            let shape: PublishShape = run_required(data, kind)?;
            if shape.channel.trim().is_empty() || shape.channel.len() > MAX_CHANNEL_BYTES {
                return Err(ProtocolError::invalid(format!(
                    "{kind}: `data.channel` must be a name of 1 to {MAX_CHANNEL_BYTES} bytes"
                )));
            }
            Inspected::Other
        }
        MessageType::ConnectionAck | MessageType::ConnectionClose => {
            run::<Option<IgnoredAny>>(data, kind).map(|_| Inspected::Other)?
        }
        MessageType::Heartbeat
        | MessageType::ClearLogs
        | MessageType::Auth
        | MessageType::AssistantCommand => Inspected::Other,
    })
}

fn run_required<'a, T: Deserialize<'a>>(data: &'a str, kind: MessageType) -> Result<T, ProtocolError> {
    if !data.trim_start().starts_with('{') {
        return Err(ProtocolError::invalid(format!("{kind}: `data` must be an object")));
    }
    serde_json::from_str::<T>(data).map_err(|e| ProtocolError::invalid(format!("{kind}: {e}")))
}

/// An id as seed 000 (string) or seed 002 (number) sends it.
#[derive(Debug, Clone)]
pub enum IdRef<'a> {
    Text(Cow<'a, str>),
    Number(serde_json::Number),
}

impl<'de: 'a, 'a> Deserialize<'de> for IdRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<'a> {
            #[serde(borrow)]
            Text(Cow<'a, str>),
            Number(serde_json::Number),
        }
        Ok(match Either::deserialize(d)? {
            Either::Text(t) => IdRef::Text(t),
            Either::Number(n) => IdRef::Number(n),
        })
    }
}

impl IdRef<'_> {
    pub fn to_string_owned(&self) -> String {
        match self {
            IdRef::Text(t) => t.to_string(),
            IdRef::Number(n) => n.to_string(),
        }
    }
}

mod scan;
pub use scan::{scan, Scanned};
