//! One page target as a browser session of kind `cdp`: its registry entry, the task that turns
//! its CDP events (and those of its iframes and workers) into staged events, and the queue its
//! commands arrive on.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, mpsc};

use super::client::{Client, Event};
use super::{actions, console, network, pagefns, picker};
use crate::protocol::shape;
use crate::protocol::timestamp::now_ms;
use crate::protocol::{redact, Envelope, MessageType};
use crate::server::sessions::{Dialect, Outbound, PeerDetails, PeerKind, SessionEntry, SessionStats};
use crate::server::Connector;
use crate::store::{Raw, SessionId, Staged};

/// Events handled before the batch is put in the store.
const BATCH: usize = 64;
/// Past this many queued events, console objects keep their protocol previews and response
/// bodies are not fetched (a round trip each): a flood is stored rather than dropped.
const DEEP_MAX_BACKLOG: usize = 64;
/// After the page failed to serialize in time, how long previews are used without asking.
const DEEP_PAUSE: std::time::Duration = std::time::Duration::from_secs(2);

/// How a navigation ended, for commands waiting on one.
#[derive(Debug, Clone)]
pub enum NavOutcome {
    Loaded,
    SameDocument,
    Failed(String),
    Stopped,
}

#[derive(Debug, Default)]
pub struct PageState {
    pub url: String,
    pub title: String,
    pub main_frame: Option<String>,
    /// Inspect mode is on (pick_element): the next inspected node becomes element-selected.
    pub picking: bool,
}

/// What a page's command tasks share with its event task.
pub struct Ctx {
    pub connector: Connector,
    pub client: Client,
    /// The page's flattened CDP session.
    pub cdp: Arc<str>,
    pub target_id: String,
    /// Our session id (`cdp-…`), as `/api/sessions` lists it.
    pub id: SessionId,
    pub state: Mutex<PageState>,
    pub nav: broadcast::Sender<NavOutcome>,
    pub body_cap: usize,
}

impl Ctx {
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, super::CdpError> {
        self.client.call(Some(&self.cdp), method, params).await
    }
}

/// Our session id for a target: stable for the target's life.
pub fn session_id_of(target_id: &str) -> String {
    format!("cdp-{}", target_id.chars().take(12).collect::<String>().to_ascii_lowercase())
}

pub struct Page {
    ctx: Arc<Ctx>,
    rx: mpsc::Receiver<Outbound>,
    stats: Arc<SessionStats>,
    net: network::Net,
    batch: Vec<Staged>,
    seq: u64,
    /// Iframe and worker sessions: their kind and URL, named as the console's context.
    children: HashMap<Arc<str>, String>,
    /// Events waiting in the page's queue when the current one was taken.
    backlog: usize,
    /// Events the router dropped for this page (queue full), and how many are reported.
    dropped: Arc<std::sync::atomic::AtomicU64>,
    dropped_reported: u64,
    deep_paused_until: Option<std::time::Instant>,
}

