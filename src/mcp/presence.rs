//! Who the assistants are, for the human watching: each MCP client is a session in the
//! connector's registry (the Sessions pane lists it under the name it gave at initialize), and
//! every tool call it makes is stored as an `assistant-command` row in the Console.
//!
//! A client on stdio or in a Streamable HTTP session is present while its transport lives; a
//! sessionless HTTP client (protocol 2026-07-28 has no connection) while it keeps calling: it
//! leaves after [`IDLE`] without a call.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rmcp::model::Implementation;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, MessageType};
use crate::server::sessions::{PeerDetails, SessionEntry, SessionStats};
use crate::server::{Connector, Dialect, PeerKind};
use crate::store::SessionId;

/// How long a sessionless client stays listed after its last call.
pub const IDLE: Duration = Duration::from_secs(600);
/// The subprotocol recorded for MCP clients (how the UI tells them from `/mcp-ws` clients).
pub const MCP_SUBPROTOCOL: &str = "mcp";
/// Characters of each argument shown in a Console row.
const ROW_ARG_CAP: usize = 200;

/// An assistant as a tool call sees it.
#[derive(Debug, Clone)]
pub struct Assistant {
    pub session: SessionId,
    pub name: String,
}

struct Presence {
    assistant: Assistant,
    stats: Arc<SessionStats>,
    last_seen: Instant,
    /// Held by a live transport (stdio, HTTP session): never expires by idleness.
    held: bool,
}

/// The MCP clients of one connector.
pub struct Assistants {
    connector: Connector,
    present: Mutex<HashMap<String, Presence>>,
}

impl Assistants {
    /// The registry, with a task that lets idle sessionless clients go (until the connector stops).
    pub fn new(connector: Connector) -> Arc<Assistants> {
        let assistants =
            Arc::new(Assistants { connector: connector.clone(), present: Mutex::new(HashMap::new()) });
        let weak = Arc::downgrade(&assistants);
        let stop = connector.shutdown_token();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(30));
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    let Some(a) = weak.upgrade() else { return };
                    a.sweep(IDLE);
                }
            });
        }
        assistants
    }

    /// Notes a call from the client known as `key`; registers it on its first call.
    pub fn touch(&self, key: &str, info: Option<&Implementation>, transport: &str, held: bool) -> Assistant {
        let mut present = self.present.lock();
        if let Some(p) = present.get_mut(key) {
            p.last_seen = Instant::now();
            p.stats.messages_in.fetch_add(1, Relaxed);
            p.stats.last_active_ms.store(now_ms(), Relaxed);
            return p.assistant.clone();
        }
        let name =
            info.map(|i| i.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| "assistant".into());
        let version = info.map(|i| i.version.clone()).unwrap_or_default();
        let session: SessionId =
            SessionId::from(format!("mcp-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
        let stats = Arc::new(SessionStats::default());
        stats.messages_in.fetch_add(1, Relaxed);
        // Nothing is ever queued for an MCP client: it is answered through its own transport.
        let (tx, _) = mpsc::channel(1);
        self.connector.registry().insert(SessionEntry {
            id: session.clone(),
            kind: PeerKind::Client,
            dialect: Dialect::Triage,
            subprotocol: Some(MCP_SUBPROTOCOL.into()),
            remote: transport.to_string(),
            connected_at_ms: now_ms(),
            details: PeerDetails {
                title: Some(name.clone()),
                client_type: Some(format!("mcp {name} {version}").trim_end().to_string()),
                ..Default::default()
            },
            stats: stats.clone(),
            tx,
        });
        tracing::info!(%session, client = %name, transport, "MCP client connected");
        let assistant = Assistant { session, name };
        present.insert(
            key.to_string(),
            Presence { assistant: assistant.clone(), stats, last_seen: Instant::now(), held },
        );
        drop(present);
        self.connector.notify_changed();
        assistant
    }

    /// The client's transport ended.
    pub fn leave(&self, key: &str) {
        let gone = self.present.lock().remove(key);
        if let Some(p) = gone {
            tracing::info!(session = %p.assistant.session, client = %p.assistant.name, "MCP client left");
            self.connector.registry().remove(&p.assistant.session);
            self.connector.notify_changed();
        }
    }

    fn sweep(&self, idle: Duration) {
        let stale: Vec<String> = self
            .present
            .lock()
            .iter()
            .filter(|(_, p)| !p.held && p.last_seen.elapsed() > idle)
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            self.leave(&key);
        }
    }

    /// Stores one Console row for a tool call: who, what, the outcome, how long it took.
    pub fn record(&self, who: &Assistant, tool: &str, arguments: &Value, outcome: &Outcome) {
        let mut args = arguments.clone();
        super::format::cut_value(&mut args, ROW_ARG_CAP, "the assistant's own transcript");
        let mut data = json!({
            "client": who.name,
            "tool": tool,
            "arguments": args,
            "success": outcome.ok,
            "summary": outcome.summary,
            "phase": outcome.phase,
        });
        if let Some(ms) = outcome.duration_ms {
            data["durationMs"] = json!(ms);
        }
        let mut env = Envelope::new(MessageType::AssistantCommand.as_str(), data).with_timestamp(now_ms());
        env.set_meta("source", json!("mcp"));
        self.connector.store_event(&who.session, MessageType::AssistantCommand, &env, None);
    }
}

/// How a tool call went, for its Console row.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ok: bool,
    pub summary: String,
    /// `done`, or `waiting` for a `wait_for` that has started.
    pub phase: &'static str,
    pub duration_ms: Option<u64>,
}

/// Holds a stdio or HTTP-session client's presence for the life of its transport.
pub struct Holder {
    pub assistants: Arc<Assistants>,
    pub key: Mutex<Option<String>>,
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Some(key) = self.key.lock().take() {
            self.assistants.leave(&key);
        }
    }
}
