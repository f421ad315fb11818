//! Finding, starting and stopping Chrome/Chromium, and finding the DevTools WebSocket of one
//! that is already running (`--attach`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::BrowserOptions;

/// Names tried on PATH when neither `--browser` nor `TRIAGE_BROWSER` says which browser.
const CANDIDATES: [&str; 5] =
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];
const MAC_APPS: [&str; 2] = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
];
/// How long a launched browser has to write `DevToolsActivePort`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A browser this process started: closed (and its throwaway profile removed) when dropped.
pub struct Launched {
    child: tokio::process::Child,
    pub profile: PathBuf,
    throwaway: bool,
    pub ws_url: String,
}

impl Drop for Launched {
    fn drop(&mut self) {
        // kill_on_drop is set too; doing it here first lets the profile be removed afterwards.
        let _ = self.child.start_kill();
        if self.throwaway {
            // Chromium's helpers may still hold files for a moment: best effort.
            for _ in 0..20 {
                if std::fs::remove_dir_all(&self.profile).is_ok() || !self.profile.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Launched {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits (bounded) for the browser process to exit after `Browser.close`.
    pub async fn wait_exit(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.child.wait()).await.is_ok()
    }
}

/// The browser executable: `--browser`/`TRIAGE_BROWSER`, else the usual names on PATH, else the
/// standard macOS app paths.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        if let Some(found) = on_path(&p.to_string_lossy()) {
            return Ok(found);
        }
        bail!(
            "--browser {}: no such executable (set --browser PATH or TRIAGE_BROWSER to Chrome or Chromium)",
            p.display()
        );
    }
    for name in CANDIDATES {
        if let Some(found) = on_path(name) {
            return Ok(found);
        }
    }
    for app in MAC_APPS {
        if Path::new(app).is_file() {
            return Ok(PathBuf::from(app));
        }
    }
    bail!(
        "--launch: no Chrome or Chromium found (looked for {} on PATH and the macOS app folder). \
         Install Chromium (e.g. `apt-get install chromium`) or pass --browser PATH (or TRIAGE_BROWSER)",
        CANDIDATES.join(", ")
    )
}

fn on_path(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Whether this process runs as root (Chromium then refuses to start without `--no-sandbox`).
pub fn running_as_root() -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::env::var("USER").map(|u| u == "root").unwrap_or(false)
    }
}

/// Starts the browser with remote debugging on a free port and waits for its DevTools endpoint.
pub async fn launch(options: &BrowserOptions, data_dir: &Path, url: &str) -> Result<Launched> {
    let exe = find_browser(options.browser.as_deref())?;
    let (profile, throwaway) = if options.isolated {
        let dir = std::env::temp_dir().join(format!("triage-tui-chrome-{}", uuid::Uuid::new_v4().simple()));
        (dir, true)
    } else {
        (data_dir.join("chrome-profile"), false)
    };
    std::fs::create_dir_all(&profile)
        .with_context(|| format!("cannot create the browser profile {}", profile.display()))?;
    let port_file = profile.join("DevToolsActivePort");
    // A stale file from an earlier run would point at a port nobody listens on.
    let _ = std::fs::remove_file(&port_file);
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.arg("--remote-debugging-port=0").arg(format!("--user-data-dir={}", profile.display())).args([
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--password-store=basic",
        "--use-mock-keychain",
    ]);
    if options.headless {
        cmd.args(["--headless=new", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]);
    }
    if running_as_root() {
        tracing::warn!(
            "running as root: starting the browser with --no-sandbox (Chromium refuses root otherwise)"
        );
        cmd.arg("--no-sandbox");
    }
    // The browser's own messages go to a file beside ours, never to the terminal the UI owns.
    let log = std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::File::create(data_dir.join("browser.log")))
        .map_or_else(|_| Stdio::null(), Stdio::from);
    cmd.arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).kill_on_drop(true);
    let child = cmd.spawn().with_context(|| format!("--launch: cannot start {}", exe.display()))?;
    tracing::info!(browser = %exe.display(), profile = %profile.display(), pid = child.id(), "browser started");
    let mut launched = Launched { child, profile, throwaway, ws_url: String::new() };
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                if let Ok(port) = port.trim().parse::<u16>() {
                    launched.ws_url = format!("ws://127.0.0.1:{port}{}", path.trim());
                    return Ok(launched);
                }
            }
        }
        if let Ok(Some(status)) = launched.child.try_wait() {
            let no_display = cfg!(target_os = "linux")
                && std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none();
            if no_display && !options.headless {
                bail!(
                    "--launch: {} exited at once ({status}) and there is no display: add --headless",
                    exe.display()
                );
            }
            bail!(
                "--launch: {} exited at once ({status}). If another Chrome uses the profile {}, close it or pass --isolated",
                exe.display(),
                launched.profile.display()
            );
        }
        if started.elapsed() > START_TIMEOUT {
            bail!(
                "--launch: {} did not open its DevTools port within {} s",
                exe.display(),
                START_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The browser WebSocket URL for `--attach`: a `ws://…/devtools/browser/…` URL as is, or an
/// `http://host:port` whose `/json/version` names it.
pub async fn resolve_attach(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("ws://") || url.starts_with("wss://") {
        return Ok(url.to_string());
    }
    let hostport = url.strip_prefix("http://").unwrap_or(url);
    if url.starts_with("https://") {
        bail!("--attach {url}: use the http:// DevTools address (e.g. http://127.0.0.1:9222) or a ws:// URL");
    }
    let hostport = hostport.split('/').next().unwrap_or(hostport);
    let hint = format!(
        "--attach {url}: no DevTools endpoint answers there. Start Chrome with \
         `--remote-debugging-port=9222 --user-data-dir=/tmp/chrome-debug` (recent Chrome ignores the port \
         on its default profile), or use --launch"
    );
    let body = match tokio::time::timeout(Duration::from_secs(5), http_get(hostport, "/json/version")).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => bail!("{hint} ({e:#})"),
        Err(_) => bail!("{hint} (no answer within 5 s)"),
    };
    let v: Value =
        serde_json::from_str(&body).with_context(|| format!("{hint}: /json/version is not JSON"))?;
    v.get("webSocketDebuggerUrl")
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("{hint}: /json/version names no webSocketDebuggerUrl"))
}

/// A minimal HTTP/1.1 GET (the DevTools HTTP endpoint is plain and local). Chrome keeps the
/// connection open despite `Connection: close`, so the body is read by its Content-Length.
async fn http_get(hostport: &str, path: &str) -> Result<String> {
    let mut tcp = tokio::net::TcpStream::connect(hostport).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = tcp.read(&mut chunk).await?;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
            });
            let body_start = end + 4;
            let complete = length.is_some_and(|len| buf.len() >= body_start + len);
            if complete || n == 0 || buf.len() > 1 << 20 {
                if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
                    bail!("HTTP {}", head.lines().next().unwrap_or(""));
                }
                let end = length.map_or(buf.len(), |len| (body_start + len).min(buf.len()));
                return Ok(String::from_utf8_lossy(&buf[body_start..end]).to_string());
            }
        } else if n == 0 {
            bail!("the connection closed before an HTTP answer");
        }
    }
}
