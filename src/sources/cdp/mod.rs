//! Chrome over the DevTools Protocol, with no extension: `--launch [URL]` starts a browser,
//! `--attach URL` joins a running one. Owns the browser connection and the router that turns
//! each page target into a browser session of kind `cdp` (tabs opened later join, closed ones
//! leave; their out-of-process iframes and workers are followed into the same session).
//!
//! Events go through the connector's staging into the store in batches, exactly like an
//! extension's; commands arrive on the session's outbound queue like an extension's.

mod actions;
mod attached;
mod client;
mod console;
pub mod launch;
mod media;
mod network;
mod page;
mod pagefns;
mod picker;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use client::{CdpError, Client, Event};

use crate::server::Connector;

/// Default cap on response and request bodies kept per exchange.
pub const DEFAULT_BODY_CAP: usize = 64 * 1024;
/// Events queued for one page before the router drops (and counts) them.
const PAGE_QUEUE: usize = 16_384;

/// `[browser]` in the config file; `--launch`, `--attach`, `--browser`, `--isolated`,
/// `--headless` and their `TRIAGE_*` variables lay over it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrowserOptions {
    /// Start a browser and open this URL (empty: a blank tab). Unset: do not launch.
    pub launch: Option<String>,
    /// Attach to a running browser: `http://127.0.0.1:9222` or `ws://…/devtools/browser/…`.
    pub attach: Option<String>,
    /// The browser executable; default: chromium, chromium-browser, google-chrome… on PATH.
    pub browser: Option<PathBuf>,
    /// A throwaway profile (removed at exit) instead of `<data dir>/chrome-profile`.
    pub isolated: bool,
    /// No window (CI, remote hosts).
    pub headless: bool,
    /// Bytes of each request and response body kept.
    pub body_cap: usize,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            launch: None,
            attach: None,
            browser: None,
            isolated: false,
            headless: false,
            body_cap: DEFAULT_BODY_CAP,
        }
    }
}

impl BrowserOptions {
    pub fn wanted(&self) -> bool {
        self.launch.is_some() || self.attach.is_some()
    }

    /// `TRIAGE_LAUNCH`, `TRIAGE_ATTACH`, `TRIAGE_BROWSER`, `TRIAGE_ISOLATED`, `TRIAGE_HEADLESS`.
    pub fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<()> {
        let flag = |name: &str| -> Result<Option<bool>> {
            match env(name).map(|v| v.trim().to_ascii_lowercase()) {
                None => Ok(None),
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(Some(true)),
                Some(v) if ["0", "false", "no", "off", ""].contains(&v.as_str()) => Ok(Some(false)),
                Some(v) => bail!("environment variable {name}={v:?}: expected true or false"),
            }
        };
        if let Some(v) = env("TRIAGE_LAUNCH") {
            // TRIAGE_LAUNCH=1 launches a blank tab; anything else is the URL to open.
            self.launch = Some(if ["1", "true", "yes"].contains(&v.trim()) { String::new() } else { v });
        }
        if let Some(v) = env("TRIAGE_ATTACH").filter(|v| !v.trim().is_empty()) {
            self.attach = Some(v);
        }
        if let Some(v) = env("TRIAGE_BROWSER").filter(|v| !v.trim().is_empty()) {
            self.browser = Some(PathBuf::from(v));
        }
        if let Some(v) = flag("TRIAGE_ISOLATED")? {
            self.isolated = v;
        }
        if let Some(v) = flag("TRIAGE_HEADLESS")? {
            self.headless = v;
        }
        Ok(())
    }

    /// Flags win over everything else.
    pub fn apply_flags(&mut self, flags: &BrowserFlags) {
        if flags.launch.is_some() {
            self.launch = flags.launch.clone();
        }
        if flags.attach.is_some() {
            self.attach = flags.attach.clone();
        }
        if flags.browser.is_some() {
            self.browser = flags.browser.clone();
        }
        self.isolated |= flags.isolated;
        self.headless |= flags.headless;
    }

    pub fn validate(&self) -> Result<()> {
        if self.launch.is_some() && self.attach.is_some() {
            bail!("--launch and --attach exclude each other: start a browser, or join one");
        }
        Ok(())
    }
}

/// The command-line half of [`BrowserOptions`].
#[derive(Debug, Clone, Default)]
pub struct BrowserFlags {
    pub launch: Option<String>,
    pub attach: Option<String>,
    pub browser: Option<PathBuf>,
    pub isolated: bool,
    pub headless: bool,
}

/// A browser driven over CDP. [`CdpSource::stop`] closes a launched browser (an attached one is
/// left running) and waits for its sessions to leave.
pub struct CdpSource {
    client: Client,
    launched: Option<launch::Launched>,
    router: tokio::task::JoinHandle<()>,
    pub ws_url: String,
}

