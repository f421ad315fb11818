//! The broker's figures (issue 16), against a redis-server the bench starts on a free loopback
//! port (skipped with a note when redis-server is missing):
//! - `ws_ingest_with_broker_vs_local_ratio`: the `ws_ingest` load, each event stored and published
//!   to the stream, against the same load with no broker, in the same run;
//! - `broker_a_to_b_latency_p50_ms` / `_p99_ms`: a browser on connector A to connector B's store;
//! - `broker_redis_xadd_per_sec` and `broker_stream_bytes_per_event` / `_per_entry`: one Redis's
//!   limits (XADDs of the publish path's shape it takes; the stream's memory, under the cap).

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use super::ingest::{ingest_rate, ingest_rate_on, Beside};
use super::{figure, free_port, load, load_config, start_in, stored_events, tempdir};
use triage_tui::config::Config;
use triage_tui::server::Connector;
use triage_tui::store::Capacities;

/// A redis-server of the bench's own: killed on drop, its files in a temp dir.
struct Redis {
    child: tokio::process::Child,
    port: u16,
    _dir: tempdir::TempDir,
}

impl Redis {
    async fn start() -> Result<Redis> {
        let dir = tempdir::TempDir::new()?;
        let port = free_port()?;
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("redis-server")?;
        let redis = Redis { child, port, _dir: dir };
        let start = Instant::now();
        while redis.query("PING").await.map(|r| !r.starts_with("+PONG")).unwrap_or(true) {
            if start.elapsed() > Duration::from_secs(10) {
                bail!("redis-server did not answer PING on port {port}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(redis)
    }

    /// CPU time redis-server has used (user + system), from /proc.
    fn cpu_seconds(&self) -> Option<f64> {
        cpu_seconds(&self.child.id()?.to_string())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// One inline command, its first reply line (`+PONG`, `:42`, `$5` …).
    async fn query(&self, command: &str) -> Result<String> {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await?;
        s.write_all(format!("{command}\r\n").as_bytes()).await?;
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await?;
        Ok(String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string())
    }

    /// How many events the newest 100 entries of the stream carry, on average (their `n`).
    async fn events_per_entry(&self) -> Result<f64> {
        let mut conn = redis::Client::open(self.url())?.get_multiplexed_async_connection().await?;
        let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
            .arg("triage:events:bench-ingest")
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(100)
            .query_async(&mut conn)
            .await?;
        let counts: Vec<f64> = reply
            .ids
            .iter()
            .map(|e| {
                e.get::<String>(triage_tui::broker::entry::COUNT).and_then(|n| n.parse().ok()).unwrap_or(1.0)
            })
            .collect();
        Ok(counts.iter().sum::<f64>() / counts.len().max(1) as f64)
    }

    async fn integer(&self, command: &str) -> Result<u64> {
        let reply = self.query(command).await?;
        reply.strip_prefix(':').and_then(|n| n.parse().ok()).with_context(|| format!("{command}: {reply}"))
    }
}

/// Events this connector's publisher is done with (published, or dropped when its buffer
/// overflowed), or `None` with no broker.
pub fn published(c: &Connector) -> Option<u64> {
    let count = |b: &serde_json::Value, k: &str| b[k].as_u64().unwrap_or(0);
    c.health().get("broker").map(|b| count(b, "published") + count(b, "dropped"))
}

fn dropped(c: &Connector) -> u64 {
    c.health()["broker"]["dropped"].as_u64().unwrap_or(0)
}

/// Waits until `target` events are published (bounded); the time since `since`.
pub async fn wait_published(c: &Connector, target: u64, since: Instant) -> Result<Duration> {
    let mut changes = c.changes();
    loop {
        if published(c).unwrap_or(0) >= target {
            return Ok(since.elapsed());
        }
        if since.elapsed() > Duration::from_secs(300) {
            bail!("only {:?} of {target} events published", published(c));
        }
        // The publisher reports per batch; a short sleep, or a change, whichever first.
        let _ = tokio::time::timeout(Duration::from_millis(1), changes.changed()).await;
    }
}

async fn broker_connector(
    redis: &Redis,
    name: &str,
    capacities: Capacities,
) -> Result<(Connector, std::net::SocketAddr, tempdir::TempDir)> {
    let config =
        Config { broker: Some(redis.url()), name: Some(name.to_string()), ..load_config(capacities) };
    let (c, addr, dir) = start_in(config, tempdir::TempDir::new()?).await?;
    triage_tui::broker::start(&c).await?;
    Ok((c, addr, dir))
}

pub async fn figures(quick: bool) -> Result<()> {
    let redis = match Redis::start().await {
        Ok(r) => r,
        Err(e) => {
            println!("# broker skipped: {e:#} (install redis-server)");
            return Ok(());
        }
    };
    let scale = if quick { 2 } else { 8 };
    let per_conn = 50_000 * scale;
    let caps = Capacities { console: 4_000_000, network: 4_000_000, ..Capacities::default() };
    let local = ingest_rate(4, per_conn, false, Beside::Nothing).await?;
    let (c, addr, _dir) = broker_connector(&redis, "bench-ingest", caps).await?;
    let (redis_before, bench_before, wall) = (redis.cpu_seconds(), cpu_seconds("self"), Instant::now());
    let with_broker = ingest_rate_on(&c, addr, 4, per_conn, false, Beside::Nothing).await?;
    let wall = wall.elapsed().as_secs_f64();
    // How many of the machine's cores redis-server and the bench process (connector and load
    // generator) kept busy while the connector stored and published.
    if let (Some(r0), Some(r1), Some(b0), Some(b1)) =
        (redis_before, redis.cpu_seconds(), bench_before, cpu_seconds("self"))
    {
        figure("ws_ingest_with_broker_redis_cores", (r1 - r0) / wall, "cores");
        figure("ws_ingest_with_broker_bench_process_cores", (b1 - b0) / wall, "cores");
    }
    figure("ws_ingest_with_broker_dropped_events", dropped(&c) as f64, "ev");
    figure("ws_ingest_local_events_per_sec", local, "ev/s");
    figure("ws_ingest_with_broker_events_per_sec", with_broker, "ev/s");
    figure("ws_ingest_with_broker_vs_local_ratio", with_broker / local, "x");
    let entries = redis.integer("XLEN triage:events:bench-ingest").await?;
    let bytes = redis.integer("MEMORY USAGE triage:events:bench-ingest SAMPLES 0").await?;
    let per_entry = redis.events_per_entry().await?;
    figure("broker_stream_entries", entries as f64, "entries");
    figure("broker_stream_events_per_entry", per_entry, "ev");
    figure("broker_stream_bytes_per_entry", bytes as f64 / entries.max(1) as f64, "B");
    figure("broker_stream_bytes_per_event", bytes as f64 / (entries.max(1) as f64 * per_entry.max(1.0)), "B");
    xadd_rate(&redis, quick).await?;
    latency(&redis, if quick { 200 } else { 1_000 }).await
}

/// What one Redis takes of the publish path's command: `redis-benchmark` sending our XADD
/// shape (a 300-byte event, the length cap, pipelined 512 deep as the publisher does).
async fn xadd_rate(redis: &Redis, quick: bool) -> Result<()> {
    let payload = "x".repeat(300);
    let n = if quick { 100_000 } else { 400_000 };
    let out = tokio::process::Command::new("redis-benchmark")
        .args(["-p", &redis.port.to_string(), "-n", &n.to_string(), "-P", "512", "-c", "4", "-q"])
        .args(["XADD", "triage:bench", "MAXLEN", "~", "100000", "*", "c", "bench", "s", "ext-1"])
        .args(["t", "console-log", "e", &payload])
        .output()
        .await;
    let Ok(out) = out else {
        println!("# broker_xadd skipped: redis-benchmark is not installed");
        return Ok(());
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = text
        .rsplit_once(" requests per second")
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .with_context(|| format!("redis-benchmark printed no rate: {}", text.trim()))?;
    figure("broker_redis_xadd_per_sec", rate, "ev/s");
    Ok(())
}

/// One console event at a time from a browser on A; the time until it is in B's store.
async fn latency(redis: &Redis, samples: usize) -> Result<()> {
    let caps = Capacities::default();
    let (a, addr_a, _da) = broker_connector(redis, "bench-a", caps).await?;
    let (b, _addr_b, _db) = broker_connector(redis, "bench-b", caps).await?;
    let mut ws = load::connect_browser(addr_a, "tab-latency").await?;
    let mut rng = load::Rng::new(3);
    let mut changes = b.changes();
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples as u64 + 20 {
        let before = stored_events(&b);
        let sent = Instant::now();
        ws.send(Message::text(load::console_message(&mut rng, i))).await?;
        while stored_events(&b) <= before {
            if sent.elapsed() > Duration::from_secs(30) {
                bail!("event {i} from A never reached B");
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        }
        // The first events warm both connections up.
        if i >= 20 {
            times.push(sent.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    figure("broker_a_to_b_latency_p50_ms", at(0.50), "ms");
    figure("broker_a_to_b_latency_p99_ms", at(0.99), "ms");
    a.shutdown();
    b.shutdown();
    Ok(())
}

/// CPU time (user + system, seconds) of process `pid` (`self` for this one), from
/// `/proc/PID/stat`; `None` where there is no /proc.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), which ends at the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in clock ticks of 1/100 s (USER_HZ) on every common configuration.
    Some(ticks / 100.0)
}
