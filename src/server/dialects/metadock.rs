//! Seed 002 (MetaDock): the id a client sent, given back in the type it was sent in, and the
//! `browser_uuid` a command names, which is a browser session id in our registry.

use serde_json::{json, Value};

/// What `/ws` says on open, in the seed's shape.
pub fn welcome() -> String {
    json!({
        "type": "welcome",
        "message": "MetaDock WebSocket API - Authentication required",
        "version": "1.0",
    })
    .to_string()
}

/// The `id` of a message as sent, when it is not a string (seed 002 numbers its requests).
/// `None` for string ids and messages without one: those round-trip through the envelope as is.
pub fn sent_id(text: &str) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<Value>,
    }
    match serde_json::from_str::<Id>(text).ok()?.id? {
        Value::String(_) | Value::Null => None,
        other => Some(other),
    }
}

/// A reply (JSON text) with its `id` put back as the client sent it.
pub fn echo_id(reply: String, sent: Option<&Value>) -> String {
    let Some(sent) = sent else { return reply };
    match serde_json::from_str::<Value>(&reply) {
        Ok(Value::Object(mut obj)) => {
            obj.insert("id".into(), sent.clone());
            Value::Object(obj).to_string()
        }
        _ => reply,
    }
}

/// The browser session a seed 002 command is for (`browser_uuid`, lifted into `data`), taken
/// out of the data so the browser gets our own shape.
pub fn take_browser_uuid(data: &mut Value) -> Option<String> {
    let obj = data.as_object_mut()?;
    match obj.remove("browser_uuid")? {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_ids_come_back_as_numbers() {
        let sent = sent_id(r#"{"type":"browser","action":"get_title","id":1}"#);
        assert_eq!(sent, Some(json!(1)));
        let out = echo_id(r#"{"type":"command-result","id":"1","data":{}}"#.into(), sent.as_ref());
        assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["id"], json!(1));
        assert_eq!(sent_id(r#"{"type":"x","id":"a"}"#), None);
        assert_eq!(sent_id("not json"), None);
    }

    #[test]
    fn browser_uuid_is_taken_out_of_the_data() {
        let mut data = json!({"action": "get_title", "browser_uuid": "ext-1"});
        assert_eq!(take_browser_uuid(&mut data).as_deref(), Some("ext-1"));
        assert_eq!(data, json!({"action": "get_title"}));
        assert_eq!(take_browser_uuid(&mut json!({"browser_uuid": 3})), None);
    }
}
