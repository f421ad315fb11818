//! The real binary: `serve`, `config`, and the errors a user meets first.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cmd(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env_remove("TRIAGE_PORT")
        .env_remove("TRIAGE_TOKEN")
        .env_remove("TRIAGE_BIND");
    c
}

#[test]
fn serve_says_where_it_listens_and_answers_health() {
    let dir = common::temp_dir("cli");
    let mut child = Proc(
        cmd(&dir)
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let url = first.split("listening on ").nth(1).expect(&first).trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let health: serde_json::Value =
        rt.block_on(async { reqwest::get(format!("{url}/health")).await.unwrap().json().await.unwrap() });
    assert_eq!(health["status"], "healthy");
    // The log file is in the data dir.
    assert!(dir.join("data/triage-tui.log").exists());
}

#[test]
fn port_in_use_names_the_port_and_the_flag() {
    let dir = common::temp_dir("cli");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = cmd(&dir).args(["serve", "--port", &port]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("port {port}")) && err.contains("--port"), "{err}");
}

#[test]
fn public_bind_without_token_refuses_to_start() {
    let dir = common::temp_dir("cli");
    let out = cmd(&dir).args(["serve", "--bind", "0.0.0.0", "--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0 without a token") && err.contains("--token"),
        "{err}"
    );
}

#[test]
fn config_prints_effective_settings_and_paths() {
    let dir = common::temp_dir("cli");
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/config.toml"), "port = 4444\n[capacity]\nconsole = 10\n").unwrap();
    let out = cmd(&dir).env("TRIAGE_THEME", "light").args(["config", "--token", "x"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("config.toml"), "{text}");
    assert!(text.contains("triage-tui.log"), "{text}");
    assert!(text.contains("port = 4444"), "{text}");
    assert!(text.contains("theme = \"light\""), "{text}");
    assert!(text.contains("console = 10"), "{text}");
    assert!(
        text.contains("token = \"<set>\"") && !text.contains("token = \"x\""),
        "the token is not printed: {text}"
    );
    // A broken config file is a clear error naming the file and line.
    std::fs::write(dir.join("config/config.toml"), "port = \"many\"\n").unwrap();
    let out = cmd(&dir).arg("config").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml") && err.contains("line 1"), "{err}");
}
