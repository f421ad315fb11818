//! The ingest scenarios: browsers on WebSockets and the browser-tools `POST /extension-log`, each
//! against the connector and, under the same load, against the raw limit server (`limit.rs`); the
//! HTTP peer comparison with browser-tools-server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::load::{self, Rng};
use super::{
    broker, connector, figure, free_port, limit, load_config, start_in, stored_events, tempdir, ui,
    wait_stored,
};
use triage_tui::config::Config;
use triage_tui::server::Connector;
use triage_tui::store::Capacities;

/// What runs beside ingest in an [`ingest_rate`] run.
#[derive(Clone, Copy, PartialEq)]
pub enum Beside {
    Nothing,
    /// The UI loop, drawing frames as `triage-tui` does.
    Ui,
    /// `--record`: every event also appended to a recording file.
    Recording,
}

/// Events per second with `conns` browser connections sending `per_conn` messages each.
pub async fn ingest_rate(conns: usize, per_conn: u64, network: bool, beside: Beside) -> Result<f64> {
    let caps = Capacities { console: 4_000_000, network: 4_000_000, ..Capacities::default() };
    let dir = tempdir::TempDir::new()?;
    let record = (beside == Beside::Recording).then(|| dir.path().join("bench.ndjson"));
    let (c, addr, _dir) = start_in(Config { record, ..load_config(caps) }, dir).await?;
    ingest_rate_on(&c, addr, conns, per_conn, network, beside).await
}

