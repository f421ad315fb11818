//! The tools' arguments: names and JSON Schemas are a public interface (see `docs/mcp.md`).

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ConsoleQuery {
    /// The TUI's filter language: free text, level:error, level:>=warn, url:…, type:…, session:…; -term negates.
    pub filter: Option<String>,
    /// A level (error) or a bound (>=warn).
    pub level: Option<String>,
    /// Only this browser session (an id from list_sessions).
    pub session: Option<String>,
    /// Only newer ones: epoch milliseconds, an RFC 3339 time, or an event id (evt-N: only what came after it).
    pub since: Option<String>,
    /// 0-based; page 0 holds the newest messages, page 1 the ones before them.
    pub page: Option<usize>,
    /// Rows per page (default 50, at most 500).
    pub page_size: Option<usize>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NetworkQuery {
    /// The TUI's filter language: free text, method:POST, status:>=400, status:4xx, url:/api, -term negates.
    pub filter: Option<String>,
    /// Only this browser session (an id from list_sessions).
    pub session: Option<String>,
    /// Only newer ones: epoch milliseconds, an RFC 3339 time, or an event id (evt-N).
    pub since: Option<String>,
    /// 0-based; page 0 holds the newest requests.
    pub page: Option<usize>,
    /// Rows per page (default 50, at most 500).
    pub page_size: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EventId {
    /// The id a list tool returned (evt-N).
    pub id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NetworkRequestId {
    /// The id list_network_requests returned (evt-N).
    pub id: String,
    /// Include the request and response bodies (each capped at 100 000 characters).
    pub include_bodies: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct FramesQuery {
    /// One socket: the trafficId of its frames (default: every page socket).
    pub traffic_id: Option<String>,
    /// The TUI's filter language over frames: free text in the payload, url:…, session:….
    pub filter: Option<String>,
    /// 0-based; page 0 holds the newest frames.
    pub page: Option<usize>,
    /// Rows per page (default 50, at most 500).
    pub page_size: Option<usize>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Target {
    /// The browser session to act on (default: the one the TUI would target, the most recently active).
    pub session: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Screenshot {
    /// The whole page, not only the visible part.
    pub full_page: Option<bool>,
    /// png (default) or jpeg.
    pub format: Option<String>,
    /// The browser session (default: the most recently active).
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Navigate {
    /// The URL to open.
    pub url: String,
    pub session: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Reload {
    /// Bypass the cache.
    pub ignore_cache: Option<bool>,
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Script {
    /// JavaScript evaluated in the page; the value of its last expression is returned.
    pub script: String,
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Click {
    /// A CSS selector.
    pub selector: String,
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TypeText {
    /// A CSS selector of the input.
    pub selector: String,
    /// The text to type.
    pub text: String,
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BrowserAction {
    /// A browser action name (seed 002's): navigate, reload, stop, get_url, get_title,
    /// get_browser_state, execute_js, click, type_text, set_value, clear_input, submit_form,
    /// scroll_to, scroll_by, print_pdf, set_cookie, get_cookie, clear_cookies, set_user_agent,
    /// set_viewport, set_zoom, … (docs/mcp.md).
    pub action: String,
    /// The action's parameters.
    pub params: Option<Value>,
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitFor {
    /// The TUI's filter language; the first new event matching it is returned.
    pub filter: String,
    /// console, network, elements or frames (default: any).
    pub kind: Option<String>,
    /// How long to wait (default 30000, at most 300000).
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ConsoleExport {
    /// The TUI's filter language, as list_console_messages: level:error, text, -term negates.
    pub filter: Option<String>,
    /// Only this browser session (an id from list_sessions).
    pub session: Option<String>,
    /// "ndjson" (default) or "text".
    pub format: Option<String>,
    /// A bare file name (letters, digits, '.', '_', '-'; ".ndjson"/".txt" added); default triage-<UTC time>.
    pub file_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct HarExport {
    /// The TUI's filter language, as list_network_requests: method:POST, status:>=400, url:/api, -term negates.
    pub filter: Option<String>,
    /// Only this browser session (an id from list_sessions).
    pub session: Option<String>,
    /// A bare file name (letters, digits, '.', '_', '-'; ".har" added); default triage-<UTC time>.har.
    pub file_name: Option<String>,
}
