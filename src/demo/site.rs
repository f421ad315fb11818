//! The simulated tabs: which fake site each one shows, and the state a browser keeps per tab
//! (URL, title, history, viewport, zoom, user agent, cookies) that commands read and change.

/// A page of a fake site, with the title the browser shows for it.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub path: &'static str,
    pub title: &'static str,
}

/// The page's own WebSocket: a support chat or a live-updates feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    Chat,
    LiveUpdates,
}

#[derive(Debug)]
pub struct Site {
    pub name: &'static str,
    pub origin: &'static str,
    /// The first page is where the tab opens.
    pub pages: &'static [Page],
    pub socket_path: &'static str,
    pub socket: SocketKind,
    /// The header colour of the site's screenshots.
    pub accent: [u8; 3],
}

const fn page(path: &'static str, title: &'static str) -> Page {
    Page { path, title }
}

pub const SITES: &[Site] = &[
    Site {
        name: "Acme Shop",
        origin: "https://shop.acme.test",
        pages: &[
            page("/cart", "Cart — Acme Shop"),
            page("/products?page=2", "Products — Acme Shop"),
            page("/products/42", "Trail Runner 2 — Acme Shop"),
            page("/checkout", "Checkout — Acme Shop"),
        ],
        socket_path: "/chat",
        socket: SocketKind::Chat,
        accent: [79, 70, 229],
    },
    Site {
        name: "Acme Admin",
        origin: "https://admin.acme.test",
        pages: &[
            page("/orders", "Orders — Acme Admin"),
            page("/orders/1234", "Order #1234 — Acme Admin"),
            page("/customers", "Customers — Acme Admin"),
            page("/dashboard", "Dashboard — Acme Admin"),
        ],
        socket_path: "/live",
        socket: SocketKind::LiveUpdates,
        accent: [15, 118, 110],
    },
    Site {
        name: "Acme Docs",
        origin: "https://docs.acme.test",
        pages: &[
            page("/getting-started", "Getting started — Acme Docs"),
            page("/api/rest", "REST API — Acme Docs"),
            page("/changelog", "Changelog — Acme Docs"),
        ],
        socket_path: "/live",
        socket: SocketKind::LiveUpdates,
        accent: [180, 83, 9],
    },
];

pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub url: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    pub scale: f64,
}

/// One simulated tab.
#[derive(Debug)]
pub struct Tab {
    /// 1-based, as the user counts tabs.
    pub number: usize,
    pub tab_id: String,
    pub site: &'static Site,
    history: Vec<HistoryEntry>,
    position: usize,
    pub viewport: Viewport,
    pub zoom: f64,
    pub user_agent: String,
    pub cookies: Vec<(String, String)>,
    pub scroll: (i64, i64),
}

impl Tab {
    pub fn new(number: usize) -> Tab {
        let site = &SITES[(number.max(1) - 1) % SITES.len()];
        let url = format!("{}{}", site.origin, site.pages[0].path);
        let title = site.pages[0].title.to_string();
        Tab {
            number,
            tab_id: format!("demo-{number}"),
            site,
            history: vec![HistoryEntry { url, title }],
            position: 0,
            viewport: Viewport { width: 1280, height: 800, scale: 1.0 },
            zoom: 1.0,
            user_agent: USER_AGENT.to_string(),
            cookies: vec![("sid".into(), "s%3A7f3a9c2e41d8".into()), ("cart".into(), "3".into())],
            scroll: (0, 0),
        }
    }

    fn current(&self) -> &HistoryEntry {
        // `history` is never empty and `position` always indexes it.
        &self.history[self.position.min(self.history.len() - 1)]
    }

    pub fn url(&self) -> &str {
        &self.current().url
    }

    pub fn title(&self) -> &str {
        &self.current().title
    }

    /// `https://shop.acme.test` for the current page.
    pub fn origin(&self) -> &str {
        split_url(self.url()).0
    }

    /// Whether the current page belongs to the tab's own site (foreign pages get quieter traffic).
    pub fn on_own_site(&self) -> bool {
        self.origin() == self.site.origin
    }

    pub fn can_go_back(&self) -> bool {
        self.position > 0
    }

    pub fn can_go_forward(&self) -> bool {
        self.position + 1 < self.history.len()
    }

    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// A new page: forward history is dropped, as in a browser.
    pub fn visit(&mut self, url: &str) {
        let entry = HistoryEntry { url: url.to_string(), title: self.title_for(url) };
        self.history.truncate(self.position + 1);
        self.history.push(entry);
        self.position = self.history.len() - 1;
        self.scroll = (0, 0);
    }

