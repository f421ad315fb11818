//! What a simulated tab's page does on its own, and when: page loads (navigation events, the
//! document and assets, the app booting, its WebSocket opening) and bursts of activity
//! (`scenarios`) separated by quiet gaps that average the configured rate.

use serde_json::json;

use super::catalog::{cart_json, order_json, products_json};
use super::payloads::{
    at, browser_event, console, frame, text_frame, Event, Exchange, PageSocket, CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
};
use super::rng::Rng;
use super::site::{SocketKind, Tab};

/// An event and when to send it, in milliseconds from the moment it is planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub at_ms: u64,
    pub event: Event,
}

/// A burst of page activity and how long it (with the quiet before it) lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub items: Vec<Planned>,
    pub until_ms: u64,
}

/// Why a page loads; changes what comes from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// The tab as the demo starts.
    Open,
    Navigate,
    Reload {
        ignore_cache: bool,
    },
    History,
}

/// A burst under construction: events at increasing offsets.
pub(super) struct Burst {
    pub(super) t: u64,
    pub(super) items: Vec<Planned>,
}

impl Burst {
    pub(super) fn starting_at(t: u64) -> Self {
        Burst { t, items: Vec::new() }
    }

    pub(super) fn push(&mut self, event: Event) {
        self.items.push(Planned { at_ms: self.t, event });
    }

    pub(super) fn wait(&mut self, ms: u64) {
        self.t += ms;
    }
}

/// The page activity of one tab.
pub struct Traffic {
    pub(super) rng: Rng,
    /// Average events per second for this tab; 0: the page only reacts to commands.
    rate: f64,
    /// The page's own WebSocket, while it is open.
    pub(super) socket: Option<PageSocket>,
    sockets_opened: u64,
    pub(super) chat_messages: u64,
}

impl Traffic {
    pub fn new(rng: Rng, rate: f64) -> Self {
        Traffic { rng, rate: rate.max(0.0), socket: None, sockets_opened: 0, chat_messages: 0 }
    }

    pub fn spontaneous(&self) -> bool {
        self.rate > 0.0
    }

    /// A page load: navigation events, the document and its assets, the app booting, its socket.
    pub fn page_load(&mut self, tab: &Tab, load: Load) -> Vec<Planned> {
        let url = tab.url().to_string();
        let origin = tab.origin().to_string();
        let mut b = Burst::starting_at(0);
        b.push(browser_event("navigation_starting", &url, json!({})));
        if let Some(mut old) = self.socket.take().filter(|s| s.open) {
            // The old page goes away and its socket with it (1001 "going away").
            let mut payload = 1001u16.to_be_bytes().to_vec();
            payload.extend_from_slice(b"going away");
            b.push(frame(&mut old, CLIENT_TO_SERVER, 8, Some(&payload)));
        }
        let cached = matches!(load, Load::History | Load::Reload { ignore_cache: false });
        let doc_ms = self.rng.range(60, 240);
        b.wait(doc_ms);
        let html = format!("<!doctype html><html><head><title>{}</title>", tab.title());
        let doc = Exchange::asset(url.clone(), 200, "Document", "text/html").body(None, None).took(doc_ms);
        let doc = Exchange { response_body: Some(html), authorized: false, ..doc };
        b.push(doc.event(tab, &mut self.rng));
        if !tab.on_own_site() {
            // A page that is not the demo app: its document, a stylesheet and a script of its
            // own, the one favicon request a browser makes (missing here), one console line.
            for (file, kind, mime) in [
                ("/assets/site.css", "Stylesheet", "text/css"),
                ("/assets/site.js", "Script", "application/javascript"),
            ] {
                b.wait(self.rng.range(5, 30));
                let x =
                    Exchange::asset(format!("{origin}{file}"), 200, kind, mime).took(self.rng.range(20, 120));
                b.push(x.event(tab, &mut self.rng));
            }
            b.wait(self.rng.range(10, 40));
            b.push(console(
                "log",
                &format!("[site] {} loaded", tab.title()),
                vec![json!("[site]"), json!(format!("{} loaded", tab.title()))],
                &origin,
                at("site.js", 1, 1),
                None,
            ));
            let favicon = Exchange::asset(format!("{origin}/favicon.ico"), 404, "Image", "text/html");
            b.push(favicon.took(self.rng.range(20, 90)).event(tab, &mut self.rng));
            b.wait(self.rng.range(20, 80));
            b.push(browser_event(
                "navigation_completed",
                &url,
                json!({ "success": true, "title": tab.title() }),
            ));
            b.push(browser_event("title_changed", &url, json!({ "title": tab.title() })));
            return b.items;
        }
        for (file, kind, mime) in [
            ("/static/js/vendor.js", "Script", "application/javascript"),
            ("/static/js/app.js", "Script", "application/javascript"),
            ("/static/css/app.css", "Stylesheet", "text/css"),
            ("/static/fonts/inter-var.woff2", "Font", "font/woff2"),
        ] {
            b.wait(self.rng.range(2, 15));
            let status = if cached || (load == Load::Navigate && self.rng.chance(0.7)) { 304 } else { 200 };
            let ms = if status == 304 { self.rng.range(8, 30) } else { self.rng.range(30, 180) };
            b.push(
                Exchange::asset(format!("{origin}{file}"), status, kind, mime)
                    .took(ms)
                    .event(tab, &mut self.rng),
            );
        }
        b.wait(self.rng.range(30, 90));
        let app = at("app.js", 12, 9);
        b.push(console(
            "info",
            &format!("[app] {} v2.14.3 (build 8f1c2ab) booting", tab.site.name),
            vec![json!("[app]"), json!(format!("{} v2.14.3 (build 8f1c2ab) booting", tab.site.name))],
            &origin,
            app,
            None,
        ));
        let path = super::site::split_url(tab.url()).1.to_string();
        b.push(console(
            "debug",
            &format!("[router] matched {path}"),
            vec![json!("[router] matched"), json!(path), json!({ "params": {}, "query": {} })],
            &origin,
            at("app.js", 311, 17),
            None,
        ));
        b.wait(self.rng.range(5, 20));
        let me =
            json!({ "id": "usr_842", "name": "Dana Smith", "email": "dana@acme.test", "roles": ["shopper"] });
        b.push(
            Exchange::new("GET", format!("{origin}/api/me"), 200)
                .body(None, Some(me))
                .took(self.rng.range(30, 90))
                .event(tab, &mut self.rng),
        );
        b.wait(self.rng.range(10, 60));
        b.push(self.page_data_request(tab));
        b.wait(self.rng.range(20, 70));
        b.push(browser_event("navigation_completed", &url, json!({ "success": true, "title": tab.title() })));
        b.push(browser_event("title_changed", &url, json!({ "title": tab.title() })));
        b.wait(self.rng.range(10, 40));
        self.open_socket(tab, &mut b);
        b.items
    }

