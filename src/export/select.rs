//! Picks what an export holds from the store: network events (and their sockets' frames) matching
//! the filter language and a session, oldest first.

use std::collections::HashSet;

use crate::store::{Category, Ev, FrameRecord, Store, StoredEvent};
use crate::ui::filter::{json_str_field, Filter};

/// What to export: a filter expression (the `/` language) and a session id, both optional.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: Option<String>,
    pub session: Option<String>,
}

/// The network events and page frames an export is built from.
#[derive(Debug, Default)]
pub struct Picked {
    pub network: Vec<StoredEvent>,
    pub frames: Vec<FrameRecord>,
    /// Navigations (`browser-event`), for the HAR's pages.
    pub navigations: Vec<StoredEvent>,
}

impl Selection {
    /// Parses the filter; a bad expression is a clear error naming it. (`is:marked` matches
    /// nothing here: marks live in the UI, whose exports pass its own filter to `pick_with`.)
    pub fn pick(&self, store: &Store) -> Result<Picked, String> {
        Ok(self.pick_with(store, self.compiled()?.as_ref()))
    }

    /// The filter expression compiled; a bad one is a clear error naming it.
    pub fn compiled(&self) -> Result<Option<Filter>, String> {
        match self.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(f) => Filter::parse(f).map_err(|e| format!("bad filter {f:?}: {e}")),
            None => Ok(None),
        }
    }

    /// The Console pane's events (console messages, browser events, screenshots, command lines)
    /// that the filter and session pick, oldest first.
    pub fn pick_console(&self, store: &Store, filter: Option<&Filter>) -> Vec<StoredEvent> {
        let in_session = |s: &str| self.session.as_deref().filter(|x| !x.is_empty()).is_none_or(|x| x == s);
        store
            .log(Category::Console)
            .iter()
            .map(|(_, e)| e)
            .filter(|e| in_session(&e.session) && filter.is_none_or(|f| f.matches_event(e)))
            .map(Ev::into_owned)
            .collect()
    }

    /// Picks with an already compiled filter (the UI's, which knows the marks); `self.filter`
    /// is not read.
    pub fn pick_with(&self, store: &Store, filter: Option<&Filter>) -> Picked {
        let in_session = |s: &str| self.session.as_deref().filter(|x| !x.is_empty()).is_none_or(|x| x == s);
        let network: Vec<StoredEvent> = store
            .log(Category::Network)
            .iter()
            .map(|(_, e)| e)
            .filter(|e| in_session(&e.session) && filter.is_none_or(|f| f.matches_event(e)))
            .map(Ev::into_owned)
            .collect();
        let owned: HashSet<&[u8]> =
            network.iter().filter_map(|e| json_str_field(e.raw_str().as_bytes(), b"requestId")).collect();
        let frames = store
            .frames
            .log()
            .iter()
            .map(|(_, f)| f)
            .filter(|f| matches!(f.origin, crate::store::FrameOrigin::Page) && in_session(&f.session))
            .filter(|f| filter.is_none_or(|x| x.matches_frame(f)) || owned.contains(f.traffic_id.as_bytes()))
            .cloned()
            .collect();
        let navigations = store
            .log(Category::Console)
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.ty == crate::protocol::MessageType::BrowserEvent && in_session(&e.session))
            .map(Ev::into_owned)
            .collect();
        Picked { network, frames, navigations }
    }
}