impl CdpSource {
    /// Launches or attaches as `options` say; `Ok(None)` when they ask for neither.
    pub async fn start(connector: &Connector, options: &BrowserOptions) -> Result<Option<CdpSource>> {
        options.validate()?;
        let data_dir =
            connector.screenshots_dir().parent().map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let (ws_url, launched) = if let Some(url) = &options.launch {
            let url =
                if url.trim().is_empty() { "about:blank".to_string() } else { actions::normalize_url(url)? };
            let launched = launch::launch(options, &data_dir, &url).await?;
            (launched.ws_url.clone(), Some(launched))
        } else if let Some(url) = &options.attach {
            (launch::resolve_attach(url).await?, None)
        } else {
            return Ok(None);
        };
        let (client, events) = match Client::connect(&ws_url).await {
            Ok(ok) => ok,
            Err(e) if launched.is_none() => {
                bail!("--attach: {e:#}. Is Chrome running with --remote-debugging-port (and its own --user-data-dir)?")
            }
            Err(e) => return Err(e),
        };
        let router = Router {
            connector: connector.clone(),
            client: client.clone(),
            pages: HashMap::new(),
            dropped: HashMap::new(),
            children: HashMap::new(),
            attaching: HashSet::new(),
            targets: HashMap::new(),
            body_cap: options.body_cap,
            remote: ws_url.clone(),
        };
        client.call(None, "Target.setDiscoverTargets", json!({ "discover": true })).await?;
        let targets = client.call(None, "Target.getTargets", json!({})).await?;
        let router = tokio::spawn(router.run(events, targets, connector.shutdown_token()));
        tracing::info!(%ws_url, launched = launched.is_some(), "CDP browser connected");
        Ok(Some(CdpSource { client, launched, router, ws_url }))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The launched browser's process id (none when attached).
    pub fn browser_pid(&self) -> Option<u32> {
        self.launched.as_ref().and_then(launch::Launched::pid)
    }

    /// Closes a launched browser (gracefully, then by force), leaves an attached one running.
    pub async fn stop(mut self) {
        if let Some(mut launched) = self.launched.take() {
            let _ = self.client.call_within(None, "Browser.close", json!({}), Duration::from_secs(3)).await;
            if !launched.wait_exit(Duration::from_secs(5)).await {
                tracing::warn!("the browser did not close within 5 s: killing it");
            }
            drop(launched);
        }
        self.client.shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.router).await;
    }
}

/// Turns the browser's targets into page sessions and routes each event to its page.
struct Router {
    connector: Connector,
    client: Client,
    /// CDP session of each page → its page task's queue.
    pages: HashMap<Arc<str>, mpsc::Sender<Event>>,
    /// Events dropped per page because its queue was full; the page reports them itself.
    dropped: HashMap<Arc<str>, Arc<std::sync::atomic::AtomicU64>>,
    /// CDP session of an iframe or worker → the page session it belongs to.
    children: HashMap<Arc<str>, Arc<str>>,
    /// Target ids asked to attach (so discovery and the first listing do not attach twice).
    attaching: HashSet<String>,
    /// Target id of each attached page → its CDP session.
    targets: HashMap<String, Arc<str>>,
    body_cap: usize,
    remote: String,
}

