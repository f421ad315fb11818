//! Dialects: translations at the edge between another seed's wire shapes and ours (the
//! canonical envelope and [`super::Command`]). None owns state or routes commands itself.
//!
//! The browser-tools dialect is still in `super::compat`; seed 002 (MetaDock),
//! seed 004 (MCP-RS) and seed 001 (Semantest) pub/sub are here.

pub mod mcp_rs;
pub mod mcp_rs_presence;
pub mod mcp_rs_sessions;
pub mod metadock;
pub mod semantest;
