//! The compressed tier's figures: how many events a byte budget holds once old events are
//! sealed, against how many it would hold as raw JSON, for console messages and requests.

use anyhow::Result;

use triage_tui::protocol::MessageType;
use triage_tui::store::{sealed, Capacities, Category, Level, Raw, Store, StoredEvent};

use crate::figure;
use crate::load::{self, Rng};

/// Fills a store with fresh events (no two alike) until its byte budget has evicted as many as it
/// holds, sealing as the sealer thread would, and prints what it holds.
pub fn events_per_gib(quick: bool) -> Result<()> {
    let budget: usize = if quick { 64 << 20 } else { 256 << 20 };
    let kinds = [
        (
            "console",
            Category::Console,
            MessageType::ConsoleLog,
            load::console_message as fn(&mut Rng, u64) -> String,
        ),
        ("network", Category::Network, MessageType::NetworkRequest, load::network_message),
    ];
    for (name, category, ty, message) in kinds {
        let many = 100_000_000;
        let mut store = Store::new(Capacities { console: many, network: many, elements: 1, frames: 1 });
        store.set_max_bytes(budget);
        let mut rng = Rng::new(7);
        let (mut appended, mut raw_bytes) = (0u64, 0u64);
        loop {
            let json = message(&mut rng, appended);
            raw_bytes += json.len() as u64;
            store.append(StoredEvent {
                seq: 0,
                ty,
                level: Level::Info,
                status: 0,
                timestamp_ms: 1_704_067_200_000 + appended as i64,
                session: "ext-bench".into(),
                raw: Raw::from(json.into_bytes()).into(),
            });
            appended += 1;
            if appended % sealed::CHUNK as u64 == 0 {
                store.seal_due();
                let log = store.log(category);
                if log.evicted_for_bytes() >= log.len() as u64 {
                    break;
                }
            }
        }
        let held = store.log(category).len() as f64;
        let mean_raw = raw_bytes as f64 / appended as f64;
        let gib = (1u64 << 30) as f64;
        let (sealed_events, compressed) = store.sealed_stats();
        figure(&format!("events_per_gib_{name}"), held * gib / budget as f64, "events");
        figure(&format!("raw_json_events_per_gib_{name}"), gib / mean_raw, "events");
        figure(&format!("events_per_gib_{name}_vs_raw_ratio"), held * mean_raw / budget as f64, "x");
        figure(
            &format!("sealed_{name}_compression_ratio"),
            sealed_events as f64 * mean_raw / compressed.max(1) as f64,
            "x",
        );
        figure(&format!("sealed_{name}_bytes_per_event"), store.bytes() as f64 / held, "B");
    }
    Ok(())
}