    /// The request that fills the current page with data.
    fn page_data_request(&mut self, tab: &Tab) -> Event {
        let origin = tab.origin();
        let path = super::site::split_url(tab.url()).1;
        let (api, body) = if path.starts_with("/orders/") {
            (format!("/api{path}"), order_json(1234))
        } else if path.starts_with("/orders") {
            (
                "/api/orders?status=pending&page=1".to_string(),
                json!({ "orders": [order_json(1234), order_json(1235)], "total": 57 }),
            )
        } else if path.starts_with("/products") {
            ("/api/products?page=2".to_string(), products_json(2))
        } else if path.starts_with("/customers") {
            (
                "/api/customers?page=1".to_string(),
                json!({ "customers": [{ "id": "cus_19", "name": "Lee Wong", "orders": 4 }], "total": 311 }),
            )
        } else {
            ("/api/cart".to_string(), cart_json(3))
        };
        let ms = self.rng.range(40, 160);
        Exchange::new("GET", format!("{origin}{api}"), 200)
            .body(None, Some(body))
            .took(ms)
            .event(tab, &mut self.rng)
    }

    fn open_socket(&mut self, tab: &Tab, b: &mut Burst) {
        self.sockets_opened += 1;
        let host = tab.origin().trim_start_matches("https://").trim_start_matches("http://");
        let url = format!("wss://{host}{}", tab.site.socket_path);
        let mut socket = PageSocket {
            traffic_id: format!("{}-ws-{}", tab.tab_id, self.sockets_opened),
            url: url.clone(),
            frames: 0,
            open: true,
        };
        let handshake = Exchange { resource_type: "WebSocket", mime: "", ..Exchange::new("GET", url, 101) };
        b.push(handshake.took(self.rng.range(20, 60)).event(tab, &mut self.rng));
        let channel = match tab.site.socket {
            SocketKind::Chat => "support",
            SocketKind::LiveUpdates => "orders",
        };
        b.wait(self.rng.range(1, 5));
        b.push(text_frame(
            &mut socket,
            CLIENT_TO_SERVER,
            &json!({ "action": "subscribe", "channel": channel }),
        ));
        b.wait(self.rng.range(15, 60));
        b.push(text_frame(
            &mut socket,
            SERVER_TO_CLIENT,
            &json!({ "status": "subscribed", "channel": channel, "presence": 3 }),
        ));
        self.socket = Some(socket);
    }

