//! The tool table: names, descriptions and argument types (a public interface, documented in
//! `docs/mcp.md`), each a thin call into `read` or `act`. browser-tools-mcp's names come last.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{tool, tool_router, RoleServer};
use serde_json::json;

use super::args::*;
use super::presence::{Assistant, Outcome};
use super::{act, export, read, TriageMcp};

#[tool_router(vis = "pub(super)")]
impl TriageMcp {
    #[tool(
        description = "Console messages of the connected pages, newest last, paged (page 0 = the newest page_size). \
                       Each has a stable id for get_console_message; long strings are cut with a marker."
    )]
    async fn list_console_messages(&self, Parameters(q): Parameters<ConsoleQuery>) -> CallToolResult {
        read::list_console(&self.connector, q)
    }

    #[tool(description = "One console message whole: message, args, stack, source, page.")]
    async fn get_console_message(&self, Parameters(q): Parameters<EventId>) -> CallToolResult {
        read::get_console(&self.connector, &q.id)
    }

    #[tool(
        description = "Network requests (xhr, fetch, documents...), newest last, paged; filter e.g. \"method:POST status:>=400\"."
    )]
    async fn list_network_requests(&self, Parameters(q): Parameters<NetworkQuery>) -> CallToolResult {
        read::list_network(&self.connector, q)
    }

    #[tool(
        description = "One network request whole: headers, timing, sizes, and with include_bodies the bodies (capped)."
    )]
    async fn get_network_request(&self, Parameters(q): Parameters<NetworkRequestId>) -> CallToolResult {
        read::get_network(&self.connector, &q.id, q.include_bodies.unwrap_or(false))
    }

    #[tool(
        description = "Frames of the page's own WebSockets (or of one socket: traffic_id), newest last, paged."
    )]
    async fn list_websocket_frames(&self, Parameters(q): Parameters<FramesQuery>) -> CallToolResult {
        read::list_frames(&self.connector, q)
    }

    #[tool(
        description = "Connected browsers (and clients): id, tab, url, title, kind, last active; `default` marks the command target."
    )]
    async fn list_sessions(&self) -> CallToolResult {
        read::list_sessions(&self.connector)
    }

    #[tool(description = "A screenshot of the page: returns the image itself and the file it was saved to.")]
    async fn take_screenshot(&self, Parameters(q): Parameters<Screenshot>) -> CallToolResult {
        act::screenshot(&self.connector, q.full_page, q.format, q.session).await
    }

    #[tool(description = "Open a URL in the browser tab.")]
    async fn navigate(&self, Parameters(q): Parameters<Navigate>) -> CallToolResult {
        act::action(&self.connector, "navigate", json!({ "url": q.url }), q.session).await
    }

    #[tool(description = "Reload the page.")]
    async fn reload(&self, Parameters(q): Parameters<Reload>) -> CallToolResult {
        let params = match q.ignore_cache {
            Some(b) => json!({ "ignoreCache": b }),
            None => json!({}),
        };
        act::action(&self.connector, "reload", params, q.session).await
    }

    #[tool(description = "History back.")]
    async fn go_back(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        act::action(&self.connector, "go_back", json!({}), q.session).await
    }

    #[tool(description = "History forward.")]
    async fn go_forward(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        act::action(&self.connector, "go_forward", json!({}), q.session).await
    }

    #[tool(
        description = "Run JavaScript in the page; returns its value, or the error it threw (as a tool error)."
    )]
    async fn evaluate_script(&self, Parameters(q): Parameters<Script>) -> CallToolResult {
        act::evaluate(&self.connector, q.script, q.session).await
    }

    #[tool(description = "Click the element a CSS selector finds.")]
    async fn click(&self, Parameters(q): Parameters<Click>) -> CallToolResult {
        act::action(&self.connector, "click", json!({ "selector": q.selector }), q.session).await
    }

    #[tool(description = "Type text into the element a CSS selector finds.")]
    async fn type_text(&self, Parameters(q): Parameters<TypeText>) -> CallToolResult {
        act::action(
            &self.connector,
            "type_text",
            json!({ "selector": q.selector, "text": q.text }),
            q.session,
        )
        .await
    }

    #[tool(
        description = "Any browser action by name (scroll_by, set_viewport, get_cookie, set_zoom, print_pdf, ...) with its params."
    )]
    async fn browser_action(&self, Parameters(q): Parameters<BrowserAction>) -> CallToolResult {
        act::action(&self.connector, &q.action, q.params.unwrap_or_default(), q.session).await
    }

    #[tool(description = "Clear the captured logs (the connector's store, and the browser's if connected).")]
    async fn clear_logs(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        act::clear(&self.connector, q.session).await
    }

    #[tool(description = "The element last selected in the page (the extension's picker).")]
    async fn get_selected_element(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        read::selected_element(&self.connector, q.session.as_deref())
    }

    #[tool(
        description = "Wait for the first NEW event matching a filter (e.g. \"method:POST url:/api/checkout\" after a click); \
                       returns it, or a timeout result."
    )]
    async fn wait_for(
        &self,
        Parameters(q): Parameters<WaitFor>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let who = ctx.extensions.get::<Assistant>().cloned();
        let args = json!({ "filter": q.filter, "kind": q.kind, "timeout_ms": q.timeout_ms });
        read::wait_for(&self.connector, &q, || {
            // The human sees the assistant waiting, not only the outcome.
            if let Some(who) = &who {
                let outcome = Outcome {
                    ok: true,
                    summary: format!("waiting for {}", q.filter),
                    phase: "waiting",
                    duration_ms: None,
                };
                self.assistants.record(who, "wait_for", &args, &outcome);
            }
        })
        .await
    }

    #[tool(
        description = "Save the network requests (and their WebSockets' frames) as a HAR 1.2 file under the data dir's \
                       exports/; returns its path and entry count. Same filter language and session as list_network_requests."
    )]
    async fn export_har(&self, Parameters(q): Parameters<HarExport>) -> CallToolResult {
        export::export_har(&self.connector, q.filter, q.session, q.file_name).await
    }

    #[tool(
        description = "Save console messages as a file under the data dir's exports/: NDJSON (one event a line, as the \
                       REST API gives them) or text (a line per message: UTC time, level, source, text); returns its path \
                       and message count. Same filter language and session as list_console_messages."
    )]
    async fn export_console(&self, Parameters(q): Parameters<ConsoleExport>) -> CallToolResult {
        export::export_console(&self.connector, q.filter, q.session, q.format, q.file_name).await
    }

    // browser-tools-mcp's names, same meaning, so existing prompts and configs keep working.

    #[tool(
        name = "getConsoleLogs",
        description = "browser-tools-mcp name: console messages (as list_console_messages)."
    )]
    async fn get_console_logs(&self, Parameters(q): Parameters<ConsoleQuery>) -> CallToolResult {
        read::list_console(&self.connector, q)
    }

    #[tool(name = "getConsoleErrors", description = "browser-tools-mcp name: console errors only.")]
    async fn get_console_errors(&self, Parameters(mut q): Parameters<ConsoleQuery>) -> CallToolResult {
        q.level = Some("error".into());
        read::list_console(&self.connector, q)
    }

    #[tool(
        name = "getNetworkLogs",
        description = "browser-tools-mcp name: network requests (as list_network_requests)."
    )]
    async fn get_network_logs(&self, Parameters(q): Parameters<NetworkQuery>) -> CallToolResult {
        read::list_network(&self.connector, q)
    }

    #[tool(
        name = "getNetworkErrors",
        description = "browser-tools-mcp name: failed requests (network errors, status >= 400)."
    )]
    async fn get_network_errors(&self, Parameters(q): Parameters<NetworkQuery>) -> CallToolResult {
        read::list_network_errors(&self.connector, q)
    }

    #[tool(
        name = "takeScreenshot",
        description = "browser-tools-mcp name: a screenshot (as take_screenshot)."
    )]
    async fn take_screenshot_compat(&self, Parameters(q): Parameters<Screenshot>) -> CallToolResult {
        act::screenshot(&self.connector, q.full_page, q.format, q.session).await
    }

    #[tool(name = "getSelectedElement", description = "browser-tools-mcp name: the selected element.")]
    async fn get_selected_element_compat(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        read::selected_element(&self.connector, q.session.as_deref())
    }

    #[tool(
        name = "wipeLogs",
        description = "browser-tools-mcp name: clear the captured logs (as clear_logs)."
    )]
    async fn wipe_logs(&self, Parameters(q): Parameters<Target>) -> CallToolResult {
        act::clear(&self.connector, q.session).await
    }
}
