//! The Sessions pane: connected browsers and clients — id, kind, tab, URL, connected since,
//! messages in/out.

use super::{cell_text, col, fmt_time, Column, Detail, Row, Tone, Width};
use crate::server::{PeerKind, SessionInfo};

pub const COLUMNS: &[Column] = &[
    col("session", Width::Fixed(17)),
    col("kind", Width::Fixed(8)),
    col("tab", Width::Fixed(8)),
    col("connected", Width::Fixed(12)),
    col("in", Width::Fixed(8)),
    col("out", Width::Fixed(8)),
    col("page", Width::Fill),
];

pub fn kind_name(s: &SessionInfo) -> &'static str {
    match s.kind {
        PeerKind::Extension => "browser",
        PeerKind::Client if s.subprotocol.as_deref() == Some(crate::mcp::presence::MCP_SUBPROTOCOL) => "mcp",
        PeerKind::Client => "client",
        PeerKind::Cdp => "cdp",
        PeerKind::Remote if s.stale => "stale",
        PeerKind::Remote => "remote",
    }
}

pub fn row(s: &SessionInfo, utc: bool, target: bool) -> Row {
    let mut id = cell_text(&s.session_id);
    if target {
        id.push_str(" ◎");
    }
    Row::new(
        0,
        s.connected_at,
        vec![
            id,
            kind_name(s).to_string(),
            cell_text(s.tab_id.as_deref().unwrap_or("-")),
            fmt_time(s.connected_at, utc),
            s.messages.to_string(),
            s.messages_out.to_string(),
            cell_text(&page_of(s)),
        ],
        match s.kind {
            PeerKind::Remote if s.stale => Tone::Warn,
            PeerKind::Extension | PeerKind::Cdp | PeerKind::Remote => Tone::Normal,
            PeerKind::Client => Tone::Muted,
        },
    )
}

/// A session's page: its title and URL (or a client's type).
fn page_of(s: &SessionInfo) -> String {
    match (s.title.as_deref().filter(|t| !t.is_empty()), s.url.as_deref()) {
        (Some(t), Some(u)) => format!("{t} — {u}"),
        (None, Some(u)) => u.to_string(),
        _ => s.client_type.clone().unwrap_or_default(),
    }
}

pub fn detail(s: &SessionInfo, utc: bool) -> Detail {
    let mut d = Detail::default();
    d.heading(&format!("{} {}", kind_name(s), s.session_id));
    d.field("kind", kind_name(s));
    d.field("dialect", &format!("{:?}", s.dialect));
    d.field("tab", s.tab_id.as_deref().unwrap_or(""));
    d.field("url", s.url.as_deref().unwrap_or(""));
    d.field("title", s.title.as_deref().unwrap_or(""));
    d.field("client", s.client_type.as_deref().unwrap_or(""));
    d.field("subprotocol", s.subprotocol.as_deref().unwrap_or(""));
    d.field("remote", &s.remote);
    d.field("connected", &fmt_time(s.connected_at, utc));
    d.field("last active", &fmt_time(s.last_active, utc));
    d.field("messages in", &s.messages.to_string());
    d.field("messages out", &s.messages_out.to_string());
    if s.stale {
        d.field("stale", "its connector is out of reach while the broker is down");
    }
    if s.rate_limited > 0 {
        d.field("rate limited", &s.rate_limited.to_string());
    }
    if s.kind.is_browser() {
        d.muted("t chooses the target browser for commands");
    }
    d
}

#[cfg(test)]
mod tests {
    use crate::server::{PeerKind, SessionInfo};

    fn remote(stale: bool) -> SessionInfo {
        SessionInfo {
            session_id: "ci-a/ext-1".into(),
            kind: PeerKind::Remote,
            url: Some("https://a.test/".into()),
            client_type: Some("connector:ci-a".into()),
            remote: "connector ci-a".into(),
            messages: 1,
            stale,
            ..SessionInfo::default()
        }
    }

    #[test]
    fn a_stale_remote_session_says_so_in_its_row_and_detail() {
        let fresh = super::row(&remote(false), true, false);
        assert_eq!(fresh.cells[1], "remote");
        assert_eq!(fresh.tone, super::Tone::Normal);
        let stale = super::row(&remote(true), true, false);
        assert_eq!(stale.cells[1], "stale");
        assert_eq!(stale.tone, super::Tone::Warn);
        let detail = format!("{:?}", super::detail(&remote(true), true));
        assert!(detail.contains("broker is down"), "{detail}");
    }
}