    /// The next burst of activity, starting after a quiet gap that keeps the average rate.
    /// Empty when spontaneous traffic is off; `until_ms` says when to ask again.
    pub fn next_burst(&mut self, tab: &mut Tab) -> Plan {
        if !self.spontaneous() {
            return Plan { items: Vec::new(), until_ms: u64::MAX };
        }
        let mut b = Burst::starting_at(0);
        let own = tab.on_own_site();
        if own {
            self.scenario(tab, &mut b);
        } else {
            // A foreign page is quiet: now and then an analytics beacon or a line of its own
            // (its favicon was asked for once, at load, as a browser does).
            let origin = tab.origin().to_string();
            if self.rng.chance(0.7) {
                let x = Exchange {
                    resource_type: "Ping",
                    mime: "text/plain",
                    authorized: false,
                    ..Exchange::new("POST", format!("{origin}/collect?v=2&t=pageview"), 204)
                };
                b.push(x.took(self.rng.range(15, 60)).event(tab, &mut self.rng));
            } else {
                let secs = self.rng.range(5, 300);
                b.push(console(
                    "debug",
                    &format!("[site] still here after {secs} s"),
                    vec![json!("[site] still here after"), json!(secs), json!("s")],
                    &origin,
                    at("site.js", 40, 9),
                    None,
                ));
            }
        }
        let n = b.items.len().max(1) as f64;
        let span = b.t as f64 / 1000.0;
        // A foreign page is a fifth as busy as the demo app.
        let rate = if own { self.rate } else { self.rate / 5.0 };
        let mean_gap = (n / rate - span).max(0.02);
        let gap = (self.rng.exp(mean_gap) * 1000.0).min(30_000.0) as u64;
        for item in &mut b.items {
            item.at_ms += gap;
        }
        Plan { items: b.items, until_ms: gap + b.t }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn page_load_emits_navigation_and_opens_the_socket() {
        let tab = Tab::new(1);
        let mut t = Traffic::new(Rng::new(1), 8.0);
        let plan = t.page_load(&tab, Load::Open);
        let kinds: Vec<&str> = plan.iter().map(|p| p.event.kind).collect();
        assert_eq!(kinds.first(), Some(&"browser-event"));
        let events: Vec<&str> =
            plan.iter().filter_map(|p| p.event.data.get("event").and_then(Value::as_str)).collect();
        assert_eq!(events, ["navigation_starting", "navigation_completed", "title_changed"]);
        assert!(kinds.contains(&"websocket-frame"));
        assert!(plan.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "offsets never go back");
        for p in &plan {
            let ty = crate::protocol::MessageType::parse(p.event.kind).expect("known type");
            let env = crate::protocol::Envelope::new(p.event.kind, p.event.data.clone());
            crate::protocol::validate(&env, ty).expect("valid payload");
        }
    }

    #[test]
    fn bursts_validate_and_cover_every_kind() {
        let mut tab = Tab::new(1);
        let mut t = Traffic::new(Rng::new(42), 8.0);
        let _ = t.page_load(&tab, Load::Open);
        let mut seen = std::collections::BTreeSet::new();
        let mut levels = std::collections::BTreeSet::new();
        for _ in 0..600 {
            for p in t.next_burst(&mut tab).items {
                let ty = crate::protocol::MessageType::parse(p.event.kind).expect("known type");
                let env = crate::protocol::Envelope::new(p.event.kind, p.event.data.clone());
                crate::protocol::validate(&env, ty).expect("valid payload");
                seen.insert(p.event.kind);
                if let Some(l) = p.event.data.get("level").and_then(Value::as_str) {
                    levels.insert(l.to_string());
                }
            }
        }
        for kind in [
            "console-log",
            "console-error",
            "network-request",
            "network-error",
            "websocket-frame",
            "element-selected",
            "browser-event",
        ] {
            assert!(seen.contains(kind), "no {kind} in 600 bursts: {seen:?}");
        }
        for level in ["log", "info", "debug", "warn", "error", "trace"] {
            assert!(levels.contains(level), "no {level}: {levels:?}");
        }
    }

    #[test]
    fn zero_rate_means_no_spontaneous_traffic() {
        let mut tab = Tab::new(2);
        let mut t = Traffic::new(Rng::new(3), 0.0);
        assert!(t.next_burst(&mut tab).items.is_empty());
    }

    #[test]
    fn an_unknown_url_loads_like_a_page_and_never_repeats_its_favicon() {
        let mut tab = Tab::new(1);
        tab.visit("https://unknown.example.net/some/page");
        let mut t = Traffic::new(Rng::new(9), 8.0);
        let load = t.page_load(&tab, Load::Navigate);
        let favicon = |p: &Planned| p.event.data["url"].as_str().is_some_and(|u| u.ends_with("/favicon.ico"));
        assert_eq!(load.iter().filter(|p| favicon(p)).count(), 1, "one favicon request, at load");
        assert!(load.iter().any(|p| p.event.kind == "console-log"));
        assert!(load.iter().any(|p| p.event.data["event"] == "navigation_completed"));
        let mut later = Vec::new();
        for _ in 0..100 {
            later.extend(t.next_burst(&mut tab).items);
        }
        assert!(!later.is_empty());
        assert!(!later.iter().any(favicon), "no favicon 404s forever");
        let kinds: std::collections::HashSet<&str> = later.iter().map(|p| p.event.kind).collect();
        assert!(kinds.contains("network-request") && kinds.contains("console-log"), "{kinds:?}");
    }

    #[test]
    fn foreign_pages_are_quiet() {
        let mut tab = Tab::new(1);
        tab.visit("https://example.com/");
        let mut t = Traffic::new(Rng::new(5), 8.0);
        let plan = t.page_load(&tab, Load::Navigate);
        assert!(plan.iter().all(|p| p.event.kind != "websocket-frame"));
    }
}
