//! Seed 002 (MetaDock): the id a client sent, given back in the type it was sent in, the
//! `browser_uuid` a command names (a browser session id in our registry), subscription targets,
//! and stored `browser-event`s translated into the seed's `browser_event` pushes.

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

/// What a seed 002 client subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `browser:{uuid}`: one browser session.
    Browser(String),
    /// `layout:{uuid}`: every browser in one window.
    Layout(String),
    /// `system`: every browser.
    System,
}

impl Target {
    pub fn parse(s: &str) -> Option<Target> {
        match s.trim().split_once(':') {
            Some(("browser", id)) if !id.is_empty() => Some(Target::Browser(id.to_string())),
            Some(("layout", id)) if !id.is_empty() => Some(Target::Layout(id.to_string())),
            None if s.trim() == "system" => Some(Target::System),
            _ => None,
        }
    }

    /// Whether an event of browser `session`, in layout `layout`, is for this target.
    pub fn wants(&self, session: &str, layout: Option<&str>) -> bool {
        match self {
            Target::Browser(id) => id == session,
            Target::Layout(l) => layout == Some(l.as_str()),
            Target::System => true,
        }
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored `browser-event` (its envelope's `data`, stored at `timestamp_ms`) in the seed's shape:
/// `{type:"browser_event", browser_uuid, event, data:{…, timestamp}, timestamp}`, times in RFC 3339.
pub fn browser_event(session: &str, data: &Value, timestamp_ms: i64) -> Option<String> {
    let mut fields = data.as_object()?.clone();
    let event = fields.remove("event")?;
    fields.remove("browser_uuid");
    let at = fields.get("timestamp").and_then(Value::as_i64).unwrap_or(timestamp_ms);
    let at = rfc3339(at);
    fields.insert("timestamp".into(), json!(at));
    Some(
        json!({ "type": "browser_event", "browser_uuid": session, "event": event, "data": fields, "timestamp": at })
            .to_string(),
    )
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
    fn targets_and_events_in_the_seeds_shape() {
        assert_eq!(Target::parse("browser:ext-1"), Some(Target::Browser("ext-1".into())));
        assert_eq!(Target::parse("layout:7"), Some(Target::Layout("7".into())));
        assert_eq!(Target::parse("system"), Some(Target::System));
        assert_eq!(Target::parse("browser:"), None);
        assert_eq!(Target::parse("tab:1"), None);
        assert!(
            Target::Layout("7".into()).wants("x", Some("7")) && !Target::Layout("7".into()).wants("x", None)
        );
        let out =
            browser_event("ext-1", &json!({"event": "zoom_changed", "zoom_factor": 1.5, "timestamp": 0}), 5);
        assert_eq!(
            serde_json::from_str::<Value>(&out.unwrap()).unwrap(),
            json!({"type": "browser_event", "browser_uuid": "ext-1", "event": "zoom_changed",
                   "data": {"zoom_factor": 1.5, "timestamp": "1970-01-01T00:00:00.000Z"},
                   "timestamp": "1970-01-01T00:00:00.000Z"})
        );
        assert_eq!(browser_event("ext-1", &json!({"url": "x"}), 0), None);
    }

    #[test]
    fn browser_uuid_is_taken_out_of_the_data() {
        let mut data = json!({"action": "get_title", "browser_uuid": "ext-1"});
        assert_eq!(take_browser_uuid(&mut data).as_deref(), Some("ext-1"));
        assert_eq!(data, json!({"action": "get_title"}));
        assert_eq!(take_browser_uuid(&mut json!({"browser_uuid": 3})), None);
    }
}
