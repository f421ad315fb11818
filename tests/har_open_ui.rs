//! `triage-tui open FILE` on a large HAR (issue 14): the real binary in tmux shows the load's
//! progress bar while the file streams in, answers keys meanwhile (the Network pane, a filter),
//! `/health` reports the load, and the bar gives way to the final count of the generated entries.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::tmux::{tmux_available, Tmux};

/// Removes the test's directory (`common::temp_dir`) when the test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Entries in the generated HAR: about 1 KB each, so the file is tens of MB and a debug build
/// takes a while to load it. Every 1000th is a 404.
const N: usize = 40_000;

fn write_har(path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(f, r#"{{"log":{{"version":"1.2","creator":{{"name":"gen","version":"1"}},"entries":["#).unwrap();
    let pad = "x".repeat(600);
    for i in 0..N {
        let status = if i % 1000 == 999 { 404 } else { 200 };
        let sep = if i == 0 { "" } else { "," };
        write!(
            f,
            r#"{sep}{{"startedDateTime":"2026-01-01T00:00:00.000Z","time":12,"request":{{"method":"GET","url":"https://big.test/api/item/{i}","httpVersion":"HTTP/1.1","headers":[{{"name":"Accept","value":"application/json"}}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0}},"response":{{"status":{status},"statusText":"","httpVersion":"HTTP/1.1","headers":[{{"name":"Content-Type","value":"application/json"}}],"cookies":[],"content":{{"size":600,"mimeType":"application/json","text":"{pad}"}},"redirectURL":"","headersSize":-1,"bodySize":600}},"cache":{{}},"timings":{{"send":0,"wait":10,"receive":2}}}}"#
        )
        .unwrap();
    }
    write!(f, "]}}}}").unwrap();
    f.flush().unwrap();
}

/// The connector's address, from the UI's log line `connector listening` (`addr=…`).
fn listen_addr(data: &std::path::Path) -> String {
    let log = std::fs::read_to_string(data.join("triage-tui.log")).unwrap_or_default();
    let line = log.lines().find(|l| l.contains("connector listening")).expect("the listening line is logged");
    let at = line.split("addr=").nth(1).expect(line);
    at.split_whitespace().next().unwrap().trim_matches('"').to_string()
}

fn health(addr: &str) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut s, &mut body).unwrap();
    let json = body.split("\r\n\r\n").nth(1).expect(&body);
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn a_large_har_streams_in_with_a_progress_bar_while_the_ui_answers_keys() {
    if !tmux_available() {
        return;
    }
    let dirs = Cleanup(common::temp_dir("har-open-ui"));
    let har = dirs.0.join("big.har");
    write_har(&har);
    let data = dirs.0.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let tmux = Tmux::start(&data, &dirs.0.join("config"), &["open", &har.to_string_lossy()], &[]);
    let loading = |s: &str| s.contains("loading ") && s.contains(" MB, ") && !s.contains("loaded ");
    tmux.wait_for("the progress bar", 60, |s| loading(s) && s.contains(" entries"));

    // REST users see the load too, while it runs.
    let h = health(&listen_addr(&data));
    let load = &h["load"];
    assert_eq!(load["totalBytes"], std::fs::metadata(&har).unwrap().len(), "{h}");
    assert!(load["file"].as_str().unwrap().ends_with("big.har"), "{h}");

    // Keys work during the load: the Network pane, then a filter that counts the 404s so far.
    tmux.keys(&["2"]);
    tmux.wait_for("the Network pane while loading", 60, |s| loading(s) && s.contains("big.test/api/item/"));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "status:404"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filter while loading", 60, |s| {
        loading(s)
            && s.contains("filter status:404 (")
            && s.contains("/api/item/999")
            && !s.contains("/api/item/998")
    });

    // The bar gives way to the final count, the generated entries all loaded.
    let done = format!("loaded {N} entries ({N} events)");
    tmux.wait_for("the final count", 900, |s| s.contains(&done));
    let h = health(&listen_addr(&data));
    assert_eq!(
        (h["load"]["entries"].as_u64(), h["load"]["done"].as_bool()),
        (Some(N as u64), Some(true)),
        "{h}"
    );
    assert_eq!(h["load"]["bytesRead"], h["load"]["totalBytes"], "{h}");
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", 15, |s| s.contains("EXITED:0"));
}