/// [`ingest_rate`] against a connector already started (`broker.rs` starts one with a broker).
pub async fn ingest_rate_on(
    c: &Connector,
    addr: SocketAddr,
    conns: usize,
    per_conn: u64,
    network: bool,
    beside: Beside,
) -> Result<f64> {
    let sockets = open_browsers(addr, conns).await?;
    // Wait for every handshake so connection setup is not in the figure.
    while c.sessions().len() < conns {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let base = stored_events(c);
    let total = per_conn * conns as u64;
    let published_base = broker::published(c);
    let stop = tokio_util::sync::CancellationToken::new();
    let ui_task = (beside == Beside::Ui).then(|| tokio::spawn(ui_loop(c.clone(), stop.clone())));
    let start = Instant::now();
    let senders = send_load(sockets, per_conn, network);
    let mut elapsed = wait_stored(c, base + total, start, Duration::from_secs(300)).await?;
    // With a broker, ingest is done when every event is also on the stream.
    if let Some(published_base) = published_base {
        elapsed = broker::wait_published(c, published_base + total, start).await?;
    }
    for t in senders {
        t.await??;
    }
    stop.cancel();
    if let Some(t) = ui_task {
        let frames = t.await??;
        if frames == 0 {
            bail!("the UI drew no frame during ingest");
        }
    }
    c.shutdown();
    Ok(total as f64 / elapsed.as_secs_f64())
}

/// The same load as [`ingest_rate`] against the raw server: the machine's limit for it.
async fn raw_ingest_rate(conns: usize, per_conn: u64, network: bool) -> Result<f64> {
    let raw = limit::RawServer::start().await?;
    let sockets = open_browsers(raw.addr, conns).await?;
    // Each connection's handshake message arrives first.
    raw.wait_for(conns as u64, Instant::now(), Duration::from_secs(30)).await?;
    let total = per_conn * conns as u64;
    let start = Instant::now();
    let senders = send_load(sockets, per_conn, network);
    let elapsed = raw.wait_for(conns as u64 + total, start, Duration::from_secs(300)).await?;
    for t in senders {
        t.await??;
    }
    Ok(total as f64 / elapsed.as_secs_f64())
}

/// `conns` browser connections to `addr`, each with its handshake sent.
async fn open_browsers(addr: SocketAddr, conns: usize) -> Result<Vec<load::Ws>> {
    let mut sockets = Vec::new();
    for i in 0..conns {
        sockets.push(load::connect_browser(addr, &format!("tab-{i}")).await?);
    }
    Ok(sockets)
}

/// Starts one sender task a socket, each sending `per_conn` realistic messages as fast as it can.
/// Each task hands its socket back: dropping it at once would close it with the connector's
/// acks unread, and the kernel then resets the connection, discarding what the connector had
/// not read yet.
fn send_load(
    sockets: Vec<load::Ws>,
    per_conn: u64,
    network: bool,
) -> Vec<tokio::task::JoinHandle<Result<load::Ws>>> {
    let mut rng = Rng::new(42);
    let messages: Vec<String> = (0..2048)
        .map(
            |i| if network { load::network_message(&mut rng, i) } else { load::console_message(&mut rng, i) },
        )
        .collect();
    let messages = std::sync::Arc::new(messages);
    sockets
        .into_iter()
        .map(|mut ws| {
            let messages = messages.clone();
            tokio::spawn(async move {
                load::blast(&mut ws, &messages, per_conn).await?;
                Ok(ws)
            })
        })
        .collect()
}

/// The UI loop's work as `triage-tui` does it: woken by the connector, at most one frame per
/// frame interval, each catching up with the store (bounded) and rendering the real panes.
async fn ui_loop(c: Connector, stop: tokio_util::sync::CancellationToken) -> Result<u64> {
    let mut state = ui::new_state();
    let mut terminal = ui::terminal()?;
    let mut changes = c.changes();
    let mut frames = 0;
    let mut last = tokio::time::Instant::now() - ui::FRAME;
    let mut behind = false;
    loop {
        if !behind {
            tokio::select! {
                () = stop.cancelled() => break,
                r = changes.changed() => if r.is_err() { break },
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep_until(last + ui::FRAME) => {}
        }
        last = tokio::time::Instant::now();
        behind = ui::live_frame(&mut state, c.store(), &mut terminal)?;
        frames += 1;
    }
    Ok(frames)
}

pub async fn ws_ingest(quick: bool) -> Result<()> {
    let scale = if quick { 2 } else { 8 };
    let per_conn = 50_000 * scale;
    let four = ingest_rate(4, per_conn, false, Beside::Nothing).await?;
    figure("ws_ingest_events_per_sec", four, "ev/s");
    let raw = raw_ingest_rate(4, per_conn, false).await?;
    figure("ws_ingest_raw_limit_events_per_sec", raw, "ev/s");
    figure("ws_ingest_vs_raw_limit_ratio", four / raw, "x");
    let with_ui = ingest_rate(4, per_conn, false, Beside::Ui).await?;
    figure("ws_ingest_with_ui_events_per_sec", with_ui, "ev/s");
    figure("ws_ingest_with_ui_ratio", with_ui / four, "x");
    figure("ws_ingest_with_ui_vs_raw_limit_ratio", with_ui / raw, "x");
    let recording = ingest_rate(4, per_conn, false, Beside::Recording).await?;
    figure("ws_ingest_recording_events_per_sec", recording, "ev/s");
    figure("ws_ingest_recording_vs_raw_limit_ratio", recording / raw, "x");
    figure(
        "ws_ingest_1conn_events_per_sec",
        ingest_rate(1, 100_000 * scale, false, Beside::Nothing).await?,
        "ev/s",
    );
    figure(
        "ws_ingest_16conn_events_per_sec",
        ingest_rate(16, 12_500 * scale, false, Beside::Nothing).await?,
        "ev/s",
    );
    let network = ingest_rate(4, 10_000 * scale, true, Beside::Nothing).await?;
    figure("ws_ingest_4kb_network_events_per_sec", network, "ev/s");
    let raw_network = raw_ingest_rate(4, 10_000 * scale, true).await?;
    figure("ws_ingest_4kb_network_vs_raw_limit_ratio", network / raw_network, "x");
    Ok(())
}

/// Requests per second of `POST /extension-log` at concurrency 16 against `addr`.
pub async fn http_rate(addr: SocketAddr, total: u64) -> Result<f64> {
    const CONCURRENCY: u64 = 16;
    let mut rng = Rng::new(7);
    let bodies: Vec<String> = (0..1024).map(|i| load::extension_log_body(&mut rng, i)).collect();
    let per = total / CONCURRENCY;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = load::HttpConn::connect(addr).await?;
            for i in 0..per {
                let status = conn.post("/extension-log", &bodies[(i % bodies.len() as u64) as usize]).await?;
                if status != 200 {
                    bail!("POST /extension-log answered {status}");
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((per * CONCURRENCY) as f64 / start.elapsed().as_secs_f64())
}

pub async fn http_ingest(quick: bool, with_peer: bool) -> Result<()> {
    let total = if quick { 32_000 } else { 320_000 };
    let (c, addr, _dir) = connector(Capacities { console: 4_000_000, ..Capacities::default() }).await?;
    let ours = http_rate(addr, total).await?;
    c.shutdown();
    figure("http_ingest_requests_per_sec", ours, "req/s");
    let raw = limit::RawServer::start().await?;
    let limit = http_rate(raw.addr, total).await?;
    drop(raw);
    figure("http_ingest_raw_limit_requests_per_sec", limit, "req/s");
    figure("http_ingest_vs_raw_limit_ratio", ours / limit, "x");
    if with_peer {
        match peer_rate(if quick { 8_000 } else { 32_000 }).await {
            Ok(theirs) => {
                figure("http_ingest_browser_tools_requests_per_sec", theirs, "req/s");
                figure("http_ingest_vs_browser_tools_ratio", ours / theirs, "x");
            }
            Err(e) => println!("# peer skipped: {e:#}"),
        }
    }
    Ok(())
}

/// The same load against @agentdeskai/browser-tools-server, installed by bench/peer.sh.
async fn peer_rate(total: u64) -> Result<f64> {
    let dir = std::env::var("TRIAGE_BENCH_PEER_DIR")
        .context("TRIAGE_BENCH_PEER_DIR is not set: run bench/peer.sh")?;
    let script = std::path::Path::new(&dir)
        .join("node_modules/@agentdeskai/browser-tools-server/dist/browser-connector.js");
    if !script.is_file() {
        bail!("{} not found: run bench/peer.sh", script.display());
    }
    let port = free_port()?;
    let mut child = tokio::process::Command::new("node")
        .arg(&script)
        .env("PORT", port.to_string())
        .env("SERVER_HOST", "127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting node")?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let start = Instant::now();
    loop {
        if let Ok(mut conn) = load::HttpConn::connect(addr).await {
            if conn.post("/extension-log", &load::extension_log_body(&mut Rng::new(1), 0)).await.is_ok() {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("browser-tools-server did not come up on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rate = http_rate(addr, total).await;
    let _ = child.kill().await;
    rate
}
