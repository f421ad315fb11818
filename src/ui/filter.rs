//! Owns the filter language of `/` and its evaluation.
//!
//! Terms: free text, `level:error` (or `level:>=warn`), `method:POST`, `status:>=400` (`404`,
//! `4xx`, `<300`), `url:…`, `type:…` (event type, or a request's resource type: `fetch`, `xhr`,
//! `doc`, `img`, `script`, `css`, `ws`…), `session:…`, `connector:NAME` (events from the fleet connector NAME), `is:marked`; `-term` negates; all terms
//! must hold. A bare word (`404` too) is free text. Evaluation parses no JSON for the common
//! case: it reads the event's index fields (type, level, status, session) and searches the raw
//! bytes (ASCII case-insensitive), so a million events filter in well under the frame budget of
//! a rebuild. Only rows whose text the UI composes (screenshots, navigations) are also matched
//! on what the row shows.

use aho_corasick::AhoCorasick;
use memchr::memmem;

use crate::protocol::MessageType;
use crate::store::{FrameRecord, Level, StoredEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    fn split(s: &str) -> (Cmp, &str) {
        for (p, c) in [(">=", Cmp::Ge), ("<=", Cmp::Le), (">", Cmp::Gt), ("<", Cmp::Lt), ("=", Cmp::Eq)] {
            if let Some(rest) = s.strip_prefix(p) {
                return (c, rest);
            }
        }
        (Cmp::Eq, s)
    }

    fn holds<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ge => a >= b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Lt => a < b,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Level(Cmp, Level),
    Status(Cmp, u16),
    /// `4xx`: status / 100 == n.
    StatusClass(u16),
    Method(String),
    Url(AhoCorasick),
    Type(String),
    Session(String),
    /// `connector:NAME`: a remote session is `NAME/…` (see `crate::broker`).
    Connector(String),
    Marked,
    /// Free text: the case-insensitive searcher, the word, and an exact-case searcher tried
    /// first (the word as typed is the common case, and `memmem` finds it faster).
    Text(AhoCorasick, String, Box<memmem::Finder<'static>>),
}

#[derive(Debug, Clone)]
struct Term {
    negate: bool,
    kind: Kind,
    /// The term as typed (without its `-`), to tell two filters' terms apart.
    token: String,
}

/// A compiled filter. Cheap to evaluate; build it once per edit.
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
    /// The marked events' seqs when the filter was applied (for `is:marked`).
    marks: std::sync::Arc<std::collections::HashSet<u64>>,
}

/// Resource types as the Network pane's type column names them, with what senders write.
pub const RESOURCE_TYPES: &[(&str, &[&str])] = &[
    ("doc", &["document", "doc", "main_frame"]),
    ("fetch", &["fetch"]),
    ("xhr", &["xhr", "xmlhttprequest"]),
    ("script", &["script", "js"]),
    ("css", &["stylesheet", "css", "style"]),
    ("img", &["image", "img"]),
    ("font", &["font"]),
    ("ws", &["websocket", "ws"]),
    ("media", &["media"]),
    ("other", &["other", "ping", "beacon", "manifest"]),
];

/// The short resource type of a request (`fetch`, `doc`, …) from what the sender wrote.
pub fn short_resource_type(sent: &[u8]) -> Option<&'static str> {
    RESOURCE_TYPES
        .iter()
        .find(|(_, names)| names.iter().any(|n| sent.eq_ignore_ascii_case(n.as_bytes())))
        .map(|(short, _)| *short)
}

fn text(word: &str) -> Result<Kind, String> {
    Ok(Kind::Text(ci(word)?, word.to_string(), Box::new(memmem::Finder::new(word.as_bytes()).into_owned())))
}

fn ci(needle: &str) -> Result<AhoCorasick, String> {
    AhoCorasick::builder().ascii_case_insensitive(true).build([needle]).map_err(|e| e.to_string())
}

