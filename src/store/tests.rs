use super::*;
use serde_json::json;

fn event(ty: MessageType, session: &str, data: serde_json::Value) -> StoredEvent {
    let env = Envelope::new(ty.as_str(), data).with_timestamp(1000);
    let (level, status) = classify(&env, ty);
    StoredEvent {
        seq: 0,
        ty,
        level,
        status,
        timestamp_ms: 1000,
        session: session.into(),
        raw: Raw::from(env.to_json().into_bytes()).into(),
    }
}

#[test]
fn logs_are_bounded_and_count_evictions() {
    let mut store = Store::new(Capacities { console: 3, ..Capacities::default() });
    for i in 0..5 {
        store.append(event(MessageType::ConsoleLog, "s", json!({"message": format!("m{i}")})));
    }
    let log = store.log(Category::Console);
    assert_eq!(log.len(), 3);
    assert_eq!(log.first(), 2);
    assert_eq!(log.end(), 5);
    assert_eq!(log.evicted(), 2);
    assert!(log.get(1).is_none());
    assert!(log.get(4).unwrap().raw_str().contains("m4"));
    assert_eq!(store.stats().evicted_total, 2);
}

#[test]
fn query_filters_and_keeps_the_newest() {
    let mut store = Store::new(Capacities::default());
    store.append(event(MessageType::ConsoleLog, "a", json!({"level": "info", "message": "1"})));
    store.append(event(MessageType::ConsoleError, "a", json!({"message": "2"})));
    store.append(event(MessageType::NetworkRequest, "b", json!({"url": "u", "status": 404})));
    store.append(event(MessageType::ConsoleLog, "b", json!({"level": "warn", "message": "3"})));
    let (all, total) = store.query(&EventQuery::default());
    assert_eq!((all.len(), total), (4, 4));
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    let (errors, _) = store.query(&EventQuery { levels: vec![Level::Error], ..Default::default() });
    assert_eq!(errors.len(), 2, "console error and the 404");
    let (b, _) = store.query(&EventQuery { session: Some("b".into()), limit: Some(1), ..Default::default() });
    assert_eq!(b.len(), 1);
    assert!(b[0].raw_str().contains("\"3\""), "limit keeps the newest");
}

#[test]
fn envelope_is_canonical_on_read() {
    let mut store = Store::new(Capacities::default());
    let raw = r#"{"type":"console-log","payload":{"message":"hi"},"timestamp":"2025-11-07T10:00:00Z"}"#;
    store.append(StoredEvent {
        seq: 0,
        ty: MessageType::ConsoleLog,
        level: Level::Log,
        status: 0,
        timestamp_ms: 1_762_509_600_000,
        session: "ext-1".into(),
        raw: Raw::from(raw.as_bytes()).into(),
    });
    let env = store.log(Category::Console).get(0).unwrap().envelope();
    let v: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
    assert_eq!(v["data"]["message"], "hi");
    assert_eq!(v["timestamp"], 1_762_509_600_000i64);
    assert_eq!(v["metadata"]["sessionId"], "ext-1");
    assert_eq!(v["id"], "evt-0");
}

#[test]
fn cursors_read_only_what_is_new_and_count_misses() {
    let mut store = Store::new(Capacities { console: 2, ..Capacities::default() });
    let mut cursor = store.cursor_now();
    store.append(event(MessageType::ConsoleLog, "s", json!({"message": "a"})));
    let (got, missed) = store.read_since(&mut cursor, 10);
    assert_eq!((got.len(), missed), (1, 0));
    for m in ["b", "c", "d"] {
        store.append(event(MessageType::ConsoleLog, "s", json!({"message": m})));
    }
    let (got, missed) = store.read_since(&mut cursor, 10);
    assert_eq!(missed, 1, "b was evicted before the reader got to it");
    assert_eq!(got.len(), 2);
    assert_eq!(store.read_since(&mut cursor, 10).0.len(), 0);
}

#[test]
fn clear_keeps_indexes_monotonic() {
    let mut store = Store::new(Capacities::default());
    store.append(event(MessageType::ConsoleLog, "s", json!({})));
    let generation = store.generation();
    store.clear();
    assert_eq!(store.generation(), generation + 1);
    assert_eq!(store.log(Category::Console).first(), 1);
    let (_, i) = store.append(event(MessageType::ConsoleLog, "s", json!({}))).unwrap();
    assert_eq!(i, 1);
}

