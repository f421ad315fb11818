//! The terminal UI: ratatui over the embedded connector.
//!
//! `run` starts the connector in-process (a port in use fails here, before the terminal is
//! touched), then hands the terminal to one owning task (`app`). Keys become `Action`s through
//! the `keymap`; `update` applies them to `State` and returns `Effect`s; `render` draws `State`.
//! Page-supplied text goes through `sanitize` before it can reach the terminal.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod export;
pub mod filter;
pub mod group;
pub mod histogram;
pub mod input;
pub mod keymap;
pub mod loading;
pub mod panes;
pub mod prepare;
pub mod render;
pub mod sanitize;
pub mod state;
pub mod target;
pub mod theme;
pub mod update;
pub mod view;

use std::time::Duration;

use anyhow::{Context, Result};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Paths};
use crate::server;
pub use action::{Action, Effect, Pane};
pub use keymap::Keymap;
pub use render::render;
pub use state::State;
pub use theme::Theme;
pub use update::update;

/// Options of the UI mode.
#[derive(Debug, Clone, Default)]
pub struct UiOptions {
    /// Run the simulated browser against the embedded connector.
    pub demo: bool,
    /// Load this recording (NDJSON from `--record`) into the store first.
    pub replay: Option<std::path::PathBuf>,
}

/// The keymap from the config's `[keys]`, with errors naming the config file and line.
pub fn load_keymap(config: &Config, paths: &Paths) -> Result<Keymap> {
    let text = if paths.config_file_used { std::fs::read_to_string(&paths.config_file).ok() } else { None };
    let source = keymap::KeySource { file: &paths.config_file, text: text.as_deref() };
    Keymap::with_overrides(&config.keys, &source).map_err(anyhow::Error::msg)
}

/// `triage-tui` with no subcommand: the connector in-process and the UI in this terminal.
pub fn run(config: Config, paths: Paths, options: UiOptions) -> Result<()> {
    // Everything that can fail on bad input fails here, before the terminal changes.
    let keymap = load_keymap(&config, &paths)?;
    let theme = Theme::load(&config.theme, &paths.themes_dir()).map_err(anyhow::Error::msg)?;
    let _log = crate::logging::init(&paths.data_dir, false)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let demo_token = config.token.clone();
        let browser = config.browser.clone();
        let (connector, addr, server_task) = server::start(config, &paths).await?;
        // Before the terminal changes, so a bad broker URL is a plain error naming the flag.
        if let Err(e) = crate::broker::start(&connector).await {
            connector.shutdown();
            return Err(e);
        }
        // A recording starts loading before the terminal changes, so a bad file is a plain error;
        // the rest streams in while the UI runs (`loading`).
        let progress = match &options.replay {
            Some(file) => Some(connector.start_loading(file).await?),
            None => None,
        };
        // Before the terminal changes, so a missing browser is a plain error naming the flag.
        let cdp = match options.replay {
            None => crate::sources::cdp::CdpSource::start(&connector, &browser).await?,
            Some(_) => None,
        };
        tracing::info!(%addr, "connector listening; starting the UI");
        let demo_stop = CancellationToken::new();
        let demo = options.demo.then(|| start_demo(addr, demo_token, demo_stop.clone()));
        let mut state = State::new(keymap, theme, addr.to_string());
        if let Some(file) = &options.replay {
            state.replay = Some(
                file.file_name()
                    .map_or_else(|| file.display().to_string(), |f| f.to_string_lossy().into_owned()),
            );
        }
        if let Some(progress) = progress {
            let log_file = paths.log_file().display().to_string();
            state.loading = Some(loading::Loading { progress, log_file, reported: false });
        }
        app::install_panic_hook(paths.log_file());
        let result = {
            let mut guard = app::TerminalGuard::enter()?;
            let r = app::event_loop(&mut guard.terminal, &mut state, &connector).await;
            drop(guard);
            r
        };
        demo_stop.cancel();
        if let Some(demo) = demo {
            let _ = tokio::time::timeout(Duration::from_secs(2), demo).await;
        }
        if let Some(cdp) = cdp {
            cdp.stop().await;
        }
        connector.shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(2), server_task).await;
        tracing::info!("UI stopped");
        result
    })
}

/// The seqs of the stored events a recording's `ui-mark` lines name (by `panes::mark_key`).
pub fn marked_seqs(store: &crate::store::Store, keys: &[String]) -> std::collections::HashSet<u64> {
    let mut out = std::collections::HashSet::new();
    if keys.is_empty() {
        return out;
    }
    let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    for cat in crate::store::Category::ALL {
        for (_, e) in store.log(cat).iter() {
            if wanted.contains(panes::mark_key(&e).as_str()) {
                out.insert(e.seq);
            }
        }
    }
    out
}

/// Starts the simulated browser (`--demo`) against the in-process connector's address.
fn start_demo(
    addr: std::net::SocketAddr,
    token: Option<String>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let options = crate::demo::DemoOptions { token, ..Default::default() };
        if let Err(e) = crate::demo::run(addr, options, shutdown).await {
            tracing::error!("demo browser: {e:#}");
        }
    })
}