/// Splits on whitespace; `"quoted text"` stays one token.
fn tokens(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in input.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl Filter {
    /// Parses the filter text. An empty text gives `Ok(None)`: no filter.
    pub fn parse(input: &str) -> Result<Option<Filter>, String> {
        let mut terms = Vec::new();
        for tok in tokens(input) {
            let (negate, body) = match tok.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, tok.as_str()),
            };
            const KEYS: [&str; 8] =
                ["level", "status", "method", "url", "type", "session", "connector", "is"];
            if let Some(key) =
                body.strip_suffix(':').filter(|k| KEYS.contains(&k.to_ascii_lowercase().as_str()))
            {
                return Err(format!("{key}: needs a value, e.g. {}", example(key)));
            }
            let kind = match body.split_once(':') {
                Some((key, value)) if !value.is_empty() => match key.to_ascii_lowercase().as_str() {
                    "level" => {
                        let (cmp, v) = Cmp::split(value);
                        let level = Level::parse(v).ok_or_else(|| {
                            format!("level:{v}? use trace, debug, log, info, warn or error")
                        })?;
                        Kind::Level(cmp, level)
                    }
                    "status" => {
                        let (cmp, v) = Cmp::split(value);
                        let lower = v.to_ascii_lowercase();
                        if let Some(class) = lower.strip_suffix("xx") {
                            let n: u16 = class.parse().map_err(|_| format!("status:{v}? e.g. 4xx"))?;
                            Kind::StatusClass(n)
                        } else {
                            let n: u16 = v.parse().map_err(|_| {
                                format!("status:{v}? use a number, e.g. status:>=400 or status:4xx")
                            })?;
                            Kind::Status(cmp, n)
                        }
                    }
                    "method" => Kind::Method(value.to_string()),
                    "url" => Kind::Url(ci(value)?),
                    "type" => Kind::Type(value.to_ascii_lowercase()),
                    "session" => Kind::Session(value.to_string()),
                    "connector" => Kind::Connector(format!("{value}/")),
                    "is" if value.eq_ignore_ascii_case("marked") => Kind::Marked,
                    "is" => return Err(format!("is:{value}? use is:marked")),
                    _ => text(body)?,
                },
                _ => text(body)?,
            };
            terms.push(Term { negate, kind, token: body.to_string() });
        }
        if terms.is_empty() {
            return Ok(None);
        }
        // Cheap index-field terms first, byte searches last.
        terms.sort_by_key(|t| match t.kind {
            Kind::Level(..) | Kind::Status(..) | Kind::StatusClass(_) => 0,
            Kind::Type(_) | Kind::Session(_) | Kind::Connector(_) | Kind::Marked => 1,
            Kind::Method(_) | Kind::Url(_) => 2,
            Kind::Text(..) => 3,
        });
        // The text is kept trimmed unless the spaces are inside a quoted term (`"a "`).
        let trimmed = input.trim();
        let text = if tokens(trimmed) == tokens(input) { trimmed } else { input };
        Ok(Some(Filter { text: text.to_string(), terms, marks: Default::default() }))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The same filter, judging `is:marked` by these marks.
    pub fn with_marks(mut self, marks: std::sync::Arc<std::collections::HashSet<u64>>) -> Filter {
        self.marks = marks;
        self
    }

    /// Whether the filter has an `is:marked` term (it must be re-applied when marks change).
    pub fn uses_marks(&self) -> bool {
        self.terms.iter().any(|t| matches!(t.kind, Kind::Marked))
    }

    /// Whether every event this filter passes is also passed by `wider` (so a view can match only
    /// `wider`'s results instead of the whole log): each of `wider`'s terms is here too, or is
    /// free text that one of this filter's free-text words contains (`ord` → `orders`). Marks
    /// change under a filter, so `is:marked` never narrows.
    pub fn narrows(&self, wider: &Filter) -> bool {
        if self.uses_marks() || wider.uses_marks() {
            return false;
        }
        wider.terms.iter().all(|w| {
            self.terms.iter().any(|t| {
                t.negate == w.negate
                    && match (&t.kind, &w.kind) {
                        (Kind::Text(_, narrow, _), Kind::Text(_, wide, _)) if !t.negate => {
                            narrow.to_ascii_lowercase().contains(&wide.to_ascii_lowercase())
                        }
                        _ => t.token == w.token,
                    }
            })
        })
    }

    /// The free-text words to highlight (not negated ones).
    pub fn needles(&self) -> Vec<&str> {
        self.terms
            .iter()
            .filter(|t| !t.negate)
            .filter_map(|t| match &t.kind {
                Kind::Text(_, s, _) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether a stored event passes every term.
    pub fn matches_event(&self, e: &StoredEvent) -> bool {
        self.terms.iter().all(|t| {
            let hit = match &t.kind {
                Kind::Level(cmp, l) => cmp.holds(e.level, *l),
                Kind::Status(cmp, s) => e.status != 0 && cmp.holds(e.status, *s),
                Kind::StatusClass(c) => e.status / 100 == *c,
                Kind::Type(ty) => type_matches(e, ty),
                Kind::Session(s) => e.session.contains(s.as_str()),
                Kind::Connector(prefix) => e.session.starts_with(prefix.as_str()),
                Kind::Marked => self.marks.contains(&e.seq),
                Kind::Method(m) => {
                    json_str_field(&e.raw, b"method").is_some_and(|v| v.eq_ignore_ascii_case(m.as_bytes()))
                }
                Kind::Url(ac) => json_str_field(&e.raw, b"url").is_some_and(|v| ac.is_match(v)),
                Kind::Text(ac, word, exact) => {
                    exact.find(&e.raw).is_some()
                        || (word.bytes().any(|b| b.is_ascii_alphabetic()) && ac.is_match(&e.raw[..]))
                        || shown_text_matches(e, ac)
                }
            };
            hit != t.negate
        })
    }

    /// Whether a recorded frame passes every term (frames have no level or status).
    pub fn matches_frame(&self, f: &FrameRecord) -> bool {
        self.terms.iter().all(|t| {
            let hit = match &t.kind {
                Kind::Level(cmp, l) => cmp.holds(Level::Info, *l),
                Kind::Status(..) | Kind::StatusClass(_) | Kind::Method(_) => false,
                Kind::Marked => self.marks.contains(&f.seq),
                Kind::Type(ty) => {
                    f.opcode_name() == ty
                        || "websocket-frame".contains(ty.as_str())
                        || (ty == "page" && f.origin == crate::store::FrameOrigin::Page)
                        || (ty == "connector" && f.origin == crate::store::FrameOrigin::Connector)
                }
                Kind::Session(s) => f.session.contains(s.as_str()) || f.traffic_id.contains(s.as_str()),
                Kind::Connector(prefix) => f.session.starts_with(prefix.as_str()),
                Kind::Url(ac) => f.url.as_deref().is_some_and(|u| ac.is_match(u)),
                Kind::Text(ac, ..) => {
                    f.data.as_deref().is_some_and(|d| ac.is_match(d))
                        || f.url.as_deref().is_some_and(|u| ac.is_match(u))
                }
            };
            hit != t.negate
        })
    }
}

fn example(key: &str) -> &'static str {
    match key.to_ascii_lowercase().as_str() {
        "level" => "level:error or level:>=warn",
        "status" => "status:>=400 or status:4xx",
        "method" => "method:POST",
        "url" => "url:/api/",
        "type" => "type:fetch (fetch xhr doc img script css ws) or type:console",
        "session" => "session:ext-",
        "connector" => "connector:ci-runner-1",
        _ => "is:marked",
    }
}

fn type_matches(e: &StoredEvent, wanted: &str) -> bool {
    let ty = e.ty;
    let name = ty.as_str();
    if name == wanted || name.contains(wanted) || (wanted == "navigation" && ty == MessageType::BrowserEvent)
    {
        return true;
    }
    // A request's resource type, by its short name or the sender's.
    matches!(ty, MessageType::NetworkRequest | MessageType::NetworkError)
        && json_str_field(&e.raw, b"resourceType").is_some_and(|sent| {
            sent.eq_ignore_ascii_case(wanted.as_bytes()) || short_resource_type(sent) == Some(wanted)
        })
}

/// Rows whose text the UI composes (a screenshot's "screenshot saved …", a navigation) are
/// matched on what they show too; other rows show what the raw bytes hold.
fn shown_text_matches(e: &StoredEvent, ac: &AhoCorasick) -> bool {
    crate::store::text_index::shows_composed_text(e.ty)
        && ac.is_match(super::panes::console::message_text(e, &e.envelope()).as_bytes())
}

/// The raw (still escaped) value of the first string field `"key": "…"` in a JSON text, without
/// parsing it. Good enough for filters and duplicate detection; never used to display.
pub fn json_str_field<'a>(raw: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // The key may hold no string (null, object, number), or one cut short: None either way.
    let v = json_value_span(raw, key)?;
    (v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"').then(|| &v[1..v.len() - 1])
}

/// The raw bytes of the first value of `"key": …` in a JSON text (string, number, object,
/// array), without parsing it. Used only to compare events.
pub fn json_value_span<'a>(raw: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    // Building a searcher costs more than a short search: each thread keeps one per key (the
    // callers use a handful of fixed keys).
    thread_local! {
        static FINDERS: std::cell::RefCell<Vec<memmem::Finder<'static>>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    FINDERS.with_borrow_mut(|finders| {
        let quoted = |f: &memmem::Finder| {
            let n = f.needle();
            n.len() == key.len() + 2 && &n[1..n.len() - 1] == key
        };
        let at = match finders.iter().position(quoted) {
            Some(at) => at,
            None => {
                if finders.len() >= 32 {
                    finders.clear();
                }
                let mut pat = Vec::with_capacity(key.len() + 2);
                pat.push(b'"');
                pat.extend_from_slice(key);
                pat.push(b'"');
                finders.push(memmem::Finder::new(&pat).into_owned());
                finders.len() - 1
            }
        };
        value_span(raw, &finders[at])
    })
}

