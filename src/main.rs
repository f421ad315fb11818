use std::process::ExitCode;

use clap::Parser;

use triage_tui::cli::{Cli, Mode};
use triage_tui::{config, logging, mcp, serve, ui};

fn main() -> ExitCode {
    triage_tui::started();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("triage-tui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (config, paths) = config::load(cli.config.as_deref(), &cli.overrides())?;
    match cli.command {
        Some(Mode::Config) => {
            print!("{}", config::describe(&config, &paths));
            Ok(())
        }
        Some(Mode::Replay { file }) => {
            // Read-only: nothing is recorded, and the API listens on a free port unless --port says.
            let mut config = config;
            config.record = None;
            if cli.port.is_none() {
                config.port = 0;
            }
            ui::run(config, paths, ui::UiOptions { demo: false, replay: Some(file) })
        }
        Some(Mode::Export { har, console, format, filter, session, from }) => {
            let selection = triage_tui::export::select::Selection { filter, session };
            let what = triage_tui::export::cli::ExportWhat::new(har, console, &format)?;
            let args = triage_tui::export::cli::ExportArgs { what, selection, from };
            println!("{}", triage_tui::export::cli::run(config, &paths, args)?);
            Ok(())
        }
        Some(Mode::Serve) => {
            let _guard = logging::init(&paths.data_dir, true)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve::run(config, paths, cli.demo))
        }
        Some(Mode::Mcp) => {
            // stdout is the protocol: logs go to the log file only.
            let _guard = logging::init(&paths.data_dir, false)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(mcp::stdio::run(config, paths))
        }
        None => ui::run(config, paths, ui::UiOptions { demo: cli.demo, replay: None }),
    }
}
