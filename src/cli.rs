//! Command-line interface (clap). Each option also comes from `TRIAGE_*` variables and the
//! config file; see `config`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Overrides;

#[derive(Debug, Parser)]
#[command(name = "triage-tui", version, about = "A terminal debugging console for web developers")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Mode>,

    /// Run a simulated browser over the real socket, so there is traffic to look at.
    #[arg(long, global = true)]
    pub demo: bool,

    /// Port to listen on [default: 3025; env TRIAGE_PORT].
    #[arg(long, global = true)]
    pub port: Option<u16>,

    /// Address to listen on [default: 127.0.0.1; env TRIAGE_BIND]. Non-loopback needs --token.
    #[arg(long, global = true)]
    pub bind: Option<IpAddr>,

    /// Config file [default: <config dir>/config.toml; env TRIAGE_CONFIG].
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,

    /// UI theme: dark, light, high-contrast, or a file name in the themes dir [env TRIAGE_THEME].
    #[arg(long, global = true)]
    pub theme: Option<String>,

    /// Append every event to this NDJSON file [env TRIAGE_RECORD].
    #[arg(long, global = true)]
    pub record: Option<PathBuf>,

    /// Token clients must present [env TRIAGE_TOKEN].
    #[arg(long, global = true)]
    pub token: Option<String>,

    /// Start Chrome/Chromium over the DevTools Protocol (no extension) and open URL [env TRIAGE_LAUNCH].
    #[arg(long, global = true, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub launch: Option<String>,

    /// Attach to a running Chrome: http://127.0.0.1:9222 or ws://…/devtools/browser/… [env TRIAGE_ATTACH].
    #[arg(long, global = true, value_name = "URL")]
    pub attach: Option<String>,

    /// The browser --launch starts [default: chromium, google-chrome… on PATH; env TRIAGE_BROWSER].
    #[arg(long, global = true, value_name = "PATH")]
    pub browser: Option<PathBuf>,

    /// --launch with a throwaway profile instead of <data dir>/chrome-profile [env TRIAGE_ISOLATED].
    #[arg(long, global = true)]
    pub isolated: bool,

    /// --launch with no window (CI, remote hosts) [env TRIAGE_HEADLESS].
    #[arg(long, global = true)]
    pub headless: bool,

    /// Share one event stream with other connectors through Redis: redis://HOST:PORT [env TRIAGE_BROKER].
    #[arg(long, global = true, value_name = "URL")]
    pub broker: Option<String>,

    /// This connector's name on the broker [default: HOST:PORT; env TRIAGE_NAME].
    #[arg(long, global = true)]
    pub name: Option<String>,

    /// Serve every endpoint over https / wss with this PEM certificate chain (with --tls-key) [env TRIAGE_TLS_CERT].
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert [env TRIAGE_TLS_KEY].
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA file for a rediss:// broker's certificate [default: system roots; env TRIAGE_BROKER_CA].
    #[arg(long, global = true, value_name = "FILE")]
    pub broker_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Run the connector with no terminal UI (CI, remote hosts, scripts).
    Serve,
    /// Print the effective configuration and the files in use.
    Config,
    /// An MCP server on stdio for AI assistants: works through the triage-tui already running on
    /// --port (so its UI shows what the assistant does), else starts the connector headless.
    Mcp,
    /// Open a HAR (Chrome, Firefox, Playwright, Charles) or a --record NDJSON file in the UI, read-only.
    #[command(name = "open", alias = "replay")]
    Replay {
        /// The HAR or recording to open.
        file: PathBuf,
    },
    /// Export HAR 1.2 (--har) or console messages (--console) from the triage-tui running on
    /// --port, or from a --record file (--from).
    #[command(group = clap::ArgGroup::new("what").required(true).args(["har", "console"]))]
    Export {
        /// The HAR file to write.
        #[arg(long, value_name = "FILE")]
        har: Option<PathBuf>,
        /// The console messages file to write (NDJSON, or text with --format text).
        #[arg(long, value_name = "FILE")]
        console: Option<PathBuf>,
        /// --console's format: ndjson (one event a line) or text (a line per row).
        #[arg(long, value_name = "ndjson|text", default_value = "ndjson", requires = "console")]
        format: String,
        /// Only what this filter matches (the `/` filter language of the UI).
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// Only this browser session.
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// Read this recording (written by --record) instead of asking a running connector.
        #[arg(long, value_name = "RECORDING")]
        from: Option<PathBuf>,
    },
}

impl Cli {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            bind: self.bind,
            port: self.port,
            token: self.token.clone(),
            theme: self.theme.clone(),
            record: self.record.clone(),
            browser: crate::sources::cdp::BrowserFlags {
                launch: self.launch.clone(),
                attach: self.attach.clone(),
                browser: self.browser.clone(),
                isolated: self.isolated,
                headless: self.headless,
            },
            broker: self.broker.clone(),
            name: self.name.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            broker_ca: self.broker_ca.clone(),
        }
    }
}