impl Page {
    /// Enters the target in the registry (so it is listed and can take commands at once).
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        connector: Connector,
        client: Client,
        cdp: Arc<str>,
        target_id: String,
        info: &Value,
        body_cap: usize,
        remote: &str,
        dropped: Arc<std::sync::atomic::AtomicU64>,
    ) -> Page {
        let id: SessionId = Arc::from(session_id_of(&target_id));
        let (tx, rx) = mpsc::channel(256);
        let stats = Arc::new(SessionStats::default());
        let url = info["url"].as_str().unwrap_or("").to_string();
        let title = info["title"].as_str().unwrap_or("").to_string();
        connector.registry().insert(SessionEntry {
            id: id.clone(),
            kind: PeerKind::Cdp,
            dialect: Dialect::Triage,
            subprotocol: None,
            remote: remote.to_string(),
            connected_at_ms: now_ms(),
            details: PeerDetails {
                tab_id: Some(target_id.clone()),
                url: Some(url.clone()),
                title: Some(title.clone()),
                client_type: Some("cdp".into()),
                window_id: info["browserContextId"].as_str().map(str::to_string),
                ..PeerDetails::default()
            },
            stats: stats.clone(),
            tx,
        });
        connector.notify_changed();
        tracing::info!(session = %id, target = %target_id, %url, "CDP page attached");
        let (nav, _) = broadcast::channel(16);
        let ctx = Arc::new(Ctx {
            connector,
            client,
            cdp,
            target_id,
            id,
            state: Mutex::new(PageState { url, title, ..Default::default() }),
            nav,
            body_cap,
        });
        Page {
            ctx,
            rx,
            stats,
            net: network::Net::default(),
            batch: Vec::with_capacity(BATCH),
            seq: 0,
            children: HashMap::new(),
            backlog: 0,
            dropped,
            dropped_reported: 0,
            deep_paused_until: None,
        }
    }

    pub async fn run(mut self, mut events: mpsc::Receiver<Event>, waiting: bool) {
        if let Err(e) = enable_page(&self.ctx, self.ctx.body_cap).await {
            tracing::info!(session = %self.ctx.id, "could not enable the page's domains: {e}");
        }
        if waiting {
            let _ = self.ctx.call("Runtime.runIfWaitingForDebugger", json!({})).await;
        }
        let reload = self.ctx.connector.config().reload_on_attach;
        let (at, data) = super::attached::began(&self.ctx, waiting, reload).await;
        self.emit(MessageType::BrowserEvent, data, Some(at));
        self.flush();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    for (ty, data) in self.net.stalled(&self.ctx.client, self.ctx.body_cap).await {
                        self.emit(ty, data, None);
                    }
                    self.flush();
                }
                ev = events.recv() => match ev {
                    Some(ev) => {
                        self.backlog = events.len();
                        self.on_event(ev).await;
                        for _ in 1..BATCH {
                            self.backlog = events.len();
                            match events.try_recv() {
                                Ok(ev) => self.on_event(ev).await,
                                Err(_) => break,
                            }
                        }
                        self.flush();
                    }
                    None => break,
                },
                out = self.rx.recv() => match out {
                    Some(Outbound::Text(text)) => {
                        let (ctx, text) = (self.ctx.clone(), text.to_string());
                        tokio::spawn(async move { actions::run(ctx, text).await });
                    }
                    // Close and anything else meant for a socket: a CDP page has none.
                    Some(_) => {}
                    None => break,
                },
            }
        }
        self.flush();
        let connector = &self.ctx.connector;
        connector.registry().remove(&self.ctx.id);
        connector.fail_commands_of(&self.ctx.id);
        connector.notify_changed();
        tracing::info!(session = %self.ctx.id, "CDP page detached");
    }

    fn flush(&mut self) {
        let dropped = self.dropped.load(Relaxed);
        if dropped > self.dropped_reported {
            // Said in the console itself, so a gap in a flood is never silent.
            let n = dropped - self.dropped_reported;
            self.dropped_reported = dropped;
            tracing::warn!(session = %self.ctx.id, n, "CDP events dropped: the page's queue was full");
            self.emit(
                MessageType::ConsoleLog,
                json!({ "level": "warn", "args": [], "source": "triage-tui", "droppedEvents": n,
                        "message": format!("triage-tui: {n} DevTools event(s) of this page were dropped: it produced them faster than they could be stored") }),
                None,
            );
        }
        self.ctx.connector.append_staged(&mut self.batch);
    }

    async fn on_event(&mut self, ev: Event) {
        let p = &ev.params;
        let Some(session) = ev.session.clone() else {
            if ev.method == "Target.targetInfoChanged" {
                self.on_target_info(&p["targetInfo"]);
            }
            return;
        };
        let main = session == self.ctx.cdp;
        let context = if main { None } else { self.children.get(&session).cloned() };
        let method = ev.method.as_str();
        match method {
            "Runtime.consoleAPICalled" => {
                let at = p["timestamp"].as_f64().map(|t| t as i64);
                let now = std::time::Instant::now();
                let wanted =
                    self.backlog < DEEP_MAX_BACKLOG && self.deep_paused_until.is_none_or(|t| now >= t);
                let mut deep = wanted;
                let event =
                    console::api_called(&self.ctx.client, &session, p, context.as_deref(), &mut deep).await;
                if wanted && !deep {
                    // The page is busy (a tight loop of console calls): previews for a while.
                    self.deep_paused_until = Some(now + DEEP_PAUSE);
                }
                if let Some((ty, data)) = event {
                    self.emit(ty, data, at);
                }
            }
            "Runtime.exceptionThrown" => {
                let at = p["timestamp"].as_f64().map(|t| t as i64);
                self.emit(MessageType::ConsoleError, console::exception(p, context.as_deref()), at);
            }
            "Log.entryAdded" => {
                let (ty, data, at) = console::log_entry(p, context.as_deref());
                self.emit(ty, data, at);
            }
            m if m.starts_with("Network.") => {
                let main_frame = self.ctx.state.lock().main_frame.clone();
                let bodies = self.backlog < DEEP_MAX_BACKLOG;
                let out = self
                    .net
                    .on_event(
                        &self.ctx.client,
                        &session,
                        m,
                        p,
                        self.ctx.body_cap,
                        main_frame.as_deref(),
                        bodies,
                    )
                    .await;
                for (ty, data) in out {
                    if ty == MessageType::BrowserEvent {
                        let error = data["error"].as_str().unwrap_or("failed").to_string();
                        let _ = self.ctx.nav.send(NavOutcome::Failed(error));
                    }
                    self.emit(ty, data, None);
                }
            }
            "Page.frameStartedLoading" if main => {
                let is_main = self.ctx.state.lock().main_frame.as_deref() == p["frameId"].as_str();
                if is_main {
                    let url = self.ctx.state.lock().url.clone();
                    self.emit(
                        MessageType::BrowserEvent,
                        json!({ "event": "navigation_starting", "url": url, "timestamp": now_ms() }),
                        None,
                    );
                }
            }
            "Page.frameNavigated" if main => {
                let f = &p["frame"];
                if f.get("parentId").is_none() {
                    let url = format!(
                        "{}{}",
                        f["url"].as_str().unwrap_or(""),
                        f["urlFragment"].as_str().unwrap_or("")
                    );
                    {
                        let mut st = self.ctx.state.lock();
                        st.main_frame = f["id"].as_str().map(str::to_string);
                        st.url = url.clone();
                    }
                    self.emit(
                        MessageType::BrowserEvent,
                        json!({ "event": "source_changed", "url": url, "timestamp": now_ms() }),
                        None,
                    );
                }
            }
            "Page.navigatedWithinDocument" if main => {
                let url = p["url"].as_str().unwrap_or("").to_string();
                self.ctx.state.lock().url = url.clone();
                let _ = self.ctx.nav.send(NavOutcome::SameDocument);
                self.emit(
                    MessageType::BrowserEvent,
                    json!({ "event": "source_changed", "url": url, "sameDocument": true, "timestamp": now_ms() }),
                    None,
                );
            }
            "Page.loadEventFired" if main => {
                let _ = self.ctx.nav.send(NavOutcome::Loaded);
                let (url, title) = {
                    let st = self.ctx.state.lock();
                    (st.url.clone(), st.title.clone())
                };
                self.emit(
                    MessageType::BrowserEvent,
                    json!({ "event": "navigation_completed", "url": url, "success": true, "title": title, "timestamp": now_ms() }),
                    None,
                );
            }
            "Overlay.inspectNodeRequested" if main => {
                if let Some(node) = p["backendNodeId"].as_i64() {
                    if let Some(data) = picker::selected(&self.ctx, node).await {
                        self.emit(MessageType::ElementSelected, data, None);
                    }
                }
            }
            "Runtime.bindingCalled" if main && p["name"] == pagefns::TITLE_BINDING => {
                let title = p["payload"].as_str().unwrap_or("").to_string();
                self.set_title(title, None);
            }
            "Target.attachedToTarget" => self.on_child(p),
            "Target.detachedFromTarget" => {
                if let Some(s) = p["sessionId"].as_str() {
                    self.children.remove(s);
                }
            }
            "Inspector.targetCrashed" if main => {
                self.emit(
                    MessageType::ConsoleError,
                    json!({ "level": "error", "message": "the page crashed (renderer gone)", "args": [] }),
                    None,
                );
            }
            _ => {}
        }
    }

    fn on_target_info(&mut self, info: &Value) {
        if info["targetId"].as_str() != Some(self.ctx.target_id.as_str()) {
            return;
        }
        let url = info["url"].as_str().filter(|u| !u.is_empty()).map(str::to_string);
        self.set_title(info["title"].as_str().unwrap_or("").to_string(), url);
    }

    /// Follows the page's title (and URL): the registry entry, and title_changed when it changed.
    fn set_title(&mut self, title: String, url: Option<String>) {
        let (changed, current_url) = {
            let mut st = self.ctx.state.lock();
            let changed = st.title != title;
            st.title = title.clone();
            if let Some(u) = &url {
                st.url = u.clone();
            }
            (changed, st.url.clone())
        };
        self.ctx.connector.registry().update_details(&self.ctx.id, |d| {
            d.title = Some(title.clone());
            d.url = Some(current_url.clone());
        });
        if changed {
            self.emit(
                MessageType::BrowserEvent,
                json!({ "event": "title_changed", "title": title, "url": current_url, "timestamp": now_ms() }),
                None,
            );
        }
    }

    /// An iframe in another process or a worker: capture it too, then let it run.
    fn on_child(&mut self, p: &Value) {
        let Some(child) = p["sessionId"].as_str() else { return };
        let info = &p["targetInfo"];
        let kind = info["type"].as_str().unwrap_or("other").to_string();
        let url = info["url"].as_str().unwrap_or("").to_string();
        self.children.insert(Arc::from(child), format!("{kind} {url}"));
        let client = self.ctx.client.clone();
        let child = child.to_string();
        let waiting = p["waitingForDebugger"].as_bool().unwrap_or(false);
        let cap = self.ctx.body_cap;
        tokio::spawn(async move {
            let s = Some(child.as_str());
            let net = json!({ "maxPostDataSize": cap });
            // Not every target has every domain (a service worker has no Log); failures are fine.
            let _ = client.call(s, "Network.enable", net).await;
            let _ = client.call(s, "Log.enable", json!({})).await;
            let _ = client.call(s, "Runtime.enable", json!({})).await;
            if kind == "iframe" {
                let _ = client.call(s, "Page.enable", json!({})).await;
                let _ = client.call(s, "Target.setAutoAttach", auto_attach()).await;
            }
            if waiting {
                let _ = client.call(s, "Runtime.runIfWaitingForDebugger", json!({})).await;
            }
            tracing::debug!(%kind, %url, "CDP child target captured");
        });
    }

    /// Stages one event, built like an extension's envelope, through the connector's hot path.
    fn emit(&mut self, ty: MessageType, mut data: Value, at: Option<i64>) {
        let connector = &self.ctx.connector;
        if matches!(ty, MessageType::NetworkRequest | MessageType::NetworkError)
            && connector.config().redact_headers
        {
            redact::redact_network(&mut data);
        }
        self.seq += 1;
        let url = self.ctx.state.lock().url.clone();
        let mut env = Envelope::new(ty.as_str(), data)
            .with_id(format!("{}-{}", self.ctx.id, self.seq))
            .with_timestamp(at.unwrap_or_else(now_ms));
        let mut meta = Map::new();
        meta.insert("sessionId".into(), json!(&*self.ctx.id));
        meta.insert("tabId".into(), json!(self.ctx.target_id));
        meta.insert("url".into(), json!(url));
        meta.insert("source".into(), json!("cdp"));
        env.metadata = Some(meta);
        let text = env.to_json();
        self.stats.messages_in.fetch_add(1, Relaxed);
        self.stats.last_active_ms.store(now_ms(), Relaxed);
        connector.metrics().message_in(Some(ty), text.len());
        let staged = shape::scan(&text, connector.config().max_message_bytes)
            .and_then(|scanned| connector.stage(&self.ctx.id, scanned, Raw::from(text.as_bytes())));
        match staged {
            Ok(s) => self.batch.push(s),
            Err(e) => tracing::debug!(session = %self.ctx.id, "CDP event not stored: {e}"),
        }
    }
}

