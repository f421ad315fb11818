//! triage-tui: a terminal debugging console for web developers.
//!
//! `protocol` is the wire format (pure), `store` the bounded event store, `server` the embedded
//! connector (HTTP + WebSocket), `config` and `logging` the process around them, `ui` the terminal UI.

pub mod cli;
pub mod config;
pub mod demo;
pub mod logging;
pub mod protocol;
pub mod serve;
pub mod server;
pub mod store;
pub mod ui;
