//! The demo browser (`--demo`): simulated tabs that connect to the connector over the real
//! socket, exactly as the extension does, and behave like a busy web app — console output at every
//! level, REST and GraphQL calls (some failing), the page's own WebSocket, element picks,
//! navigations — and answer every command (screenshots are real PNGs).
//!
//! Each tab is its own WebSocket connection and so its own session. `run` keeps them connected
//! (reconnecting with backoff) until the shutdown token fires.

mod catalog;
mod commands;
mod fetch;
mod js;
mod payloads;
mod rng;
mod scenarios;
mod screenshot;
mod session;
mod site;
mod traffic;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::bail;
use tokio_util::sync::CancellationToken;

/// How the demo behaves.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The connector's token, if it needs one (sent as `?token=`).
    pub token: Option<String>,
    /// How many tabs (sessions) to simulate: 1 shop, 2 admin, 3 docs, then round again.
    pub tabs: usize,
    /// Average events per second across all tabs, in bursts; 0: tabs only answer commands.
    pub events_per_sec: f64,
    /// Seeds the traffic: the same seed gives each tab the same sequence of events.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { token: None, tabs: 2, events_per_sec: 8.0, seed: 0x7E57_DA7A }
    }
}

const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(10);
/// A connection that lasted this long was healthy: the next failure starts the backoff afresh.
const HEALTHY: Duration = Duration::from_secs(10);
/// Tabs open one after another, as a user would open them.
const TAB_STAGGER: Duration = Duration::from_millis(150);

/// Runs until `shutdown` is cancelled; reconnects (with backoff) if the connection drops.
pub async fn run(addr: SocketAddr, options: DemoOptions, shutdown: CancellationToken) -> anyhow::Result<()> {
    if options.tabs == 0 {
        bail!("the demo needs at least one tab");
    }
    if !options.events_per_sec.is_finite() || options.events_per_sec < 0.0 {
        bail!("events_per_sec must be a finite number >= 0 (is {})", options.events_per_sec);
    }
    let addr = connectable(addr);
    let per_tab = options.events_per_sec / options.tabs as f64;
    tracing::info!(%addr, tabs = options.tabs, events_per_sec = options.events_per_sec, "demo browser starting");
    let mut tabs = tokio::task::JoinSet::new();
    for number in 1..=options.tabs {
        let token = options.token.clone();
        let shutdown = shutdown.clone();
        let seed = options.seed;
        tabs.spawn(async move {
            let delay = TAB_STAGGER * (number - 1).min(100) as u32;
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            run_tab(addr, token, number, per_tab, seed, shutdown).await;
        });
    }
    while let Some(joined) = tabs.join_next().await {
        if let Err(e) = joined {
            // A tab that failed must not take the others (or the UI) down with it.
            tracing::error!("demo tab stopped unexpectedly: {e}");
        }
    }
    tracing::info!("demo browser stopped");
    Ok(())
}

/// A server bound to 0.0.0.0 or [::] is reached through loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port()),
        _ => addr,
    }
}

async fn run_tab(
    addr: SocketAddr,
    token: Option<String>,
    number: usize,
    events_per_sec: f64,
    seed: u64,
    shutdown: CancellationToken,
) {
    let mut state = session::TabState::new(number, events_per_sec, seed);
    let mut jitter = rng::Rng::fork(seed, 0x1000 + number as u64);
    let mut backoff = BACKOFF_START;
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return,
            attempt = session::connect(addr, token.as_deref()) => attempt,
        };
        match attempt {
            Ok(socket) => {
                let connected = tokio::time::Instant::now();
                match session::serve(socket, &mut state, &shutdown).await {
                    session::End::Shutdown => return,
                    session::End::Dropped(why) => {
                        tracing::info!(tab = number, "demo tab disconnected: {why}; reconnecting")
                    }
                }
                if connected.elapsed() >= HEALTHY {
                    backoff = BACKOFF_START;
                }
            }
            Err(e) => tracing::info!(tab = number, "demo tab cannot connect: {e:#}"),
        }
        // Jitter keeps several tabs from hammering a restarting server in step.
        let delay = backoff.mul_f64(0.8 + 0.4 * jitter.unit());
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_CAP);
    }
}
