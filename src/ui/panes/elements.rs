//! The Elements pane: each element selection with tag, id, classes, selector, xpath,
//! dimensions, styles, attributes and HTML.

use serde_json::Value;

use super::{cell_text, col, compact, fmt_time, header_pairs, num_of, Column, Detail, Row, Tone, Width};
use crate::protocol::{data_as, ElementInfo, ElementSelection, Envelope};
use crate::store::StoredEvent;

pub const COLUMNS: &[Column] = &[
    col("time", Width::Fixed(12)),
    col("element", Width::Fixed(34)),
    col("selector", Width::Fill),
    col("size", Width::Fixed(11)),
];

fn element_of(env: &Envelope) -> ElementInfo {
    data_as::<ElementSelection>(env).and_then(|s| s.element).unwrap_or_default()
}

/// `div#main.container.mt-4`, the way DevTools names an element.
pub fn label(el: &ElementInfo) -> String {
    let mut s = el.tag_name.as_deref().unwrap_or("?").to_ascii_lowercase();
    if let Some(id) = el.id.as_deref().filter(|i| !i.is_empty()) {
        s.push('#');
        s.push_str(id);
    }
    for class in el.class_name.as_deref().unwrap_or("").split_whitespace() {
        s.push('.');
        s.push_str(class);
    }
    s
}

fn dims(el: &ElementInfo) -> String {
    match &el.dimensions {
        Some(d) => match (num_of(d, "width"), num_of(d, "height")) {
            (Some(w), Some(h)) => format!("{}×{}", w.round() as i64, h.round() as i64),
            _ => String::new(),
        },
        None => String::new(),
    }
}

pub fn row(e: &StoredEvent, env: &Envelope, utc: bool) -> Row {
    let el = element_of(env);
    let selector = el.css_selector.clone().or_else(|| el.xpath.clone()).unwrap_or_default();
    let cells = vec![fmt_time(e.timestamp_ms, utc), cell_text(&label(&el)), cell_text(&selector), dims(&el)];
    Row::new(e.seq, e.timestamp_ms, cells, Tone::Normal)
}

/// What `Y` copies for an element: its HTML, else its selector.
pub fn text(env: &Envelope) -> String {
    let el = element_of(env);
    el.inner_html.or(el.css_selector).or(el.xpath).unwrap_or_default()
}

fn object_fields(d: &mut Detail, v: &Value) {
    let pairs = header_pairs(v);
    if pairs.is_empty() {
        d.muted("(none)");
    }
    for (k, v) in pairs {
        d.field(&k, &v);
    }
}

pub fn detail(e: &StoredEvent, env: &Envelope, utc: bool) -> Detail {
    let el = element_of(env);
    let mut d = Detail::default();
    d.heading(&format!("<{}> · {}", label(&el), fmt_time(e.timestamp_ms, utc)));
    d.field("tag", el.tag_name.as_deref().unwrap_or(""));
    d.field("id", el.id.as_deref().unwrap_or(""));
    d.field("classes", el.class_name.as_deref().unwrap_or(""));
    d.field("selector", el.css_selector.as_deref().unwrap_or(""));
    d.field("xpath", el.xpath.as_deref().unwrap_or(""));
    if let Some(dim) = &el.dimensions {
        let parts: Vec<String> = ["width", "height", "top", "left"]
            .iter()
            .filter_map(|k| num_of(dim, k).map(|v| format!("{k} {v}")))
            .collect();
        d.field("dimensions", &if parts.is_empty() { compact(dim) } else { parts.join(", ") });
    }
    d.field("session", &e.session);
    d.heading("Attributes");
    object_fields(&mut d, el.attributes.as_ref().unwrap_or(&Value::Null));
    d.heading("Styles");
    object_fields(&mut d, el.styles.as_ref().unwrap_or(&Value::Null));
    if let Some(t) = el.text_content.as_deref().filter(|t| !t.is_empty()) {
        d.heading("Text");
        d.text(t);
    }
    d.heading("HTML");
    match el.inner_html.as_deref().filter(|h| !h.is_empty()) {
        Some(h) => d.text(h),
        None => d.muted("(none)"),
    }
    d
}
