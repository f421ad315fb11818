//! Owns how an export becomes a file: its name under the data dir's `exports/` (a caller's bare
//! name or a timestamped one) and a write that never leaves half a file at the path (written
//! beside it, then renamed), used by the UI, the CLI and the MCP tools alike.

use std::fs::File;
use std::io;
use std::path::Path;

/// The file name to write: the caller's bare name (`.EXT` added when missing), or
/// `triage-<UTC time>.EXT`.
pub fn file_name(
    asked: Option<&str>,
    ext: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    let Some(name) = asked.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(format!("triage-{}.{ext}", now.format("%Y%m%dT%H%M%S%.3fZ")));
    };
    let plain = name.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'));
    if !plain || name.starts_with('.') {
        return Err(format!(
            "file_name {name:?}: give a bare name of letters, digits, '.', '_' or '-' (it is written under the data dir's exports/)"
        ));
    }
    Ok(if name.ends_with(&format!(".{ext}")) { name.to_string() } else { format!("{name}.{ext}") })
}

/// Creates the parent directory, lets `write` fill the file, and only then puts it at `path`;
/// on any error nothing is left behind. Errors name the path.
pub fn write_file<T>(path: &Path, write: impl FnOnce(&mut File) -> io::Result<T>) -> Result<T, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    let result = File::create(&partial).and_then(|mut f| {
        let out = write(&mut f)?;
        f.sync_all()?;
        Ok(out)
    });
    let result = result.and_then(|out| std::fs::rename(&partial, path).map(|_| out));
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bare_and_end_in_their_extension() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 5_000_000).unwrap();
        assert_eq!(file_name(None, "har", now).unwrap(), "triage-20231114T221320.005Z.har");
        assert_eq!(file_name(Some("  "), "har", now).unwrap(), "triage-20231114T221320.005Z.har");
        assert_eq!(file_name(Some("checkout"), "har", now).unwrap(), "checkout.har");
        assert_eq!(file_name(Some("bug-12.har"), "har", now).unwrap(), "bug-12.har");
        assert_eq!(file_name(Some("logs"), "ndjson", now).unwrap(), "logs.ndjson");
        for bad in ["../x", "/etc/passwd", "a/b", ".hidden", "c:\\x", "a b"] {
            let e = file_name(Some(bad), "har", now).unwrap_err();
            assert!(e.contains("bare name"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("triage-file-{}", std::process::id()));
        let path = dir.join("x.har");
        let e = write_file(&path, |_| Err::<(), _>(io::Error::other("boom"))).unwrap_err();
        assert!(e.contains("x.har") && e.contains("boom"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        write_file(&path, |f| io::Write::write_all(f, b"{}")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
