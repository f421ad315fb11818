//! Logging: `tracing` to `<data dir>/triage-tui.log` (never to the terminal the UI owns);
//! `serve` also logs to stderr. The level comes from `TRIAGE_LOG` (default `info`).

use std::path::Path;

use anyhow::{Context, Result};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Installs the global subscriber. Keep the guard alive for the program's life: dropping it
/// flushes the log file.
pub fn init(data_dir: &Path, also_stderr: bool) -> Result<WorkerGuard> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
    let appender = tracing_appender::rolling::never(data_dir, "triage-tui.log");
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let filter = || EnvFilter::try_from_env("TRIAGE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = fmt::layer().with_writer(file_writer).with_ansi(false).with_filter(filter());
    let stderr_layer = also_stderr.then(|| fmt::layer().with_writer(std::io::stderr).with_filter(filter()));
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .context("logging was already set up")?;
    Ok(guard)
}
