//! Configuration: defaults, laid over by the TOML config file, then `TRIAGE_*` environment
//! variables, then command-line flags. Owns where files live (the `directories` paths).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::sources::cdp::{BrowserFlags, BrowserOptions};
use crate::store::Capacities;

pub const DEFAULT_PORT: u16 = 3025;

/// Every setting, with its default. The config file uses these names; unknown keys are an error
/// so a typo does not silently do nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Anything but loopback needs a token.
    pub bind: IpAddr,
    pub port: u16,
    /// Shared secret clients must present (Bearer header, `?token=`, or an `auth` message).
    pub token: Option<String>,
    /// With this set, HS256 JWTs signed with it are accepted as tokens too.
    pub jwt_secret: Option<String>,
    /// More accepted keys beside `token` (seed 001's API key list), wherever the token is.
    pub api_keys: Vec<String>,
    /// PEM certificate chain and private key: every endpoint is served over https / wss.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest message accepted, in bytes; larger ones get MESSAGE_TOO_LARGE.
    pub max_message_bytes: usize,
    /// Messages per second per connection (0: no limit), and the burst allowed above it.
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    pub max_connections: usize,
    /// Server pings every interval; a connection silent for the timeout is dropped.
    pub heartbeat_interval_ms: u64,
    pub heartbeat_timeout_ms: u64,
    /// How long a command waits for the browser's answer.
    pub command_timeout_ms: u64,
    /// Replace Authorization, Cookie and Set-Cookie values with "[REDACTED]" on ingest.
    pub redact_headers: bool,
    /// Bytes of each frame's payload kept in the frame log (the length is always recorded).
    pub frame_payload_cap: usize,
    /// Browser-tools' `/wipelogs` clears the store (true) or only marks the navigation (false).
    pub wipe_on_navigate: bool,
    pub capacity: Capacities,
    /// The most memory the store may hold (events, frames), in bytes; the oldest go first past it.
    pub max_store_bytes: usize,
    /// Web origins (`http://localhost:5173`) allowed to use the connector's HTTP and WebSocket
    /// endpoints. Every other web origin is refused, localhost ones included: any page a dev
    /// server serves runs third-party code. Extensions and non-browser clients need no entry.
    pub allowed_origins: Vec<String>,
    /// Most HTTP connections open at once (WebSocket upgrades count until they are upgraded).
    pub max_http_connections: usize,
    /// Time a client has to send a whole request head once it started one.
    pub http_header_timeout_ms: u64,
    /// An HTTP connection with no request in progress is closed after this long.
    pub http_idle_timeout_ms: u64,
    /// Where logs and screenshots go; default: the platform data dir.
    pub data_dir: Option<PathBuf>,
    /// Append every event to this NDJSON file.
    pub record: Option<PathBuf>,
    /// UI theme name (a file in `themes/` or the user's themes dir).
    pub theme: String,
    /// Key bindings laid over the defaults: `"ctrl-r" = "reload_page"`.
    pub keys: BTreeMap<String, String>,
    /// `[browser]`: launch or attach to Chrome over the DevTools Protocol.
    pub browser: BrowserOptions,
    /// `redis://HOST:PORT` the connectors of a fleet share one stream through (`docs/fleet.md`).
    pub broker: Option<String>,
    /// This connector's name on the broker; default `HOST:PORT`.
    pub name: Option<String>,
    /// PEM CA file a `rediss://` broker's certificate is checked against (redis-cli's `--cacert`);
    /// default: the system's roots.
    pub broker_ca: Option<PathBuf>,
    /// Entries the broker's stream keeps (approximately; the oldest go first); each holds up to 64 events.
    pub broker_stream_maxlen: usize,
    /// Events waiting to be published while the broker is down; the oldest past it are dropped and counted.
    pub broker_buffer: usize,
    /// How long a seed 004 (MCP-RS) session made with `POST /api/sessions` lives, in seconds.
    pub session_expiry_secs: u64,
    /// Reload a tab once when it is first attached after it loaded, so its load is captured.
    pub reload_on_attach: bool,
    /// Console and Network events are held this long (ms) and listed by their timestamp, so one
    /// arriving late by another route is placed where it happened (0: listed by arrival).
    pub reorder_window_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: DEFAULT_PORT,
            token: None,
            jwt_secret: None,
            api_keys: Vec::new(),
            tls_cert: None,
            tls_key: None,
            max_message_bytes: 1024 * 1024,
            rate_limit_per_sec: 5_000,
            rate_limit_burst: 20_000,
            max_connections: 64,
            heartbeat_interval_ms: 30_000,
            heartbeat_timeout_ms: 60_000,
            command_timeout_ms: 30_000,
            redact_headers: true,
            frame_payload_cap: 256 * 1024,
            wipe_on_navigate: false,
            capacity: Capacities::default(),
            max_store_bytes: crate::store::DEFAULT_MAX_STORE_BYTES,
            allowed_origins: Vec::new(),
            max_http_connections: 512,
            http_header_timeout_ms: 10_000,
            http_idle_timeout_ms: 60_000,
            data_dir: None,
            record: None,
            theme: "dark".to_string(),
            keys: BTreeMap::new(),
            browser: BrowserOptions::default(),
            broker: None,
            name: None,
            broker_ca: None,
            broker_stream_maxlen: 10_000,
            broker_buffer: 100_000,
            session_expiry_secs: 24 * 60 * 60,
            reload_on_attach: false,
            reorder_window_ms: 250,
        }
    }
}

