//! Console export (issue 14): `GET /api/console/export` and `triage-tui export --console` over a
//! real connector and the real binary, as NDJSON and as text, filtered, and from a recording.

mod common;

use std::process::Command;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");

fn messages() -> Vec<Value> {
    vec![
        json!({"type": "console-log", "timestamp": 1767225600000i64, "data": {"level": "log", "message": "cart loaded"}}),
        json!({"type": "console-log", "timestamp": 1767225601000i64, "data": {"level": "warn", "message": "low stock\u{1b}[31m"}}),
        json!({"type": "console-error", "timestamp": 1767225602000i64, "data": {"level": "error", "message": "checkout failed"}}),
    ]
}

async fn text(srv: &common::TestServer, query: &str) -> (u16, String) {
    let res = reqwest::get(srv.url(&format!("/api/console/export{query}"))).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn cmd(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("TRIAGE_DATA_DIR", dir.join("cli-data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("cli-config"))
        .env_remove("TRIAGE_TOKEN")
        .env_remove("TRIAGE_PORT");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_export_over_rest_and_the_cli_as_ndjson_and_text() {
    let srv = common::start().await;
    let mut browser = srv.browser("console-export").await;
    for m in messages() {
        browser.send(m).await;
    }
    assert_eq!(srv.wait_events("type=console-log,console-error", 3).await.len(), 3);

    let (status, nd) = text(&srv, "").await;
    assert_eq!(status, 200, "{nd}");
    let rows: Vec<Value> = nd.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let texts: Vec<&str> = rows.iter().filter_map(|r| r["data"]["message"].as_str()).collect();
    assert_eq!(texts, ["cart loaded", "low stock\u{1b}[31m", "checkout failed"], "{nd}");
    assert_eq!(rows[0]["metadata"]["sessionId"], browser.session.as_str());

    let (_, plain) = text(&srv, "?format=text&filter=-level:error").await;
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines.len(), 2, "{plain}");
    assert!(
        lines[0].starts_with("2026-01-01T00:00:00.000Z  log  ") && lines[0].ends_with("cart loaded"),
        "{plain}"
    );
    assert!(
        lines[1].contains("  warn  ") && lines[1].contains("low stock") && !plain.contains('\u{1b}'),
        "{plain}"
    );
    let (_, none) = text(&srv, "?session=nobody").await;
    assert_eq!(none, "");
    let (status, bad) = text(&srv, "?format=xml").await;
    assert!(status == 400 && bad.contains("ndjson or text"), "{status} {bad}");
    let (status, bad) = text(&srv, "?filter=level:loud").await;
    assert!(status == 400 && bad.contains("bad filter"), "{status} {bad}");

    // The CLI asks the running connector.
    let file = srv.dir.join("cli/errors.txt");
    let out = cmd(&srv.dir)
        .args(["--port", &srv.addr.port().to_string(), "export", "--console"])
        .arg(&file)
        .args(["--format", "text", "--filter", "level:error", "--session", &browser.session])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 messages)"), "{out:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.trim_end().ends_with("checkout failed") && written.lines().count() == 1, "{written}");
}

#[test]
fn console_export_from_a_recording_and_bad_arguments() {
    let dir = common::temp_dir("console-cli");
    let rec = dir.join("rec.ndjson");
    let lines: String = messages()
        .into_iter()
        .map(|mut m| {
            m["metadata"] = json!({"sessionId": "ext-rec"});
            format!("{m}\n")
        })
        .collect();
    std::fs::write(&rec, lines).unwrap();
    let file = dir.join("out/console.ndjson");
    let out = cmd(&dir).args(["export", "--console"]).arg(&file).arg("--from").arg(&rec).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(3 messages)"), "{out:?}");
    let rows: Vec<Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["data"]["message"], "checkout failed");

    // Neither --har nor --console, both, or a bad format: clear errors, nothing written.
    for args in [
        &["export"][..],
        &["export", "--har", "a.har", "--console", "b.txt"],
        &["export", "--console", "c.txt", "--format", "xml"],
    ] {
        let out = cmd(&dir).args(args).arg("--from").arg(&rec).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("--har") || err.contains("--console") || err.contains("ndjson or text"),
            "{args:?}: {err}"
        );
    }
    assert!(!dir.join("c.txt").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
