//! `triage-bench`: drives the real connector over loopback sockets and prints one figure a line,
//! `name value unit`. The connector runs in this process (the same code `triage-tui serve` runs);
//! the memory figure comes from a child process so nothing else shares its heap.
//!
//! Usage: `triage-bench [SCENARIO] [--quick] [--seconds N] [--events N]`; scenarios: all (default), ws_ingest,
//! http_ingest, latency, render (render and filter with 1 M events), memory, process (startup and
//! idle CPU of the real binary in tmux), peer, har_export, har_open, fanout, broker (with a local
//! redis-server); and `soak` (not part of all: mixed load for `--seconds`, default 300, checking
//! that every message is accounted for and memory is bounded). `memory --child --events N` measures
//! one size alone (what `memory` runs at 100 k, 1 M and 10 M).

mod broker;
mod fanout;
mod har;
mod ingest;
mod keystroke;
mod limit;
mod load;
mod sealed;
mod soak;
mod ui;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use load::Rng;

use triage_tui::config::{Config, Paths};
use triage_tui::server::{self, Connector};
use triage_tui::store::{Capacities, Category};

struct Opts {
    scenario: String,
    quick: bool,
    child: bool,
    seconds: u64,
    /// The memory child's event count.
    events: u64,
}

fn parse_args() -> Result<Opts> {
    let mut opts =
        Opts { scenario: "all".into(), quick: false, child: false, seconds: 300, events: 1_000_000 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--child" => opts.child = true,
            "--seconds" => {
                let v = args.next().context("--seconds needs a number")?;
                opts.seconds = v.parse().with_context(|| format!("--seconds {v:?} is not a number"))?;
            }
            "--events" => {
                let v = args.next().context("--events needs a number")?;
                opts.events = v.parse().with_context(|| format!("--events {v:?} is not a number"))?;
            }
            "-h" | "--help" => {
                println!(
                    "usage: triage-bench [all|ws_ingest|http_ingest|latency|render|memory|process|peer|har_export|har_open|fanout|broker|soak] [--quick] [--seconds N] [--events N]"
                );
                std::process::exit(0);
            }
            s if !s.starts_with('-') => opts.scenario = s.to_string(),
            other => bail!("unknown option {other}"),
        }
    }
    Ok(opts)
}

/// One figure, exactly `name value unit`.
pub fn figure(name: &str, value: f64, unit: &str) {
    if value >= 100.0 {
        println!("{name} {value:.0} {unit}");
    } else {
        println!("{name} {value:.2} {unit}");
    }
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(opts))
}

