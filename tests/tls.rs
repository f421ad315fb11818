//! TLS (`--tls-cert`/`--tls-key`) over real sockets with a certificate this test makes (rcgen):
//! https `GET /health`, and wss on `/extension-ws` and `/mcp-ws` with a client that trusts only
//! that certificate. Bad files are clear start errors naming the flag.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

/// A self-signed certificate for localhost / 127.0.0.1, written as PEM files into `dir`.
fn make_cert(dir: &Path) -> (PathBuf, PathBuf, rustls::pki_types::CertificateDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert, key, ck.cert.der().clone())
}

fn connector_for(ca: rustls::pki_types::CertificateDer<'static>) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_stream(tls: &TlsConnector, srv: &TestServer) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(srv.addr).await.unwrap();
    tls.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("TLS handshake")
}

async fn wss(tls: &TlsConnector, srv: &TestServer, path: &str) -> Ws2 {
    let stream = tls_stream(tls, srv).await;
    let url = format!("wss://localhost:{}{path}", srv.addr.port());
    tokio_tungstenite::client_async(url, stream).await.expect("wss upgrade").0
}

type Ws2 = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

async fn next_of(ws: &mut Ws2, ty: &str) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.expect("in time").expect("open").unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == ty {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn https_and_wss_with_a_generated_certificate() {
    let dir = temp_dir("tls");
    let (cert, key, ca) = make_cert(&dir);
    let srv = start_with(|c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    let tls = connector_for(ca);
    // https GET /health.
    let mut s = tls_stream(&tls, &srv).await;
    let req =
        format!("GET /health HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n", srv.addr.port());
    s.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_string(&mut resp)).await.expect("in time");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let body: Value = serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], "healthy");
    // Plain http on the TLS port gets no HTTP answer.
    let r = srv.http.get(srv.url("/health")).send().await;
    assert!(r.is_err() || r.is_ok_and(|r| r.status().as_u16() != 200));
    // wss: a browser and a client, an event streamed from one to the other.
    let mut browser = wss(&tls, &srv, "/extension-ws").await;
    browser
        .send(Message::text(json!({"type": "connection-init", "data": {"tabId": 1}}).to_string()))
        .await
        .unwrap();
    next_of(&mut browser, "connection-ack").await;
    let mut client = wss(&tls, &srv, "/mcp-ws").await;
    client
        .send(Message::text(json!({"id": "i", "type": "connection-init", "data": {}}).to_string()))
        .await
        .unwrap();
    next_of(&mut client, "connection-ack").await;
    browser
        .send(Message::text(
            json!({"type": "console-log", "data": {"level": "log", "message": "over tls"}}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_of(&mut client, "console-log").await["data"]["message"], "over tls");
    let _ = std::fs::remove_dir_all(&dir);
}

const BIN: &str = env!("CARGO_BIN_EXE_triage-tui");

fn serve(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .env("TRIAGE_DATA_DIR", dir.join("data"))
        .env("TRIAGE_CONFIG_DIR", dir.join("config"))
        .env_remove("TRIAGE_TOKEN")
        .env_remove("TRIAGE_BIND")
        .args(["serve", "--port", "0"])
        .args(args)
        .output()
        .expect("run triage-tui");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn bad_tls_files_are_start_errors_naming_the_flag() {
    let dir = temp_dir("tls-bad");
    let (cert, key, _) = make_cert(&dir);
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "-----BEGIN NOTHING-----\n").unwrap();
    let (c, k, j) = (cert.to_str().unwrap(), key.to_str().unwrap(), junk.to_str().unwrap());
    let missing = dir.join("missing.pem");
    let m = missing.to_str().unwrap();
    for (args, flag) in [
        (vec!["--tls-cert", m, "--tls-key", k], "--tls-cert"),
        (vec!["--tls-cert", j, "--tls-key", k], "--tls-cert"),
        (vec!["--tls-cert", c, "--tls-key", j], "--tls-key"),
        (vec!["--tls-cert", c], "--tls-key"),
        (vec!["--bind", "0.0.0.0", "--tls-cert", c, "--tls-key", k], "--token"),
    ] {
        let (ok, stderr) = serve(&dir, &args);
        assert!(!ok, "{args:?} started");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
