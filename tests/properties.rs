//! Properties of every parser that reads what a page or a peer wrote (issue 8): none panics on
//! any input, and a message that parses re-serialises to the same meaning.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use triage_tui::protocol::shape;
use triage_tui::protocol::{parse_message, MessageType};
use triage_tui::server::compat::translate_incoming;
use triage_tui::store::{Level, Raw, StoredEvent};
use triage_tui::ui::filter::Filter;

const MAX: usize = 1024 * 1024;

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Field names and values the real shapes use, so generated messages often validate.
fn plausible_data() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        ("message", ".{0,20}".prop_map(Value::String)),
        ("level", prop_oneof!["log", "info", "warn", "error", "debug", "nope"].prop_map(|s| json!(s))),
        ("url", "https?://[a-z]{1,8}\\.test/[a-z]{0,6}".prop_map(Value::String)),
        ("method", prop_oneof!["GET", "POST", "PUT"].prop_map(|s| json!(s))),
        ("status", prop_oneof![(0u16..700).prop_map(|n| json!(n)), "[0-9]{1,3}".prop_map(|s| json!(s))]),
        (
            "action",
            prop_oneof!["navigate", "reload", "execute_js", "get_title", "bogus"].prop_map(|s| json!(s))
        ),
        ("params", any_json()),
        ("args", prop::collection::vec(any_json(), 0..3).prop_map(Value::Array)),
        ("success", any::<bool>().prop_map(Value::Bool)),
        ("direction", prop_oneof!["sent", "received", "client-to-server", "x"].prop_map(|s| json!(s))),
        ("opcode", (0u8..12).prop_map(|n| json!(n))),
        ("data", any_json()),
        ("requestHeaders", any_json()),
        ("selector", "[a-z#.]{1,10}".prop_map(Value::String)),
    ];
    prop::collection::vec(field, 0..7)
        .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn message_type() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(MessageType::ALL.iter().map(|t| t.as_str().to_string()).collect::<Vec<_>>()),
        prop::sample::select(
            MessageType::ALL.iter().map(|t| t.as_str().replace('-', "_")).collect::<Vec<_>>()
        ),
        "[a-z_-]{1,12}",
    ]
}

/// A message in any of the seeds' envelope shapes: `data` or `payload`, epoch-ms or RFC 3339.
fn envelope_text() -> impl Strategy<Value = String> {
    (
        message_type(),
        plausible_data(),
        any::<bool>(),
        prop_oneof![
            Just(Value::Null),
            (0i64..4_000_000_000_000).prop_map(|n| json!(n)),
            Just(json!("2025-11-07T10:00:00Z")),
            Just(json!("yesterday")),
        ],
        prop_oneof![
            Just(Value::Null),
            "[a-z0-9-]{1,8}".prop_map(Value::String),
            any::<u32>().prop_map(|n| json!(n))
        ],
        prop_oneof![Just(Value::Null), Just(json!({"sessionId": "s", "tabId": 3})), any_json()],
    )
        .prop_map(|(ty, data, payload, ts, id, meta)| {
            let mut m = Map::new();
            m.insert("type".into(), json!(ty));
            m.insert(if payload { "payload" } else { "data" }.into(), data);
            if !ts.is_null() {
                m.insert("timestamp".into(), ts);
            }
            if !id.is_null() {
                m.insert("id".into(), id);
            }
            if !meta.is_null() {
                m.insert("metadata".into(), meta);
            }
            Value::Object(m).to_string()
        })
}