/// Overrides from the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<IpAddr>,
    pub port: Option<u16>,
    pub token: Option<String>,
    pub theme: Option<String>,
    pub record: Option<PathBuf>,
    pub browser: BrowserFlags,
    pub broker: Option<String>,
    pub name: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub broker_ca: Option<PathBuf>,
}

/// Where things are read from and written to.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub config_file: PathBuf,
    /// Whether `config_file` exists (and so was read).
    pub config_file_used: bool,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("triage-tui.log")
    }

    pub fn screenshots_dir(&self) -> PathBuf {
        self.data_dir.join("screenshots")
    }

    /// Where exports (HAR, console) are written by the UI and the MCP tools.
    pub fn exports_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "triage", "triage-tui")
}

/// The config dir: `TRIAGE_CONFIG_DIR`, else the platform's.
pub fn default_config_dir() -> PathBuf {
    std::env::var_os("TRIAGE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.config_dir().to_path_buf()))
        .unwrap_or_else(|| std::env::temp_dir().join("triage-tui").join("config"))
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("TRIAGE_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
        .unwrap_or_else(|| std::env::temp_dir().join("triage-tui").join("data"))
}

/// Reads a config file; a missing file is not an error when it is the default one.
pub fn read_file(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse_toml(&text).with_context(|| format!("in config file {}", path.display()))
}

pub fn parse_toml(text: &str) -> Result<Config> {
    // toml's error names the line and column and quotes the offending text.
    Ok(toml::from_str(text)?)
}

/// Applies `TRIAGE_*` variables from `env` (a lookup, so tests need not touch the process env).
pub fn apply_env(config: &mut Config, env: impl Fn(&str) -> Option<String>) -> Result<()> {
    fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        value.trim().parse().map_err(|e| anyhow::anyhow!("environment variable {name}={value:?}: {e}"))
    }
    let bool_of = |name: &str, v: &str| -> Result<bool> {
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => bail!("environment variable {name}={v:?}: expected true or false"),
        }
    };
    if let Some(v) = env("TRIAGE_BIND") {
        config.bind = parse("TRIAGE_BIND", &v)?;
    }
    if let Some(v) = env("TRIAGE_PORT") {
        config.port = parse("TRIAGE_PORT", &v)?;
    }
    if let Some(v) = env("TRIAGE_TOKEN").filter(|v| !v.is_empty()) {
        config.token = Some(v);
    }
    if let Some(v) = env("TRIAGE_JWT_SECRET").filter(|v| !v.is_empty()) {
        config.jwt_secret = Some(v);
    }
    if let Some(v) = env("TRIAGE_TLS_CERT") {
        config.tls_cert = Some(PathBuf::from(v));
    }
    if let Some(v) = env("TRIAGE_TLS_KEY") {
        config.tls_key = Some(PathBuf::from(v));
    }
    if let Some(v) = env("TRIAGE_API_KEYS") {
        config.api_keys = v.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect();
    }
    if let Some(v) = env("TRIAGE_MAX_MESSAGE_BYTES") {
        config.max_message_bytes = parse("TRIAGE_MAX_MESSAGE_BYTES", &v)?;
    }
    if let Some(v) = env("TRIAGE_RATE_LIMIT") {
        config.rate_limit_per_sec = parse("TRIAGE_RATE_LIMIT", &v)?;
    }
    if let Some(v) = env("TRIAGE_MAX_STORE_BYTES") {
        config.max_store_bytes = parse("TRIAGE_MAX_STORE_BYTES", &v)?;
    }
    if let Some(v) = env("TRIAGE_ALLOWED_ORIGINS") {
        config.allowed_origins =
            v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_string).collect();
    }
    if let Some(v) = env("TRIAGE_MAX_CONNECTIONS") {
        config.max_connections = parse("TRIAGE_MAX_CONNECTIONS", &v)?;
    }
    if let Some(v) = env("TRIAGE_HEARTBEAT_INTERVAL_MS") {
        config.heartbeat_interval_ms = parse("TRIAGE_HEARTBEAT_INTERVAL_MS", &v)?;
    }
    if let Some(v) = env("TRIAGE_HEARTBEAT_TIMEOUT_MS") {
        config.heartbeat_timeout_ms = parse("TRIAGE_HEARTBEAT_TIMEOUT_MS", &v)?;
    }
    if let Some(v) = env("TRIAGE_COMMAND_TIMEOUT_MS") {
        config.command_timeout_ms = parse("TRIAGE_COMMAND_TIMEOUT_MS", &v)?;
    }
    if let Some(v) = env("TRIAGE_REDACT_HEADERS") {
        config.redact_headers = bool_of("TRIAGE_REDACT_HEADERS", &v)?;
    }
    if let Some(v) = env("TRIAGE_RELOAD_ON_ATTACH") {
        config.reload_on_attach = bool_of("TRIAGE_RELOAD_ON_ATTACH", &v)?;
    }
    if let Some(v) = env("TRIAGE_REORDER_WINDOW_MS") {
        config.reorder_window_ms = parse("TRIAGE_REORDER_WINDOW_MS", &v)?;
    }
    if let Some(v) = env("TRIAGE_THEME") {
        config.theme = v;
    }
    if let Some(v) = env("TRIAGE_DATA_DIR") {
        config.data_dir = Some(PathBuf::from(v));
    }
    if let Some(v) = env("TRIAGE_RECORD") {
        config.record = Some(PathBuf::from(v));
    }
    if let Some(v) = env("TRIAGE_BROKER") {
        config.broker = Some(v);
    }
    if let Some(v) = env("TRIAGE_NAME") {
        config.name = Some(v);
    }
    if let Some(v) = env("TRIAGE_BROKER_CA") {
        config.broker_ca = Some(PathBuf::from(v));
    }
    config.browser.apply_env(&env)?;
    Ok(())
}

