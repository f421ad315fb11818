//! The broker's Redis client from its URL: `redis://` in the clear, `rediss://` over TLS on rustls
//! (ring provider), checking the server's certificate against the system roots or the PEM CA file
//! given with `--broker-ca` / `TRIAGE_BROKER_CA` / config `broker_ca` (redis-cli's `--cacert`).

use std::path::Path;

use anyhow::{anyhow, Result};

use super::redacted;

/// The client for `url`; every error names the flag that is wrong.
pub(super) fn client(url: &str, ca: Option<&Path>) -> Result<redis::Client> {
    let tls = url.starts_with("rediss://");
    if !tls {
        if let Some(ca) = ca {
            return Err(anyhow!(
                "--broker-ca {}: a CA file is for a rediss:// (TLS) broker, and --broker is {}",
                ca.display(),
                redacted(url)
            ));
        }
        return redis::Client::open(url)
            .map_err(|e| anyhow!("--broker {}: not a Redis URL: {e}", redacted(url)));
    }
    // redis-rs builds rustls without a provider; ring is ours. Already installed (by an earlier
    // broker in this process, or by a library) is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(ca) = ca else {
        return redis::Client::open(url)
            .map_err(|e| anyhow!("--broker {}: not a Redis URL: {e}", redacted(url)));
    };
    let pem = std::fs::read(ca).map_err(|e| anyhow!("--broker-ca {}: cannot read it: {e}", ca.display()))?;
    let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(pem) };
    redis::Client::build_with_tls(url, certs)
        .map_err(|e| anyhow!("--broker {} with --broker-ca {}: {e}", redacted(url), ca.display()))
}

/// What a failed first connection means for the user, with the flag to change.
pub(super) fn explain(url: &str, e: &redis::RedisError) -> anyhow::Error {
    let url = redacted(url);
    let text = e.to_string();
    let hint = if e.kind() == redis::ErrorKind::AuthenticationFailed
        || text.contains("WRONGPASS")
        || text.contains("NOAUTH")
    {
        " (the password in the URL was refused: redis://:PASSWORD@HOST:PORT)"
    } else if text.contains("UnknownIssuer") || text.contains("certificate") {
        " (a private or self-signed CA? pass its PEM file with --broker-ca FILE)"
    } else {
        ""
    };
    anyhow!("--broker {url}: cannot reach Redis: {text}{hint}")
}
