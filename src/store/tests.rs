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
        raw: Raw::from(env.to_json().into_bytes()),
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
        raw: Raw::from(raw.as_bytes()),
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
