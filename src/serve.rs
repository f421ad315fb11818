//! `triage-tui serve`: the connector with no terminal UI.

use anyhow::Result;

use crate::config::{Config, Paths};
use crate::{demo, server};

/// Serves until Ctrl-C or SIGTERM; with `demo`, simulated browser tabs connect to it too.
pub async fn run(config: Config, paths: Paths, with_demo: bool) -> Result<()> {
    let token = config.token.clone();
    let browser = config.browser.clone();
    let (http, ws) = if config.tls_cert.is_some() { ("https", "wss") } else { ("http", "ws") };
    let (connector, addr, task) = server::start(config, &paths).await?;
    if let Err(e) = crate::broker::start(&connector).await {
        connector.shutdown();
        return Err(e);
    }
    // Scripts and tests read this line to learn the port (it may be ephemeral: --port 0).
    println!("triage-tui {} listening on {http}://{addr}", server::VERSION);
    println!(
        "  browsers: {ws}://{addr}/extension-ws   clients: {ws}://{addr}/mcp-ws   health: {http}://{addr}/health"
    );
    println!("  log: {}", paths.log_file().display());
    tracing::info!(%addr, "serving");
    if with_demo {
        println!("  demo: simulated browser tabs are connecting (--demo)");
        let options = demo::DemoOptions { token, ..Default::default() };
        let stop = connector.shutdown_token();
        tokio::spawn(async move {
            if let Err(e) = demo::run(addr, options, stop).await {
                tracing::error!("demo browser: {e:#}");
            }
        });
    }
    let cdp = match crate::sources::cdp::CdpSource::start(&connector, &browser).await {
        Ok(cdp) => cdp,
        Err(e) => {
            connector.shutdown();
            return Err(e);
        }
    };
    if let Some(cdp) = &cdp {
        // Tests read the pid to be sure the browser goes when we do.
        match cdp.browser_pid() {
            Some(pid) => println!("  browser: launched (pid {pid}), DevTools at {}", cdp.ws_url),
            None => println!("  browser: attached, DevTools at {}", cdp.ws_url),
        }
    }
    let stop = connector.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        stop.shutdown();
    });
    task.await??;
    // A launched browser closes with us; an attached one is left running.
    if let Some(cdp) = cdp {
        cdp.stop().await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
