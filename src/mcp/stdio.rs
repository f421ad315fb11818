//! `triage-tui mcp`: MCP on stdio. If a triage connector already answers on the configured port
//! (its `/.identity` says so), every message goes through that connector's `/mcp`, so the TUI
//! running there shows what the assistant does; otherwise the connector starts here, headless,
//! on that port, so the extension finds it. stdout carries nothing but the protocol.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rmcp::ServiceExt;
use serde_json::Value;

use super::presence::Assistants;
use super::{bridge, Transport, TriageMcp};
use crate::config::{Config, Paths};
use crate::server::{self, IDENTITY_SIGNATURE, SERVER_NAME};

/// What answers on the port.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Triage,
    /// Something else (e.g. the browser-tools server): its description.
    Other(String),
    Nothing,
}

/// Asks `/.identity` on `base` (`http://host:port`) who is there.
pub async fn probe(base: &str) -> Found {
    let client = match reqwest::Client::builder().timeout(Duration::from_millis(1500)).build() {
        Ok(c) => c,
        Err(e) => return Found::Other(format!("cannot build an HTTP client: {e}")),
    };
    let response = match client.get(format!("{base}/.identity")).send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => return Found::Nothing,
        Err(e) => return Found::Other(format!("it does not answer HTTP properly ({e})")),
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match (body.get("name").and_then(Value::as_str), body.get("signature").and_then(Value::as_str)) {
        (Some(SERVER_NAME), Some(IDENTITY_SIGNATURE)) => Found::Triage,
        (name, Some(IDENTITY_SIGNATURE)) => {
            Found::Other(format!("a browser connector named {:?} (browser-tools?)", name.unwrap_or("?")))
        }
        _ => Found::Other(format!("an HTTP server that is not a browser connector (/.identity: {status})")),
    }
}

/// The address a local client reaches the connector at (a wildcard bind is reached on loopback).
fn reach(config: &Config) -> SocketAddr {
    let ip = if config.bind.is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { config.bind };
    SocketAddr::new(ip, config.port)
}

/// Runs until stdin closes (the MCP host ends the session).
pub async fn run(config: Config, paths: Paths) -> Result<()> {
    let addr = reach(&config);
    let base = format!("http://{addr}");
    if config.port != 0 {
        match probe(&base).await {
            Found::Triage => {
                tracing::info!(%base, "bridging stdio to a running connector");
                eprintln!("triage-tui mcp: using the triage-tui connector at {base}/mcp");
                return bridge::run(&format!("{base}/mcp"), config.token.clone()).await;
            }
            Found::Other(what) => bail!(
                "port {} is taken by {what}. Stop it, or run triage-tui on another port with --port <N> \
                 (the triage extension scans 3025-3035)",
                config.port
            ),
            Found::Nothing => {}
        }
    }
    let (connector, addr, task) =
        server::start(config, &paths).await.context("cannot start the connector")?;
    // stderr is the MCP host's log: say where browsers connect (tests read the port from it too).
    eprintln!("triage-tui mcp: started a connector at http://{addr} (browsers: ws://{addr}/extension-ws)");
    tracing::info!(%addr, "connector started for MCP on stdio");
    let assistants = Assistants::new(connector.clone());
    let handler = TriageMcp::new(connector.clone(), assistants, Transport::Stdio);
    let outcome = match handler.serve(rmcp::transport::stdio()).await {
        Ok(service) => service.waiting().await.map(|_| ()).context("the MCP session failed"),
        Err(e) => Err(anyhow::anyhow!("the MCP session did not start: {e}")),
    };
    connector.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    outcome
}
