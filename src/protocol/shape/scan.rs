//! The ingest hot path's read of a whole message, in one pass over its text: the envelope's
//! fields, and `data` checked against its type's shape as it is read (the type comes first in
//! every message our sources send). A `data` met before its `type` is kept as raw text and
//! checked after, as [`super::inspect`] does; either way what is accepted, and what is read, is
//! the same. Reading `data` twice (once to find its end, once to check it) was a third of the
//! ingest path's CPU.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{inspect, IdRef, Inspected};
use crate::protocol::{ErrorCode, MessageType, ProtocolError, Timestamp};

/// A validated message seen without copying it: what the ingest hot path needs.
#[derive(Debug)]
pub struct Scanned<'a> {
    pub kind: MessageType,
    pub id: Option<IdRef<'a>>,
    pub timestamp: Option<Timestamp>,
    pub inspected: Inspected<'a>,
    /// True when the text is already in our canonical shape apart from what the store
    /// normalises on read (`payload` alias, RFC 3339 timestamps, underscore type names).
    pub storable_as_is: bool,
}

/// Reads a message's envelope and checks its data, borrowing from `text`.
pub fn scan(text: &str, max_bytes: usize) -> Result<Scanned<'_>, ProtocolError> {
    if text.len() > max_bytes {
        return Err(ProtocolError::new(
            ErrorCode::MessageTooLarge,
            format!("message is {} bytes; the limit is {} bytes", text.len(), max_bytes),
        )
        .with_details(serde_json::json!({ "size": text.len(), "limit": max_bytes })));
    }
    let env: EnvelopeRef = serde_json::from_str(text).map_err(|e| {
        ProtocolError::invalid(format!("not a valid message: {e}"))
            .with_details(serde_json::json!({ "line": e.line(), "column": e.column() }))
    })?;
    let kind = env.kind.ok_or_else(|| super::super::unknown_type(&env.type_text))?;
    if let Some(meta) = env.metadata {
        if !meta.get().trim_start().starts_with('{') && meta.get() != "null" {
            return Err(ProtocolError::invalid("`metadata` must be an object"));
        }
    }
    let inspected = match env.data {
        Data::Checked(inspected) => inspected,
        Data::Raw(raw) => inspect(kind, raw.or(env.payload).map_or("null", RawValue::get))?,
    };
    let lifted = env.action || env.event || env.target;
    Ok(Scanned { kind, id: env.id, timestamp: env.timestamp, inspected, storable_as_is: !lifted })
}

/// `data` as read: checked in the pass (its type was known), or its text for [`inspect`].
enum Data<'a> {
    Checked(Inspected<'a>),
    Raw(Option<&'a RawValue>),
}

/// The top level of an envelope, borrowed.
struct EnvelopeRef<'a> {
    id: Option<IdRef<'a>>,
    type_text: Cow<'a, str>,
    /// `None` for a type we do not know (an error once the whole text is known to be JSON).
    kind: Option<MessageType>,
    timestamp: Option<Timestamp>,
    data: Data<'a>,
    payload: Option<&'a RawValue>,
    metadata: Option<&'a RawValue>,
    // seed 002 keeps these at the top level; their presence sends the message down the owned path.
    action: bool,
    event: bool,
    target: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for EnvelopeRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("EnvelopeRef", FIELDS, EnvelopeVisitor)
    }
}

const FIELDS: &[&str] =
    &["id", "type", "timestamp", "data", "payload", "metadata", "action", "event", "target"];

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = EnvelopeRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct EnvelopeRef")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvelopeRef<'de>, A::Error> {
        fn once<E: de::Error>(seen: &mut bool, name: &'static str) -> Result<(), E> {
            if std::mem::replace(seen, true) {
                return Err(E::duplicate_field(name));
            }
            Ok(())
        }
        let mut seen = [false; 9];
        let mut id = None;
        let mut type_text: Option<Cow<'de, str>> = None;
        let mut kind = None;
        let mut timestamp = None;
        let mut data = Data::Raw(None);
        let mut payload = None;
        let mut metadata = None;
        let (mut action, mut event, mut target) = (false, false, false);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => {
                    once(&mut seen[0], "id")?;
                    id = map.next_value::<Option<IdRef<'de>>>()?;
                }
                "type" => {
                    once(&mut seen[1], "type")?;
                    let text: Cow<'de, str> = map.next_value()?;
                    kind = MessageType::parse(&text);
                    type_text = Some(text);
                }
                "timestamp" => {
                    once(&mut seen[2], "timestamp")?;
                    timestamp = map.next_value::<Option<Timestamp>>()?;
                }
                "data" => {
                    once(&mut seen[3], "data")?;
                    data = match kind {
                        // `data: null` is no data: `payload` is looked at then, as before.
                        Some(k) if checks_in_pass(k) => match map.next_value_seed(DataSeed(k))? {
                            Some(inspected) => Data::Checked(inspected),
                            None => Data::Raw(None),
                        },
                        _ => Data::Raw(map.next_value::<Option<&'de RawValue>>()?),
                    };
                }
                "payload" => {
                    once(&mut seen[4], "payload")?;
                    payload = map.next_value::<Option<&'de RawValue>>()?;
                }
                "metadata" => {
                    once(&mut seen[5], "metadata")?;
                    metadata = map.next_value::<Option<&'de RawValue>>()?;
                }
                "action" => {
                    once(&mut seen[6], "action")?;
                    action = map.next_value::<Option<IgnoredAny>>()?.is_some();
                }
                "event" => {
                    once(&mut seen[7], "event")?;
                    event = map.next_value::<Option<IgnoredAny>>()?.is_some();
                }
                "target" => {
                    once(&mut seen[8], "target")?;
                    target = map.next_value::<Option<IgnoredAny>>()?.is_some();
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let type_text = type_text.ok_or_else(|| de::Error::missing_field("type"))?;
        Ok(EnvelopeRef { id, type_text, kind, timestamp, data, payload, metadata, action, event, target })
    }
}

/// The types whose `data` [`inspect`] reads with a plain shape (null, or an object of it).
fn checks_in_pass(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::ConsoleLog
            | MessageType::ConsoleError
            | MessageType::NetworkRequest
            | MessageType::NetworkError
            | MessageType::BrowserEvent
            | MessageType::WebsocketFrame
    )
}

/// Reads `data` of a [`checks_in_pass`] type as [`inspect`] does: an object is read as the
/// shape, `null` is no data (`None`), anything else is refused.
struct DataSeed(MessageType);

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = Option<Inspected<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed {
    type Value = Option<Inspected<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: `data` as an object", self.0)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let d = de::value::MapAccessDeserializer::new(map);
        Ok(Some(match self.0 {
            MessageType::ConsoleLog | MessageType::ConsoleError => {
                Inspected::Console(Deserialize::deserialize(d)?)
            }
            MessageType::NetworkRequest | MessageType::NetworkError => {
                Inspected::Network(Deserialize::deserialize(d)?)
            }
            MessageType::BrowserEvent => Inspected::BrowserEvent(Deserialize::deserialize(d)?),
            _ => Inspected::Frame(Deserialize::deserialize(d)?),
        }))
    }
}