impl Router {
    async fn run(mut self, mut events: mpsc::Receiver<Event>, targets: Value, stop: CancellationToken) {
        for t in targets["targetInfos"].as_array().into_iter().flatten() {
            self.on_target(t);
        }
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => self.route(ev),
                    None => break,
                },
                () = stop.cancelled() => break,
            }
        }
        // Dropping the queues ends every page task: each leaves the registry and fails its
        // pending commands with INVALID_SESSION.
        self.pages.clear();
        tracing::info!("CDP browser connection ended");
    }

    fn on_target(&mut self, info: &Value) {
        let (Some(id), Some(kind)) = (info["targetId"].as_str(), info["type"].as_str()) else { return };
        if kind != "page" || info["attached"].as_bool() == Some(true) && self.attaching.contains(id) {
            return;
        }
        let url = info["url"].as_str().unwrap_or("");
        // DevTools' own windows are pages too; never capture those.
        if url.starts_with("devtools://") || !self.attaching.insert(id.to_string()) {
            return;
        }
        let client = self.client.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            if let Err(e) =
                client.call(None, "Target.attachToTarget", json!({ "targetId": id, "flatten": true })).await
            {
                tracing::debug!(target = %id, "attach failed: {e}");
            }
        });
    }

    fn route(&mut self, ev: Event) {
        let Some(session) = ev.session.clone() else { return self.browser_event(ev) };
        match ev.method.as_str() {
            "Target.attachedToTarget" => {
                if let Some(child) = ev.params["sessionId"].as_str() {
                    let page = self.children.get(&session).cloned().unwrap_or_else(|| session.clone());
                    self.children.insert(Arc::from(child), page);
                }
            }
            "Target.detachedFromTarget" => {
                if let Some(child) = ev.params["sessionId"].as_str() {
                    self.children.remove(child);
                }
            }
            _ => {}
        }
        let page = self.children.get(&session).cloned().unwrap_or(session);
        if let Some(tx) = self.pages.get(&page) {
            if tx.try_send(ev).is_err() {
                if let Some(n) = self.dropped.get(&page) {
                    n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }

    fn browser_event(&mut self, ev: Event) {
        let p = &ev.params;
        match ev.method.as_str() {
            "Target.targetCreated" => self.on_target(&p["targetInfo"]),
            "Target.attachedToTarget" => {
                let info = &p["targetInfo"];
                let (Some(session), Some(target)) = (p["sessionId"].as_str(), info["targetId"].as_str())
                else {
                    return;
                };
                if info["type"].as_str() != Some("page") {
                    return;
                }
                let session: Arc<str> = Arc::from(session);
                let (tx, rx) = mpsc::channel(PAGE_QUEUE);
                self.pages.insert(session.clone(), tx);
                let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
                self.dropped.insert(session.clone(), dropped.clone());
                self.targets.insert(target.to_string(), session.clone());
                let page = page::Page::register(
                    self.connector.clone(),
                    self.client.clone(),
                    session,
                    target.to_string(),
                    info,
                    self.body_cap,
                    &self.remote,
                    dropped,
                );
                tokio::spawn(page.run(rx, p["waitingForDebugger"].as_bool().unwrap_or(false)));
            }
            "Target.detachedFromTarget" => {
                if let Some(s) = p["sessionId"].as_str() {
                    self.pages.remove(s);
                    self.dropped.remove(s);
                    self.children.retain(|_, page| &**page != s);
                }
                if let Some(t) = p["targetId"].as_str() {
                    self.attaching.remove(t);
                    self.targets.remove(t);
                }
            }
            "Target.targetDestroyed" => {
                if let Some(t) = p["targetId"].as_str() {
                    self.attaching.remove(t);
                }
            }
            "Target.targetInfoChanged" => {
                // Title and URL changes go to the page they belong to.
                let target = p["targetInfo"]["targetId"].as_str().unwrap_or("");
                if let Some(tx) = self.targets.get(target).and_then(|s| self.pages.get(s)) {
                    let _ = tx.try_send(ev);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn env_then_flags_layer_over_the_config_file() {
        let mut o: BrowserOptions = toml::from_str("headless = true\nbody_cap = 10\n").unwrap();
        o.apply_env(&env_of(&[
            ("TRIAGE_LAUNCH", "1"),
            ("TRIAGE_BROWSER", "/opt/chrome"),
            ("TRIAGE_ISOLATED", "yes"),
        ]))
        .unwrap();
        assert_eq!(o.launch.as_deref(), Some(""), "TRIAGE_LAUNCH=1 is a blank tab");
        assert_eq!(o.browser, Some(PathBuf::from("/opt/chrome")));
        assert!(o.isolated && o.headless);
        assert_eq!(o.body_cap, 10);
        o.apply_flags(&BrowserFlags { launch: Some("http://localhost:5173".into()), ..Default::default() });
        assert_eq!(o.launch.as_deref(), Some("http://localhost:5173"));
        assert!(o.wanted());
        o.attach = Some("http://127.0.0.1:9222".into());
        assert!(o.validate().unwrap_err().to_string().contains("--launch and --attach"));
    }

    #[test]
    fn bad_env_flag_names_the_variable() {
        let mut o = BrowserOptions::default();
        let err = o.apply_env(&env_of(&[("TRIAGE_HEADLESS", "maybe")])).unwrap_err().to_string();
        assert!(err.contains("TRIAGE_HEADLESS"), "{err}");
        assert!(!o.wanted());
    }

    #[test]
    fn urls_are_normalised_like_the_extension_does() {
        assert_eq!(actions::normalize_url("localhost:5173").unwrap(), "http://localhost:5173");
        assert_eq!(actions::normalize_url("example.com/x").unwrap(), "https://example.com/x");
        assert_eq!(actions::normalize_url("http://a.test/").unwrap(), "http://a.test/");
        assert_eq!(actions::normalize_url("about:blank").unwrap(), "about:blank");
        assert!(actions::normalize_url("javascript:alert(1)").is_err());
        assert!(actions::normalize_url("  ").is_err());
    }

    #[test]
    fn session_ids_are_stable_per_target() {
        assert_eq!(page::session_id_of("2BF9D4E85A012763777CD871D40FBADB"), "cdp-2bf9d4e85a01");
    }
}
