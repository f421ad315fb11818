//! Timestamps: epoch milliseconds on the wire (seed 000); RFC 3339 strings accepted (seed 004).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds since the Unix epoch. Always written as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses epoch milliseconds (number or numeric string) or an RFC 3339 date-time.
    pub fn parse_str(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        if let Ok(ms) = s.parse::<i64>() {
            return Some(Timestamp(ms));
        }
        if let Ok(ms) = s.parse::<f64>() {
            return ms.is_finite().then_some(Timestamp(ms as i64));
        }
        chrono::DateTime::parse_from_rfc3339(s).ok().map(|dt| Timestamp(dt.timestamp_millis()))
    }

    pub fn now() -> Timestamp {
        Timestamp(now_ms())
    }
}

/// The wall clock in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("epoch milliseconds or an RFC 3339 date-time")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v).map(Timestamp).map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if v.is_finite() {
                    Ok(Timestamp(v as i64))
                } else {
                    Err(E::custom("timestamp is not a finite number"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_str(v).ok_or_else(|| {
                    E::custom(format!("timestamp {v:?} is neither epoch milliseconds nor RFC 3339"))
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}
