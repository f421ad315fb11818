//! How MCP tools shape what they return: stable ids, pages, cut strings, and errors a model can
//! act on. Pure functions over store types; no IO.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Value};

use crate::protocol::{ErrorCode, ProtocolError, Timestamp};
use crate::store::StoredEvent;
use crate::ui::filter::Filter;

/// Rows per page when the caller gives no `page_size`, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 500;
/// Characters of a string kept in list results; `get_*` tools return it whole.
pub const LIST_STRING_CAP: usize = 500;
/// Characters of each request/response body `get_network_request` returns.
pub const BODY_CAP: usize = 100_000;

/// The stable id of a stored event (its arrival number: it never changes and is never reused).
pub fn event_id(e: &StoredEvent) -> String {
    format!("evt-{}", e.seq)
}

/// The arrival number in an id given back by a caller (`evt-12`, or plain `12`).
pub fn parse_event_id(id: &str) -> Option<u64> {
    let id = id.trim();
    id.strip_prefix("evt-").unwrap_or(id).parse().ok()
}

/// Cuts `s` to `cap` characters with a marker saying how much is left and where to get it.
pub fn cut(s: &str, cap: usize, whole_from: &str) -> String {
    let total = s.chars().count();
    if total <= cap {
        return s.to_string();
    }
    let kept: String = s.chars().take(cap).collect();
    format!("{kept}… [cut: {} more characters; {whole_from} returns it whole]", total - cap)
}

/// Cuts every string in a JSON value (recursively) to `cap` characters.
pub fn cut_value(v: &mut Value, cap: usize, whole_from: &str) {
    match v {
        Value::String(s) if s.chars().count() > cap => *s = cut(s, cap, whole_from),
        Value::Array(items) => items.iter_mut().for_each(|i| cut_value(i, cap, whole_from)),
        Value::Object(map) => map.values_mut().for_each(|i| cut_value(i, cap, whole_from)),
        _ => {}
    }
}

/// `since`: epoch milliseconds, an RFC 3339 time, or an event id (`evt-N`: only what came after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Time(i64),
    After(u64),
}

impl Since {
    pub fn parse(s: &str) -> Result<Since, String> {
        let s = s.trim();
        if let Some(n) = s.strip_prefix("evt-") {
            return n.parse().map(Since::After).map_err(|_| format!("since={s:?}: not an event id"));
        }
        Timestamp::parse_str(s).map(|t| Since::Time(t.0)).ok_or_else(|| {
            format!("since={s:?} is neither epoch milliseconds, an RFC 3339 time, nor an event id (evt-N)")
        })
    }

    pub fn admits(self, seq: u64, timestamp_ms: i64) -> bool {
        match self {
            Since::Time(t) => timestamp_ms >= t,
            Since::After(n) => seq > n,
        }
    }
}

/// Parses an optional filter in the TUI's language, with a useful error.
pub fn parse_filter(text: Option<&str>) -> Result<Option<Filter>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Filter::parse(t).map_err(|e| format!("filter {t:?}: {e}")),
    }
}

/// One page of `items` (oldest first). Page 0 is the newest `size` items, page 1 the ones before
/// them, and so on; within a page items stay oldest first, so the newest is last.
pub fn page_of<T>(items: Vec<T>, page: usize, size: usize) -> (Vec<T>, Value) {
    let size = size.clamp(1, MAX_PAGE_SIZE);
    let total = items.len();
    let pages = total.div_ceil(size);
    let end = total.saturating_sub(page.saturating_mul(size));
    let start = end.saturating_sub(size);
    let info = json!({
        "total": total,
        "page": page,
        "pageSize": size,
        "pages": pages,
        "olderPage": (start > 0).then_some(page + 1),
        "newerPage": (page > 0 && page <= pages).then(|| page - 1),
    });
    let rows = items.into_iter().skip(start).take(end - start).collect();
    (rows, info)
}

/// A sentence a model can act on, for each connector error code.
fn hint(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::NoBrowser => Some(
            "no browser connected: open a page with the triage extension installed (it connects to \
             this connector's /extension-ws), or start triage-tui with --demo for a simulated browser",
        ),
        ErrorCode::Timeout => Some(
            "the browser did not answer in time: the page may be busy or navigating; call \
             list_sessions to check it is still connected, then retry",
        ),
        ErrorCode::InvalidSession => Some(
            "call list_sessions for the connected browser ids, or leave `session` out for the default one",
        ),
        ErrorCode::RateLimited => Some("too many commands at once: wait a moment and retry"),
        _ => None,
    }
}

/// A tool error: the connector's code first, then its message and what to do about it.
pub fn tool_error(e: &ProtocolError) -> CallToolResult {
    let text = match (e.code, hint(e.code)) {
        // The connector's own sentence for this one is written for the TUI; the hint says it all.
        (ErrorCode::NoBrowser, Some(h)) => format!("NO_BROWSER: {h}"),
        (code, Some(h)) => format!("{}: {}. {h}", code.as_str(), e.message.trim_end_matches('.')),
        (code, None) => format!("{}: {}", code.as_str(), e.message),
    };
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content =
        Some(json!({ "code": e.code.as_str(), "message": e.message, "details": e.details }));
    result
}

/// A tool error about the caller's arguments.
pub fn invalid(message: impl Into<String>) -> CallToolResult {
    tool_error(&ProtocolError::invalid(message.into()))
}

/// A successful result: the JSON as text (what every MCP host shows) and as structured content.
pub fn ok_json(v: Value) -> CallToolResult {
    let text = serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string());
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    if v.is_object() {
        result.structured_content = Some(v);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_disjoint_and_cover_everything() {
        let items: Vec<u32> = (0..123).collect();
        let mut seen = Vec::new();
        for page in 0..3 {
            let (rows, info) = page_of(items.clone(), page, 50);
            assert_eq!(info["pages"], 3);
            seen.extend(rows);
        }
        seen.sort_unstable();
        assert_eq!(seen, items);
        let (rows, info) = page_of(items.clone(), 0, 50);
        assert_eq!((rows.first(), rows.last()), (Some(&73), Some(&122)));
        assert_eq!(info["olderPage"], 1);
        assert!(page_of(items, 9, 50).0.is_empty());
    }

    #[test]
    fn cut_says_how_to_get_the_rest() {
        let s = "x".repeat(600);
        let c = cut(&s, 500, "get_console_message");
        assert!(c.starts_with(&"x".repeat(500)));
        assert!(c.contains("100 more characters; get_console_message returns it whole"));
        assert_eq!(cut("short", 500, "-"), "short");
    }

    #[test]
    fn since_forms() {
        assert_eq!(Since::parse("evt-7"), Ok(Since::After(7)));
        assert_eq!(Since::parse("1700000000000"), Ok(Since::Time(1_700_000_000_000)));
        assert!(Since::parse("yesterday").is_err());
        assert!(Since::After(7).admits(8, 0) && !Since::After(7).admits(7, 0));
    }
}
