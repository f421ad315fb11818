//! Console message text as Chrome DevTools prints it, from console arguments in the DevTools
//! Protocol's `Runtime.RemoteObject` shape (with `preview`): the one formatter for every source
//! whose arguments come in that shape (the CDP source now; the extensions when they send it).
//!
//! What it follows (DevTools' `ConsoleViewMessage` and `RemoteObjectPreviewFormatter`):
//! - top-level strings raw, nested strings as `'literals'`; `ƒ` for functions in previews;
//! - objects `{answer: 42, nested: {…}}`, class instances `Foo {x: 1}`, arrays `(3) [1, 2, 3]`
//!   (no length for one element), holes `empty × n`, maps `Map(1) {'a' => 1}`, sets `Set(2) {1, 2}`,
//!   a preview with more than it shows ends in `…`;
//! - an error reads as its first line (`Error: boom`); its stack stays in the structured args;
//! - `%s %d %i %f %o %O %c` substitution in a leading string (`%c` styles dropped, `%%` → `%`),
//!   unused arguments appended with a space;
//! - strings inside previews longer than [`PREVIEW_STRING`] characters and messages longer than
//!   [`MAX_MESSAGE`] bytes are cut with `…`.

use serde_json::Value;

/// Longest message text kept, in bytes.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Longest string shown inside a preview, in characters (DevTools trims them too).
pub const PREVIEW_STRING: usize = 100;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Cuts `text` to at most `max` bytes on a character boundary, ending it with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match super::byte_prefix(text, max) {
        head if head.len() == text.len() => text.to_string(),
        head => format!("{head}…"),
    }
}

