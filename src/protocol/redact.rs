//! Redaction of credentials in captured network traffic, applied on ingest.

use serde_json::Value;

/// Headers whose values never reach the store unless the user turns redaction off.
pub const SENSITIVE_HEADERS: [&str; 4] = ["authorization", "cookie", "set-cookie", "proxy-authorization"];

pub const REDACTED: &str = "[REDACTED]";

fn is_sensitive(name: &str) -> bool {
    SENSITIVE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name.trim()))
}

/// Redacts one header collection in place: an object `{Name: value}` or a list `[{name, value}]`.
/// Returns how many values were replaced.
pub fn redact_headers(headers: &mut Value) -> usize {
    let mut n = 0;
    match headers {
        Value::Object(map) => {
            for (name, value) in map.iter_mut() {
                if is_sensitive(name) && value.as_str() != Some(REDACTED) {
                    *value = Value::String(REDACTED.into());
                    n += 1;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let Some(obj) = item.as_object_mut() else { continue };
                let sensitive = obj.get("name").and_then(Value::as_str).is_some_and(is_sensitive);
                if sensitive {
                    if let Some(v) = obj.get_mut("value") {
                        if v.as_str() != Some(REDACTED) {
                            *v = Value::String(REDACTED.into());
                            n += 1;
                        }
                    }
                }
            }
        }
        _ => {}
    }
    n
}

/// Redacts every header collection a network message may carry: seed 000's
/// `headers.request`/`headers.response` and browser-tools' `requestHeaders`/`responseHeaders`.
pub fn redact_network(data: &mut Value) -> usize {
    let Some(obj) = data.as_object_mut() else { return 0 };
    let mut n = 0;
    if let Some(headers) = obj.get_mut("headers") {
        if let Some(h) = headers.as_object_mut() {
            if h.contains_key("request") || h.contains_key("response") {
                for side in ["request", "response"] {
                    if let Some(v) = h.get_mut(side) {
                        n += redact_headers(v);
                    }
                }
            } else {
                n += redact_headers(headers);
            }
        } else {
            n += redact_headers(headers);
        }
    }
    for key in ["requestHeaders", "responseHeaders"] {
        if let Some(v) = obj.get_mut(key) {
            n += redact_headers(v);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_object_and_list_forms_case_insensitively() {
        let mut data = json!({
            "headers": {
                "request": {"authorization": "Bearer abc", "Accept": "*/*", "Cookie": "sid=1"},
                "response": {"Set-Cookie": "sid=2", "Content-Type": "text/html"}
            },
            "requestHeaders": [{"name": "Proxy-Authorization", "value": "Basic x"}, {"name": "X", "value": "y"}]
        });
        assert_eq!(redact_network(&mut data), 4);
        assert_eq!(data["headers"]["request"]["authorization"], REDACTED);
        assert_eq!(data["headers"]["request"]["Accept"], "*/*");
        assert_eq!(data["headers"]["response"]["Set-Cookie"], REDACTED);
        assert_eq!(data["requestHeaders"][0]["value"], REDACTED);
        assert_eq!(data["requestHeaders"][1]["value"], "y");
        // Idempotent: a second pass finds nothing new.
        assert_eq!(redact_network(&mut data), 0);
    }
}
