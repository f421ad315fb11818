//! Seed 004 (MCP-RS): the book of its REST-created sessions (Pending → Active → Expired /
//! Invalidated), which a `/ws` connection presents as its credential. Only the lifecycle lives
//! here; the connections themselves are in the one session registry like every other client.

use std::collections::HashMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use parking_lot::Mutex;
use serde_json::{json, Value};

/// The most sessions kept; past it ended ones are dropped, then creation is refused.
pub const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Active,
    Expired,
    Invalidated,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "Pending",
            State::Active => "Active",
            State::Expired => "Expired",
            State::Invalidated => "Invalidated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct McpSession {
    pub session_id: String,
    pub user_id: String,
    pub client_info: Option<String>,
    /// Pending, Active or Invalidated as set; Expired is read off `expires_at`.
    state: State,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl McpSession {
    /// The state at `now`: a session past its expiry is Expired unless it was invalidated.
    pub fn state_at(&self, now: DateTime<Utc>) -> State {
        match self.state {
            State::Invalidated => State::Invalidated,
            _ if now >= self.expires_at => State::Expired,
            s => s,
        }
    }

    /// The seed's session info shape.
    pub fn to_json(&self, now: DateTime<Utc>) -> Value {
        let mut v = json!({
            "session_id": self.session_id,
            "user_id": self.user_id,
            "state": self.state_at(now).as_str(),
            "created_at": self.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "expires_at": self.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        if let Some(info) = &self.client_info {
            v["client_info"] = Value::String(info.clone());
        }
        v
    }
}

/// Why a session id is not accepted: the seed's `INVALID_SESSION` either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Unknown,
    Ended(State),
}

impl Invalid {
    pub fn message(self) -> &'static str {
        match self {
            Invalid::Unknown => "Session not found or expired",
            Invalid::Ended(State::Invalidated) => "Session was invalidated",
            Invalid::Ended(_) => "Session expired",
        }
    }
}

#[derive(Default)]
pub struct SessionBook {
    sessions: Mutex<HashMap<String, McpSession>>,
    /// The connections open on each session (`super::mcp_rs_presence`).
    pub presence: super::mcp_rs_presence::Presence,
}

impl SessionBook {
    /// A new Pending session; `None` when the book is full of live sessions.
    pub fn create(
        &self,
        user_id: String,
        client_info: Option<String>,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Option<McpSession> {
        let mut sessions = self.sessions.lock();
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| matches!(s.state_at(now), State::Pending | State::Active));
            if sessions.len() >= MAX_SESSIONS {
                return None;
            }
        }
        let session = McpSession {
            session_id: uuid::Uuid::new_v4().to_string(),
            user_id,
            client_info,
            state: State::Pending,
            created_at: now,
            expires_at: now + lifetime,
        };
        sessions.insert(session.session_id.clone(), session.clone());
        Some(session)
    }

    pub fn get(&self, id: &str) -> Option<McpSession> {
        self.sessions.lock().get(id).cloned()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.sessions.lock().contains_key(id)
    }

    /// A Pending (or already Active) session becomes Active.
    pub fn activate(&self, id: &str, now: DateTime<Utc>) -> Result<McpSession, Invalid> {
        self.transition(id, now, State::Active)
    }

    /// A live session becomes Invalidated: its id is refused from then on.
    pub fn invalidate(&self, id: &str, now: DateTime<Utc>) -> Result<McpSession, Invalid> {
        self.transition(id, now, State::Invalidated)
    }

    /// The session, when `id` may open a connection at `now` (Pending or Active).
    pub fn validate(&self, id: &str, now: DateTime<Utc>) -> Result<McpSession, Invalid> {
        let sessions = self.sessions.lock();
        let s = sessions.get(id).ok_or(Invalid::Unknown)?;
        match s.state_at(now) {
            State::Pending | State::Active => Ok(s.clone()),
            ended => Err(Invalid::Ended(ended)),
        }
    }

    fn transition(&self, id: &str, now: DateTime<Utc>, to: State) -> Result<McpSession, Invalid> {
        let mut sessions = self.sessions.lock();
        let s = sessions.get_mut(id).ok_or(Invalid::Unknown)?;
        match s.state_at(now) {
            State::Pending | State::Active => {
                s.state = to;
                Ok(s.clone())
            }
            ended => Err(Invalid::Ended(ended)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_is_pending_active_then_expired_or_invalidated() {
        let book = SessionBook::default();
        let t0 = Utc::now();
        let s = book.create("u1".into(), None, Duration::hours(24), t0).unwrap();
        assert_eq!(s.state_at(t0), State::Pending);
        assert_eq!(book.activate(&s.session_id, t0).unwrap().state_at(t0), State::Active);
        assert!(book.validate(&s.session_id, t0 + Duration::hours(23)).is_ok());
        let later = t0 + Duration::hours(24);
        assert_eq!(book.validate(&s.session_id, later).unwrap_err(), Invalid::Ended(State::Expired));
        assert_eq!(book.activate(&s.session_id, later).unwrap_err(), Invalid::Ended(State::Expired));
        let other = book.create("u2".into(), Some("cli".into()), Duration::hours(24), t0).unwrap();
        book.invalidate(&other.session_id, t0).unwrap();
        assert_eq!(book.validate(&other.session_id, t0).unwrap_err(), Invalid::Ended(State::Invalidated));
        assert_eq!(book.get(&other.session_id).unwrap().to_json(later)["state"], "Invalidated");
        assert_eq!(book.validate("nope", t0).unwrap_err(), Invalid::Unknown);
    }

    #[test]
    fn a_full_book_drops_ended_sessions_first() {
        let book = SessionBook::default();
        let t0 = Utc::now();
        for _ in 0..MAX_SESSIONS {
            book.create("u".into(), None, Duration::seconds(1), t0).unwrap();
        }
        assert!(book.create("u".into(), None, Duration::seconds(1), t0).is_none(), "all live");
        let later = t0 + Duration::seconds(2);
        assert!(book.create("u".into(), None, Duration::seconds(1), later).is_some());
        assert_eq!(book.sessions.lock().len(), 1);
    }
}