/// A text with one byte-level change: cut short, a byte dropped, doubled or replaced.
fn mutated(text: String, at: usize, how: u8, byte: u8) -> String {
    let mut bytes = text.into_bytes();
    if bytes.is_empty() {
        return String::new();
    }
    let at = at % bytes.len();
    match how % 4 {
        0 => bytes.truncate(at),
        1 => {
            bytes.remove(at);
        }
        2 => {
            let b = bytes[at];
            bytes.insert(at, b);
        }
        _ => bytes[at] = byte,
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn stored(ty: MessageType, raw: &str) -> StoredEvent {
    StoredEvent {
        seq: 1,
        ty,
        level: Level::Log,
        status: 0,
        timestamp_ms: 0,
        session: "s".into(),
        raw: Raw::from(raw.as_bytes()).into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn no_parser_panics_on_any_text(text in ".{0,200}") {
        let _ = shape::scan(&text, MAX);
        let _ = parse_message(&text, MAX);
        let _ = translate_incoming(&text);
    }

    #[test]
    fn no_parser_panics_on_damaged_messages(text in envelope_text(), at in any::<usize>(), how in any::<u8>(), byte in any::<u8>()) {
        let text = mutated(text, at, how, byte);
        let _ = shape::scan(&text, MAX);
        let _ = parse_message(&text, MAX);
        let _ = translate_incoming(&text);
    }

    /// What parses re-serialises to the same meaning: the same type and the same envelope.
    #[test]
    fn a_parsed_message_reserialises_to_the_same_meaning(text in envelope_text()) {
        if let Ok(first) = parse_message(&text, MAX) {
            let again = parse_message(&first.envelope.to_json(), MAX);
            prop_assert!(again.is_ok(), "{text} parsed, its re-serialisation did not: {again:?}");
            let again = again.unwrap();
            prop_assert_eq!(again.kind, first.kind);
            prop_assert_eq!(&again.envelope, &first.envelope);
            prop_assert!(!again.normalized, "the canonical form needs no normalising: {}", first.envelope.to_json());
        }
    }

    /// The borrowed hot path and the owned path agree on what is valid and what it is.
    #[test]
    fn scan_and_parse_agree(text in envelope_text()) {
        let scanned = shape::scan(&text, MAX);
        let parsed = parse_message(&text, MAX);
        match (&scanned, &parsed) {
            (Ok(s), Ok(p)) => prop_assert_eq!(s.kind, p.kind),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "scan {:?} but parse {:?} for {}", scanned.as_ref().map(|s| s.kind), parsed.as_ref().map(|p| p.kind), text),
        }
    }

    /// The one-pass read accepts what the two-pass read accepted, and reads the same from it,
    /// on valid and on damaged messages (a JSON array is no longer taken for an envelope).
    #[test]
    fn one_pass_scan_reads_what_two_passes_read(text in envelope_text(), at in any::<usize>(), how in any::<u8>(), byte in any::<u8>(), damage in any::<bool>()) {
        let text = if damage { mutated(text, at, how, byte) } else { text };
        let one = shape::scan(&text, MAX).ok().map(|s| {
            format!("{:?} {:?} {:?} {:?} {}", s.kind, s.id, s.timestamp, s.inspected, s.storable_as_is)
        });
        prop_assert_eq!(one, two_pass::read(&text), "for {}", text);
    }

    /// The same with the envelope's fields in any order, `data` before `type` included, and
    /// `data: null` beside a `payload`.
    #[test]
    fn one_pass_scan_agrees_in_any_field_order(text in envelope_text(), order in any::<u64>(), null_data in any::<bool>()) {
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) else { return Ok(()) };
        let mut fields: Vec<(String, Value)> = m.into_iter().collect();
        if null_data && fields.iter().any(|(k, _)| k == "payload") {
            fields.push(("data".into(), Value::Null));
        }
        let n = fields.len().max(1);
        fields.rotate_left((order as usize) % n);
        if order & 1 == 1 {
            fields.reverse();
        }
        let text = Value::Object(fields.into_iter().collect()).to_string();
        let one = shape::scan(&text, MAX).ok().map(|s| {
            format!("{:?} {:?} {:?} {:?} {}", s.kind, s.id, s.timestamp, s.inspected, s.storable_as_is)
        });
        prop_assert_eq!(one, two_pass::read(&text), "for {}", text);
    }

    /// A browser-tools message that translates becomes a valid canonical message of its type.
    #[test]
    fn browser_tools_translation_yields_valid_envelopes(
        ty in prop_oneof!["console-log", "console-error", "network-request", "screenshot-data", "current-url-response", "heartbeat", "selected-element", "x"],
        fields in plausible_data(),
    ) {
        let mut v = fields;
        v["type"] = json!(ty);
        if let Some((env, kind)) = translate_incoming(&v.to_string()) {
            let parsed = parse_message(&env.to_json(), MAX);
            prop_assert!(parsed.is_ok(), "{v} translated to {} which does not parse: {parsed:?}", env.to_json());
            prop_assert_eq!(parsed.unwrap().kind, kind);
        }
    }

    /// The filter language never panics, is stable under its own text, and matching never panics.
    #[test]
    fn filters_parse_stably_and_match_anything(input in "[ a-z:<>=!\"4x05.*/-]{0,30}", raw in ".{0,60}") {
        if let Ok(Some(f)) = Filter::parse(&input) {
            let again = Filter::parse(f.text());
            prop_assert!(matches!(again, Ok(Some(_))), "{input:?} parsed, its text {:?} did not", f.text());
            prop_assert_eq!(format!("{:?}", again.unwrap().unwrap()), format!("{f:?}"));
            for ty in [MessageType::ConsoleLog, MessageType::NetworkRequest, MessageType::ElementSelected] {
                let _ = f.matches_event(&stored(ty, &raw));
            }
        }
    }

    /// The reorder window loses and duplicates nothing, each release is in timestamp order, and
    /// an event is listed after a later-stamped one only if it arrived after that one was listed.
    #[test]
    fn the_reorder_window_keeps_everything_and_lists_by_time(
        events in proptest::collection::vec((0i64..5_000, 0i64..120), 0..60),
        polls in proptest::collection::vec(0i64..400, 0..8),
    ) {
        use triage_tui::store::reorder::Reorder;
        let mut r = Reorder::new(250);
        let mut now = 0;
        let mut arrived = Vec::new();
        // (event number, timestamp, when it was listed)
        let mut out: Vec<(usize, i64, i64)> = Vec::new();
        let mut polls = polls.into_iter();
        let take = |batch: Vec<StoredEvent>, at: i64, out: &mut Vec<(usize, i64, i64)>| {
            for e in batch {
                out.push((String::from_utf8_lossy(&e.raw).parse().unwrap(), e.timestamp_ms, at));
            }
        };
        for (i, (ts, gap)) in events.iter().enumerate() {
            now += gap;
            let mut e = stored(MessageType::ConsoleLog, &i.to_string());
            e.timestamp_ms = *ts;
            r.push(e, now);
            arrived.push(now);
            if i % 7 == 6 {
                now += polls.next().unwrap_or(0);
                let batch = r.take_due(now);
                prop_assert!(batch.windows(2).all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
                take(batch, now, &mut out);
            }
        }
        take(r.take_all(), i64::MAX, &mut out);
        for (a, b) in out.iter().zip(out.iter().skip(1)) {
            if a.1 > b.1 {
                prop_assert!(arrived[b.0] >= a.2, "{b:?} listed after the later {a:?} though it arrived first");
            }
        }
        let mut seen: Vec<usize> = out.iter().map(|o| o.0).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..events.len()).collect::<Vec<_>>());
    }
}

