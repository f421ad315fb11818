//! Scenarios that involve the terminal UI: its real state update and render code (into a
//! `TestBackend`), and the real binary in tmux for idle CPU and time to first frame.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

use triage_tui::protocol::MessageType;
use triage_tui::store::{Capacities, Level, Raw, SharedStore, Store, StoredEvent};
use triage_tui::ui::action::Pane;
use triage_tui::ui::filter::Filter;
use triage_tui::ui::{render, Keymap, State, Theme};

use crate::figure;

/// The UI's frame interval and the length of one of its syncs.
pub use triage_tui::ui::app::{FRAME, SYNC_BUDGET};

pub fn new_state() -> State {
    let mut state = State::new(Keymap::default(), Theme::dark(), "127.0.0.1:3025".into());
    state.viewport = (160, 45);
    state
}

pub fn terminal() -> Result<Terminal<TestBackend>> {
    Ok(Terminal::new(TestBackend::new(160, 45))?)
}

/// One UI frame on a plain store: catch up (bounded), then draw.
pub fn ui_frame(state: &mut State, store: &Store, terminal: &mut Terminal<TestBackend>) -> Result<bool> {
    let more = state.sync(store, Instant::now() + SYNC_BUDGET);
    state.prepare(store);
    terminal.draw(|f| render(state, f))?;
    Ok(more)
}

/// One UI frame as `triage-tui`'s loop does it on the connector's shared store: catch up in
/// short lock slices (bounded), then prepare and draw under one read lock.
pub fn live_frame(
    state: &mut State,
    store: &SharedStore,
    terminal: &mut Terminal<TestBackend>,
) -> Result<bool> {
    let more = state.catch_up(store, SYNC_BUDGET);
    let store = store.read();
    state.prepare(&store);
    terminal.draw(|f| render(state, f))?;
    Ok(more)
}

/// A store with `n` network requests and, with `console`, `n` console messages, shaped like the
/// demo's traffic; with `seal`, old events are sealed as they would be by the sealer thread.
fn bench_store(n: usize, console: bool, seal: bool) -> Store {
    let mut store = Store::new(Capacities { console: n.max(1), network: n, elements: 1_000, frames: 1_000 });
    // The figures are for all of them: no byte budget evicts any.
    store.set_max_bytes(usize::MAX);
    let levels = [Level::Log, Level::Info, Level::Debug, Level::Warn, Level::Error];
    for i in 0..n {
        let failed = i % 40 == 0;
        let api = i % 3 == 0;
        let url = if api {
            format!("https://shop.acme.test/api/orders/{i}")
        } else {
            format!("https://shop.acme.test/static/img/p-{}.webp", i % 90)
        };
        let method = if i % 7 == 0 { "POST" } else { "GET" };
        let status = if failed { 500 } else { 200 };
        let env = json!({
            "id": format!("net-{i}"), "type": "network-request", "timestamp": 1_767_225_600_000i64 + i as i64,
            "data": {"url": url, "method": method, "status": status, "duration": 12 + i % 300, "size": {"request": 120, "response": 2048},
                     "headers": {"request": {"Accept": "application/json"}, "response": {"Content-Type": "application/json"}}},
            "metadata": {"tabId": "1", "url": "https://shop.acme.test/cart"}
        });
        store.append(event(
            MessageType::NetworkRequest,
            if failed { Level::Error } else { Level::Info },
            status,
            i,
            env,
        ));
        if seal && i % triage_tui::store::sealed::CHUNK == 0 {
            store.seal_due();
        }
        if !console {
            continue;
        }
        let level = levels[i % levels.len()];
        let env = json!({
            "id": format!("log-{i}"), "type": "console-log", "timestamp": 1_767_225_600_000i64 + i as i64,
            "data": {"level": level.as_str(), "message": format!("[cart] item {} updated; total {}.{:02}", i % 977, i % 500, i % 100), "source": format!("app.js:{}:9", i % 900)},
        });
        store.append(event(MessageType::ConsoleLog, level, 0, i, env));
    }
    if seal {
        store.seal_due();
    }
    store
}

