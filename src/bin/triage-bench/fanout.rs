//! Fan-out: what 100 live-stream clients on `/mcp-ws`, each receiving everything, cost against
//! one. The browser sends at a fixed rate (a flood heavier than any real page), so the figure is
//! whether every client still gets every event as fast as one client alone would; a second run
//! with the browser unpaced gives the total deliveries per second the connector can sustain.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::{connector, figure, load};
use triage_tui::store::Capacities;

/// Events per second the browser sends in the paced runs.
const PACED_RATE: u64 = 5_000;
/// What every event carries, so clients count only the bench's events.
const MARK: &str = "fanout probe";

pub async fn figures(quick: bool) -> Result<()> {
    let events = if quick { 10_000 } else { 50_000 };
    println!("# fanout: the browser sends {events} events at {PACED_RATE} ev/s; each client receives all");
    let one = per_client_rate(1, events, Some(PACED_RATE)).await?;
    figure("fanout_1_client_events_per_sec", one, "ev/s");
    let hundred = per_client_rate(100, events, Some(PACED_RATE)).await?;
    figure("fanout_100_clients_events_per_sec_per_client", hundred, "ev/s");
    figure("fanout_100_clients_vs_one_ratio", hundred / one, "x");
    let saturated = per_client_rate(100, events, None).await?;
    figure("fanout_100_clients_unpaced_deliveries_per_sec", saturated * 100.0, "msg/s");
    Ok(())
}

/// Mean events per second each of `clients` live-stream clients received, from the first event
/// sent to its last event received; the browser paced at `rate` events per second, or unpaced.
async fn per_client_rate(clients: usize, events: u64, rate: Option<u64>) -> Result<f64> {
    let caps = Capacities { console: 2 * events as usize + 1000, ..Capacities::default() };
    let (c, addr, _dir) = connector(caps).await?;
    let mut browser = load::connect_browser(addr, "fanout").await?;
    while c.sessions().is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut readers = Vec::new();
    for _ in 0..clients {
        let ws = connect_client(addr).await?;
        readers.push(tokio::spawn(read_until(ws, events)));
    }
    // Every client is registered once the connector lists it.
    while c.sessions().len() < clients + 1 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let start = Instant::now();
    let per_ms = rate.map(|r| (r / 1000).max(1));
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut i = 0;
    while i < events {
        if per_ms.is_some() {
            tick.tick().await;
        }
        for _ in 0..per_ms.unwrap_or(64) {
            if i == events {
                break;
            }
            let text = format!(
                r#"{{"id":"f{i}","type":"console-log","timestamp":{},"data":{{"level":"info","message":"{MARK} {i}"}}}}"#,
                1_704_067_200_000u64 + i
            );
            browser.feed(Message::text(text)).await?;
            i += 1;
        }
        browser.flush().await?;
    }
    let mut total = 0.0;
    for r in readers {
        let done = r.await??;
        total += events as f64 / done.duration_since(start).as_secs_f64();
    }
    c.shutdown();
    Ok(total / clients as f64)
}

async fn connect_client(addr: SocketAddr) -> Result<load::Ws> {
    let mut req = format!("ws://{addr}/mcp-ws").into_client_request()?;
    req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mcp-server-v1"));
    let (ws, _) =
        tokio_tungstenite::connect_async_with_config(req, None, true).await.context("connect /mcp-ws")?;
    Ok(ws)
}

/// Reads until `events` of the bench's events arrived; returns when the last one did.
async fn read_until(mut ws: load::Ws, events: u64) -> Result<Instant> {
    let finder = memchr::memmem::Finder::new(MARK);
    let mut seen = 0;
    while seen < events {
        let message = match tokio::time::timeout(Duration::from_secs(120), ws.next()).await {
            Ok(Some(m)) => m?,
            Ok(None) => bail!("the connector closed a client after {seen} of {events} events"),
            Err(_) => bail!("a client got only {seen} of {events} events"),
        };
        if let Message::Text(t) = message {
            if t.contains("events-missed") {
                bail!("a client fell behind and skipped events: {t}");
            }
            if finder.find(t.as_bytes()).is_some() {
                seen += 1;
            }
        }
    }
    Ok(Instant::now())
}
