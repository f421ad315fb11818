//! The task that lists what the store's reorder window holds once it falls due, so the last
//! events of a connection that went quiet still appear (the window itself: `store::reorder`).
//! Idle while nothing is held: it waits for the next change.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Connector;
use crate::protocol::timestamp::now_ms;

pub(crate) async fn run(connector: Connector, token: CancellationToken) {
    let window = connector.shared.config.reorder_window_ms.min(60_000) as i64;
    connector.shared.store.write().set_reorder_window(window);
    let mut changes = connector.changes();
    loop {
        let due = connector.shared.store.read().reorder_next_due();
        match due {
            None => tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = token.cancelled() => break,
            },
            Some(at) => {
                let wait = Duration::from_millis((at - now_ms()).max(0) as u64);
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = token.cancelled() => break,
                }
                if connector.shared.store.write().release_due(now_ms()) > 0 {
                    connector.notify_changed();
                }
            }
        }
    }
}
