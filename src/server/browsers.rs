//! What the connector answers itself over every connected browser, whatever kind (extension tab,
//! CDP target, remote): the canonical list of browsers, one action fanned out to all of them with
//! the results per session, opening new browsers (a tab through the extension, a target over the
//! DevTools Protocol), and layouts (browser windows) with the names given to them.
//!
//! [`Connector::command`] answers the actions in [`local_action`] here, so `/mcp-ws`, `/ws`,
//! `POST /api/commands` and MCP get them alike; dialects only translate the shapes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Map, Value};

use super::{Command, CommandReply, Connector, SessionInfo};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{Envelope, ErrorCode, MessageType, ProtocolError};

/// Seed 002's fan-out actions and the action each sends to every browser.
pub const FAN_OUT: &[(&str, &str)] = &[
    ("execute_all", "execute_js"),
    ("navigate_all", "navigate"),
    ("reload_all", "reload"),
    ("close_all", "close_browser"),
];
/// New browsers one `create_multiple` / `create_from_urls` may open.
pub const MAX_CREATE: usize = 32;
/// The session id replies answered by the connector itself carry.
pub const CONNECTOR_SESSION: &str = "connector";

/// What the connector does itself for a browser-action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalAction {
    ListBrowsers,
    /// Sends this action to every browser.
    FanOut(&'static str),
    CreateBrowser,
    /// `create_multiple` (`params.browsers`) and `create_from_urls` (`params.urls`).
    CreateMany,
}

/// The connector-answered action a command names, if any. A `create_browser` addressed to one
/// browser session is still answered here: that browser opens the new one.
pub fn local_action(cmd: &Command) -> Option<LocalAction> {
    if cmd.ty != MessageType::BrowserAction {
        return None;
    }
    match cmd.data.get("action").and_then(Value::as_str)? {
        "get_all_browsers" => Some(LocalAction::ListBrowsers),
        "create_browser" => Some(LocalAction::CreateBrowser),
        "create_multiple" | "create_from_urls" => Some(LocalAction::CreateMany),
        a => FAN_OUT.iter().find(|(name, _)| *name == a).map(|(_, each)| LocalAction::FanOut(each)),
    }
}

/// One browser as the canonical list shows it.
fn browser_json(s: &SessionInfo) -> Value {
    json!({ "uuid": s.session_id, "url": s.url, "title": s.title, "kind": s.kind, "layout_uuid": s.window_id })
}

/// A per-browser outcome: the browser's `{success, data, error}`, or the connector's error.
fn outcome_json(outcome: &Result<CommandReply, ProtocolError>) -> Value {
    match outcome {
        Ok(r) => json!({
            "success": r.success(),
            "data": r.envelope.data.get("data").cloned().unwrap_or(Value::Null),
            "error": r.envelope.data.get("error").cloned().unwrap_or(Value::Null),
        }),
        Err(e) => json!({ "success": false, "data": null, "error": e.message, "code": e.code }),
    }
}

impl Connector {
    /// Every connected browser session, oldest first.
    pub fn list_browsers(&self) -> Vec<SessionInfo> {
        self.sessions().into_iter().filter(|s| s.kind.is_browser()).collect()
    }

