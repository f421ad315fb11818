//! Chromium with the triage extension (assets/extension) loaded unpacked, in its own process
//! group, pointed at a connector through `options.html?server=…&token=…&next=…` (opened with
//! DevTools' `/json/new`), the start-up blank tab closed: the tests' one launcher for that.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Guard, WAIT};

/// The `key` in assets/extension/manifest.json fixes this id (sha256 of the key, a–p encoded).
pub const EXTENSION_ID: &str = "dmpdammccilapbfdhclkcigcidibfdbh";

/// Percent-encodes a URL query component.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Starts Chromium with the extension, waits for its service worker, points it at the connector
/// `connector` (`http://host:port`) with `token`, and lets that tab go on to `next`. Returns the
/// DevTools port. The browser's process group is killed when `guard` drops.
pub async fn start_chromium_with_extension(
    guard: &mut Guard,
    chromium: &Path,
    connector: &str,
    token: Option<&str>,
    next: &str,
) -> u16 {
    let profile = guard.temp_dir("extension-profile");
    let extension = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/extension");
    let child = Command::new(chromium)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg("--remote-debugging-port=0")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--load-extension={}", extension.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn chromium");
    guard.browser_groups.push(child.id());
    guard.browsers.push(child);
    let deadline = Instant::now() + WAIT * 3;
    let port: u16 = loop {
        let text = std::fs::read_to_string(profile.join("DevToolsActivePort")).unwrap_or_default();
        if let Some(port) = text.lines().next().and_then(|l| l.trim().parse().ok()) {
            break port;
        }
        assert!(Instant::now() < deadline, "chromium wrote no DevToolsActivePort");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let devtools = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let blank: Vec<String> = loop {
        let targets: Vec<Value> = match http.get(format!("{devtools}/json/list")).send().await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let worker = targets.iter().any(|t| {
            t["type"] == "service_worker" && t["url"].as_str().is_some_and(|u| u.contains(EXTENSION_ID))
        });
        if worker {
            break targets
                .iter()
                .filter(|t| t["type"] == "page")
                .filter_map(|t| t["id"].as_str().map(str::to_string))
                .collect();
        }
        assert!(Instant::now() < deadline, "the extension's service worker did not start: {targets:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let server = connector.replacen("http://", "ws://", 1);
    let options = format!(
        "chrome-extension://{EXTENSION_ID}/options.html?server={}{}&next={}",
        encode(&format!("{server}/extension-ws")),
        token.map(|t| format!("&token={}", encode(t))).unwrap_or_default(),
        encode(next),
    );
    let opened =
        http.put(format!("{devtools}/json/new?{}", encode(&options))).send().await.expect("/json/new");
    assert!(opened.status().is_success(), "DevTools /json/new: {}", opened.status());
    for id in blank {
        let _ = http.get(format!("{devtools}/json/close/{id}")).send().await;
    }
    port
}
