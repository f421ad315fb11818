//! End to end: the real binary in a detached tmux session (its own socket), a real WebSocket
//! client playing the browser, keys sent with `send-keys`, the screen read with `capture-pane`.
//! Every wait is a poll with a deadline; the tmux server is always killed (Drop guard).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use common::tmux::{tmux_available, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");
/// A 1x1 PNG.
const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(unique("triage-ui-e2e"));
        std::fs::create_dir_all(p.join("data")).unwrap();
        std::fs::create_dir_all(p.join("config")).unwrap();
        TempDir(p)
    }
    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    fn config(&self) -> PathBuf {
        self.0.join("config")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the fake browser received from the connector.
type Inbox = Arc<Mutex<Vec<Value>>>;

async fn wait_received(inbox: &Inbox, ty: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = inbox.lock().unwrap().iter().find(|m| m["type"] == ty) {
            return v.clone();
        }
        assert!(Instant::now() < deadline, "the browser never received {ty}: {:?}", inbox.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Connects a fake browser; it answers screenshot requests with a PNG and actions with success.
async fn browser(port: u16, inbox: Inbox) -> tokio::sync::mpsc::Sender<Value> {
    let mut req = format!("ws://127.0.0.1:{port}/extension-ws").into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "rapidtriage-extension-v1".parse().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let ws = loop {
        match tokio_tungstenite::connect_async(req.clone()).await {
            Ok((ws, _)) => break ws,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot connect to the connector: {e}"),
        }
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Value>(64);
    let replies = tx.clone();
    tokio::spawn(async move {
        while let Some(v) = rx.recv().await {
            if sink.send(Message::Text(v.to_string().into())).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let Message::Text(text) = msg else { continue };
            let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
            let id = v["id"].clone();
            match v["type"].as_str() {
                Some("screenshot-request") => {
                    let _ = replies
                        .send(json!({"id": id, "type": "screenshot-response",
                            "data": {"success": true, "base64": format!("data:image/png;base64,{PNG_B64}")}}))
                        .await;
                }
                Some("browser-action") | Some("clear-logs") => {
                    let _ = replies
                        .send(json!({"id": id, "type": "command-result", "data": {"success": true, "data": null}}))
                        .await;
                }
                _ => {}
            }
            inbox.lock().unwrap().push(v);
        }
    });
    tx.send(json!({"type": "connection-init", "data": {"clientType": "e2e-browser", "tabId": "tab-e2e", "url": "https://e2e.example.com/"}}))
        .await
        .unwrap();
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_shows_traffic_sends_commands_and_quits_cleanly() {
    if !tmux_available() {
        eprintln!("tmux is not installed: skipping");
        return;
    }
    let dirs = TempDir::new();
    let port = free_port();
    // An image viewer that fails, as xdg-open does with no viewer for PNG: `o` must say so.
    let bin = dirs.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, "#!/bin/sh\necho 'xdg-open: no method available' >&2\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let tmux = Tmux::start(&dirs.data(), &dirs.config(), &["--port", &port.to_string()], &[("PATH", &path)]);
    let screen = tmux.wait_for("the empty Console", 30, |s| s.contains("No console messages yet"));
    assert!(screen.contains(&format!("127.0.0.1:{port}")), "{screen}");

    let inbox: Inbox = Arc::default();
    let tx = browser(port, inbox.clone()).await;
    wait_received(&inbox, "connection-ack", 10).await;
    for v in [
        json!({"type": "console-log", "data": {"level": "info", "message": "hello from e2e", "source": "e2e.js:1"}}),
        json!({"type": "console-log", "data": {"level": "info", "message": "hello from e2e", "source": "e2e.js:1"}}),
        json!({"type": "console-error", "data": {"level": "error", "message": "boom \u{1b}]0;pwned\u{7}\u{1b}[2J end", "source": "e2e.js:2"}}),
        json!({"type": "network-request", "data": {"url": "https://api.e2e.example.com/orders", "method": "POST", "status": 500, "duration": 31}}),
    ] {
        tx.send(v).await.unwrap();
    }
    let screen =
        tmux.wait_for("the console lines", 15, |s| s.contains("hello from e2e") && s.contains("boom"));
    assert!(screen.contains("×2 hello from e2e"), "repeats collapse:\n{screen}");
    assert!(screen.contains("␛]0;pwned␇␛[2J end"), "escapes are shown inert:\n{screen}");
    assert!(screen.contains("browsers 1"), "{screen}");

    tmux.keys(&["2"]);
    tmux.wait_for("the Network pane", 10, |s| {
        s.contains("api.e2e.example.com/orders") && s.contains("method")
    });

    tmux.keys(&["s"]);
    let req = wait_received(&inbox, "screenshot-request", 10).await;
    assert_eq!(req["data"]["fullPage"], json!(false));
    // The result is a sentence naming the tab, in the status line.
    let screen = tmux.wait_for("the screenshot result", 15, |s| {
        s.contains("screenshot saved") && s.contains("from e2e.example.com")
    });
    let shots: Vec<_> = std::fs::read_dir(dirs.data().join("screenshots")).unwrap().collect();
    assert_eq!(shots.len(), 1, "{screen}");
    tmux.keys(&["1"]);
    tmux.wait_for("the screenshot in the Console", 10, |s| s.contains("screenshot saved"));
    // The newest row (follow mode) is the screenshot: o opens it, y copies it.
    tmux.keys(&["o"]);
    tmux.wait_for("the opener's failure", 10, |s| {
        s.contains("xdg-open could not open") && s.contains("copies the path")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the copy toast", 10, |s| s.contains("Copied screenshot-response as JSON"));

    // JavaScript: the input and its result are a pair in the Console.
    tmux.keys(&["e"]);
    tmux.wait_for("the JavaScript prompt", 10, |s| s.contains("JavaScript in e2e.example.com"));
    tmux.keys(&["-l", "1+1"]);
    tmux.keys(&["Enter"]);
    let action = wait_received(&inbox, "browser-action", 10).await;
    assert_eq!(action["data"]["params"]["script"], "1+1");
    tmux.wait_for("the input/result pair", 10, |s| s.contains("› ") && s.contains("1+1") && s.contains("‹ "));

    // c clears this pane only; C asks, then clears everything and tells the browser.
    tmux.keys(&["c"]);
    tmux.wait_for("the cleared Console", 10, |s| s.contains("Cleared. New rows appear here"));
    tmux.keys(&["2"]);
    tmux.wait_for("Network kept", 10, |s| s.contains("api.e2e.example.com"));
    tmux.keys(&["C"]);
    tmux.wait_for("the question", 10, |s| s.contains("Clear every pane of every tab?"));
    tmux.keys(&["y"]);
    wait_received(&inbox, "clear-logs", 10).await;
    tmux.wait_for("everything cleared", 10, |s| {
        s.contains("No network requests yet") && s.contains("Cleared every pane")
    });

    tmux.keys(&["?"]);
    tmux.wait_for("the help overlay", 10, |s| {
        s.contains("Keys (from your keymap)") && s.contains("screenshot (visible)")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", 10, |s| !s.contains("Keys (from your keymap)"));

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the exit", 15, |s| s.contains("EXITED:"));
    assert!(screen.contains("EXITED:0"), "{screen}");
    assert!(!screen.contains("1 Console"), "the alternate screen was left:\n{screen}");
    drop(tx);
}

/// A filter over a page that has gone quiet finishes by itself (it used to wait for traffic).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_finishes_on_a_quiet_page() {
    if !tmux_available() {
        return;
    }
    let dirs = TempDir::new();
    let port = free_port();
    let rec = dirs.0.join("marks.ndjson");
    let rec_arg = rec.to_string_lossy().into_owned();
    let tmux =
        Tmux::start(&dirs.data(), &dirs.config(), &["--port", &port.to_string(), "--record", &rec_arg], &[]);
    tmux.wait_for("the empty Console", 30, |s| s.contains("No console messages yet"));
    let inbox: Inbox = Arc::default();
    let tx = browser(port, inbox.clone()).await;
    wait_received(&inbox, "connection-ack", 10).await;
    for i in 0..600 {
        tx.send(json!({"type": "console-log", "data": {"level": "info", "message": format!("alpha {i}")}}))
            .await
            .unwrap();
    }
    tmux.wait_for("600 rows", 20, |s| tab_count(s, "Console") == 600);
    // Nothing more arrives from here on.
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "alpha 59"]);
    tmux.keys(&["Enter"]);
    let screen =
        tmux.wait_for("the filtered list", 10, |s| s.contains("alpha 599") && tab_count(s, "Console") == 16);
    assert!(!screen.contains("Filtering"), "{screen}");
    assert!(screen.contains("filter alpha 59 (16)"), "{screen}");
    // A bad filter is refused on Enter, with its hint, and the list stays.
    tmux.keys(&["/"]);
    tmux.keys(&["C-u"]);
    tmux.keys(&["-l", "status:abc"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the hint", 10, |s| s.contains("status:>=400 or status:4xx"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("every row back", 10, |s| tab_count(s, "Console") == 600);
    // Mark the newest row; the mark goes into the --record file and comes back in a replay.
    tmux.keys(&["m"]);
    tmux.wait_for("the mark", 10, |s| s.contains("Marked"));
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", 15, |s| s.contains("EXITED:0"));
    drop(tmux);
    drop(tx);
    let replay = Tmux::start(&dirs.data(), &dirs.config(), &["replay", &rec_arg], &[]);
    replay.wait_for("the replay", 20, |s| s.contains("1 marked") && s.contains("alpha 599"));
    replay.keys(&["/"]);
    replay.keys(&["-l", "is:marked"]);
    replay.keys(&["Enter"]);
    replay.wait_for("the marked row", 10, |s| s.contains("filter is:marked (1)") && s.contains("alpha 599"));
    replay.keys(&["q"]);
    replay.wait_for("the exit", 15, |s| s.contains("EXITED:0"));
}

#[test]
fn a_panic_restores_the_terminal_and_names_the_log() {
    if !tmux_available() {
        return;
    }
    let dirs = TempDir::new();
    let port = free_port();
    let tmux = Tmux::start(
        &dirs.data(),
        &dirs.config(),
        &["--port", &port.to_string()],
        &[("TRIAGE_UI_TEST_PANIC", "1")],
    );
    let screen = tmux.wait_for("the exit", 30, |s| s.contains("EXITED:"));
    assert!(screen.contains("the log is at"), "{screen}");
    assert!(screen.contains("triage-tui.log"), "{screen}");
    assert!(!screen.contains("1 Console"), "the UI is gone:\n{screen}");
    assert!(!screen.contains("EXITED:0"), "{screen}");
}

fn run_plain(dirs: &TempDir, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("TRIAGE_DATA_DIR", dirs.data())
        .env("TRIAGE_CONFIG_DIR", dirs.config())
        .output()
        .unwrap()
}

#[test]
fn port_in_use_bad_theme_and_bad_keys_fail_before_the_terminal_changes() {
    let dirs = TempDir::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = run_plain(&dirs, &["--port", &port]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("already in use") && stderr.contains("--port"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing (no alternate screen) was written to stdout");

    let out = run_plain(&dirs, &["--port", "0", "--theme", "blurple"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("unknown theme \"blurple\""), "{stderr}");

    std::fs::write(dirs.config().join("themes-broken.toml"), "").unwrap();
    std::fs::create_dir_all(dirs.config().join("themes")).unwrap();
    std::fs::write(dirs.config().join("themes").join("mine.toml"), "accent = \"#12\"\n").unwrap();
    let out = run_plain(&dirs, &["--port", "0", "--theme", "mine"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mine.toml") && stderr.contains("line 1"), "{stderr}");

    std::fs::write(
        dirs.config().join("config.toml"),
        "[keys]\n\"ctrl-r\" = \"reload_page\"\n\"Ctrl-R\" = \"quit\"\n",
    )
    .unwrap();
    let out = run_plain(&dirs, &["--port", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("duplicate binding") && stderr.contains("config.toml, line"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// The number a tab shows after its title (`1 Console 29`), with `k`/`M` suffixes.
fn tab_count(screen: &str, title: &str) -> u64 {
    let first = screen.lines().next().unwrap_or("");
    let Some(at) = first.find(&format!(" {title} ")) else { return 0 };
    let rest = &first[at + title.len() + 2..];
    let word = rest.split_whitespace().next().unwrap_or("0");
    let (num, mult) = match word.chars().last() {
        Some('k') => (&word[..word.len() - 1], 1000.0),
        Some('M') => (&word[..word.len() - 1], 1e6),
        _ => (word, 1.0),
    };
    (num.parse::<f64>().unwrap_or(0.0) * mult) as u64
}

#[test]
fn demo_fills_every_pane() {
    if !tmux_available() {
        return;
    }
    let dirs = TempDir::new();
    let port = free_port();
    let tmux = Tmux::start(&dirs.data(), &dirs.config(), &["--port", &port.to_string(), "--demo"], &[]);
    let screen = tmux.wait_for("demo traffic in every pane", 45, |s| {
        ["Console", "Network", "Elements", "Frames", "Sessions"].iter().all(|t| tab_count(s, t) > 0)
    });
    assert!(screen.contains("browsers 2") || screen.contains("browsers 1"), "{screen}");
    for (key, empty) in [
        ("2", "No network requests yet"),
        ("3", "No element selected yet"),
        ("4", "No WebSocket frames yet"),
        ("5", "No browser or client connected"),
        ("1", "No console messages yet"),
    ] {
        tmux.keys(&[key]);
        std::thread::sleep(Duration::from_millis(300));
        let s = tmux.wait_for("a filled pane", 10, |s| {
            !s.contains(empty) && s.lines().nth(2).is_some_and(|l| !l.trim().is_empty())
        });
        assert!(!s.contains(empty), "{s}");
    }
    // Resend a request from the page: the demo issues it again and it shows up in Network.
    tmux.keys(&["2"]);
    tmux.wait_for("Network", 10, |s| s.contains("duration"));
    let before = tab_count(&tmux.screen(), "Network");
    tmux.keys(&["k"]);
    tmux.keys(&["R"]);
    tmux.wait_for("the resend", 15, |s| {
        s.contains("Resent the request from") && tab_count(s, "Network") > before
    });
    // An unknown URL: the tab navigates there, loads a page, and sends no favicon 404 stream.
    tmux.keys(&["n"]);
    tmux.wait_for("the URL prompt", 10, |s| s.contains("Navigate "));
    tmux.keys(&["-l", "unknown.example.net/x"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the navigation", 15, |s| s.contains("opened https://unknown.example.net/x"));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "url:unknown.example.net"]);
    tmux.keys(&["Enter"]);
    let s = tmux
        .wait_for("the unknown page's requests", 15, |s| s.contains("unknown.example.net/assets/site.css"));
    assert!(s.matches("favicon.ico").count() <= 1, "{s}");
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", 15, |s| s.contains("EXITED:0"));
}

#[test]
fn replay_opens_a_recording_and_bad_files_fail_before_the_terminal() {
    let dirs = TempDir::new();
    // A missing file, and a file with nothing readable: plain errors, the terminal untouched.
    let out = run_plain(&dirs, &["replay", "/nonexistent/session.ndjson"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing drawn");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open the recording"));
    let junk = dirs.0.join("junk.ndjson");
    std::fs::write(&junk, "not json\n").unwrap();
    let out = run_plain(&dirs, &["replay", &junk.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("holds no recorded event") && err.contains("line 1"),
        "{err}"
    );

    let rec = dirs.0.join("session.ndjson");
    let lines = [
        r#"{"id":"a","type":"console-log","timestamp":1767225600000,"data":{"level":"warn","message":"replayed hello"},"metadata":{"sessionId":"ext-rec"}}"#,
        "{broken",
        r#"{"id":"b","type":"network-request","timestamp":1767225601000,"data":{"url":"https://shop.test/replayed-api","method":"POST","status":503},"metadata":{"sessionId":"ext-rec"}}"#,
        r#"{"id":"frame-9","type":"websocket-frame","timestamp":1767225602000,"data":{"trafficId":"sock-1","direction":"server-to-client","opcode":1,"data":"eyJyZXBsYXllZCI6MX0=","length":14},"metadata":{"sessionId":"ext-rec"}}"#,
    ];
    std::fs::write(&rec, lines.join("\n")).unwrap();
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(&dirs.data(), &dirs.config(), &["replay", &rec.to_string_lossy()], &[]);
    let screen = tmux.wait_for("the recording", 20, |s| s.contains("replayed hello"));
    assert!(screen.contains("Replaying 3 events; 1 line(s) skipped"), "{screen}");
    assert!(screen.contains("REPLAY (read-only)"), "{screen}");
    // Commands are refused as read-only, not with advice to open a browser.
    tmux.keys(&["r"]);
    tmux.wait_for("the refusal", 10, |s| s.contains("Read-only: this is a replay of session.ndjson"));
    // A mark survives into the recording's next replay only with --record; here it filters.
    tmux.keys(&["m"]);
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "is:marked"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the marked row", 10, |s| {
        s.contains("replayed hello") && s.contains("filter is:marked (1)")
    });
    tmux.keys(&["Escape"]);
    tmux.keys(&["2"]);
    tmux.wait_for("the replayed request", 10, |s| s.contains("replayed-api") && s.contains("503"));
    tmux.keys(&["4"]);
    tmux.wait_for("the replayed frame", 10, |s| s.contains("{\"replayed\":1}"));
    tmux.keys(&["q"]);
    tmux.wait_for("a clean exit", 10, |s| s.contains("EXITED:0"));
}
