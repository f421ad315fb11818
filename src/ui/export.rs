//! Owns the UI's exports: what a pane shows (its compiled filter, marks included) written under the
//! data dir's `exports/` with a timestamped name. Runs on a blocking thread, never the UI's.

use crate::export::console::{self, ConsoleFormat};
use crate::export::file::{file_name, write_file};
use crate::export::{har, select::Selection};
use crate::server::Connector;
use crate::ui::filter::Filter;

/// Which pane's rows, in which format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiExport {
    /// The Network pane's requests (and their sockets' frames) as HAR 1.2.
    Har,
    /// The Console pane's rows.
    Console(ConsoleFormat),
}

impl UiExport {
    pub fn describe(self) -> &'static str {
        match self {
            UiExport::Har => "the Network rows as HAR",
            UiExport::Console(ConsoleFormat::Ndjson) => "the Console rows as NDJSON",
            UiExport::Console(ConsoleFormat::Text) => "the Console rows as text",
        }
    }

    /// Writes the events `filter` matches; the toast's sentence, naming the file, or why it
    /// could not be written. The store is read only while picking; the (long) write runs after
    /// the lock is released.
    pub fn run(self, connector: &Connector, filter: Option<&Filter>) -> Result<String, String> {
        let store = connector.store();
        let now = chrono::Utc::now();
        match self {
            UiExport::Har => {
                let picked = Selection::default().pick_with(&store.read(), filter);
                let path = connector.exports_dir().join(file_name(None, "har", now)?);
                let summary = write_file(&path, |f| har::write_to(f, &picked))?;
                Ok(format!("Exported {} requests as HAR: {}", summary.entries, path.display()))
            }
            UiExport::Console(format) => {
                let events = Selection::default().pick_console(&store.read(), filter);
                let path = connector.exports_dir().join(file_name(None, format.ext(), now)?);
                let n = write_file(&path, |f| console::write_to(f, &events, format))?;
                Ok(format!("Exported {n} console messages: {}", path.display()))
            }
        }
    }
}
