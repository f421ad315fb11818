//! The Python MCP client the MCP tests drive (tests/py/mcp_client.py), shared by tests/mcp.rs and
//! tests/e2e_chromium.rs.
#![allow(dead_code)]

pub const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/mcp_client.py");

/// Whether `python3` has the `mcp` SDK (`./scripts/test` installs it).
pub fn mcp_sdk_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import mcp"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
