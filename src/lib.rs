//! triage-tui: a terminal debugging console for web developers.
//!
//! `protocol` is the wire format (pure), `store` the bounded event store, `server` the embedded
//! connector (HTTP + WebSocket), `config` and `logging` the process around them, `ui` the terminal UI,
//! `mcp` the MCP server for AI assistants (stdio and `/mcp`).
//! `sources` the browsers that are not an extension connection (Chrome over CDP).

pub mod broker;
pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod logging;
pub mod mcp;
pub mod protocol;
pub mod serve;
pub mod server;
pub mod sources;
pub mod store;
pub mod ui;

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// When the program started (the first call to this, which `main` makes first thing).
pub fn started() -> std::time::Instant {
    *STARTED.get_or_init(std::time::Instant::now)
}
