//! A real terminal for UI end-to-end tests: the binary in a tmux server of its own (160×45), read
//! with `capture-pane`, driven with `send-keys`, killed on drop.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether tmux is on this machine (`scripts/test` installs it).
pub fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `triage-tui args…` with its data and config dirs; when it exits the pane prints
    /// `EXITED:<code>`.
    pub fn start(data: &Path, config: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Tmux {
        let socket = format!("triage-e2e-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut cmd = format!(
            "env TRIAGE_DATA_DIR={} TRIAGE_CONFIG_DIR={} TRIAGE_LOG=debug",
            shell_quote(&data.to_string_lossy()),
            shell_quote(&config.to_string_lossy())
        );
        for (k, v) in extra_env {
            cmd.push_str(&format!(" {k}={}", shell_quote(v)));
        }
        cmd.push_str(&format!(" {}", shell_quote(env!("CARGO_BIN_EXE_triage-tui"))));
        for a in args {
            cmd.push_str(&format!(" {}", shell_quote(a)));
        }
        let script = format!("{cmd}; echo EXITED:$?; sleep 120");
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "ui",
                "-x",
                "160",
                "-y",
                "45",
            ])
            .arg(format!("sh -c {}", shell_quote(&script)))
            .status()
            .expect("tmux runs (scripts/test installs it)");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "ui"])
            .output()
            .expect("tmux capture-pane runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "ui"])
            .args(keys)
            .status()
            .expect("tmux send-keys runs");
        assert!(status.success());
    }

    /// Waits until the screen satisfies `pred`; panics with the last screen after `secs`.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(screen) = self.check(what, deadline, &pred) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `wait_for` for a test whose connectors run on the same tokio runtime (it must not block it).
    pub async fn wait_for_async(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(screen) = self.check(what, deadline, &pred) {
                return screen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The screen if it satisfies `pred`; past the deadline, a panic showing it.
    fn check(&self, what: &str, deadline: Instant, pred: &impl Fn(&str) -> bool) -> Option<String> {
        let screen = self.screen();
        if pred(&screen) {
            return Some(screen);
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; the screen was:\n{screen}");
        None
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}