    /// Answers a connector-answered action as a `command-result` reply.
    pub(super) async fn answer_local(
        &self,
        action: LocalAction,
        cmd: Command,
        wire_id: String,
    ) -> Result<CommandReply, ProtocolError> {
        let started = Instant::now();
        let name = cmd.data.get("action").and_then(Value::as_str).unwrap_or_default().to_string();
        let params = cmd.data.get("params").cloned().unwrap_or_else(|| json!({}));
        let data = match action {
            LocalAction::ListBrowsers => {
                json!({ "browsers": self.list_browsers().iter().map(browser_json).collect::<Vec<_>>() })
            }
            LocalAction::FanOut(each) => self.fan_out(each, &params, &cmd).await,
            LocalAction::CreateBrowser => self.create_browser(&params, cmd.target.as_deref()).await?,
            LocalAction::CreateMany => self.create_many(&name, &params, cmd.target.as_deref()).await?,
        };
        let mut envelope = Envelope::new(
            MessageType::CommandResult.as_str(),
            json!({ "success": true, "action": name, "data": data, "error": null }),
        )
        .with_timestamp(now_ms());
        envelope.id = Some(cmd.id.unwrap_or(wire_id));
        envelope.set_meta("sessionId", json!(CONNECTOR_SESSION));
        if let Some(c) = cmd.correlation_id {
            envelope.extra.insert(super::CORRELATION_ID.into(), c);
        }
        Ok(CommandReply {
            envelope,
            session: Arc::from(CONNECTOR_SESSION),
            duration_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Sends `action` to every browser at once; each result (or failure, or timeout) under its
    /// session id, none failing the others.
    async fn fan_out(&self, action: &str, params: &Value, cmd: &Command) -> Value {
        let browsers = self.list_browsers();
        let sends = browsers.iter().map(|b| {
            let one = Command {
                ty: MessageType::BrowserAction,
                data: json!({ "action": action, "params": params }),
                target: Some(b.session_id.clone()),
                id: None,
                correlation_id: cmd.correlation_id.clone(),
            };
            async move { (b.session_id.clone(), self.command_to_browser(one, self.new_wire_id()).await) }
        });
        let outcomes = join_all(sends).await;
        let failed = outcomes.iter().filter(|(_, o)| !o.as_ref().is_ok_and(|r| r.success())).count();
        let results: BTreeMap<String, Value> =
            outcomes.iter().map(|(id, o)| (id.clone(), outcome_json(o))).collect();
        json!({ "results": results, "total": outcomes.len(), "failed": failed })
    }

    /// Opens a new browser through an existing one (`via`, else one in `params.layout_uuid`, else
    /// the most recently active): a tab through the extension, a target over CDP. Answers with
    /// the new browser's session id once it has connected (`uuid` null if it has not within the
    /// command timeout, with its `tabId`).
    async fn create_browser(&self, params: &Value, via: Option<&str>) -> Result<Value, ProtocolError> {
        let layout = params.get("layout_uuid").and_then(Value::as_str).filter(|l| !l.is_empty());
        let via = match (via, layout) {
            (Some(v), _) => Some(v.to_string()),
            (None, Some(l)) => Some(
                self.list_browsers()
                    .into_iter()
                    .find(|b| b.window_id.as_deref() == Some(l))
                    .map(|b| b.session_id)
                    .ok_or_else(|| no_layout(l))?,
            ),
            (None, None) => None,
        };
        let mut open = Map::new();
        if let Some(url) = params.get("url").filter(|u| u.is_string()) {
            open.insert("url".into(), url.clone());
        }
        if let Some(l) = layout {
            open.insert("windowId".into(), json!(l));
        }
        let mut cmd = Command::browser_action("create_browser", Value::Object(open));
        cmd.target = via;
        let reply = self.command_to_browser(cmd, self.new_wire_id()).await?;
        let data = reply.envelope.data.get("data").cloned().unwrap_or(Value::Null);
        if !reply.success() {
            let why = reply.envelope.data.get("error").and_then(Value::as_str).unwrap_or("it failed");
            return Err(ProtocolError::new(
                ErrorCode::ServerError,
                format!("browser session {} could not open a new browser: {why}", reply.session),
            ));
        }
        let uuid = match (data.get("sessionId").and_then(Value::as_str), data.get("tabId")) {
            (Some(s), _) => Some(s.to_string()),
            (None, Some(tab)) => self.wait_for_tab(&loose_string(tab)).await,
            (None, None) => None,
        };
        let url = data.get("url").cloned().or_else(|| params.get("url").cloned()).unwrap_or(Value::Null);
        Ok(json!({
            "uuid": uuid,
            // Our name for it, as the CDP source has always answered.
            "sessionId": uuid,
            "url": url,
            "tabId": data.get("tabId").or_else(|| data.get("targetId")),
            "via": &*reply.session,
            "layout_uuid": layout,
        }))
    }

    /// `create_multiple` (`params.browsers`: `[{url, layout_uuid}]`) and `create_from_urls`
    /// (`params.urls`, one `layout_uuid`): one after the other, each result in order.
    async fn create_many(
        &self,
        name: &str,
        params: &Value,
        via: Option<&str>,
    ) -> Result<Value, ProtocolError> {
        let list: Vec<Value> = if name == "create_from_urls" {
            let urls = params.get("urls").and_then(Value::as_array).ok_or_else(|| {
                ProtocolError::invalid("create_from_urls needs params.urls (an array of URLs)")
            })?;
            let layout = params.get("layout_uuid").cloned().unwrap_or(Value::Null);
            urls.iter().map(|u| json!({ "url": u, "layout_uuid": layout })).collect()
        } else {
            params.get("browsers").and_then(Value::as_array).cloned().ok_or_else(|| {
                ProtocolError::invalid(
                    "create_multiple needs params.browsers (an array of {url, layout_uuid})",
                )
            })?
        };
        if list.len() > MAX_CREATE {
            return Err(ProtocolError::invalid(format!(
                "{name} may open at most {MAX_CREATE} browsers at once ({} asked)",
                list.len()
            )));
        }
        let mut browsers = Vec::with_capacity(list.len());
        for one in &list {
            browsers.push(match self.create_browser(one, via).await {
                Ok(v) => json!({ "success": true, "data": v, "error": null }),
                Err(e) => json!({ "success": false, "data": null, "error": e.message, "code": e.code }),
            });
        }
        Ok(json!({ "browsers": browsers }))
    }

    /// The session of the browser tab `tab` once it connects (bounded by the command timeout).
    async fn wait_for_tab(&self, tab: &str) -> Option<String> {
        let mut changes = self.changes();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(self.config().command_timeout_ms);
        loop {
            let found = self.list_browsers().into_iter().find(|b| b.tab_id.as_deref() == Some(tab));
            if let Some(b) = found {
                return Some(b.session_id);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    /// Layouts: the browser windows that hold connected browsers, with their names and browsers.
    pub fn layouts(&self) -> Vec<Value> {
        let mut windows: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for b in self.list_browsers() {
            if let Some(w) = b.window_id {
                windows.entry(w).or_default().push(b.session_id);
            }
        }
        windows
            .into_iter()
            .map(|(w, browsers)| {
                json!({ "uuid": w, "name": self.shared.sessions.layout_name(&w), "browsers": browsers })
            })
            .collect()
    }

    /// The browsers in one layout (browser window); unknown or empty layouts are an error.
    pub fn layout_browsers(&self, layout: &str) -> Result<Vec<Value>, ProtocolError> {
        let list: Vec<Value> = self
            .list_browsers()
            .iter()
            .filter(|b| b.window_id.as_deref() == Some(layout))
            .map(browser_json)
            .collect();
        if list.is_empty() {
            return Err(no_layout(layout));
        }
        Ok(list)
    }

    /// Names a layout (kept in the session registry while the connector runs).
    pub fn rename_layout(&self, layout: &str, name: &str) -> Result<(), ProtocolError> {
        self.layout_browsers(layout)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ProtocolError::invalid("rename needs params.name (1 to 200 characters)"));
        }
        self.shared.sessions.set_layout_name(layout, name.to_string());
        Ok(())
    }

    /// The layout (window id) a browser session is in.
    pub fn layout_of(&self, session: &str) -> Option<String> {
        self.list_browsers().into_iter().find(|b| b.session_id == session).and_then(|b| b.window_id)
    }
}

fn no_layout(layout: &str) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidSession, format!("no connected browser is in layout {layout}"))
        .with_details(json!({ "layout_uuid": layout }))
}

/// A tab id sent as a number or a string, as a string.
fn loose_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_actions_are_recognised_by_name() {
        let cmd = |a: &str| Command::browser_action(a, json!({}));
        assert_eq!(local_action(&cmd("get_all_browsers")), Some(LocalAction::ListBrowsers));
        assert_eq!(local_action(&cmd("navigate_all")), Some(LocalAction::FanOut("navigate")));
        assert_eq!(local_action(&cmd("close_all")), Some(LocalAction::FanOut("close_browser")));
        assert_eq!(local_action(&cmd("create_from_urls")), Some(LocalAction::CreateMany));
        assert_eq!(local_action(&cmd("navigate")), None);
        assert_eq!(local_action(&Command::new(MessageType::ClearLogs, json!({}))), None);
    }
}
