//! The DevTools console text for arguments as V8 sends them (shapes taken from Chromium's
//! `Runtime.consoleAPICalled`).

use super::*;
use serde_json::json;

fn string(v: &str) -> Value {
    json!({"type": "string", "value": v})
}

fn num(n: f64) -> Value {
    json!({"type": "number", "value": n})
}

fn prop(name: &str, ty: &str, value: &str) -> Value {
    json!({"name": name, "type": ty, "value": value})
}

fn object(description: &str, subtype: Option<&str>, props: Vec<Value>, overflow: bool) -> Value {
    let mut preview = json!({"type": "object", "description": description, "overflow": overflow,
        "properties": props});
    let mut ro = json!({"type": "object", "className": description, "description": description,
        "objectId": "1"});
    if let Some(sub) = subtype {
        preview["subtype"] = json!(sub);
        ro["subtype"] = json!(sub);
    }
    ro["preview"] = preview;
    ro
}

fn array(items: &[&str]) -> Value {
    let props = items.iter().enumerate().map(|(i, v)| prop(&i.to_string(), "number", v)).collect();
    object(&format!("Array({})", items.len()), Some("array"), props, false)
}

#[test]
fn the_issue_example_reads_as_devtools_shows_it() {
    let obj = object(
        "Object",
        None,
        vec![prop("answer", "number", "42"), prop("nested", "object", "Object")],
        false,
    );
    let args = [string("triage-e2e log"), obj, array(&["1", "2", "3"])];
    assert_eq!(format_message(&args), "triage-e2e log {answer: 42, nested: {…}} (3) [1, 2, 3]");
}

#[test]
fn arrays_show_their_length_only_past_one_and_holes_as_empty() {
    assert_eq!(format_message(&[array(&["7"])]), "[7]");
    let holey =
        object("Array(4)", Some("array"), vec![prop("0", "number", "1"), prop("3", "number", "4")], false);
    assert_eq!(format_message(&[holey]), "(4) [1, empty × 2, 4]");
    let typed = object(
        "Uint8Array(2)",
        Some("typedarray"),
        vec![prop("0", "number", "0"), prop("1", "number", "9")],
        false,
    );
    assert_eq!(format_message(&[typed]), "Uint8Array(2) [0, 9]");
    let nested = object(
        "Array(2)",
        Some("array"),
        vec![prop("0", "object", "Array(2)"), prop("1", "string", "x")],
        false,
    );
    assert_eq!(format_message(&[nested]), "(2) [Array(2), 'x']");
}

#[test]
fn maps_sets_and_class_instances() {
    let mut map = object("Map(2)", Some("map"), vec![], false);
    map["preview"]["entries"] = json!([
        {"key": {"type": "string", "description": "a", "overflow": false, "properties": []},
         "value": {"type": "number", "description": "1", "overflow": false, "properties": []}},
        {"key": {"type": "string", "description": "b", "overflow": false, "properties": []},
         "value": {"type": "object", "description": "Object", "overflow": false,
                   "properties": [{"name": "x", "type": "number", "value": "2"}]}}
    ]);
    // V8 gives entry keys/values as previews whose string description is the raw text.
    assert_eq!(format_message(&[map]), "Map(2) {'a' => 1, 'b' => {x: 2}}");
    let mut set = object("Set(3)", Some("set"), vec![], true);
    set["preview"]["entries"] = json!([
        {"value": {"type": "number", "description": "1", "overflow": false, "properties": []}},
        {"value": {"type": "number", "description": "2", "overflow": false, "properties": []}}
    ]);
    assert_eq!(format_message(&[set]), "Set(3) {1, 2, …}");
    let point = object("Point", None, vec![prop("x", "number", "1"), prop("fn", "function", "")], false);
    assert_eq!(format_message(&[point]), "Point {x: 1, fn: ƒ}");
}

#[test]
fn an_error_reads_as_its_first_line() {
    let err = json!({"type": "object", "subtype": "error", "className": "TypeError",
        "description": "TypeError: boom\n    at f (http://x/a.js:1:2)\n    at http://x/a.js:3:4"});
    assert_eq!(format_message(&[string("failed:"), err]), "failed: TypeError: boom");
}

#[test]
fn substitutions_follow_devtools() {
    let obj = object("Object", None, vec![prop("s", "string", "it's")], false);
    let args = [
        string("%s has %d items (%i%%) at %f %o %c styled %O"),
        string("ada"),
        num(3.9),
        num(-2.5),
        num(1.5),
        string("quoted"),
        string("color: red"),
        obj.clone(),
        num(9.0),
    ];
    assert_eq!(format_message(&args), "ada has 3 items (-2%) at 1.5 'quoted'  styled {s: \"it's\"} 9");
    assert_eq!(format_message(&[string("%d"), string("42")]), "NaN");
    assert_eq!(format_message(&[string("%s"), obj]), "Object");
    assert_eq!(format_message(&[string("left %s %d")]), "left %s %d");
}

#[test]
fn primitives_functions_and_specials() {
    let args = [
        json!({"type": "undefined"}),
        json!({"type": "object", "subtype": "null", "value": null}),
        json!({"type": "boolean", "value": true}),
        json!({"type": "number", "unserializableValue": "-0", "description": "-0"}),
        json!({"type": "bigint", "unserializableValue": "12n", "description": "12n"}),
        json!({"type": "symbol", "description": "Symbol(tag)"}),
        json!({"type": "function", "description": "function greet(a, b) {\n  return a;\n}"}),
        json!({"type": "object", "subtype": "regexp", "description": "/a+/g"}),
    ];
    assert_eq!(format_message(&args), "undefined null true -0 12n Symbol(tag) ƒ greet(a, b) /a+/g");
}

#[test]
fn long_text_is_cut_with_an_ellipsis() {
    let long = "x".repeat(150);
    let obj = object("Object", None, vec![prop("k", "string", &long), prop("bad key", "number", "1")], true);
    let text = format_message(&[obj]);
    assert_eq!(text, format!("{{k: '{}…', 'bad key': 1, …}}", "x".repeat(100)));
    let huge = "é".repeat(MAX_MESSAGE);
    let cut_text = format_message(&[string(&huge)]);
    assert!(cut_text.len() <= MAX_MESSAGE + '…'.len_utf8() && cut_text.ends_with('…'), "{}", cut_text.len());
}

#[test]
fn fill_message_formats_remote_args_and_drops_them() {
    let mut data = json!({"level": "error", "consoleType": "assert", "message": "old",
        "args": ["x"], "remoteArgs": [string("%d left"), num(2.0)]});
    assert!(fill_message(&mut data));
    assert_eq!(
        data,
        json!({"level": "error", "consoleType": "assert", "message": "Assertion failed: 2 left",
        "args": ["x"]})
    );
    let mut plain = json!({"message": "kept"});
    assert!(!fill_message(&mut plain));
    assert_eq!(plain, json!({"message": "kept"}));
}