async fn run(opts: Opts) -> Result<()> {
    if opts.child {
        return match opts.scenario.as_str() {
            "memory" => memory_child(opts.events).await,
            other => bail!("no child scenario {other}"),
        };
    }
    if opts.scenario == "soak" {
        return soak::run(opts.seconds).await;
    }
    let all = opts.scenario == "all";
    let want = |s: &str| all || opts.scenario == s;
    let known = [
        "all",
        "ws_ingest",
        "http_ingest",
        "latency",
        "render",
        "memory",
        "process",
        "peer",
        "har_export",
        "har_open",
        "fanout",
        "broker",
    ];
    if !known.contains(&opts.scenario.as_str()) {
        bail!("unknown scenario {:?}; one of {}", opts.scenario, known.join(", "));
    }
    println!(
        "# triage-bench: connector in-process, loopback sockets, {} cores, {} mode",
        num_cores(),
        if opts.quick { "quick" } else { "full" }
    );
    if want("ws_ingest") {
        ingest::ws_ingest(opts.quick).await?;
    }
    if want("http_ingest") || want("peer") {
        ingest::http_ingest(opts.quick, want("peer")).await?;
    }
    if want("latency") {
        latency(opts.quick).await?;
    }
    if want("render") {
        ui::render_and_filter(opts.quick)?;
    }
    if want("memory") {
        memory(opts.quick)?;
        sealed::events_per_gib(opts.quick)?;
    }
    if want("process") {
        ui::process_figures(opts.quick)?;
    }
    if want("har_export") {
        har::export_figures(opts.quick)?;
    }
    if want("har_open") {
        har::open_figures(tempdir::TempDir::new()?)?;
    }
    if want("fanout") {
        fanout::figures(opts.quick).await?;
    }
    if want("broker") {
        broker::figures(opts.quick).await?;
    }
    Ok(())
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A connector on 127.0.0.1:0 with limits opened up for load.
async fn connector(capacities: Capacities) -> Result<(Connector, SocketAddr, tempdir::TempDir)> {
    start_in(load_config(capacities), tempdir::TempDir::new()?).await
}

/// The connector's configuration for load: port 0, no rate limit, room for the counts asked for.
fn load_config(capacities: Capacities) -> Config {
    Config {
        port: 0,
        rate_limit_per_sec: 0,
        max_connections: 1024,
        capacity: capacities,
        // Ingest and memory figures are for the counts asked for: no byte budget evicts them.
        max_store_bytes: usize::MAX,
        ..Config::default()
    }
}

/// Starts a connector with `config`, its files in `dir` (removed when the returned dir drops).
async fn start_in(
    config: Config,
    dir: tempdir::TempDir,
) -> Result<(Connector, SocketAddr, tempdir::TempDir)> {
    let paths = Paths {
        config_dir: dir.path().join("config"),
        config_file: dir.path().join("config/config.toml"),
        config_file_used: false,
        data_dir: dir.path().join("data"),
    };
    let (c, addr, _task) = server::start(config, &paths).await?;
    Ok((c, addr, dir))
}

fn stored_events(c: &Connector) -> u64 {
    let store = c.store().read();
    Category::ALL.iter().map(|cat| store.log(*cat).end()).sum()
}

/// Waits until `target` events are stored (bounded); returns the time it took from `since`.
async fn wait_stored(c: &Connector, target: u64, since: Instant, limit: Duration) -> Result<Duration> {
    loop {
        if stored_events(c) >= target {
            return Ok(since.elapsed());
        }
        if since.elapsed() > limit {
            bail!("only {} of {target} events stored after {:?}", stored_events(c), limit);
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Send-to-UI-state latency at a steady 10 000 events/s. The reader is the UI loop: woken by the
/// connector, one frame per frame interval at most, the real state update; an event counts once
/// the frame that took it into the UI state is done.
async fn latency(quick: bool) -> Result<()> {
    const RATE: u64 = 10_000;
    let seconds = if quick { 3 } else { 10 };
    let (c, addr, _dir) = connector(Capacities { console: 1_000_000, ..Capacities::default() }).await?;
    let mut ws = load::connect_browser(addr, "latency").await?;
    while c.sessions().is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let epoch = Instant::now();
    let total = RATE * seconds;
    let reader = {
        let c = c.clone();
        tokio::spawn(async move {
            let mut state = ui::new_state();
            let mut terminal = ui::terminal()?;
            let mut changes = c.changes();
            let mut cursor = c.store().read().cursor_now();
            let mut latencies = Vec::with_capacity(total as usize);
            let mut last = tokio::time::Instant::now() - ui::FRAME;
            while (latencies.len() as u64) < total {
                if tokio::time::timeout(Duration::from_secs(10), changes.changed()).await.is_err() {
                    break;
                }
                tokio::time::sleep_until(last + ui::FRAME).await;
                last = tokio::time::Instant::now();
                // Events already stored now are in the UI state once this frame has caught up
                // (fully: the budget only spreads work over frames under floods).
                let new = c.store().read().read_since(&mut cursor, usize::MAX).0;
                while ui::live_frame(&mut state, c.store(), &mut terminal)? {}
                let now = epoch.elapsed().as_micros() as u64;
                for e in new {
                    if let Some(sent) = sent_micros(&e.raw) {
                        latencies.push((sent, now.saturating_sub(sent)));
                    }
                }
            }
            Ok::<_, anyhow::Error>(latencies)
        })
    };
    // 10 messages every millisecond.
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let mut i = 0u64;
    use futures_util::SinkExt;
    while i < total {
        tick.tick().await;
        for _ in 0..RATE / 1000 {
            let sent = epoch.elapsed().as_micros() as u64;
            let text = format!(
                r#"{{"id":"l{i}","type":"console-log","timestamp":{},"data":{{"level":"info","message":"latency probe {i}","sentMicros":{sent}}}}}"#,
                1_704_067_200_000u64 + i
            );
            ws.feed(tokio_tungstenite::tungstenite::Message::text(text)).await?;
            i += 1;
        }
        ws.flush().await?;
    }
    let samples = reader.await??;
    // The reorder window holds the first events after start (the first page load is listed
    // in order) and has decayed to nothing after about a second of events in order: the
    // steady figures leave that second out, and it gets figures of its own.
    let (mut first, mut steady): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for (sent, latency) in samples {
        if sent < 1_000_000 {
            first.push(latency)
        } else {
            steady.push(latency)
        }
    }
    let pct = |lat: &mut Vec<u64>, p: f64| -> Result<f64> {
        if lat.is_empty() {
            bail!("no latency samples");
        }
        lat.sort_unstable();
        Ok(lat[((lat.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0)
    };
    figure("event_to_ui_p50_ms", pct(&mut steady, 0.50)?, "ms");
    figure("event_to_ui_p99_ms", pct(&mut steady, 0.99)?, "ms");
    figure("event_to_ui_first_second_p50_ms", pct(&mut first, 0.50)?, "ms");
    figure("event_to_ui_first_second_p99_ms", pct(&mut first, 0.99)?, "ms");
    c.shutdown();
    Ok(())
}

fn sent_micros(raw: &[u8]) -> Option<u64> {
    let key = b"\"sentMicros\":";
    let at = memchr::memmem::find(raw, key)? + key.len();
    let digits: Vec<u8> = raw[at..].iter().copied().take_while(u8::is_ascii_digit).collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The memory figures at 100 k and 1 M console events (and 10 M in the full run), each in a fresh
/// child process, and how resident memory grows between them.
fn memory(quick: bool) -> Result<()> {
    let mut sizes = vec![100_000u64, 1_000_000];
    if !quick {
        sizes.push(10_000_000);
    }
    let exe = std::env::current_exe()?;
    let mut rss = Vec::new();
    for n in sizes {
        let name = size_name(n);
        let out = std::process::Command::new(&exe)
            .args(["memory", "--child", "--events", &n.to_string()])
            .stderr(std::process::Stdio::inherit())
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        print!("{stdout}");
        if !out.status.success() {
            bail!("memory child ({name} events) failed: {}", out.status);
        }
        let key = format!("rss_{name}_console_mb ");
        let mb = stdout.lines().find_map(|l| l.strip_prefix(&key)?.split(' ').next()?.parse::<f64>().ok());
        rss.push((name, mb.with_context(|| format!("the memory child printed no {key}"))?));
    }
    for pair in rss.windows(2) {
        let ((small, a), (big, b)) = (&pair[0], &pair[1]);
        figure(&format!("rss_{big}_vs_{small}_console_ratio"), b / a.max(1e-9), "x");
    }
    Ok(())
}

/// `100k`, `1m`, `10m`: the size in a figure's name.
fn size_name(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory of `events` console events received over the socket, beside their JSON size.
async fn memory_child(events: u64) -> Result<()> {
    const CONNS: u64 = 4;
    let name = size_name(events);
    let (c, addr, _dir) = connector(Capacities { console: events as usize, ..Capacities::default() }).await?;
    let mut rng = Rng::new(99);
    let messages: Vec<String> = (0..4096).map(|i| load::console_message(&mut rng, i)).collect();
    let mut sockets = Vec::new();
    for i in 0..CONNS {
        sockets.push(load::connect_browser(addr, &format!("mem-{i}")).await?);
    }
    while (c.sessions().len() as u64) < CONNS {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let before = rss_bytes();
    let per = events / CONNS;
    let raw: u64 =
        (0..per).map(|i| messages[(i % messages.len() as u64) as usize].len() as u64).sum::<u64>() * CONNS;
    let base = stored_events(&c);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut ws in sockets {
        let messages = messages.clone();
        tasks.push(tokio::spawn(async move { load::blast(&mut ws, &messages, per).await.map(|_| ws) }));
    }
    wait_stored(&c, base + per * CONNS, start, Duration::from_secs(600)).await?;
    let mut held = Vec::new();
    for t in tasks {
        held.push(t.await??);
    }
    let stored_at = rss_bytes();
    // The sealer compresses old events on its own thread: wait until it has caught up.
    let sealing = Instant::now();
    while c.store().read().seal_job().is_some() && sealing.elapsed() < Duration::from_secs(300) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seal_lag = sealing.elapsed();
    // Let the allocator settle, then read resident memory while the events are held.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = rss_bytes();
    let (sealed_events, _) = c.store().read().sealed_stats();
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    figure(&format!("rss_{name}_console_mb"), mb(after.saturating_sub(before)), "MB");
    figure(&format!("raw_json_{name}_console_mb"), mb(raw), "MB");
    figure(&format!("rss_{name}_console_ratio"), after.saturating_sub(before) as f64 / raw as f64, "x");
    figure(&format!("rss_{name}_console_when_stored_mb"), mb(stored_at.saturating_sub(before)), "MB");
    figure(&format!("rss_{name}_console_sealed_events"), sealed_events as f64, "events");
    figure(&format!("rss_{name}_console_seal_lag_ms"), seal_lag.as_secs_f64() * 1000.0, "ms");
    drop(held);
    c.shutdown();
    Ok(())
}

mod tempdir {
    //! A temp dir removed on drop (the bench writes screenshots and logs nowhere else).
    pub struct TempDir(std::path::PathBuf);
    impl TempDir {
        pub fn new() -> std::io::Result<Self> {
            let p = std::env::temp_dir().join(format!("triage-bench-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&p)?;
            Ok(TempDir(p))
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