    /// Moves in history by one step; `None` at either end.
    pub fn step(&mut self, forward: bool) -> Option<&HistoryEntry> {
        if forward && self.can_go_forward() {
            self.position += 1;
        } else if !forward && self.can_go_back() {
            self.position -= 1;
        } else {
            return None;
        }
        self.scroll = (0, 0);
        Some(self.current())
    }

    /// The title a page gets: the site's own for its pages, the host name for anything else.
    pub fn title_for(&self, url: &str) -> String {
        let (origin, path) = split_url(url);
        for site in SITES {
            if site.origin == origin {
                let known = site.pages.iter().find(|p| p.path == path);
                return known.map_or_else(|| site.name.to_string(), |p| p.title.to_string());
            }
        }
        let host = origin.split("://").nth(1).unwrap_or(origin);
        if host.is_empty() {
            url.to_string()
        } else {
            host.to_string()
        }
    }

    /// A plausible document height for full-page screenshots and `get_browser_state`.
    pub fn document_height(&self) -> u32 {
        self.viewport.height * 3
    }
}

/// `("https://host:port", "/path?query")`; a URL without `://` is all path.
pub fn split_url(url: &str) -> (&str, &str) {
    let Some(scheme_end) = url.find("://") else { return ("", url) };
    let rest = &url[scheme_end + 3..];
    match rest.find(['/', '?', '#']) {
        Some(i) => url.split_at(scheme_end + 3 + i),
        None => (url, "/"),
    }
}

/// What a browser does with a typed URL: adds a scheme when none is given, refuses what is not a
/// navigation. The error text is what the user sees in the command result.
pub fn normalize_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    if url.is_empty() {
        return Err("navigate needs params.url".into());
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("javascript:") {
        return Err("javascript: URLs are not navigations; use execute_js".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} is not a valid URL"));
    }
    if lower.starts_with("about:") || lower.starts_with("data:") {
        return Ok(url.to_string());
    }
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        let local =
            ["localhost", "127.", "0.0.0.0", "[::1]", "10.", "192.168."].iter().any(|p| lower.starts_with(p));
        format!("{}://{url}", if local { "http" } else { "https" })
    };
    let (origin, path) = split_url(&with_scheme);
    let scheme = origin.split("://").next().unwrap_or("");
    let host = origin.split("://").nth(1).unwrap_or("");
    let scheme_ok = !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || (host.is_empty() && scheme != "file") {
        return Err(format!("{raw:?} is not a valid URL"));
    }
    // Browsers show a bare origin with a trailing slash.
    Ok(if path == "/" && !with_scheme.ends_with('/') { format!("{with_scheme}/") } else { with_scheme })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_moves_like_a_browser() {
        let mut tab = Tab::new(1);
        assert_eq!(tab.url(), "https://shop.acme.test/cart");
        assert_eq!(tab.title(), "Cart — Acme Shop");
        assert!(tab.step(false).is_none());
        tab.visit("https://shop.acme.test/checkout");
        tab.visit("https://example.com/");
        assert_eq!(tab.title(), "example.com");
        assert_eq!(tab.step(false).map(|e| e.title.clone()).as_deref(), Some("Checkout — Acme Shop"));
        assert!(tab.can_go_forward());
        tab.visit("https://shop.acme.test/products/42");
        assert!(!tab.can_go_forward(), "a new visit drops forward history");
        assert_eq!(tab.history_len(), 3);
    }

    #[test]
    fn urls_are_normalized_or_refused() {
        assert_eq!(normalize_url("example.com").as_deref(), Ok("https://example.com/"));
        assert_eq!(normalize_url("localhost:3000/x").as_deref(), Ok("http://localhost:3000/x"));
        assert_eq!(normalize_url(" https://a.test/p?q=1 ").as_deref(), Ok("https://a.test/p?q=1"));
        assert!(normalize_url("").is_err());
        assert!(normalize_url("javascript:alert(1)").is_err());
        assert!(normalize_url("http://").is_err());
        assert!(normalize_url("a b").is_err());
        assert_eq!(split_url("https://h.test"), ("https://h.test", "/"));
        assert_eq!(split_url("https://h.test/a?b"), ("https://h.test", "/a?b"));
    }
}