#[test]
fn classify_levels_and_failures() {
    let lvl = |ty, data| classify(&Envelope::new("x", data), ty);
    assert_eq!(lvl(MessageType::ConsoleLog, json!({"level": "warning"})), (Level::Warn, 0));
    assert_eq!(lvl(MessageType::ConsoleError, json!({})), (Level::Error, 0));
    assert_eq!(lvl(MessageType::NetworkRequest, json!({"status": 204})), (Level::Info, 204));
    assert_eq!(lvl(MessageType::NetworkRequest, json!({"status": "503"})), (Level::Error, 503));
    assert_eq!(lvl(MessageType::NetworkError, json!({})), (Level::Error, 0));
}

/// Live readers find page frames through the page index exactly as a scan of every frame would
/// find them, among many connector frames, across evictions.
#[test]
fn page_frames_are_found_as_a_scan_finds_them() {
    use crate::store::frames::{Direction, FrameLog, FrameOrigin, FrameRecord};
    let mut log = FrameLog::new(50);
    let mut x = 7u64;
    for seq in 0..400u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let origin = if (x >> 33) % 5 == 0 { FrameOrigin::Page } else { FrameOrigin::Connector };
        log.push(FrameRecord {
            seq,
            traffic_id: "t".into(),
            session: "s".into(),
            timestamp_ms: 0,
            direction: Direction::ClientToServer,
            opcode: 1,
            data: None,
            length: 0,
            origin,
            url: None,
        });
        for from in [0, seq.saturating_sub(30), seq.saturating_sub(3), seq + 1] {
            for max in [0, 1, 3, 100] {
                // The scan the index replaced.
                let mut scanned_to = from.max(log.log().first());
                let mut found = Vec::new();
                for (idx, f) in log.log().iter_from(from) {
                    if found.len() == max {
                        break;
                    }
                    scanned_to = idx + 1;
                    if f.origin == FrameOrigin::Page {
                        found.push(idx);
                    }
                }
                let (page, to) = log.page_frames_from(from, max);
                assert_eq!(page.iter().map(|(i, _)| *i).collect::<Vec<_>>(), found, "from {from} max {max}");
                assert_eq!(to, scanned_to, "from {from} max {max}");
                let all = log.log().iter_from(from).filter(|(_, f)| f.origin == FrameOrigin::Page).count();
                assert_eq!(log.page_frames_after(from), all);
            }
        }
    }
}

/// A store with `n` console messages `m0`… from two sessions, sealed where due.
fn sealed_store(n: usize, capacity: usize) -> Store {
    let mut store = Store::new(Capacities { console: capacity, ..Capacities::default() });
    store.set_max_bytes(usize::MAX);
    for i in 0..n {
        let session = if i % 3 == 0 { "a" } else { "b" };
        let level = if i % 10 == 0 { "error" } else { "log" };
        store.append(event(
            MessageType::ConsoleLog,
            session,
            json!({"message": format!("m{i}"), "level": level}),
        ));
    }
    store.seal_due();
    store
}

#[test]
fn sealed_events_read_back_as_they_were_stored() {
    let n = sealed::LIVE + 3 * sealed::CHUNK + 100;
    let store = sealed_store(n, usize::MAX);
    let log = store.log(Category::Console);
    assert_eq!(log.sealed_len(), 3 * sealed::CHUNK, "whole chunks past the live tail are sealed");
    assert_eq!((log.first(), log.end(), log.len()), (0, n as u64, n));
    for i in [0, 1, 4095, 4096, 3 * sealed::CHUNK - 1, 3 * sealed::CHUNK, n - 1] {
        let e = log.get(i as u64).unwrap();
        assert_eq!(e.raw.is_sealed(), i < 3 * sealed::CHUNK, "event {i}");
        assert_eq!(e.seq, i as u64);
        assert_eq!(&*e.session, if i % 3 == 0 { "a" } else { "b" });
        assert_eq!(e.level, if i % 10 == 0 { Level::Error } else { Level::Log });
        let env = e.envelope();
        assert_eq!(env.data["message"], format!("m{i}"), "event {i}");
    }
    assert!(log.get(n as u64).is_none());
    assert_eq!(log.iter().count(), n);
    assert_eq!(log.iter_from(4000).next().map(|(i, e)| (i, e.seq)), Some((4000, 4000)));
    assert_eq!(log.partition_point(|e| e.seq >= 5000), 5000);
    // Queries and readers see the same events, in order.
    let (hits, total) = store.query(&EventQuery { levels: vec![Level::Error], ..EventQuery::default() });
    assert_eq!(total, n.div_ceil(10));
    assert!(hits.iter().enumerate().all(|(k, e)| e.seq == 10 * k as u64));
    let mut cursor = Cursor::default();
    let read = store.read_since(&mut cursor, 10).0;
    assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    assert!(read[3].raw_str().contains("\"m3\""));
}