/// The two-pass read `shape::scan` made before it read `data` in the same pass as the envelope
/// (envelope first with `data` as raw text, then `inspect` on that text): the oracle the one-pass
/// read must agree with.
mod two_pass {
    use serde::de::IgnoredAny;
    use serde::Deserialize;
    use serde_json::value::RawValue;
    use triage_tui::protocol::shape::{inspect, IdRef, Inspected};
    use triage_tui::protocol::{MessageType, Timestamp};

    #[derive(Deserialize)]
    struct EnvelopeRef<'a> {
        #[serde(borrow, default)]
        id: Option<IdRef<'a>>,
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        #[serde(default)]
        timestamp: Option<Timestamp>,
        #[serde(borrow, default)]
        data: Option<&'a RawValue>,
        #[serde(borrow, default)]
        payload: Option<&'a RawValue>,
        #[serde(borrow, default)]
        metadata: Option<&'a RawValue>,
        #[serde(default)]
        action: Option<IgnoredAny>,
        #[serde(default)]
        event: Option<IgnoredAny>,
        #[serde(default)]
        target: Option<IgnoredAny>,
    }

    /// What the old read gave: kind, id, timestamp, shape and `storable_as_is`, as text.
    pub fn read(text: &str) -> Option<String> {
        // The derive read a JSON array as an envelope too; the owned path never accepted one,
        // and the one-pass read no longer does.
        if text.trim_start().starts_with('[') {
            return None;
        }
        let env: EnvelopeRef = serde_json::from_str(text).ok()?;
        let kind = MessageType::parse(&env.kind)?;
        if let Some(meta) = env.metadata {
            if !meta.get().trim_start().starts_with('{') && meta.get() != "null" {
                return None;
            }
        }
        let data = env.data.or(env.payload).map_or("null", RawValue::get);
        let inspected: Inspected = inspect(kind, data).ok()?;
        let lifted = env.action.is_some() || env.event.is_some() || env.target.is_some();
        Some(format!("{kind:?} {:?} {:?} {inspected:?} {}", env.id, env.timestamp, !lifted))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// The free-text index never rules out an event the filter passes, so index-assisted
    /// matching gives exactly the scan's results, through appends, evictions and a clear.
    #[test]
    fn text_index_assisted_matching_equals_the_scan(
        texts in prop::collection::vec("[aAbBoOrR \"{}:/\\\\é0-9-]{0,24}", 1..40),
        kinds in prop::collection::vec(0u8..4, 1..40),
        query in "-?[aAbBoOrR é0-9]{1,6}( [aAbBoOrR]{1,5})?",
        capacity in 1usize..30,
        clear_at in 0usize..60,
    ) {
        use triage_tui::store::text_index::Probe;
        use triage_tui::store::{Capacities, Category, Store};
        let Ok(Some(filter)) = Filter::parse(&query) else { return Ok(()) };
        let mut store = Store::new(Capacities { console: capacity, ..Capacities::default() });
        for (i, text) in texts.iter().enumerate() {
            if i == clear_at {
                store.clear();
            }
            let ty = [MessageType::ConsoleLog, MessageType::ConsoleError, MessageType::BrowserEvent,
                      MessageType::ScreenshotResponse][kinds[i % kinds.len()] as usize];
            let raw = serde_json::to_string(&json!({"type": ty.as_str(), "data": {"message": text, "event": text, "path": text}})).unwrap();
            store.append(stored(ty, &raw));
        }
        let log = store.log(Category::Console);
        let index = store.text_index(Category::Console);
        let probe = Probe::of(&filter.needles());
        let scan: Vec<u64> = log.iter().filter(|(_, e)| filter.matches_event(e)).map(|(j, _)| j).collect();
        let assisted: Vec<u64> = log
            .iter()
            .filter(|(j, e)| {
                probe.as_ref().is_none_or(|p| index.may_contain(*j, p, || Some(&e.raw[..]))) && filter.matches_event(e)
            })
            .map(|(j, _)| j)
            .collect();
        prop_assert_eq!(&assisted, &scan);
        // Asked again, the signatures are those computed the first time: the same answer.
        let again: Vec<u64> = log
            .iter()
            .filter(|(j, e)| probe.as_ref().is_none_or(|p| index.may_contain(*j, p, || None::<&[u8]>)) && filter.matches_event(e))
            .map(|(j, _)| j)
            .collect();
        prop_assert_eq!(again, scan);
    }
}
