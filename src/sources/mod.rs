//! Browser sources other than an extension connection: each registers its sessions in the
//! connector's registry and takes commands from the same outbound queue, so the UI, REST,
//! `/mcp-ws` and MCP never know which kind of browser they drive.

pub mod cdp;
