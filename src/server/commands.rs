//! The one command router: a command for a browser, from whoever asks (a `/mcp-ws` client, the
//! REST API, MCP, the UI), goes out under a wire id and its reply comes back to that requester
//! only, once, or fails when the browser leaves or the command timeout passes. Actions the
//! connector answers itself (`browsers::local_action`) are answered here too.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::{browsers, compat, Connector, Dialect, Outbound, PeerKind};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, ErrorCode, MessageType, ProtocolError};
use crate::store::SessionId;

/// Commands waiting for a browser's answer, across every requester.
pub const MAX_PENDING_COMMANDS: usize = 4_096;

/// A command for a browser, from whoever asks (a client, the REST API, the UI).
#[derive(Debug, Clone)]
pub struct Command {
    pub ty: MessageType,
    pub data: Value,
    /// The browser session to send it to; `None`: the most recently active one.
    pub target: Option<String>,
    /// The requester's own id, echoed in the reply. The wire id is always the connector's own,
    /// so two clients using the same ids never receive each other's results.
    pub id: Option<String>,
    /// Seed 001's `correlationId`, as sent: carried to the browser on the command's envelope and
    /// put on the reply's.
    pub correlation_id: Option<Value>,
}

/// The top-level key of seed 001's request correlation, on commands and their results.
pub const CORRELATION_ID: &str = "correlationId";

impl Command {
    pub fn new(ty: MessageType, data: Value) -> Self {
        Command { ty, data, target: None, id: None, correlation_id: None }
    }

    pub fn browser_action(action: &str, params: Value) -> Self {
        Command::new(MessageType::BrowserAction, json!({ "action": action, "params": params }))
    }

    pub fn to(mut self, session: impl Into<String>) -> Self {
        self.target = Some(session.into());
        self
    }
}

/// The browser's answer, addressed to the requester.
#[derive(Debug, Clone)]
pub struct CommandReply {
    /// `screenshot-response` or `command-result`, with the requester's id.
    pub envelope: Envelope,
    pub session: SessionId,
    pub duration_ms: u64,
}

impl CommandReply {
    /// Whether the browser reported success (`data.success`, true when absent).
    pub fn success(&self) -> bool {
        self.envelope.data.get("success").and_then(Value::as_bool).unwrap_or(true)
    }
}

pub(super) struct PendingCommand {
    reply: oneshot::Sender<Result<Envelope, ProtocolError>>,
    target: SessionId,
}

impl Connector {
    /// Sends a command to a browser and waits for its reply (or the command timeout).
    ///
    /// No browser connected, an unknown target, or a browser that cannot do the command are
    /// answered at once; nothing waits on a command that cannot be delivered.
    pub async fn command(&self, cmd: Command) -> Result<CommandReply, ProtocolError> {
        let wire_id = self.new_wire_id();
        self.command_on_wire(cmd, wire_id).await
    }

