//! Owns the UI's exports: what a pane shows (its compiled filter, marks included) written under the
//! data dir's `exports/` with a timestamped name. Runs on a blocking thread, never the UI's.

use crate::export::file::{file_name, write_file};
use crate::export::{har, select::Selection};
use crate::server::Connector;
use crate::ui::filter::Filter;

/// Writes the network events `filter` matches (and their sockets' frames) as HAR; the toast's
/// sentence, naming the file, or why it could not be written.
pub fn export_har(connector: &Connector, filter: Option<&Filter>) -> Result<String, String> {
    // The store is read only while picking; the (long) write runs after the lock is released.
    let picked = Selection::default().pick_with(&connector.store().read(), filter);
    let name = file_name(None, "har", chrono::Utc::now())?;
    let path = connector.exports_dir().join(name);
    let summary = write_file(&path, |f| har::write_to(f, &picked))?;
    Ok(format!("Exported {} requests as HAR: {}", summary.entries, path.display()))
}
