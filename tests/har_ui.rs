//! The UI's `export_har` (issue 14): the real binary in tmux opens a HAR, the Network pane is
//! filtered, `E` exports what it shows under the data dir's `exports/`, the toast names the file,
//! and the npm `har-validator` passes it; the palette's `export_console_text` writes the Console rows.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::tmux::{tmux_available, Tmux};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("triage-har-ui-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(p.join("data")).unwrap();
        std::fs::create_dir_all(p.join("config")).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn urls(har: &Value) -> Vec<String> {
    har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap().into())
        .collect()
}

#[test]
fn e_exports_what_the_network_pane_shows_and_the_toast_names_the_file() {
    if !tmux_available() {
        return;
    }
    let dirs = TempDir::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/har/chrome.har");
    let tmux =
        Tmux::start(&dirs.0.join("data"), &dirs.0.join("config"), &["open", &fixture.to_string_lossy()], &[]);
    tmux.keys(&["2"]);
    tmux.wait_for("the opened HAR", 20, |s| s.contains("logo.png"));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "status:200"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filter", 10, |s| !s.contains("/api/cart") && s.contains("logo.png"));
    tmux.keys(&["E"]);
    let screen = tmux.wait_for("the export's toast", 20, |s| s.contains("Exported 2 requests as HAR: "));
    let exports = dirs.0.join("data/exports");
    let files: Vec<PathBuf> = std::fs::read_dir(&exports).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one file, no partial left: {files:?}");
    let file = &files[0];
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("triage-") && name.ends_with("Z.har"), "a timestamped name: {name}");
    assert!(
        screen.contains(&file.display().to_string()),
        "the toast gives the path {}:\n{screen}",
        file.display()
    );
    common::har_validate(file);
    let har: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(urls(&har), ["https://shop.test/", "https://shop.test/logo.png"], "only the rows shown");
    // The palette runs the same export; the UI stays live (q quits cleanly).
    tmux.keys(&[":"]);
    tmux.keys(&["-l", "export_har"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the second export", 20, |_| std::fs::read_dir(&exports).unwrap().count() == 2);
    // The Console pane's rows as text, from the palette: the toast names the .txt file.
    tmux.keys(&["1"]);
    tmux.keys(&[":"]);
    tmux.keys(&["-l", "export_console_text"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the console export", 20, |s| s.contains("console messages: "));
    let txt: Vec<PathBuf> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    assert_eq!(txt.len(), 1, "{txt:?}");
    assert!(screen.contains(&txt[0].display().to_string()), "{screen}");
    let text = std::fs::read_to_string(&txt[0]).unwrap();
    assert!(text.lines().all(|l| l.starts_with("20") && l.contains("Z  ")), "a dated line per row:\n{text}");
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", 15, |s| s.contains("EXITED:0"));
}