    /// A fresh id for a command on the wire to a browser (`cmd-N-…`).
    pub fn new_wire_id(&self) -> String {
        let n = self.shared.command_counter.fetch_add(1, Relaxed);
        format!("cmd-{n}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
    }

    /// [`Connector::command`] under a wire id the requester chose with [`Connector::new_wire_id`],
    /// so it can tell the browser's stored reply from other events in its live stream.
    /// Actions the connector answers itself (`browsers::local_action`: the list of browsers,
    /// fan-out, opening browsers) are answered here; everything else goes to one browser.
    pub async fn command_on_wire(
        &self,
        cmd: Command,
        wire_id: String,
    ) -> Result<CommandReply, ProtocolError> {
        match browsers::local_action(&cmd) {
            Some(local) => self.answer_local(local, cmd, wire_id).await,
            None => self.command_to_browser(cmd, wire_id).await,
        }
    }

    /// [`Connector::command_on_wire`] for one browser (the target, or the most recently active).
    pub(crate) async fn command_to_browser(
        &self,
        cmd: Command,
        wire_id: String,
    ) -> Result<CommandReply, ProtocolError> {
        let started = Instant::now();
        if !cmd.ty.is_command() {
            return Err(ProtocolError::invalid(format!(
                "{} is not a command; commands are screenshot-request, clear-logs and browser-action",
                cmd.ty
            )));
        }
        if cmd.ty == MessageType::BrowserAction {
            crate::protocol::validate(&Envelope::new(cmd.ty.as_str(), cmd.data.clone()), cmd.ty)?;
        }
        // A clear-logs for a browser of another connector clears that connector's store (it runs
        // the command there), not this one's.
        let remote_target = cmd
            .target
            .as_deref()
            .and_then(|t| self.shared.sessions.sender(t))
            .is_some_and(|(_, kind, _, _)| kind == PeerKind::Remote);
        if cmd.ty == MessageType::ClearLogs && !remote_target {
            self.clear_store();
        }
        let target: SessionId = match &cmd.target {
            Some(t) => match self.shared.sessions.sender(t) {
                Some((_, kind, _, _)) if kind.is_browser() => Arc::from(t.as_str()),
                Some(_) => {
                    return Err(ProtocolError::new(
                        ErrorCode::InvalidSession,
                        format!("session {t} is a client, not a browser"),
                    ))
                }
                None => {
                    return Err(ProtocolError::new(
                        ErrorCode::InvalidSession,
                        format!("no browser session {t} is connected"),
                    )
                    .with_details(json!({ "sessionId": t })))
                }
            },
            None => self.shared.sessions.most_recent_browser(None).ok_or_else(|| {
                ProtocolError::new(
                    ErrorCode::NoBrowser,
                    if cmd.ty == MessageType::ClearLogs {
                        "cleared the connector's store; no browser is connected to forward clear-logs to"
                    } else {
                        "no browser is connected: open a page with the triage extension (or run with --demo)"
                    },
                )
            })?,
        };
        let Some((tx, _, dialect, stats)) = self.shared.sessions.sender(&target) else {
            return Err(ProtocolError::new(
                ErrorCode::InvalidSession,
                format!("browser session {target} just disconnected"),
            ));
        };
        let text = match dialect {
            Dialect::Triage | Dialect::MetaDock => {
                let mut env = Envelope::new(cmd.ty.as_str(), cmd.data.clone())
                    .with_id(wire_id.clone())
                    .with_timestamp(now_ms());
                if let Some(c) = &cmd.correlation_id {
                    env.extra.insert(CORRELATION_ID.into(), c.clone());
                }
                env.to_json()
            }
            Dialect::BrowserTools => compat::translate_command(&cmd, &wire_id)?,
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        {
            let mut pending = self.shared.pending.lock();
            // What waits for browsers is bounded too: each entry is small, but requests are free.
            if pending.len() >= MAX_PENDING_COMMANDS {
                return Err(ProtocolError::new(
                    ErrorCode::RateLimited,
                    format!("{MAX_PENDING_COMMANDS} commands are already waiting for browsers; wait for some to finish"),
                ));
            }
            pending.insert(wire_id.clone(), PendingCommand { reply: reply_tx, target: target.clone() });
        }
        if tx.try_send(Outbound::Text(text)).is_err() {
            self.shared.pending.lock().remove(&wire_id);
            self.shared.metrics.dropped_send_queue.fetch_add(1, Relaxed);
            return Err(ProtocolError::new(
                ErrorCode::ServerError,
                format!("browser session {target} is not reading its messages (send queue full)"),
            ));
        }
        stats.messages_out.fetch_add(1, Relaxed);
        self.shared.metrics.commands_sent.fetch_add(1, Relaxed);
        self.shared.metrics.message_out(cmd.ty, 0);
        let timeout = Duration::from_millis(self.shared.config.command_timeout_ms);
        let outcome = match tokio::time::timeout(timeout, reply_rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(ProtocolError::new(ErrorCode::ServerError, "the connector is shutting down")),
            Err(_) => {
                self.shared.pending.lock().remove(&wire_id);
                self.shared.metrics.commands_timed_out.fetch_add(1, Relaxed);
                Err(ProtocolError::new(
                    ErrorCode::Timeout,
                    format!(
                        "browser session {target} did not answer {} within {} ms",
                        cmd.ty, self.shared.config.command_timeout_ms
                    ),
                )
                .with_details(
                    json!({ "sessionId": &*target, "timeoutMs": self.shared.config.command_timeout_ms }),
                ))
            }
        };
        let mut envelope = outcome?;
        envelope.id = Some(cmd.id.clone().unwrap_or(wire_id));
        envelope.set_meta("sessionId", json!(&*target));
        if let Some(c) = cmd.correlation_id {
            envelope.extra.insert(CORRELATION_ID.into(), c);
        }
        Ok(CommandReply { envelope, session: target, duration_ms: started.elapsed().as_millis() as u64 })
    }

    /// Routes a browser's reply to whoever is waiting for it. Returns false for unknown ids.
    pub(crate) fn resolve_command(
        &self,
        wire_id: &str,
        from: &str,
        reply: Result<Envelope, ProtocolError>,
    ) -> bool {
        let mut pending = self.shared.pending.lock();
        match pending.get(wire_id) {
            // Only the browser the command went to may answer it.
            Some(p) if &*p.target == from => {}
            _ => return false,
        }
        let Some(p) = pending.remove(wire_id) else { return false };
        drop(pending);
        let _ = p.reply.send(reply);
        true
    }

    /// Fails every command waiting on a browser that went away.
    pub(crate) fn fail_commands_of(&self, session: &str) {
        let failed: Vec<PendingCommand> = {
            let mut pending = self.shared.pending.lock();
            let ids: Vec<String> =
                pending.iter().filter(|(_, p)| &*p.target == session).map(|(k, _)| k.clone()).collect();
            ids.into_iter().filter_map(|id| pending.remove(&id)).collect()
        };
        for p in failed {
            let _ = p.reply.send(Err(ProtocolError::new(
                ErrorCode::InvalidSession,
                format!("browser session {session} disconnected before answering"),
            )));
        }
    }
}
