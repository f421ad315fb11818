//! Owns which browser a command goes to and how sessions are named for people.
//!
//! `auto` means: the session of the row the user selected (a console line, a request, a
//! frame, a browser in the Sessions pane; not the newest row a following list moves to), else
//! the one the last command went to, else the most recently active browser. A session is named by its tab's title and host
//! (`Cart · shop.example.com`), its id only when nothing better is known.

use super::sanitize;
use super::state::{Selected, State};
use crate::server::SessionInfo;

/// The host of a URL (`shop.example.com`), or the URL itself when it has none.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// A session as people know it: `Cart · shop.example.com`.
pub fn session_name(s: &SessionInfo) -> String {
    let title = s.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let host = s.url.as_deref().map(host_of).filter(|h| !h.is_empty());
    let name = match (title, host) {
        (Some(t), Some(h)) => format!("{} · {h}", sanitize::fit(t, 28)),
        (Some(t), None) => sanitize::fit(t, 28).into_owned(),
        (None, Some(h)) => h.to_string(),
        (None, None) => s.session_id.clone(),
    };
    sanitize::line(&name).into_owned()
}

impl State {
    /// The name of a session by id (the id itself if it is not connected).
    pub fn name_of(&self, id: &str) -> String {
        self.sessions.iter().find(|s| s.session_id == id).map(session_name).unwrap_or_else(|| id.to_string())
    }

    fn connected_browser(&self, id: &str) -> bool {
        self.browsers().any(|s| s.session_id == id)
    }

    /// The session of the row the user selected, when it is a connected browser. While a list
    /// follows, its selection moves by itself with the traffic: that is no choice of the user's.
    pub fn selected_session(&self) -> Option<String> {
        if self.view(self.pane).is_some_and(|v| v.follow) {
            return None;
        }
        let id = match self.selected_item.as_ref()? {
            Selected::Event(_, e) => e.session.to_string(),
            Selected::Frame(f) => f.session.to_string(),
            Selected::Session(s) if s.kind.is_browser() => s.session_id.clone(),
            Selected::Session(_) => return None,
        };
        self.connected_browser(&id).then_some(id)
    }

    /// Where the next command goes, and whether the user pinned it.
    pub fn command_target(&self) -> Option<(String, bool)> {
        if let Some(t) = self.target.as_ref().filter(|t| self.connected_browser(t)) {
            return Some((t.clone(), true));
        }
        self.auto_target().map(|t| (t, false))
    }

    /// Where `auto` sends a command now.
    pub fn auto_target(&self) -> Option<String> {
        self.selected_session()
            .or_else(|| self.last_target.clone().filter(|t| self.connected_browser(t)))
            .or_else(|| self.browsers().max_by_key(|s| s.last_active).map(|s| s.session_id.clone()))
    }

    /// The status bar's "target …" text.
    pub fn target_summary(&self) -> String {
        match self.command_target() {
            Some((id, true)) => format!("target {} (pinned)", self.name_of(&id)),
            Some((id, false)) => format!("target {}", self.name_of(&id)),
            None => "target: no browser".to_string(),
        }
    }
}
