//! Commands for browsers held by other connectors: the requester's connector forwards the
//! command (with its own wire id) to the holder's inbox stream; the holder runs it through its
//! own `Connector::command` and sends the reply back to the requester's inbox, where it resolves
//! the waiting command by id. Timeouts and reply-to-requester-only stay those of local commands.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use redis::streams::StreamId;
use tokio::sync::mpsc;

use super::Broker;
use crate::protocol::{Envelope, ErrorCode, MessageType, ProtocolError};
use crate::server::{Command, Connector, Outbound};

/// Entries an inbox keeps (approximately): commands and replies are small and read at once.
const INBOX_MAXLEN: usize = 10_000;

/// The stream a connector reads its commands and replies from.
pub(super) fn inbox_key(name: &str) -> String {
    format!("triage:inbox:{name}")
}

/// Carries what this connector queues for a remote session to the connector holding it.
pub(super) async fn forward(
    mut rx: mpsc::Receiver<Outbound>,
    broker: Arc<Broker>,
    holder: String,
    session: String,
) {
    let mut redis = broker.redis.clone();
    while let Some(out) = rx.recv().await {
        let Outbound::Text(text) = out else { continue };
        let fields =
            [("k", "cmd"), ("r", broker.name.as_str()), ("s", session.as_str()), ("e", text.as_str())];
        if let Err(e) = xadd(&mut redis, &inbox_key(&holder), &fields).await {
            tracing::warn!(%holder, %session, "broker: cannot forward a command: {e}");
        }
    }
}

/// One inbox entry: a command to run here, or a reply to a command sent from here.
pub(super) fn handle(connector: &Connector, broker: &Arc<Broker>, entry: &StreamId) {
    match entry.get::<String>("k").as_deref() {
        Some("cmd") => run_command(connector, broker, entry),
        Some("reply") => resolve(connector, entry),
        _ => tracing::debug!(id = entry.id, "broker: unknown inbox entry"),
    }
}

fn run_command(connector: &Connector, broker: &Arc<Broker>, entry: &StreamId) {
    let (Some(requester), Some(session), Some(text)) =
        (entry.get::<String>("r"), entry.get::<String>("s"), entry.get::<String>("e"))
    else {
        return;
    };
    let Ok(env) = serde_json::from_str::<Envelope>(&text) else { return };
    let Some(wire_id) = env.id.clone() else { return };
    let (connector, broker) = (connector.clone(), broker.clone());
    tokio::spawn(async move {
        let outcome = match MessageType::parse(&env.kind) {
            Some(ty) => {
                // Seed 001's correlationId rides on the forwarded envelope and comes back on the result.
                let correlation_id = env.extra.get(crate::server::CORRELATION_ID).cloned();
                let target = Some(session.clone());
                let cmd = Command { ty, data: env.data, target, id: Some(wire_id.clone()), correlation_id };
                connector.command(cmd).await.map(|r| r.envelope)
            }
            None => Err(ProtocolError::invalid(format!("{} is not a command", env.kind))),
        };
        let (ok, body) = match &outcome {
            Ok(env) => ("1", env.to_json()),
            Err(e) => ("0", serde_json::json!({ "code": e.code.as_str(), "message": e.message }).to_string()),
        };
        let fields = [
            ("k", "reply"),
            ("c", broker.name.as_str()),
            ("s", session.as_str()),
            ("i", wire_id.as_str()),
            ("ok", ok),
            ("e", body.as_str()),
        ];
        let mut redis = broker.redis.clone();
        if let Err(e) = xadd(&mut redis, &inbox_key(&requester), &fields).await {
            tracing::warn!(%requester, "broker: cannot send a command's reply: {e}");
        }
    });
}

fn resolve(connector: &Connector, entry: &StreamId) {
    let (Some(from), Some(session), Some(wire_id), Some(ok), Some(body)) = (
        entry.get::<String>("c"),
        entry.get::<String>("s"),
        entry.get::<String>("i"),
        entry.get::<String>("ok"),
        entry.get::<String>("e"),
    ) else {
        return;
    };
    let reply = if ok == "1" {
        match serde_json::from_str::<Envelope>(&body) {
            Ok(env) => Ok(env),
            Err(e) => Err(ProtocolError::new(ErrorCode::ServerError, format!("unreadable reply: {e}"))),
        }
    } else {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let code = v["code"].as_str().unwrap_or_default();
        let code = ErrorCode::ALL.into_iter().find(|c| c.as_str() == code).unwrap_or(ErrorCode::ServerError);
        Err(ProtocolError::new(code, v["message"].as_str().unwrap_or("the remote connector failed")))
    };
    connector.resolve_command(&wire_id, &format!("{from}/{session}"), reply);
}

async fn xadd(redis: &mut ConnectionManager, key: &str, fields: &[(&str, &str)]) -> redis::RedisResult<()> {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(key).arg("MAXLEN").arg("~").arg(INBOX_MAXLEN).arg("*");
    for (k, v) in fields {
        cmd.arg(*k).arg(*v);
    }
    cmd.query_async::<()>(redis).await
}
