//! The HAR figures: `export_har_100k_ms`, the time to pick 100 000 network requests from the
//! store and stream their HAR 1.2 document to bytes (what `GET /api/har` and the MCP
//! `export_har` tool do), best of three runs (`--quick`: one); and `open_har_100mb_ms`, the time
//! `open FILE` takes to load every entry of a generated HAR of about 100 MB (one run), and
//! `open_har_100mb_parse_ms`, the streaming reader's share of it (the entries parsed, not stored).

use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use triage_tui::export::{har, select::Selection};
use triage_tui::protocol::MessageType;
use triage_tui::store::{Capacities, Level, Raw, Store, StoredEvent};

use crate::figure;

/// A store of `n` requests shaped like the extension's (headers both ways, sizes, timing, a body).
fn store_of(n: usize) -> Store {
    let mut store = Store::new(Capacities { console: 1_000, network: n, elements: 1_000, frames: 1_000 });
    store.set_max_bytes(usize::MAX);
    for i in 0..n {
        let post = i % 7 == 0;
        let env = json!({
            "id": format!("net-{i}"), "type": "network-request", "timestamp": 1_767_225_600_000i64 + i as i64,
            "data": {"url": format!("https://shop.acme.test/api/orders/{i}?page={}", i % 10),
                     "method": if post { "POST" } else { "GET" }, "status": 200, "statusText": "OK",
                     "duration": 12 + i % 300, "size": {"transferred": 2300, "resource": 2048},
                     "timing": {"dns": 1.5, "connect": 3.0, "ssl": 2.0, "send": 0.2, "wait": 9.0, "receive": 1.1},
                     "headers": {"request": {"Accept": "application/json", "Content-Type": "application/json"},
                                 "response": {"Content-Type": "application/json", "Cache-Control": "no-store"}},
                     "body": {"request": if post { json!("{\"sku\":1}") } else { json!(null) },
                              "response": format!("{{\"order\":{i},\"ok\":true}}")}},
            "metadata": {"tabId": "1", "url": "https://shop.acme.test/cart"}
        });
        store.append(StoredEvent {
            seq: 0,
            ty: MessageType::NetworkRequest,
            level: Level::Info,
            status: 200,
            timestamp_ms: 1_767_225_600_000 + i as i64,
            session: "ext-bench".into(),
            raw: Raw::from(env.to_string().into_bytes()).into(),
        });
    }
    store
}

pub fn export_figures(quick: bool) -> Result<()> {
    const N: usize = 100_000;
    let runs = if quick { 1 } else { 3 };
    let store = store_of(N);
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let picked = Selection::default().pick(&store).map_err(anyhow::Error::msg)?;
        let (bytes_out, _) = har::to_vec(&picked)?;
        let text = String::from_utf8(bytes_out)?;
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
        bytes = text.len();
        anyhow::ensure!(text.contains(&format!("/api/orders/{}?", N - 1)), "the HAR holds the last request");
    }
    figure("export_har_100k_ms", best, "ms");
    figure("export_har_100k_bytes", bytes as f64, "bytes");
    Ok(())
}

pub fn open_figures(dir: crate::tempdir::TempDir) -> Result<()> {
    // About 815 bytes an entry: 130 000 entries make a little over 100 MiB.
    const N: usize = 130_000;
    let file = dir.path().join("big.har");
    let picked = Selection::default().pick(&store_of(N)).map_err(anyhow::Error::msg)?;
    har::write_to(std::fs::File::create(&file)?, &picked)?;
    drop(picked);
    let bytes = std::fs::metadata(&file)?.len();
    let paths = triage_tui::config::Paths {
        config_dir: dir.path().join("config"),
        config_file: dir.path().join("config/config.toml"),
        config_file_used: false,
        data_dir: dir.path().join("data"),
    };
    let connector = triage_tui::server::Connector::new(triage_tui::config::Config::default(), &paths)?;
    let started = Instant::now();
    let loaded = connector.load_recording(&file)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(loaded.events == N && loaded.skipped_total == 0, "every entry loaded: {loaded:?}");
    figure("open_har_100mb_ms", ms, "ms");
    figure("open_har_100mb_bytes", bytes as f64, "bytes");
    // The reader's share: the same file streamed through `har_read::read_from` into nothing.
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&file)?);
    let mut envelopes = 0;
    let end = triage_tui::export::har_read::read_from(reader, "har", &mut |e| {
        envelopes += e.map_or(0, |envs| envs.len());
    })
    .map_err(anyhow::Error::msg)?;
    anyhow::ensure!(end.entries == N && envelopes == N, "every entry read: {end:?}");
    figure("open_har_100mb_parse_ms", started.elapsed().as_secs_f64() * 1000.0, "ms");
    Ok(())
}