/// A string as DevTools writes it inside a preview: single quotes unless the text has one and
/// no double quote; backslashes and line breaks escaped; longer than [`PREVIEW_STRING`] cut.
pub fn js_literal(text: &str) -> String {
    let text: String = if text.chars().count() > PREVIEW_STRING {
        text.chars().take(PREVIEW_STRING).chain(std::iter::once('…')).collect()
    } else {
        text.to_string()
    };
    let q = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(q);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `ƒ name(a, b)` for a function's source text, the way DevTools abbreviates it at top level.
fn function_text(description: &str) -> String {
    let head = first_line(description).trim_end_matches('{').trim_end();
    match head.strip_prefix("function") {
        Some(rest) => format!("ƒ{}", rest.trim_start_matches('*')),
        None => head.to_string(),
    }
}

/// A RemoteObject → the text DevTools prints for it; `top` = a console argument itself (strings
/// raw) rather than a `%o` substitution (strings quoted).
pub fn remote_text(ro: &Value, top: bool) -> String {
    if let Some(u) = ro.get("unserializableValue").and_then(Value::as_str) {
        return u.to_string();
    }
    match s(&ro["type"]) {
        "string" if top => s(&ro["value"]).to_string(),
        "string" => js_literal(s(&ro["value"])),
        "number" => ro["description"].as_str().map_or_else(|| js_number(&ro["value"]), str::to_string),
        "boolean" => ro["value"].to_string(),
        "undefined" => "undefined".into(),
        "function" => function_text(s(&ro["description"])),
        "object" => match s(&ro["subtype"]) {
            "null" => "null".into(),
            "error" => first_line(ro["description"].as_str().unwrap_or("Error")).to_string(),
            _ if ro["preview"].is_object() => preview_text(&ro["preview"]),
            _ if ro.get("value").is_some_and(|v| !v.is_null()) => ro["value"].to_string(),
            _ => ro["description"].as_str().unwrap_or("Object").to_string(),
        },
        other => ro["description"].as_str().map(str::to_string).unwrap_or_else(|| other.to_string()),
    }
}

/// One property value inside a preview (`PropertyPreview`).
fn property_text(p: &Value) -> String {
    if p["valuePreview"].is_object() {
        return preview_text(&p["valuePreview"]);
    }
    let v = s(&p["value"]);
    match (s(&p["type"]), s(&p["subtype"])) {
        ("string", _) => js_literal(v),
        ("function", _) => "ƒ".into(),
        ("accessor", _) => "(...)".into(),
        ("object", "null") => "null".into(),
        ("object", "") if v == "Object" || v.is_empty() => "{…}".into(),
        _ => v.to_string(),
    }
}

fn is_index(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// A property name as DevTools shows it: as is when it is an identifier or an index, quoted if not.
fn property_name(name: &str) -> String {
    let ident = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if ident || is_index(name) || name.starts_with("Symbol(") || name.starts_with('[') {
        name.to_string()
    } else {
        js_literal(name)
    }
}

/// The length in an array description: `Array(3)` → 3, `Uint8Array(2)` → 2.
fn array_length(description: &str) -> Option<usize> {
    let open = description.rfind(['(', '['])?;
    description[open + 1..].trim_end_matches([')', ']']).parse().ok()
}

fn array_items(props: &[Value], length: Option<usize>) -> Vec<String> {
    let mut items = Vec::new();
    let mut next = 0usize;
    let holes = |items: &mut Vec<String>, n: usize| {
        if n > 0 {
            items.push(format!("empty × {n}"));
        }
    };
    for p in props.iter().filter(|p| is_index(s(&p["name"]))) {
        let i: usize = s(&p["name"]).parse().unwrap_or(next);
        holes(&mut items, i.saturating_sub(next));
        items.push(property_text(p));
        next = i + 1;
    }
    if let Some(len) = length.filter(|_| props.len() < 100) {
        holes(&mut items, len.saturating_sub(next));
    }
    items
}

/// An `ObjectPreview` → DevTools' inline preview text.
pub fn preview_text(preview: &Value) -> String {
    let description = s(&preview["description"]);
    let sub = s(&preview["subtype"]);
    let without_value = ["arraybuffer", "dataview", "error", "null", "regexp", "webassemblymemory"];
    if s(&preview["type"]) == "string" {
        return js_literal(description);
    }
    if s(&preview["type"]) != "object" || without_value.contains(&sub) {
        return first_line(description).to_string();
    }
    let props = preview["properties"].as_array().map(Vec::as_slice).unwrap_or_default();
    let is_array = sub == "array" || sub == "typedarray";
    let length = array_length(description);
    let name = if is_array {
        let len = length.filter(|&n| n > 1).map(|n| format!("({n})")).unwrap_or_default();
        let base = description.split(['(', '[']).next().unwrap_or("");
        if base == "Array" {
            len
        } else {
            format!("{base}{len}")
        }
    } else if description == "Object" {
        String::new()
    } else {
        description.to_string()
    };
    let mut items: Vec<String> = if let Some(entries) = preview["entries"].as_array() {
        entries
            .iter()
            .map(|e| match e.get("key").filter(|k| k.is_object()) {
                Some(k) => format!("{} => {}", preview_text(k), preview_text(&e["value"])),
                None => preview_text(&e["value"]),
            })
            .collect()
    } else if is_array {
        let overflow = preview["overflow"].as_bool() == Some(true);
        array_items(props, if overflow { None } else { length })
    } else {
        props.iter().map(|p| format!("{}: {}", property_name(s(&p["name"])), property_text(p))).collect()
    };
    if preview["overflow"].as_bool() == Some(true) {
        items.push("…".into());
    }
    let (open, close) = if is_array { ('[', ']') } else { ('{', '}') };
    let body = format!("{open}{}{close}", items.join(", "));
    if name.is_empty() {
        body
    } else {
        format!("{name} {body}")
    }
}

/// A JSON number as JavaScript's `String(n)` writes it (`9`, not `9.0`).
fn js_number(v: &Value) -> String {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e21 => (n as i128).to_string(),
        Some(n) => n.to_string(),
        None => v.to_string(),
    }
}

fn number_of(a: &Value) -> Option<f64> {
    (s(&a["type"]) == "number").then(|| a["value"].as_f64()).flatten()
}

/// A `%s` substitution: strings raw, primitives as text, objects by their description.
fn string_spec(a: &Value) -> String {
    match s(&a["type"]) {
        "object" if s(&a["subtype"]) != "null" => {
            first_line(a["description"].as_str().or(a["className"].as_str()).unwrap_or("Object")).to_string()
        }
        _ => remote_text(a, true),
    }
}

fn has_spec(f: &str) -> bool {
    f.as_bytes().windows(2).any(|w| w[0] == b'%' && b"sdifoOc%".contains(&w[1]))
}

/// A console call's text as DevTools shows it in the row, from its arguments.
pub fn format_message(args: &[Value]) -> String {
    let Some(first) = args.first() else { return String::new() };
    let mut used = 1;
    let head = if s(&first["type"]) == "string" && has_spec(s(&first["value"])) {
        let mut out = String::new();
        let mut chars = s(&first["value"]).chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                Some(spec @ ('s' | 'd' | 'i' | 'f' | 'o' | 'O' | 'c')) if used < args.len() => {
                    chars.next();
                    let a = &args[used];
                    used += 1;
                    match spec {
                        's' => out.push_str(&string_spec(a)),
                        'd' | 'i' => out.push_str(&match (number_of(a), s(&a["type"])) {
                            (_, "bigint") => s(&a["description"]).trim_end_matches('n').to_string(),
                            (Some(n), _) if n.is_finite() => (n.trunc() as i64).to_string(),
                            _ => "NaN".into(),
                        }),
                        'f' => {
                            out.push_str(&number_of(a).map_or("NaN".into(), |n| js_number(&Value::from(n))))
                        }
                        'c' => {}
                        _ => out.push_str(&remote_text(a, false)),
                    }
                }
                _ => out.push('%'),
            }
        }
        out
    } else {
        remote_text(first, true)
    };
    let mut parts = vec![head];
    parts.extend(args[used..].iter().map(|a| remote_text(a, true)));
    cut(&parts.join(" "), MAX_MESSAGE)
}

/// A console event's `data` that carries the call's raw arguments as `remoteArgs` (the triage
/// extension sends them): `message` becomes their DevTools text (`Assertion failed: …` for a
/// failed `console.assert`) and `remoteArgs` is dropped, the structured `args` staying as sent.
/// True when it changed anything.
pub fn fill_message(data: &mut Value) -> bool {
    let Some(obj) = data.as_object_mut() else { return false };
    let Some(Value::Array(args)) = obj.remove("remoteArgs") else { return false };
    let kind = obj.get("consoleType").and_then(Value::as_str).unwrap_or("");
    let text = format_message(&args);
    let message = match kind {
        "clear" => "console.clear()".to_string(),
        "assert" if text.is_empty() => "Assertion failed".to_string(),
        "assert" => format!("Assertion failed: {text}"),
        _ => text,
    };
    obj.insert("message".into(), Value::String(message));
    true
}

#[cfg(test)]
#[path = "console_format_tests.rs"]
mod tests;
