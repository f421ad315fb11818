//! `triage-tui export --har FILE`: asks the connector running on `--port` for `GET /api/har`, or
//! reads a `--record` file (`--from`) into a private store and writes the same HAR from it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::{har, select::Selection};
use crate::config::{Config, Paths};
use crate::server::Connector;

/// What `export` was asked for.
#[derive(Debug, Clone)]
pub struct ExportArgs {
    pub har: PathBuf,
    pub selection: Selection,
    pub from: Option<PathBuf>,
}

/// Writes the HAR and says where, and how many entries it holds.
pub fn run(mut config: Config, paths: &Paths, args: ExportArgs) -> Result<String> {
    let doc = match &args.from {
        Some(recording) => {
            // A private store: nothing is recorded, nothing listens.
            config.record = None;
            let connector = Connector::new(config, paths)?;
            connector.load_recording(recording)?;
            let picked = args.selection.pick(&connector.store().read()).map_err(anyhow::Error::msg)?;
            har::write(&picked)
        }
        None => from_connector(&config, &args.selection)?,
    };
    let entries = doc["log"]["entries"].as_array().map_or(0, Vec::len);
    write_file(&args.har, &doc)?;
    Ok(format!("wrote {} ({entries} entries)", args.har.display()))
}

fn from_connector(config: &Config, selection: &Selection) -> Result<serde_json::Value> {
    let host = if config.bind.is_unspecified() { "127.0.0.1".to_string() } else { config.bind.to_string() };
    let url = format!("http://{host}:{}/api/har", config.port);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut query = Vec::new();
        if let Some(f) = &selection.filter {
            query.push(("filter", f.as_str()));
        }
        if let Some(s) = &selection.session {
            query.push(("session", s.as_str()));
        }
        let mut req = reqwest::Client::new().get(&url).query(&query);
        if let Some(t) = &config.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.with_context(|| {
            format!(
                "no triage-tui answers on {url} (start one, pass its --port, or export --from a recording)"
            )
        })?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.with_context(|| format!("{url} sent no JSON"))?;
        if !status.is_success() {
            let why = body["error"].as_str().unwrap_or("");
            bail!("{url} answered {status}: {why}");
        }
        Ok(body)
    })
}

fn write_file(path: &Path, doc: &serde_json::Value) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(doc)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