fn auto_attach() -> Value {
    json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true })
}

/// Enables what we listen to. Listening already: console messages logged before the attach are
/// replayed by `Runtime.enable` and land in the page's queue like any other event.
async fn enable_page(ctx: &Ctx, body_cap: usize) -> Result<(), super::CdpError> {
    ctx.call("Page.enable", json!({})).await?;
    if let Ok(tree) = ctx.call("Page.getFrameTree", json!({})).await {
        let f = &tree["frameTree"]["frame"];
        let mut st = ctx.state.lock();
        st.main_frame = f["id"].as_str().map(str::to_string);
        if let Some(u) = f["url"].as_str() {
            st.url = format!("{u}{}", f["urlFragment"].as_str().unwrap_or(""));
        }
    }
    ctx.call(
        "Network.enable",
        json!({ "maxTotalBufferSize": 64 << 20, "maxResourceBufferSize": 8 << 20, "maxPostDataSize": body_cap }),
    )
    .await?;
    ctx.call("Log.enable", json!({})).await?;
    ctx.call("Runtime.addBinding", json!({ "name": pagefns::TITLE_BINDING })).await?;
    ctx.call("Page.addScriptToEvaluateOnNewDocument", json!({ "source": pagefns::TITLE_WATCH })).await?;
    ctx.call("Runtime.enable", json!({})).await?;
    let _ = ctx.call("Runtime.evaluate", json!({ "expression": pagefns::TITLE_WATCH })).await;
    ctx.call("Target.setAutoAttach", auto_attach()).await?;
    Ok(())
}
