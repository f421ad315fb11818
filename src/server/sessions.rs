//! Who is connected: browser sessions (extensions) and clients, with their counters and the
//! queue that carries messages to each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::protocol::timestamp::now_ms;
use crate::store::SessionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerKind {
    /// A browser: our extension, the browser-tools extension, or the demo browser.
    #[default]
    Extension,
    /// A script, an MCP server or another tool reading the stream and sending commands.
    Client,
    /// A page target of a Chrome driven over the DevTools Protocol (`sources::cdp`).
    Cdp,
    /// A browser held by another connector, seen through the broker (`crate::broker`).
    Remote,
}

impl PeerKind {
    /// Whether commands may be sent to it: extensions, CDP targets and remote ones are browsers.
    pub fn is_browser(self) -> bool {
        matches!(self, PeerKind::Extension | PeerKind::Cdp | PeerKind::Remote)
    }
}

/// Which protocol a browser speaks; commands are translated for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// Seed 000's envelopes (our extension, the demo).
    #[default]
    Triage,
    /// The browser-tools extension's messages (`take-screenshot`, `screenshot-data`, ...).
    BrowserTools,
    /// Seed 002 (MetaDock) clients on `/ws`: a welcome on open, no unasked live stream.
    MetaDock,
}

/// A message queued for one peer.
#[derive(Debug, Clone)]
pub enum Outbound {
    Text(String),
    Close(u16, String),
}

/// Per-session counters, updated by the connection's task without locking the registry.
#[derive(Debug, Default)]
pub struct SessionStats {
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub rate_limited: AtomicU64,
    pub last_active_ms: AtomicI64,
    /// A remote session whose connector cannot be heard right now (the broker is down).
    pub stale: AtomicBool,
}

#[derive(Debug, Clone, Default)]
pub struct PeerDetails {
    pub tab_id: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub client_type: Option<String>,
    pub user_agent: Option<String>,
    /// The browser window (an extension's window id, a CDP browser context) the tab is in: a
    /// seed 002 layout.
    pub window_id: Option<String>,
    /// When capture began on a page that had already loaded (epoch ms): what it requested
    /// before is not captured. Cleared by the first navigation after.
    pub attached_after_load: Option<i64>,
}

/// What a `browser-event` tells about its session's page.
#[derive(Debug, Default)]
pub struct PageEvent<'a> {
    pub event: Option<&'a str>,
    pub url: Option<&'a str>,
    pub title: Option<&'a str>,
    pub attached_at: Option<i64>,
    pub already_loaded: Option<bool>,
}

impl PageEvent<'_> {
    /// Whether it changes anything in [`PeerDetails`] (the hot path skips the lock otherwise).
    pub fn matters(&self) -> bool {
        self.url.is_some()
            || self.title.is_some()
            || matches!(self.event, Some(ATTACHED) | Some(NAVIGATION_STARTING))
    }
}

/// The `browser-event` a source sends once capture begins (`attachedAt`, `alreadyLoaded`).
pub const ATTACHED: &str = "attached";
/// A main-frame navigation: from here on the page's requests are captured.
pub const NAVIGATION_STARTING: &str = "navigation_starting";
/// A download began: its URL is the file's, not the page's.
pub const DOWNLOAD_STARTING: &str = "download_starting";

impl PeerDetails {
    pub fn note(&mut self, e: &PageEvent<'_>) {
        if let Some(u) = e.url {
            self.url = Some(u.to_string());
        }
        if let Some(t) = e.title {
            self.title = Some(t.to_string());
        }
        match e.event {
            Some(ATTACHED) if e.already_loaded == Some(true) => {
                self.attached_after_load =
                    Some(e.attached_at.unwrap_or_else(crate::protocol::timestamp::now_ms));
            }
            Some(ATTACHED) | Some(NAVIGATION_STARTING) => self.attached_after_load = None,
            _ => {}
        }
    }
}

#[derive(Debug)]
pub struct SessionEntry {
    pub id: SessionId,
    pub kind: PeerKind,
    pub dialect: Dialect,
    pub subprotocol: Option<String>,
    pub remote: String,
    pub connected_at_ms: i64,
    pub details: PeerDetails,
    pub stats: Arc<SessionStats>,
    pub tx: mpsc::Sender<Outbound>,
}

/// A session as `/api/sessions` and the Sessions pane show it. `Default` is an extension
/// session with nothing known yet (tests name only the fields they care about).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub session_id: String,
    pub kind: PeerKind,
    pub dialect: Dialect,
    pub tab_id: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub client_type: Option<String>,
    /// The browser window it is in (see [`PeerDetails::window_id`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_id: Option<String>,
    pub subprotocol: Option<String>,
    pub remote: String,
    pub connected_at: i64,
    pub last_active: i64,
    /// Messages received from this peer.
    pub messages: u64,
    pub messages_out: u64,
    pub rate_limited: u64,
    /// Capture began after the page had loaded, at this time (epoch ms); `null` once the page
    /// navigated (or reloaded) after that.
    pub attached_after_load: Option<i64>,
    /// A remote session not heard from while the broker is down (present only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

