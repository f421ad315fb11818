//! Tests of the pane views: incremental sync, grouping, eviction, narrowing as you type.

use super::*;
use crate::protocol::MessageType;
use crate::store::Raw;
use crate::store::{Level, Store, StoredEvent};

fn console(msg: &str, level: Level) -> StoredEvent {
    StoredEvent {
        seq: 0,
        ty: MessageType::ConsoleLog,
        level,
        status: 0,
        timestamp_ms: 0,
        session: "s".into(),
        raw: Raw::from(format!(r#"{{"type":"console-log","data":{{"message":"{msg}"}}}}"#).into_bytes())
            .into(),
    }
}

fn sync(v: &mut ListView, store: &Store) -> bool {
    let log = store.log(crate::store::Category::Console);
    let far = Instant::now() + std::time::Duration::from_secs(5);
    v.sync(log, store.generation(), far, |f, e| f.matches_event(e), |_| true, Some(dedupe_key))
}

#[test]
fn incremental_sync_collapses_evicts_and_resets_on_clear() {
    let mut store = Store::new(crate::store::Capacities { console: 5, ..Default::default() });
    let mut v = ListView::default();
    for m in ["a", "b", "b", "b", "c"] {
        store.append(console(m, Level::Log));
    }
    assert!(!sync(&mut v, &store));
    assert_eq!(v.items, [0, 1, 4]);
    assert_eq!(v.count_of(1), 3);
    assert_eq!(v.event_count(), 5);
    assert_eq!(v.selected, Some(4), "follow selects the newest");

    // Pause on "b", then let two new events evict "a" and the first "b".
    v.move_by(-1);
    assert!(!v.follow);
    assert_eq!(v.selected, Some(1));
    store.append(console("zulu", Level::Log));
    store.append(console("echo", Level::Log));
    sync(&mut v, &store);
    // The group of "b" lost its first member: the two still held stay as one row.
    assert_eq!(v.items, [2, 4, 5, 6]);
    assert_eq!(v.count_of(2), 2);
    assert_eq!(v.selected, Some(2), "selection moved to the oldest held row when its event went");

    // Filter rebuild, then a clear resets.
    v.set_filter(crate::ui::filter::Filter::parse("-zulu").unwrap());
    sync(&mut v, &store);
    // Rebuilt from the oldest held event: the two "b" still held collapse again.
    assert_eq!(v.items, [2, 4, 6]);
    assert_eq!(v.count_of(2), 2);
    store.clear();
    sync(&mut v, &store);
    assert!(v.items.is_empty());
    store.append(console("z", Level::Error));
    sync(&mut v, &store);
    assert_eq!(v.items, [7]);
}

#[test]
fn selection_stays_on_its_event_while_new_ones_arrive() {
    let mut store = Store::new(Default::default());
    let mut v = ListView::default();
    for i in 0..10 {
        store.append(console(&format!("m{i}"), Level::Log));
    }
    sync(&mut v, &store);
    v.go_top();
    v.move_by(3);
    for i in 10..20 {
        store.append(console(&format!("m{i}"), Level::Log));
    }
    sync(&mut v, &store);
    assert_eq!(v.selected, Some(3));
    v.ensure_visible(5);
    assert_eq!(v.top, 0);
    v.go_bottom();
    v.ensure_visible(5);
    assert_eq!(v.top, 15);
}

fn filter(text: &str) -> Option<Filter> {
    Filter::parse(text).unwrap()
}

/// What a fresh view with `text` shows over `store` (the reference for narrowing).
fn fresh(store: &Store, text: &str, grouping: bool) -> (VecDeque<u64>, Vec<(u64, u32, u64)>) {
    let mut v = ListView { grouping, ..Default::default() };
    sync(&mut v, store);
    v.set_filter(filter(text));
    while sync(&mut v, store) {}
    rows(&v)
}

fn rows(v: &ListView) -> (VecDeque<u64>, Vec<(u64, u32, u64)>) {
    let mut groups: Vec<_> = v.dups.iter().map(|(&k, g)| (k, g.count, g.last)).collect();
    groups.sort_unstable();
    (v.items.clone(), groups)
}

#[test]
fn filters_narrow_as_typed_and_widen_back_to_kept_results() {
    assert!(filter("orders").unwrap().narrows(&filter("ord").unwrap()));
    assert!(filter("level:error ORD x").unwrap().narrows(&filter("level:error ord").unwrap()));
    assert!(!filter("ord").unwrap().narrows(&filter("orders").unwrap()));
    assert!(!filter("-orders").unwrap().narrows(&filter("-ord").unwrap()), "negated words widen");
    assert!(!filter("level:warn ord").unwrap().narrows(&filter("level:error ord").unwrap()));
    assert!(!filter("is:marked a").unwrap().narrows(&filter("a").unwrap()));

    let mut store = Store::new(Default::default());
    for i in 0..40 {
        let m = ["order 1", "orders", "order 1", "cart", "Orders ok"][i % 5];
        store.append(console(m, Level::Log));
    }
    let mut v = ListView::default();
    sync(&mut v, &store);
    for text in ["o", "or", "ord", "orde", "order", "orders"] {
        v.set_filter(filter(text));
        assert!(v.scanning);
        while sync(&mut v, &store) {}
        assert_eq!(rows(&v), fresh(&store, text, true), "typed {text:?}");
    }
    assert_eq!(v.history.len(), 6, "no filter and five prefixes kept");
    // Live events arrive, then backspace: the kept results catch up with them.
    store.append(console("order 2", Level::Log));
    store.append(console("orders", Level::Log));
    for text in ["order", "ord", ""] {
        v.set_filter(filter(text));
        while sync(&mut v, &store) {}
        assert_eq!(rows(&v), fresh(&store, text, true), "back to {text:?}");
    }
    assert!(v.history.is_empty());
}

/// A sync with no time: it looks at one clock step of events, then stops.
fn sync_cut_short(v: &mut ListView, store: &Store) -> bool {
    let log = store.log(crate::store::Category::Console);
    v.sync(log, store.generation(), Instant::now(), |f, e| f.matches_event(e), |_| true, Some(dedupe_key))
}

#[test]
fn rebuilds_the_user_waits_for_are_flagged_until_they_reach_the_end_and_arrivals_are_not() {
    let mut store = Store::new(Default::default());
    for i in 0..40 {
        store.append(console(&format!("m{i}"), Level::Log));
    }
    let mut v = ListView::default();
    assert!(sync_cut_short(&mut v, &store));
    assert!(v.rebuilding, "the first look at a store is a rebuild");
    while sync(&mut v, &store) {}
    assert!(!v.rebuilding);

    for i in 0..20 {
        store.append(console(&format!("n{i}"), Level::Log));
    }
    assert!(sync_cut_short(&mut v, &store));
    assert!(v.scanning && !v.rebuilding, "events arriving are not a rebuild");
    while sync(&mut v, &store) {}

    // A new filter, a key typed (narrowing), a backspace (kept results), grouping toggled.
    let steps: [fn(&mut ListView); 4] = [
        |v| v.set_filter(filter("m1")),
        |v| v.set_filter(filter("m12")),
        |v| v.set_filter(filter("m1")),
        |v| v.set_grouping(false),
    ];
    for (n, step) in steps.iter().enumerate() {
        step(&mut v);
        assert!(v.rebuilding, "step {n} starts a rebuild");
        sync_cut_short(&mut v, &store);
        while sync(&mut v, &store) {
            assert!(v.rebuilding, "step {n}: flagged while it runs");
        }
        assert!(!v.rebuilding && !v.scanning, "step {n}: done at the end of the log");
    }
}

proptest::proptest! {
    /// Any sequence of edits (keys typed, backspaces, whole new filters) with events arriving,
    /// evicted and syncs cut short in between ends with exactly what a fresh filter shows.
    #[test]
    fn narrowing_and_widening_equal_a_fresh_filter(
        msgs in proptest::collection::vec("[abAB ]{0,4}", 1..60),
        edits in proptest::collection::vec((0u8..5, "[abAB]", 0usize..6, proptest::bool::ANY), 1..12),
        grouping in proptest::bool::ANY,
    ) {
        let mut store = Store::new(crate::store::Capacities { console: 20, ..Default::default() });
        let mut v = ListView { grouping, ..Default::default() };
        let mut text = String::new();
        // What is applied: a text that does not parse (`level:lo`) leaves the filter as it was.
        let mut applied = String::new();
        let mut next = msgs.iter().cycle();
        for (how, ch, arrive, finish) in edits {
            match how {
                0 | 1 => text.push_str(&ch),
                2 => { text.pop(); }
                3 => v.set_grouping(!v.grouping),
                _ => text = if ch == "a" { format!("-{ch}") } else { format!("level:log {ch}") },
            }
            if let Ok(f) = Filter::parse(&text) {
                v.set_filter(f);
                applied = text.clone();
            }
            // A sync cut short (or not), then live events.
            sync_cut_short(&mut v, &store);
            for _ in 0..arrive {
                let m = next.next().cloned().unwrap_or_default();
                store.append(console(&m, Level::Log));
            }
            if finish {
                while sync(&mut v, &store) {}
                proptest::prop_assert_eq!(rows(&v), fresh(&store, &applied, v.grouping), "after {:?}", applied);
            }
        }
        while sync(&mut v, &store) {}
        proptest::prop_assert_eq!(rows(&v), fresh(&store, &applied, v.grouping), "at the end {:?}", applied);
    }
}
