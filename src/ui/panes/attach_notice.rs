//! The one line the Network and Frames panes show while the tab a command would go to was
//! attached after its page had loaded: what it requested before is not captured (DevTools says
//! "reload to record"). It goes once the page navigates or reloads after the attach.

use super::fmt_time;
use crate::ui::action::{Action, Pane};
use crate::ui::state::State;

/// The notice for the pane in view, if any.
pub fn capture_notice(state: &State) -> Option<String> {
    let noun = match state.pane {
        Pane::Network => "Requests and sockets",
        Pane::Frames => "Sockets",
        _ => return None,
    };
    if state.replay.is_some() {
        return None;
    }
    let (id, _) = state.command_target()?;
    let at = state.sessions.iter().find(|s| s.session_id == id)?.attached_after_load?;
    let time = fmt_time(at, state.utc);
    let time = time.split('.').next().unwrap_or(&time);
    let keys = state.keymap.keys_for(&Action::Reload);
    let reload = match keys.split(' ').next().filter(|k| !k.is_empty()) {
        Some(k) => format!("{k} reloads"),
        None => "reload the page to record them".into(),
    };
    Some(format!("{noun} opened before {time} (attach) are not captured — {reload}"))
}
