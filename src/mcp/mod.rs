//! The MCP server: AI assistants read the browser through the connector, and the human watches.
//!
//! Owns the tools (written once over [`Connector`]: `tools` is the table, `read`, `act` and
//! `export` (HAR files) the work, `format` paging and errors), the MCP clients' presence and Console rows (`presence`),
//! and the two transports: Streamable HTTP at `/mcp` on the connector's port ([`http_service`],
//! mounted by `server::rest` behind its origin/Host/token guard), and stdio for `triage-tui mcp`
//! (`stdio`, which bridges to a running connector through `bridge` or starts one in-process).

mod act;
mod args;
mod bridge;
mod export;
pub mod format;
pub mod presence;
mod read;
pub mod stdio;
mod tools;

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeRequestParams, InitializeResult, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{tool_handler, ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use crate::server::{Connector, VERSION};
use presence::{Assistant, Assistants, Holder, Outcome};

/// Which transport a handler serves (MCP clients are listed with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Stdio,
    Http,
}

impl Transport {
    fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "mcp stdio",
            Transport::Http => "mcp http",
        }
    }
}

/// One MCP server handler: per stdio process, per HTTP session, or per sessionless request.
#[derive(Clone)]
pub struct TriageMcp {
    connector: Connector,
    assistants: Arc<Assistants>,
    transport: Transport,
    /// The presence this handler holds for its transport's life (stdio, HTTP sessions).
    holder: Arc<Holder>,
    #[allow(dead_code)] // read by the code `tool_handler` generates
    tool_router: ToolRouter<TriageMcp>,
}

const INSTRUCTIONS: &str = "triage-tui reads the browser for you: console messages, network requests, the page's \
WebSocket frames, screenshots, and runs commands in the page. Lists are paged (page 0 is the newest); use the ids \
they return with get_console_message / get_network_request. export_har saves the requests as a HAR file, export_console the console messages as NDJSON or text. wait_for returns the next event matching a filter. \
The developer sees every call you make in the triage-tui Console.";

impl TriageMcp {
    pub fn new(connector: Connector, assistants: Arc<Assistants>, transport: Transport) -> TriageMcp {
        let holder = Arc::new(Holder { assistants: assistants.clone(), key: Mutex::new(None) });
        TriageMcp { connector, assistants, transport, holder, tool_router: Self::tool_router() }
    }

    /// The assistant behind this call, registered on its first call.
    fn assistant(&self, info: Option<&Implementation>) -> Assistant {
        let mut held = self.holder.key.lock();
        if held.is_none() && self.transport == Transport::Stdio {
            *held = Some(format!("stdio-{}", uuid::Uuid::new_v4().simple()));
        }
        match held.as_deref() {
            Some(key) => self.assistants.touch(key, info, self.transport.as_str(), true),
            None => {
                // Sessionless HTTP: one presence per client name, kept while it keeps calling.
                let key =
                    info.map_or_else(|| "http:".to_string(), |i| format!("http:{}/{}", i.name, i.version));
                self.assistants.touch(&key, info, self.transport.as_str(), false)
            }
        }
    }
}

/// What a Console row says about a result: the error, or the size of what came back.
fn summarize(result: &CallToolResult) -> String {
    let text = result.content.iter().find_map(|c| match c {
        ContentBlock::Text(t) => Some(t.text.clone()),
        _ => None,
    });
    if result.is_error == Some(true) {
        let t = text.unwrap_or_default();
        return format::cut(t.lines().next().unwrap_or(""), 160, "the tool result");
    }
    let images = result.content.iter().filter(|c| matches!(c, ContentBlock::Image(_))).count();
    let s = result.structured_content.as_ref();
    let get = |k: &str| s.and_then(|v| v.get(k));
    if let (Some(rows), Some(total)) = (get("rows").and_then(Value::as_array), get("total")) {
        return format!("{} of {total} (page {})", rows.len(), get("page").cloned().unwrap_or_default());
    }
    if images > 0 {
        return format!(
            "image, {} bytes → {}",
            get("bytes").cloned().unwrap_or_default(),
            get("path").and_then(Value::as_str).unwrap_or("")
        );
    }
    if let (Some(path), Some(entries)) = (get("path").and_then(Value::as_str), get("entries")) {
        return format!("{entries} entries → {path}");
    }
    if let Some(r) = get("result") {
        return format!("ok → {}", format::cut(&r.to_string(), 120, "the tool result"));
    }
    if get("timedOut") == Some(&Value::Bool(true)) {
        return "timed out".into();
    }
    if let Some(e) = get("event") {
        return format!("matched {}", e.get("id").and_then(Value::as_str).unwrap_or("an event"));
    }
    "ok".into()
}

#[tool_handler]
impl ServerHandler for TriageMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("triage-tui", VERSION))
            .with_instructions(INSTRUCTIONS)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        {
            let mut held = self.holder.key.lock();
            if held.is_none() {
                *held = Some(format!("session-{}", uuid::Uuid::new_v4().simple()));
            }
        }
        self.assistant(Some(&request.client_info));
        self.negotiate_initialize(&request)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let who = self.assistant(context.client_info().as_ref());
        let tool = request.name.to_string();
        let arguments = request.arguments.clone().map(Value::Object).unwrap_or(Value::Null);
        tracing::info!(client = %who.name, %tool, "MCP tool call");
        context.extensions.insert(who.clone());
        let started = Instant::now();
        let response = self.tool_router.call(ToolCallContext::new(self, request, context)).await;
        let (ok, summary) = match &response {
            Ok(CallToolResponse::Complete(r)) => (r.is_error != Some(true), summarize(r)),
            Ok(_) => (true, "ok".into()),
            Err(e) => (false, e.message.to_string()),
        };
        let outcome =
            Outcome { ok, summary, phase: "done", duration_ms: Some(started.elapsed().as_millis() as u64) };
        self.assistants.record(&who, &tool, &arguments, &outcome);
        response
    }
}

/// `/mcp`: the Streamable HTTP transport over the connector. The caller mounts it behind the
/// connector's own origin/Host/token guard, so the SDK's host check is off (one rule set).
pub fn http_service(connector: Connector) -> StreamableHttpService<TriageMcp, LocalSessionManager> {
    let assistants = Assistants::new(connector.clone());
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(true)
        .with_json_response(true)
        .with_cancellation_token(connector.shutdown_token().child_token())
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(TriageMcp::new(connector.clone(), assistants.clone(), Transport::Http)),
        Default::default(),
        config,
    )
}