#[test]
fn sealing_shrinks_the_weight_and_eviction_keeps_the_books() {
    let n = sealed::LIVE + 2 * sealed::CHUNK;
    let mut store = Store::new(Capacities { console: usize::MAX, ..Capacities::default() });
    store.set_max_bytes(usize::MAX);
    for i in 0..n {
        store.append(event(
            MessageType::ConsoleLog,
            "s",
            json!({"message": format!("message number {i} of many")}),
        ));
    }
    let live = store.bytes();
    assert_eq!(store.seal_due(), 2 * sealed::CHUNK);
    let sealed = store.bytes();
    // The sealed third of the events weighs less than half of what it did.
    let sealed_share_before = live / 3;
    assert!(live - sealed > sealed_share_before / 2, "sealed {sealed} of live {live}");
    // The budget evicts sealed events first (the oldest), one at a time, and the books balance.
    store.set_max_bytes(sealed - 1000);
    let log = store.log(Category::Console);
    assert!(log.first() > 0 && log.evicted_for_bytes() == log.first());
    assert!(store.bytes() <= sealed - 1000);
    assert_eq!(log.get(log.first()).unwrap().seq, log.first());
    // Emptied chunks go; the weight of what is left is what it was, less what went.
    store.set_max_bytes(1);
    assert!(store.log(Category::Console).is_empty());
    assert_eq!(store.bytes(), 0);
}

#[test]
fn the_capacity_applies_across_both_tiers_and_clear_drops_sealed_events() {
    let capacity = sealed::LIVE + sealed::CHUNK + 10;
    let mut store = sealed_store(capacity + 50, capacity);
    let log = store.log(Category::Console);
    assert_eq!((log.len(), log.first(), log.evicted()), (capacity, 50, 50));
    assert_eq!(log.get(50).unwrap().seq, 50);
    assert!(log.get(49).is_none());
    store.clear();
    let log = store.log(Category::Console);
    assert!(log.is_empty() && log.sealed_len() == 0);
    assert_eq!(log.first(), (capacity + 50) as u64);
    assert_eq!(store.bytes(), 0);
}

#[test]
fn a_seal_job_that_lost_its_events_is_dropped() {
    let mut store = sealed_store(sealed::LIVE + sealed::CHUNK - 1, usize::MAX);
    store.append(event(MessageType::ConsoleLog, "s", json!({"message": "one more"})));
    let job = store.seal_job().expect("a chunk is due");
    let packed = job.pack().unwrap();
    store.clear();
    assert_eq!(store.apply_seal(job, packed), 0, "cleared while it was being compressed");
    assert_eq!(store.log(Category::Console).sealed_len(), 0);
}

#[test]
fn decoded_packs_are_freed_once_nobody_reads_them() {
    let mut store = sealed_store(sealed::LIVE + 2 * sealed::CHUNK, usize::MAX);
    assert!(store.log(Category::Console).get(1).unwrap().raw_str().contains("m1"));
    assert_eq!(store.forget_decoded(), 0, "read since the last pass: kept");
    assert_eq!(store.forget_decoded(), 1, "not read since: freed");
    let e = store.log(Category::Console).get(5000).unwrap().into_owned();
    assert!(e.raw_str().contains("m5000"));
    assert_eq!(store.forget_decoded(), 0);
    assert_eq!(store.forget_decoded(), 1);
    assert!(e.raw_str().contains("m5000"), "a handle taken before still reads");
}

#[test]
fn the_free_text_index_knows_sealed_events_without_decoding_them() {
    let store = sealed_store(sealed::LIVE + sealed::CHUNK, usize::MAX);
    let index = store.text_index(Category::Console);
    let probe = text_index::Probe::of(&["message"]).unwrap();
    let absent = text_index::Probe::of(&["zebra"]).unwrap();
    let unreadable = || -> Option<&[u8]> { panic!("a sealed event's signature was computed when sealed") };
    assert!(index.may_contain(10, &probe, unreadable));
    assert!(!index.may_contain(10, &absent, unreadable));
}

#[test]
fn large_events_are_sealed_in_chunks_bounded_by_bytes() {
    let mut store = Store::new(Capacities { network: usize::MAX, ..Capacities::default() });
    store.set_max_bytes(usize::MAX);
    let body = "x".repeat(3000);
    for i in 0..6000 {
        store.append(event(
            MessageType::NetworkRequest,
            "s",
            json!({"url": format!("/r/{i}"), "body": body}),
        ));
    }
    store.seal_due();
    let log = store.log(Category::Network);
    assert!(log.sealed_len() > 0 && log.sealed_len() < sealed::CHUNK, "sealed {}", log.sealed_len());
    for i in [0, 699, 700, 701, log.sealed_len() as u64 - 1, log.sealed_len() as u64] {
        assert_eq!(log.get(i).unwrap().envelope().data["url"], format!("/r/{i}"), "event {i}");
    }
}
