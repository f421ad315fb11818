//! Console API calls, uncaught exceptions and browser log entries → `console-log` /
//! `console-error` data, as the extension builds them (assets/extension/lib/serialize.js and
//! capture.js): the message text from the arguments (protocol::console_format, as DevTools
//! prints it), the structured args, the level, the stack, the source url:line:col.

use serde_json::{json, Map, Value};

use super::client::Client;
use super::pagefns;
use crate::protocol::console_format::format_message;
use crate::protocol::MessageType;

const MAX_ARG_TEXT: usize = 16 * 1024;
const MAX_ARGS: usize = 50;
pub use crate::protocol::console_format::MAX_MESSAGE;

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    match crate::protocol::byte_prefix(s, max) {
        head if head.len() == s.len() => s.to_string(),
        head => format!("{head}… [truncated, {} bytes]", s.len()),
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A RemoteObject → a JSON value (primitives as themselves, objects from their preview).
pub fn to_json(ro: &Value) -> Value {
    if let Some(u) = ro.get("unserializableValue").and_then(Value::as_str) {
        return json!(u);
    }
    match s(&ro["type"]) {
        "string" => json!(truncate(s(&ro["value"]), MAX_ARG_TEXT)),
        "number" | "boolean" => ro["value"].clone(),
        "undefined" => json!("undefined"),
        "bigint" | "symbol" | "function" => {
            json!(truncate(ro["description"].as_str().unwrap_or(s(&ro["type"])), 500))
        }
        "object" => match s(&ro["subtype"]) {
            "null" => Value::Null,
            "error" => json!(truncate(ro["description"].as_str().unwrap_or("Error"), MAX_ARG_TEXT)),
            "node" | "regexp" | "date" => ro["description"].clone(),
            _ if ro.get("value").is_some() => ro["value"].clone(),
            _ if ro.get("preview").is_some() => preview_to_json(&ro["preview"]),
            _ => json!(ro["description"].as_str().or(ro["className"].as_str()).unwrap_or("Object")),
        },
        _ => ro.get("description").cloned().unwrap_or(Value::Null),
    }
}

fn preview_value(p: &Value) -> Value {
    if p.get("valuePreview").is_some() {
        return preview_to_json(&p["valuePreview"]);
    }
    let v = s(&p["value"]);
    match s(&p["type"]) {
        "number" => v
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or(json!(v)),
        "boolean" => json!(v == "true"),
        "undefined" => json!("undefined"),
        "object" if s(&p["subtype"]) == "null" => Value::Null,
        _ => json!(v),
    }
}

fn is_index(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

fn preview_to_json(preview: &Value) -> Value {
    let props = preview["properties"].as_array().cloned().unwrap_or_default();
    let overflow = preview["overflow"].as_bool() == Some(true);
    let sub = s(&preview["subtype"]);
    if sub == "array" || sub == "typedarray" {
        let mut arr: Vec<Value> =
            props.iter().filter(|p| is_index(s(&p["name"]))).map(preview_value).collect();
        if overflow {
            arr.push(json!("…"));
        }
        return Value::Array(arr);
    }
    if let (true, Some(entries)) = (sub == "map" || sub == "set", preview["entries"].as_array()) {
        let mut out: Vec<Value> = entries
            .iter()
            .map(|e| match e.get("key") {
                Some(k) => json!([preview_to_json(k), preview_to_json(&e["value"])]),
                None => preview_to_json(&e["value"]),
            })
            .collect();
        if overflow {
            out.push(json!("…"));
        }
        return Value::Array(out);
    }
    if s(&preview["type"]) != "object" {
        return preview["description"].clone();
    }
    let mut obj = Map::new();
    for p in &props {
        obj.insert(s(&p["name"]).to_string(), preview_value(p));
    }
    if overflow {
        obj.insert("…".into(), json!("…"));
    }
    Value::Object(obj)
}

/// "file.js" of a script URL; the host for a bare origin.
pub fn short_name(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let after_scheme = no_query.split_once("://").map_or(no_query, |(_, r)| r);
    let mut segs = after_scheme.split('/');
    let host = segs.next().unwrap_or("");
    segs.rfind(|p| !p.is_empty()).unwrap_or(host).to_string()
}

/// Location of the first frame with a URL (1-based line and column).
pub fn top_location(stack: &Value, fallback: Option<(&str, Option<i64>, Option<i64>)>) -> Value {
    let frames = stack["callFrames"].as_array();
    let frame = frames.and_then(|f| f.iter().find(|f| !s(&f["url"]).is_empty()).or_else(|| f.first()));
    let (url, line, column) = match (frame, fallback) {
        (Some(f), _) => (
            s(&f["url"]).to_string(),
            f["lineNumber"].as_i64().map(|l| l + 1),
            f["columnNumber"].as_i64().map(|c| c + 1),
        ),
        (None, Some((u, l, c))) => (u.to_string(), l.map(|l| l + 1), c.map(|c| c + 1)),
        (None, None) => (String::new(), None, None),
    };
    if url.is_empty() && line.is_none() {
        return json!({ "source": null, "url": null, "line": null, "column": null });
    }
    let name = if url.is_empty() { "<anonymous>".to_string() } else { short_name(&url) };
    let source = match line {
        Some(l) => format!("{name}:{l}:{}", column.unwrap_or(0)),
        None => name,
    };
    json!({ "source": source, "url": (!url.is_empty()).then_some(url), "line": line, "column": column })
}

/// V8-style stack text, async parents included.
pub fn format_stack(stack: &Value) -> Option<String> {
    let mut lines = Vec::new();
    let mut st = Some(stack);
    let mut first = true;
    while let Some(t) = st.filter(|t| t.is_object()) {
        if lines.len() >= 50 {
            break;
        }
        if !first {
            lines.push(format!("    at (async {})", t["description"].as_str().unwrap_or("task")));
        }
        first = false;
        for f in t["callFrames"].as_array().into_iter().flatten() {
            let url = f["url"].as_str().filter(|u| !u.is_empty()).unwrap_or("<anonymous>");
            let at = format!(
                "{url}:{}:{}",
                f["lineNumber"].as_i64().unwrap_or(0) + 1,
                f["columnNumber"].as_i64().unwrap_or(0) + 1
            );
            match f["functionName"].as_str().filter(|n| !n.is_empty()) {
                Some(name) => lines.push(format!("    at {name} ({at})")),
                None => lines.push(format!("    at {at}")),
            }
        }
        st = t.get("parent");
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn level_of(kind: &str) -> &'static str {
    match kind {
        "debug" | "profile" | "profileEnd" => "debug",
        "info" | "clear" => "info",
        "error" | "assert" => "error",
        "warning" => "warn",
        "trace" => "trace",
        _ => "log",
    }
}

/// `Runtime.consoleAPICalled` → a console event. With `deep`, objects are serialized in the page
/// (depth 5, no getters run) when the context is still there; their previews are the fallback.
/// A page too busy to answer quickly (a tight loop of console calls) sets `deep` to false.
pub async fn api_called(
    client: &Client,
    session: &str,
    p: &Value,
    context: Option<&str>,
    deep: &mut bool,
) -> Option<(MessageType, Value)> {
    let kind = s(&p["type"]);
    if kind == "endGroup" {
        return None;
    }
    let mut args = p["args"].as_array().cloned().unwrap_or_default();
    if *deep {
        *deep = fill_previews(client, session, &mut args).await;
    }
    let level = level_of(kind);
    let mut message = format_message(&args);
    if kind == "assert" {
        message = if message.is_empty() {
            "Assertion failed".into()
        } else {
            format!("Assertion failed: {message}")
        };
    }
    if kind == "clear" {
        message = "console.clear()".into();
    }
    let mut list: Vec<Value> = args.iter().take(MAX_ARGS).map(to_json).collect();
    if args.len() > MAX_ARGS {
        list.push(json!(format!("… {} more arguments", args.len() - MAX_ARGS)));
    }
    if *deep {
        *deep = deep_args(client, session, &args, &mut list).await;
    }
    let loc = top_location(&p["stackTrace"], None);
    let stack =
        if matches!(level, "error" | "warn" | "trace") { format_stack(&p["stackTrace"]) } else { None };
    let mut data = json!({
        "level": level, "message": message, "args": list,
        "source": loc["source"], "url": loc["url"], "line": loc["line"], "column": loc["column"],
        "stack": stack, "consoleType": kind,
    });
    if let Some(c) = context.or(p["context"].as_str()) {
        data["context"] = json!(c);
    }
    Some((if level == "error" { MessageType::ConsoleError } else { MessageType::ConsoleLog }, data))
}

/// How long the page may take to serialize; its main thread answers only between tasks.
const DEEP_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Messages logged before `Runtime.enable` are replayed without previews (a page that logged
/// before the attach): asks the page for the previews of such objects, which its console still
/// holds, so their text reads as DevTools shows it. False when the page did not answer within
/// [`DEEP_WAIT`] (busy); a context gone leaves the descriptions.
async fn fill_previews(client: &Client, session: &str, args: &mut [Value]) -> bool {
    for a in args.iter_mut().take(MAX_ARGS) {
        if s(&a["type"]) != "object"
            || a["preview"].is_object()
            || matches!(s(&a["subtype"]), "null" | "error")
        {
            continue;
        }
        let Some(id) = a["objectId"].as_str() else { continue };
        let params = json!({
            "objectId": id,
            "functionDeclaration": "function () { return this; }",
            "generatePreview": true,
            "silent": true,
        });
        match client.call_within(Some(session), "Runtime.callFunctionOn", params, DEEP_WAIT).await {
            Ok(r) if r["result"]["preview"].is_object() => a["preview"] = r["result"]["preview"].clone(),
            Ok(_) => {}
            Err(super::CdpError::Timeout { .. }) => return false,
            Err(_) => return true,
        }
    }
    true
}

/// False when the page did not answer within [`DEEP_WAIT`] (busy): previews are kept.
async fn deep_args(client: &Client, session: &str, args: &[Value], list: &mut [Value]) -> bool {
    let deep: Vec<(usize, &str)> = args
        .iter()
        .take(list.len())
        .enumerate()
        .filter(|(_, a)| {
            s(&a["type"]) == "object"
                && !["null", "error", "node", "regexp", "date", "promise", "proxy", "wasmvalue"]
                    .contains(&s(&a["subtype"]))
        })
        .filter_map(|(i, a)| a["objectId"].as_str().map(|id| (i, id)))
        .collect();
    let Some((_, first)) = deep.first() else { return true };
    let params = json!({
        "objectId": first,
        "functionDeclaration": pagefns::SERIALIZE,
        "arguments": deep.iter().map(|(_, id)| json!({ "objectId": id })).collect::<Vec<_>>(),
        "returnByValue": true,
        "silent": true,
    });
    let r = match client.call_within(Some(session), "Runtime.callFunctionOn", params, DEEP_WAIT).await {
        Ok(r) => r,
        Err(super::CdpError::Timeout { .. }) => return false,
        Err(_) => return true, // context gone (the page navigated): keep the previews
    };
    if r.get("exceptionDetails").is_none() {
        if let Some(values) = r["result"]["value"].as_array() {
            for ((i, _), v) in deep.iter().zip(values) {
                list[*i] = v.clone();
            }
        }
    }
    true
}

/// `Runtime.exceptionThrown` → console-error with the stack.
pub fn exception(p: &Value, context: Option<&str>) -> Value {
    let d = &p["exceptionDetails"];
    let ex = &d["exception"];
    let text = d["text"].as_str().unwrap_or("Uncaught");
    let in_promise = text.to_ascii_lowercase().contains("in promise");
    let description = if ex.is_object() {
        ex["description"]
            .as_str()
            .map(str::to_string)
            .or_else(|| ex["value"].as_str().map(str::to_string))
            .or_else(|| ex.get("value").map(Value::to_string))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let first_line = description.lines().next().unwrap_or("");
    let message = if first_line.is_empty() { text.to_string() } else { format!("{text} {first_line}") };
    let stack = if s(&ex["subtype"]) == "error" && description.contains("\n    at ") {
        Some(description.clone())
    } else {
        format_stack(&d["stackTrace"])
            .map(|f| format!("{}\n{f}", if first_line.is_empty() { text } else { first_line }))
    };
    let loc = top_location(
        &d["stackTrace"],
        Some((s(&d["url"]), d["lineNumber"].as_i64(), d["columnNumber"].as_i64())),
    );
    let mut data = json!({
        "level": "error",
        "message": truncate(&message, MAX_MESSAGE),
        "args": if ex.is_object() { vec![json!(truncate(&description, MAX_MESSAGE))] } else { vec![] },
        "source": loc["source"], "url": loc["url"], "line": loc["line"], "column": loc["column"],
        "stack": stack.map(|s| truncate(&s, MAX_MESSAGE)),
        "exception": true,
        "kind": if in_promise { "unhandledrejection" } else { "uncaught" },
    });
    if let Some(c) = context {
        data["context"] = json!(c);
    }
    data
}

/// `Log.entryAdded` (CSP, failed resource loads, interventions…) → a console event.
pub fn log_entry(p: &Value, context: Option<&str>) -> (MessageType, Value, Option<i64>) {
    let e = &p["entry"];
    let level = match s(&e["level"]) {
        "verbose" => "debug",
        "warning" => "warn",
        "error" => "error",
        _ => "info",
    };
    let url = e["url"].as_str().filter(|u| !u.is_empty());
    let line = e["lineNumber"].as_i64().map(|l| l + 1);
    let loc = e.get("stackTrace").map(|st| top_location(st, None));
    let source = loc.as_ref().and_then(|l| l["source"].as_str().map(str::to_string)).or_else(|| {
        url.map(|u| match line {
            Some(l) => format!("{}:{l}", short_name(u)),
            None => short_name(u),
        })
    });
    let mut data = json!({
        "level": level,
        "message": truncate(s(&e["text"]), MAX_MESSAGE),
        "args": [],
        "source": source,
        "url": loc.as_ref().and_then(|l| l["url"].as_str().map(str::to_string)).or(url.map(str::to_string)),
        "line": loc.as_ref().and_then(|l| l["line"].as_i64()).or(line),
        "column": loc.as_ref().and_then(|l| l["column"].as_i64()),
        "stack": e.get("stackTrace").and_then(format_stack),
        "logSource": e["source"].as_str().unwrap_or("other"),
        "networkRequestId": e.get("networkRequestId"),
    });
    if let Some(c) = context {
        data["context"] = json!(c);
    }
    let ty = if level == "error" { MessageType::ConsoleError } else { MessageType::ConsoleLog };
    (ty, data, e["timestamp"].as_f64().map(|t| t as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_applies_substitutions_and_previews() {
        let args = vec![
            json!({"type": "string", "value": "user %s has %d items"}),
            json!({"type": "string", "value": "ada"}),
            json!({"type": "number", "value": 3.7}),
            json!({"type": "object", "objectId": "1", "preview": {"type": "object", "description": "Object",
                "overflow": false, "properties": [{"name": "id", "type": "number", "value": "42"},
                {"name": "tags", "type": "object", "subtype": "array", "value": "Array(2)"}]}}),
        ];
        assert_eq!(format_message(&args), "user ada has 3 items {id: 42, tags: Array(2)}");
        assert_eq!(to_json(&args[3]), json!({"id": 42.0, "tags": "Array(2)"}));
    }

    #[test]
    fn location_and_stack_are_one_based() {
        let st = json!({"callFrames": [{"functionName": "load", "url": "http://h/app.js?v=1", "lineNumber": 9, "columnNumber": 4}]});
        let loc = top_location(&st, None);
        assert_eq!(loc["source"], "app.js:10:5");
        assert_eq!(format_stack(&st).as_deref(), Some("    at load (http://h/app.js?v=1:10:5)"));
    }
}
