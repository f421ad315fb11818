//! A real Redis for the broker tests: redis-server on a free loopback port with its own temp dir,
//! killed on drop; optionally also on a TLS port with a password (`Redis::start_tls`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{start_with, temp_dir, TestServer, WAIT};

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    /// The `rediss://` port, when started with TLS.
    pub tls_port: Option<u16>,
    pub dir: PathBuf,
    extra: Vec<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Redis {
    /// Starts redis-server on a free port (retrying if another process took it first).
    pub fn start() -> Redis {
        Redis::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Redis {
        Redis::start_in(temp_dir("redis"), extra, false)
    }

    /// Also serves TLS with a certificate signed by a CA of the test's own (written into this
    /// Redis's dir as `ca.pem`, `server.pem`, `server.key`) and requires `password`.
    pub fn start_tls(password: &str) -> Redis {
        let dir = temp_dir("redis-tls");
        let (ca, cert, key) = test_certificates();
        std::fs::write(dir.join("ca.pem"), ca).unwrap();
        std::fs::write(dir.join("server.pem"), cert).unwrap();
        std::fs::write(dir.join("server.key"), key).unwrap();
        let file = |name: &str| dir.join(name).display().to_string();
        let (ca, cert, key) = (file("ca.pem"), file("server.pem"), file("server.key"));
        let extra = [
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
            "--requirepass",
            password,
        ];
        Redis::start_in(dir.clone(), &extra, true)
    }

    fn start_in(dir: PathBuf, extra: &[&str], tls: bool) -> Redis {
        for _ in 0..10 {
            let extra = extra.iter().map(|s| s.to_string()).collect();
            let tls_port = tls.then(free_port);
            let mut r = Redis { child: None, port: free_port(), tls_port, dir: dir.clone(), extra };
            if r.spawn() {
                return r;
            }
        }
        panic!("redis-server did not start (is it installed? scripts/test installs it)");
    }

    fn spawn(&mut self) -> bool {
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&self.dir);
        if let Some(tls) = self.tls_port {
            cmd.args(["--tls-port", &tls.to_string()]);
        }
        let mut child = cmd
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        // Redis binds every listener before it answers on any, so the plain port's PING covers TLS.
        for _ in 0..200 {
            if answers_ping(self.port) {
                self.child = Some(child);
                return true;
            }
            if child.try_wait().ok().flatten().is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        assert!(self.spawn(), "redis-server restarts on its port");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn get(&self, key: &str) -> String {
        let out = Command::new("redis-cli").args(["-p", &self.port.to_string(), "GET", key]).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }

    /// `redis-cli ARGS` on the plain port; its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }

    /// Events on every connector's stream: the `n` of each packed entry, summed.
    pub fn stream_events(&self) -> u64 {
        let keys = self.cli(&["--scan", "--pattern", "triage:events:*"]);
        let mut total = 0;
        for key in keys.lines().filter(|k| !k.is_empty()) {
            let out = self.cli(&["XRANGE", key, "-", "+"]);
            let lines: Vec<&str> = out.lines().collect();
            total += lines
                .windows(2)
                .filter(|w| w[0] == "n")
                .filter_map(|w| w[1].trim().parse::<u64>().ok())
                .sum::<u64>();
        }
        total
    }
}

/// Whether a Redis answers on `port` (`+PONG`, or `-NOAUTH` with a password): a port another
/// test's server took between our probe and redis-server's bind must not pass for Redis.
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok()
        && s.read_exact(&mut reply).is_ok()
        && (reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAUTH"))
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA, and a server certificate for 127.0.0.1 and localhost signed by it: (ca, cert, key) PEMs.
fn test_certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "triage test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// A connector on `redis` named `name`, its broker started.
pub async fn connector_on(redis: &Redis, name: &str) -> TestServer {
    connector_at(&redis.url(), None, name).await.expect("broker connects")
}

/// A connector on the broker `url` (trusting `ca` if given); the broker's start error if any.
pub async fn connector_at(url: &str, ca: Option<PathBuf>, name: &str) -> anyhow::Result<TestServer> {
    let (url, name) = (url.to_string(), name.to_string());
    let srv = start_with(|c| {
        c.broker = Some(url);
        c.name = Some(name);
        c.broker_ca = ca;
    })
    .await;
    triage_tui::broker::start(&srv.connector).await?;
    Ok(srv)
}

/// Polls `f` until it holds (bounded by a generous WAIT); never a speed assertion.
pub async fn until(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
