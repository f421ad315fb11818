//! `triage-tui export --har FILE` / `--console FILE [--format ndjson|text]`: streams `GET /api/har`
//! (or `/api/console/export`) from the connector running on `--port` into the file, or reads a
//! `--record` file (`--from`) into a private store and writes the same export from it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::console::{self, ConsoleFormat};
use super::file::write_file;
use super::{har, select::Selection};
use crate::config::{Config, Paths};
use crate::server::Connector;

/// Which export, to which file.
#[derive(Debug, Clone)]
pub enum ExportWhat {
    Har(PathBuf),
    Console(PathBuf, ConsoleFormat),
}

impl ExportWhat {
    /// From the command line's `--har`, `--console` and `--format` (clap allows one of the two).
    pub fn new(har: Option<PathBuf>, console: Option<PathBuf>, format: &str) -> Result<ExportWhat> {
        match (har, console) {
            (Some(h), None) => Ok(ExportWhat::Har(h)),
            (None, Some(c)) => {
                Ok(ExportWhat::Console(c, ConsoleFormat::parse(format).map_err(anyhow::Error::msg)?))
            }
            _ => bail!("export needs one of --har FILE or --console FILE"),
        }
    }
}

/// What `export` was asked for.
#[derive(Debug, Clone)]
pub struct ExportArgs {
    pub what: ExportWhat,
    pub selection: Selection,
    pub from: Option<PathBuf>,
}

/// Writes the export and says where, and how much it holds.
pub fn run(mut config: Config, paths: &Paths, args: ExportArgs) -> Result<String> {
    let local = match &args.from {
        Some(recording) => {
            // A private store: nothing is recorded, nothing listens.
            config.record = None;
            let connector = Connector::new(config.clone(), paths)?;
            connector.load_recording(recording)?;
            Some(connector)
        }
        None => None,
    };
    let msg = anyhow::Error::msg;
    match (&args.what, local) {
        (ExportWhat::Har(file), Some(c)) => {
            let picked = args.selection.pick(&c.store().read()).map_err(msg)?;
            let entries = write_file(file, |f| har::write_to(f, &picked)).map_err(msg)?.entries;
            Ok(format!("wrote {} ({entries} entries)", file.display()))
        }
        (ExportWhat::Har(file), None) => {
            fetch_to_file(&config, &api_url(&config, "/api/har"), &query(&args.selection), file)?;
            Ok(format!("wrote {} ({} entries)", file.display(), count_entries(file)?))
        }
        (ExportWhat::Console(file, format), Some(c)) => {
            let filter = args.selection.compiled().map_err(msg)?;
            let events = args.selection.pick_console(&c.store().read(), filter.as_ref());
            let n = write_file(file, |f| console::write_to(f, &events, *format)).map_err(msg)?;
            Ok(format!("wrote {} ({n} messages)", file.display()))
        }
        (ExportWhat::Console(file, format), None) => {
            let mut query = query(&args.selection);
            query.push(("format", format.ext().to_string()));
            fetch_to_file(&config, &api_url(&config, "/api/console/export"), &query, file)?;
            let n = std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::open(file)?)).count();
            Ok(format!("wrote {} ({n} messages)", file.display()))
        }
    }
}

/// The running connector's address for `path`.
pub(super) fn api_url(config: &Config, path: &str) -> String {
    let host = if config.bind.is_unspecified() { "127.0.0.1".to_string() } else { config.bind.to_string() };
    format!("http://{host}:{}{path}", config.port)
}

pub(super) fn query(selection: &Selection) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(f) = &selection.filter {
        query.push(("filter", f.clone()));
    }
    if let Some(s) = &selection.session {
        query.push(("session", s.clone()));
    }
    query
}

/// Streams the answer to `GET url?query` into `file`; a refusal is an error with the server's words.
pub(super) fn fetch_to_file(config: &Config, url: &str, query: &[(&str, String)], file: &Path) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut res = runtime.block_on(async {
        let mut req = reqwest::Client::new().get(url).query(query);
        if let Some(t) = &config.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.with_context(|| {
            format!(
                "no triage-tui answers on {url} (start one, pass its --port, or export --from a recording)"
            )
        })?;
        let status = res.status();
        if !status.is_success() {
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            let why = body["error"].as_str().unwrap_or("");
            bail!("{url} answered {status}: {why}");
        }
        Ok(res)
    })?;
    write_file(file, |f| {
        runtime.block_on(async {
            while let Some(chunk) = res.chunk().await.map_err(std::io::Error::other)? {
                f.write_all(&chunk)?;
            }
            Ok(())
        })
    })
    .map_err(anyhow::Error::msg)
}

/// How many entries a written HAR holds, read back without building them.
fn count_entries(file: &Path) -> Result<usize> {
    #[derive(serde::Deserialize)]
    struct Doc {
        log: Log,
    }
    #[derive(serde::Deserialize)]
    struct Log {
        entries: Vec<serde::de::IgnoredAny>,
    }
    let reader = std::io::BufReader::new(std::fs::File::open(file)?);
    let doc: Doc =
        serde_json::from_reader(reader).with_context(|| format!("{} is no HAR", file.display()))?;
    Ok(doc.log.entries.len())
}
