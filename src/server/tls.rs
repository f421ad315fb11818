//! TLS for every endpoint (`--tls-cert FILE --tls-key FILE`): the PEM files are read once at
//! start, and each accepted socket is wrapped in a rustls server stream (ring provider) before
//! the HTTP layer sees it (`super::http`), so the REST API is https and the WebSockets wss.
//! A file that cannot be read or parsed, or a key that does not match, is a start error naming
//! the flag.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::Config;

/// The acceptor for the configured certificate and key; `None` without TLS.
pub(super) fn acceptor(config: &Config) -> Result<Option<TlsAcceptor>> {
    let (cert_path, key_path) = match (&config.tls_cert, &config.tls_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => return Err(anyhow!("--tls-cert and --tls-key go together: give both (or neither)")),
    };
    let certs = read_certs(cert_path)?;
    let key = read_key(key_path)?;
    // The provider is named here, not installed process-wide: nothing else can pick another.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS: no protocol version available")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            anyhow!(
                "--tls-key {} does not go with --tls-cert {}: {e}",
                key_path.display(),
                cert_path.display()
            )
        })?;
    // HTTP/1.1 only: the WebSocket upgrade is an HTTP/1.1 request.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(tls))))
}

fn read(flag: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow!("{flag} {}: cannot read it: {e}", path.display()))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read("--tls-cert", path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("--tls-cert {}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(anyhow!(
            "--tls-cert {}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let pem = read("--tls-key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        anyhow!("--tls-key {}: no private key in it (PKCS#8, PKCS#1 or SEC1 PEM): {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_name_their_flag() {
        let dir = std::env::temp_dir().join(format!("triage-tls-unit-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not pem at all").unwrap();
        let missing = dir.join("missing.pem");
        let err = |cert: &Path, key: &Path| {
            let c = Config { tls_cert: Some(cert.into()), tls_key: Some(key.into()), ..Config::default() };
            acceptor(&c).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(err(&missing, &junk).starts_with("--tls-cert"), "{}", err(&missing, &junk));
        assert!(err(&junk, &junk).contains("--tls-cert"), "{}", err(&junk, &junk));
        let only = Config { tls_cert: Some(junk.clone()), ..Config::default() };
        assert!(acceptor(&only).err().is_some_and(|e| e.to_string().contains("--tls-key")));
        assert!(acceptor(&Config::default()).is_ok_and(|a| a.is_none()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