pub fn apply_overrides(config: &mut Config, o: &Overrides) {
    if let Some(b) = o.bind {
        config.bind = b;
    }
    if let Some(p) = o.port {
        config.port = p;
    }
    if let Some(t) = &o.token {
        config.token = Some(t.clone());
    }
    if let Some(t) = &o.theme {
        config.theme = t.clone();
    }
    if let Some(r) = &o.record {
        config.record = Some(r.clone());
    }
    if let Some(b) = &o.broker {
        config.broker = Some(b.clone());
    }
    if let Some(n) = &o.name {
        config.name = Some(n.clone());
    }
    if let Some(c) = &o.tls_cert {
        config.tls_cert = Some(c.clone());
    }
    if let Some(k) = &o.tls_key {
        config.tls_key = Some(k.clone());
    }
    if let Some(ca) = &o.broker_ca {
        config.broker_ca = Some(ca.clone());
    }
    config.browser.apply_flags(&o.browser);
}

/// Checks that the settings make sense together.
pub fn validate(config: &Config) -> Result<()> {
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        bail!("--tls-cert and --tls-key (tls_cert, tls_key) go together: give both or neither");
    }
    if config.api_keys.iter().any(|k| k.trim().is_empty()) {
        bail!("api_keys must not hold an empty key");
    }
    if !config.bind.is_loopback()
        && config.token.is_none()
        && config.jwt_secret.is_none()
        && config.api_keys.is_empty()
    {
        bail!(
            "refusing to listen on {} without a token: anyone on that network could read your \
             browser's traffic and drive it. Pass --token <secret> (or set TRIAGE_TOKEN), or bind \
             to 127.0.0.1",
            config.bind
        );
    }
    if config.max_message_bytes < 1024 {
        bail!("max_message_bytes must be at least 1024 (is {})", config.max_message_bytes);
    }
    if config.heartbeat_interval_ms == 0 || config.heartbeat_timeout_ms < config.heartbeat_interval_ms {
        bail!(
            "heartbeat_timeout_ms ({}) must be at least heartbeat_interval_ms ({}), which must be > 0",
            config.heartbeat_timeout_ms,
            config.heartbeat_interval_ms
        );
    }
    if config.max_connections == 0 {
        bail!("max_connections must be at least 1");
    }
    if config.max_store_bytes < 1024 * 1024 {
        bail!("max_store_bytes must be at least 1048576 (1 MiB; is {})", config.max_store_bytes);
    }
    if config.max_http_connections == 0 {
        bail!("max_http_connections must be at least 1");
    }
    if config.http_header_timeout_ms == 0 || config.http_idle_timeout_ms == 0 {
        bail!("http_header_timeout_ms and http_idle_timeout_ms must be greater than 0");
    }
    for origin in &config.allowed_origins {
        crate::server::auth::parse_allowed_origin(origin)?;
    }
    config.browser.validate()?;
    Ok(())
}