fn value_span<'a>(raw: &'a [u8], finder: &memmem::Finder) -> Option<&'a [u8]> {
    let pat = finder.needle();
    let mut from = 0;
    while let Some(pos) = finder.find(&raw[from..]) {
        let mut i = from + pos + pat.len();
        from = i;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        if raw.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        let (mut depth, mut in_str) = (0usize, false);
        while i < raw.len() {
            let c = raw[i];
            if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => {
                        in_str = false;
                        if depth == 0 {
                            return Some(&raw[start..=i]);
                        }
                    }
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => return Some(&raw[start..i]),
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(&raw[start..=i]);
                        }
                    }
                    b',' if depth == 0 => return Some(&raw[start..i]),
                    _ => {}
                }
            }
            i += 1;
        }
        return Some(&raw[start..]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Raw;

    #[test]
    fn value_spans_cover_strings_numbers_objects_and_arrays() {
        let raw = br#"{"a":"x\"y","n": 42,"o":{"k":[1,{"z":"}"}]},"arr":[1,2] ,"last":true}"#;
        assert_eq!(json_value_span(raw, b"a"), Some(&br#""x\"y""#[..]));
        assert_eq!(json_value_span(raw, b"n"), Some(&b"42"[..]));
        assert_eq!(json_value_span(raw, b"o"), Some(&br#"{"k":[1,{"z":"}"}]}"#[..]));
        assert_eq!(json_value_span(raw, b"arr"), Some(&b"[1,2]"[..]));
        assert_eq!(json_value_span(raw, b"last"), Some(&b"true"[..]));
        assert_eq!(json_value_span(raw, b"none"), None);
    }

    fn ev(ty: MessageType, level: Level, status: u16, raw: &str) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ty,
            level,
            status,
            timestamp_ms: 0,
            session: "ext-abc".into(),
            raw: Raw::from(raw.to_string().into_bytes()).into(),
        }
    }

    fn f(s: &str) -> Filter {
        Filter::parse(s).unwrap().unwrap()
    }

    #[test]
    fn terms_match_index_fields_and_raw_bytes() {
        let post = ev(
            MessageType::NetworkRequest,
            Level::Error,
            500,
            r#"{"type":"network-request","data":{"url":"https://x.dev/API/users","method": "POST","status":500}}"#,
        );
        let log = ev(
            MessageType::ConsoleLog,
            Level::Info,
            0,
            r#"{"type":"console-log","data":{"message":"Hello World","url":"https://x.dev/"}}"#,
        );
        assert!(f("level:error url:api").matches_event(&post));
        assert!(!f("level:error url:api").matches_event(&log));
        assert!(f("method:post status:>=400").matches_event(&post));
        assert!(f("status:5xx").matches_event(&post));
        assert!(!f("status:<400").matches_event(&post));
        assert!(f("hello").matches_event(&log));
        assert!(f("-hello").matches_event(&post));
        assert!(!f("-hello").matches_event(&log));
        assert!(f("type:console").matches_event(&log));
        assert!(f("session:ext-a").matches_event(&log));
        assert!(f("level:>=info").matches_event(&log));
        assert!(f("\"hello world\"").matches_event(&log));
        assert!(Filter::parse("  ").unwrap().is_none());
        assert!(Filter::parse("level:loud").is_err());
        assert!(Filter::parse("status:abc").is_err());
        // Unknown keys are free text (URLs have colons).
        assert!(f("https://x.dev/").matches_event(&log));
    }

    #[test]
    fn resource_types_marks_and_refused_terms() {
        let fetch = ev(
            MessageType::NetworkRequest,
            Level::Info,
            200,
            r#"{"type":"network-request","data":{"url":"https://x.dev/api","resourceType":"Fetch"}}"#,
        );
        let css = ev(
            MessageType::NetworkRequest,
            Level::Info,
            200,
            r#"{"type":"network-request","data":{"url":"https://x.dev/a.css","resourceType":"Stylesheet"}}"#,
        );
        assert!(f("type:fetch").matches_event(&fetch));
        assert!(!f("type:fetch").matches_event(&css));
        assert!(f("type:css").matches_event(&css));
        assert!(f("type:stylesheet").matches_event(&css));
        assert!(f("type:network").matches_event(&css), "event types still work");
        let mut marks = std::collections::HashSet::new();
        marks.insert(7);
        let marked = f("is:marked").with_marks(std::sync::Arc::new(marks));
        let mut e = fetch.clone();
        e.seq = 7;
        assert!(marked.matches_event(&e) && !marked.matches_event(&css));
        for bad in ["status:abc", "status:", "level:", "is:pinned", "type:"] {
            let err = Filter::parse(bad).unwrap_err();
            assert!(err.contains("e.g.") || err.contains("use"), "{bad}: {err}");
        }
        assert_eq!(f("hello -bye \"two words\"").needles(), vec!["hello", "two words"]);
    }

    #[test]
    fn json_field_reads_strings_only() {
        let raw = br#"{"a":{"method" : "GET"},"message":"say \"hi\"","n":{"url":null}}"#;
        assert_eq!(json_str_field(raw, b"method"), Some(&b"GET"[..]));
        assert_eq!(json_str_field(raw, b"message"), Some(&br#"say \"hi\""#[..]));
        assert_eq!(json_str_field(raw, b"url"), None);
        assert_eq!(json_str_field(raw, b"nope"), None);
    }
}