fn event(ty: MessageType, level: Level, status: u16, i: usize, env: serde_json::Value) -> StoredEvent {
    StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms: 1_767_225_600_000 + i as i64,
        session: "ext-bench".into(),
        raw: Raw::from(env.to_string().into_bytes()).into(),
    }
}

/// The filter and render figures at 100 k and 1 M events of each log, the same 1 M sealed into
/// the compressed tier (`…_1m_sealed_…`), and, in the full run, 10 M network requests sealed as
/// they come (as the connector keeps them); the keystroke figure at 1 M; and how they grow.
pub fn render_and_filter(quick: bool) -> Result<()> {
    let mut sizes = vec![
        (100_000, "100k", true, false),
        (1_000_000, "1m", true, false),
        (1_000_000, "1m_sealed", true, true),
    ];
    if !quick {
        sizes.push((10_000_000, "10m", false, true));
    }
    let mut at = Vec::new();
    for (n, name, console, seal) in sizes {
        let mut store = bench_store(n, console, seal);
        at.push((name, figures_at(&mut store, name, quick)?));
    }
    let of = |name: &str| at.iter().find(|(n, _)| *n == name).map(|(_, f)| f);
    let ratio = |what: &str, big: &str, small: &str, i: usize| {
        if let (Some(b), Some(s)) = (of(big), of(small)) {
            figure(&format!("{what}_{big}_vs_{small}_ratio"), b[i] / s[i].max(1e-9), "x");
        }
    };
    for (what, i) in
        [("filter", 0), ("filter_method_status", 1), ("filter_free_text", 2), ("render_frame", 3)]
    {
        ratio(what, "1m", "100k", i);
        ratio(what, "1m_sealed", "1m", i);
        // Both sealed: how the compressed tier's cost grows.
        ratio(what, "10m", "1m_sealed", i);
    }
    ratio("render_frame", "10m", "100k", 3);
    Ok(())
}

/// One size's figures: [filter, method+status, free text (ms), render (µs, slowest pane)].
fn figures_at(store: &mut Store, size: &str, quick: bool) -> Result<[f64; 4]> {
    let mut state = new_state();
    let far = Instant::now() + Duration::from_secs(3600);
    while state.sync(store, far) {}
    // What a scan decoded is freed between figures, as the sealer's passes free it.
    let forget = |store: &mut Store| {
        store.forget_decoded();
        store.forget_decoded();
    };
    forget(store);

    let filter_runs = if quick { 1 } else { 3 };
    let mut measure_filter = |text: &str| -> Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..filter_runs {
            // From no filter each time: the figure is a filter applied from scratch.
            state.views[Pane::Network.index()].set_filter(None);
            while state.sync(store, far) {}
            state.views[Pane::Network.index()]
                .set_filter(Filter::parse(text).map_err(|e| anyhow::anyhow!("{e}"))?);
            let t = Instant::now();
            while state.sync(store, far) {}
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
            forget(store);
        }
        Ok(best)
    };
    let plain = measure_filter("level:error url:api")?;
    let method_status = measure_filter("method:POST status:>=400")?;
    let free_text = measure_filter("orders")?;
    figure(&format!("filter_{size}_ms"), plain, "ms");
    figure(&format!("filter_{size}_method_status_ms"), method_status, "ms");
    figure(&format!("filter_{size}_free_text_ms"), free_text, "ms");
    state.views[Pane::Network.index()].set_filter(None);
    while state.sync(store, far) {}

    let mut terminal = terminal()?;
    if size == "1m" {
        crate::keystroke::figures(&mut state, store, &mut terminal)?;
    }
    let runs = if quick { 50 } else { 300 };
    let mut worst: f64 = 0.0;
    for pane in [Pane::Console, Pane::Network, Pane::Elements, Pane::Frames, Pane::Sessions] {
        state.pane = pane;
        let mut per_pane: f64 = 0.0;
        for detail in [false, true] {
            state.detail_open = [detail; 5];
            ui_frame(&mut state, store, &mut terminal)?;
            let t = Instant::now();
            for _ in 0..runs {
                ui_frame(&mut state, store, &mut terminal)?;
            }
            per_pane = per_pane.max(t.elapsed().as_secs_f64() * 1e6 / runs as f64);
        }
        if size == "1m" {
            figure(&format!("render_frame_1m_{}_us", format!("{pane:?}").to_lowercase()), per_pane, "us");
        }
        worst = worst.max(per_pane);
    }
    figure(&format!("render_frame_{size}_us"), worst, "us");
    Ok([plain, method_status, free_text, worst])
}

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// The `triage-tui` binary next to this one.
fn tui_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe.with_file_name("triage-tui");
    if !bin.is_file() {
        bail!("{} not found: build it (cargo build --release)", bin.display());
    }
    Ok(bin)
}