/// Loads the effective configuration: defaults < file < environment < flags.
pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<(Config, Paths)> {
    load_with_env(config_file, overrides, |k| std::env::var(k).ok())
}

pub fn load_with_env(
    config_file: Option<&Path>,
    overrides: &Overrides,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Config, Paths)> {
    let config_dir = env("TRIAGE_CONFIG_DIR").map(PathBuf::from).unwrap_or_else(default_config_dir);
    let (config_file, explicit) =
        match config_file.map(Path::to_path_buf).or_else(|| env("TRIAGE_CONFIG").map(PathBuf::from)) {
            Some(p) => (p, true),
            None => (config_dir.join("config.toml"), false),
        };
    let mut config = if config_file.is_file() {
        read_file(&config_file)?
    } else if explicit {
        bail!("config file {} does not exist", config_file.display());
    } else {
        Config::default()
    };
    apply_env(&mut config, &env)?;
    apply_overrides(&mut config, overrides);
    validate(&config)?;
    let data_dir = config.data_dir.clone().unwrap_or_else(default_data_dir);
    let paths = Paths { config_dir, config_file_used: config_file.is_file(), config_file, data_dir };
    Ok((config, paths))
}

/// What `triage-tui config` prints: the files, then the effective settings as TOML.
pub fn describe(config: &Config, paths: &Paths) -> String {
    let mut shown = config.clone();
    if shown.token.is_some() {
        shown.token = Some("<set>".into());
    }
    if shown.jwt_secret.is_some() {
        shown.jwt_secret = Some("<set>".into());
    }
    shown.api_keys = shown.api_keys.iter().map(|_| "<set>".to_string()).collect();
    let body = toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot show config: {e}\n"));
    format!(
        "# config file: {}{}\n# data dir:    {}\n# log file:    {}\n# screenshots: {}\n# themes dir:  {}\n\n{}",
        paths.config_file.display(),
        if paths.config_file_used { "" } else { " (not present: defaults used)" },
        paths.data_dir.display(),
        paths.log_file().display(),
        paths.screenshots_dir().display(),
        paths.themes_dir().display(),
        body
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn layers_apply_in_order_flags_env_file_defaults() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("config.toml"), "port = 4000\ntheme = \"light\"\nrate_limit_per_sec = 7\n")
            .unwrap();
        let dir_s = dir.to_string_lossy().to_string();
        let env = env_of(&[
            ("TRIAGE_CONFIG_DIR", &dir_s),
            ("TRIAGE_PORT", "5000"),
            ("TRIAGE_THEME", "high-contrast"),
        ]);
        let flags = Overrides { port: Some(6000), ..Default::default() };
        let (c, paths) = load_with_env(None, &flags, env).unwrap();
        assert_eq!(c.port, 6000, "flag wins");
        assert_eq!(c.theme, "high-contrast", "env beats file");
        assert_eq!(c.rate_limit_per_sec, 7, "file beats default");
        assert_eq!(c.max_connections, 64, "default");
        assert!(paths.config_file_used);
    }

    #[test]
    fn broken_file_names_file_and_line() {
        let dir = tempfile_dir();
        let file = dir.join("config.toml");
        std::fs::write(&file, "port = 4000\nportt = 1\n").unwrap();
        let err =
            format!("{:#}", load_with_env(Some(&file), &Overrides::default(), env_of(&[])).unwrap_err());
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("portt"), "{err}");
    }

    #[test]
    fn public_bind_without_token_is_refused() {
        let flags = Overrides { bind: Some("0.0.0.0".parse().unwrap()), ..Default::default() };
        let dir = tempfile_dir();
        let dir_s = dir.to_string_lossy().to_string();
        let err =
            load_with_env(None, &flags, env_of(&[("TRIAGE_CONFIG_DIR", &dir_s)])).unwrap_err().to_string();
        assert!(err.contains("--token"), "{err}");
        let flags = Overrides { token: Some("s3cret".into()), ..flags };
        assert!(load_with_env(None, &flags, env_of(&[("TRIAGE_CONFIG_DIR", &dir_s)])).is_ok());
    }

    #[test]
    fn api_keys_come_from_the_file_or_env_and_count_as_a_token() {
        let mut c: Config = toml::from_str("api_keys = [\"key1\", \"key2\"]").unwrap();
        assert_eq!(c.api_keys, ["key1", "key2"]);
        c.bind = "0.0.0.0".parse().unwrap();
        assert!(validate(&c).is_ok(), "a key list is enough for a public bind");
        apply_env(&mut c, env_of(&[("TRIAGE_API_KEYS", " a, b ,,")])).unwrap();
        assert_eq!(c.api_keys, ["a", "b"]);
        c.api_keys.push(" ".into());
        assert!(validate(&c).unwrap_err().to_string().contains("api_keys"));
        let d = PathBuf::from("/nonexistent");
        let paths =
            Paths { config_dir: d.clone(), config_file: d.clone(), config_file_used: false, data_dir: d };
        let shown = describe(&Config { api_keys: vec!["k3y".into()], ..Config::default() }, &paths);
        assert!(!shown.contains("k3y"), "{shown}");
    }

    #[test]
    fn bad_env_value_is_a_clear_error() {
        let err =
            apply_env(&mut Config::default(), env_of(&[("TRIAGE_PORT", "nope")])).unwrap_err().to_string();
        assert!(err.contains("TRIAGE_PORT"), "{err}");
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("triage-config-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