#[derive(Debug, Default)]
pub struct Registry {
    sessions: Mutex<HashMap<SessionId, SessionEntry>>,
    /// Names given to layouts (browser windows), by window id.
    layout_names: Mutex<HashMap<String, String>>,
    /// Connections holding a [`Slot`]: reserved at upgrade, before the session exists.
    slots: Arc<AtomicUsize>,
}

/// A place under the connection limit, held from the upgrade until the connection ends.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.fetch_sub(1, Relaxed);
    }
}

impl Registry {
    /// Reserves a connection slot if fewer than `max` are held. Atomic: simultaneous upgrades
    /// cannot both take the last one.
    pub fn reserve(&self, max: usize) -> Option<Slot> {
        self.slots
            .fetch_update(Relaxed, Relaxed, |held| (held < max).then_some(held + 1))
            .ok()
            .map(|_| Slot { slots: self.slots.clone() })
    }

    /// Slots held now (connections being upgraded or open).
    pub fn slots_held(&self) -> usize {
        self.slots.load(Relaxed)
    }

    pub fn insert(&self, entry: SessionEntry) {
        entry.stats.last_active_ms.store(now_ms(), Relaxed);
        self.sessions.lock().insert(entry.id.clone(), entry);
    }

    pub fn remove(&self, id: &str) -> Option<SessionEntry> {
        self.sessions.lock().remove(id)
    }

    pub fn update_details(&self, id: &str, f: impl FnOnce(&mut PeerDetails)) {
        if let Some(e) = self.sessions.lock().get_mut(id) {
            f(&mut e.details);
        }
    }

    pub fn set_dialect(&self, id: &str, dialect: Dialect) {
        if let Some(e) = self.sessions.lock().get_mut(id) {
            e.dialect = dialect;
        }
    }

    pub fn count(&self, kind: PeerKind) -> usize {
        self.sessions.lock().values().filter(|e| e.kind == kind).count()
    }

    pub fn total(&self) -> usize {
        self.sessions.lock().len()
    }

    /// The sender and dialect of a session, if it is connected.
    pub fn sender(&self, id: &str) -> Option<(mpsc::Sender<Outbound>, PeerKind, Dialect, Arc<SessionStats>)> {
        self.sessions.lock().get(id).map(|e| (e.tx.clone(), e.kind, e.dialect, e.stats.clone()))
    }

    /// The browser session that sent something most recently (ties: the newest connection),
    /// optionally only among those speaking `dialect`.
    pub fn most_recent_browser(&self, dialect: Option<Dialect>) -> Option<SessionId> {
        self.sessions
            .lock()
            .values()
            .filter(|e| e.kind.is_browser() && dialect.is_none_or(|d| e.dialect == d))
            .max_by_key(|e| (e.stats.last_active_ms.load(Relaxed), e.connected_at_ms))
            .map(|e| e.id.clone())
    }

    /// Every session, oldest connection first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let mut list: Vec<SessionInfo> = self
            .sessions
            .lock()
            .values()
            .map(|e| SessionInfo {
                session_id: e.id.to_string(),
                kind: e.kind,
                dialect: e.dialect,
                tab_id: e.details.tab_id.clone(),
                url: e.details.url.clone(),
                title: e.details.title.clone(),
                client_type: e.details.client_type.clone(),
                window_id: e.details.window_id.clone(),
                subprotocol: e.subprotocol.clone(),
                remote: e.remote.clone(),
                connected_at: e.connected_at_ms,
                last_active: e.stats.last_active_ms.load(Relaxed),
                messages: e.stats.messages_in.load(Relaxed),
                messages_out: e.stats.messages_out.load(Relaxed),
                rate_limited: e.stats.rate_limited.load(Relaxed),
                attached_after_load: e.details.attached_after_load,
                stale: e.stats.stale.load(Relaxed),
            })
            .collect();
        list.sort_by(|a, b| (a.connected_at, &a.session_id).cmp(&(b.connected_at, &b.session_id)));
        list
    }

    /// The name given to a layout (browser window), if any.
    pub fn layout_name(&self, window: &str) -> Option<String> {
        self.layout_names.lock().get(window).cloned()
    }

    pub fn set_layout_name(&self, window: &str, name: String) {
        self.layout_names.lock().insert(window.to_string(), name);
    }

    /// Senders of every connected peer of a kind (used for shutdown notices).
    pub fn senders(&self, kind: PeerKind) -> Vec<(SessionId, mpsc::Sender<Outbound>, Dialect)> {
        self.sessions
            .lock()
            .values()
            .filter(|e| e.kind == kind)
            .map(|e| (e.id.clone(), e.tx.clone(), e.dialect))
            .collect()
    }
}