struct TmuxRun {
    socket: String,
    dir: PathBuf,
}

impl TmuxRun {
    /// Starts `triage-tui --port 0` in a detached 160x45 tmux session.
    fn start(bin: &Path) -> Result<TmuxRun> {
        static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("triage-bench-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("triage-bench-tui-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let cmd = format!(
            "exec env TRIAGE_DATA_DIR={d}/data TRIAGE_CONFIG_DIR={d}/config {b} --port 0",
            d = dir.display(),
            b = bin.display()
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "160", "-y", "45", &cmd])
            .status()
            .context("starting tmux")?;
        if !status.success() {
            bail!("tmux new-session failed");
        }
        Ok(TmuxRun { socket, dir })
    }

    fn pid(&self) -> Result<u32> {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display-message", "-p", "#{pane_pid}"])
            .output()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().context("reading the pane's pid")
    }

    /// The `ms=` of the "first frame drawn" log line, once it is written (bounded wait).
    fn first_frame_ms(&self) -> Result<f64> {
        let log = self.dir.join("data/triage-tui.log");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&log) {
                if let Some(line) = text.lines().find(|l| l.contains("first frame drawn")) {
                    let ms = line
                        .split("ms=")
                        .nth(1)
                        .and_then(|v| v.split_whitespace().next())
                        .and_then(|v| v.parse().ok());
                    return ms.context("no ms= in the first-frame line");
                }
            }
            if Instant::now() > deadline {
                bail!("no first frame within 20 s (log: {})", log.display());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for TmuxRun {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// CPU time (user + system) of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).context("odd /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// `startup_first_frame_ms` (median of runs) and `idle_cpu_percent` of the real binary.
pub fn process_figures(quick: bool) -> Result<()> {
    if !tmux_available() {
        println!("# startup/idle skipped: tmux not found (./scripts/test installs it)");
        return Ok(());
    }
    let bin = tui_binary()?;
    let mut starts = Vec::new();
    for _ in 0..if quick { 1 } else { 5 } {
        let run = TmuxRun::start(&bin)?;
        starts.push(run.first_frame_ms()?);
    }
    starts.sort_by(f64::total_cmp);
    figure("startup_first_frame_ms", starts[starts.len() / 2], "ms");

    let run = TmuxRun::start(&bin)?;
    run.first_frame_ms()?;
    let pid = run.pid()?;
    std::thread::sleep(Duration::from_secs(1));
    let seconds = if quick { 3 } else { 10 };
    let before = cpu_ticks(pid)?;
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let ticks = cpu_ticks(pid)?.saturating_sub(before);
    let percent = ticks as f64 / clock_ticks_per_sec() / t.elapsed().as_secs_f64() * 100.0;
    figure("idle_cpu_percent", percent, "%");
    Ok(())
}
