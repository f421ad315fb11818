//! Who may connect: origin checks (a web page must not drive the connector), Host checks
//! (against DNS rebinding), and tokens (shared secret, one of the `api_keys`, or HS256 JWT).

use axum::http::{HeaderMap, StatusCode};

use crate::config::Config;

/// Why a request was refused before it reached a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// Who may use the connector from a browser: extension origins, the connector's own origin, and
/// the web origins the user listed in `allowed_origins`. No Origin at all (scripts, CLI tools,
/// the MCP SDKs) passes too. Every other web origin is refused, localhost ones included: a page
/// of any local dev server runs third-party code, and must get neither data nor command power.
pub fn origin_allowed(config: &Config, own_port: u16, origin: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let origin = origin.trim();
    for scheme in ["chrome-extension://", "moz-extension://", "safari-web-extension://"] {
        if origin.starts_with(scheme) && origin.len() > scheme.len() {
            return true;
        }
    }
    let Ok(normal) = parse_allowed_origin(origin) else { return false };
    if is_own_origin(&normal, own_port) {
        return true;
    }
    config.allowed_origins.iter().any(|a| parse_allowed_origin(a).is_ok_and(|a| a == normal))
}

/// The connector's own pages (`http://127.0.0.1:<port>`, `localhost`, `[::1]`).
fn is_own_origin(origin: &str, own_port: u16) -> bool {
    let Some(rest) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    let Some((host, port)) = rest.rsplit_once(':') else { return false };
    port.parse::<u16>().is_ok_and(|p| p == own_port && p != 0)
        && matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// An origin as `allowed_origins` holds it: `scheme://host[:port]`, lower-case, no path.
pub fn parse_allowed_origin(origin: &str) -> anyhow::Result<String> {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = o.strip_prefix("http://").or_else(|| o.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ', '*']) => Ok(o),
        _ => anyhow::bail!(
            "allowed_origins entry {origin:?} is not an origin: write it as the browser sends it, \
             scheme://host[:port], e.g. \"http://localhost:5173\" (no path, no wildcard)"
        ),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with an optional port.
fn is_local_host(host_port: &str) -> bool {
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// On a loopback bind, the Host header must name a loopback host: a page on evil.example that
/// rebinds its DNS to 127.0.0.1 sends `Host: evil.example` and is refused.
pub fn host_allowed(config: &Config, headers: &HeaderMap) -> bool {
    if !config.bind.is_loopback() {
        return true;
    }
    match headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => is_local_host(host),
        None => true,
    }
}

/// The token a request carries: `Authorization: Bearer`, `X-API-Key`, or `?token=`.
pub fn request_token(headers: &HeaderMap, query_token: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION).and_then(|h| h.to_str().ok()) {
        let v = v.trim();
        if let Some(t) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")) {
            return Some(t.trim().to_string());
        }
    }
    if let Some(v) = headers.get("x-api-key").and_then(|h| h.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    query_token.map(str::to_string)
}

/// Whether auth is on at all.
pub fn auth_required(config: &Config) -> bool {
    config.token.is_some() || config.jwt_secret.is_some() || !config.api_keys.is_empty()
}

/// Checks a token: the shared secret or one of the `api_keys` (constant-time compares), or an
/// HS256 JWT signed with the configured secret (its `exp` is enforced when present).
pub fn token_valid(config: &Config, token: &str) -> bool {
    // Every key is compared, so the time taken does not say which one nearly matched.
    let keyed = config
        .token
        .iter()
        .chain(&config.api_keys)
        .fold(false, |ok, k| constant_time_eq(k.as_bytes(), token.as_bytes()) | ok);
    if keyed {
        return true;
    }
    if let Some(secret) = &config.jwt_secret {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = true;
        let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
        return jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).is_ok();
    }
    false
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The checks every HTTP request and upgrade passes first. `own_port` is the port the
/// connector listens on (its own pages may use it).
pub fn check_request(config: &Config, own_port: u16, headers: &HeaderMap) -> Result<(), Refusal> {
    let origin = headers.get(axum::http::header::ORIGIN).map(|h| h.to_str().unwrap_or("\u{fffd}"));
    if !origin_allowed(config, own_port, origin) {
        return Err(Refusal {
            status: StatusCode::FORBIDDEN,
            code: "UNAUTHORIZED",
            message: format!(
                "origin {:?} is not allowed: web pages may not read this connector or drive the browser. \
                 Browser extensions and non-browser clients need nothing; to let a page of yours in, \
                 add its origin to allowed_origins in the config file (or TRIAGE_ALLOWED_ORIGINS)",
                origin.unwrap_or("")
            ),
        });
    }
    if !host_allowed(config, headers) {
        return Err(Refusal {
            status: StatusCode::FORBIDDEN,
            code: "UNAUTHORIZED",
            message: "Host header does not name this machine (DNS rebinding?)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let config = Config::default();
        let allowed = |o: Option<&str>| origin_allowed(&config, 3025, o);
        assert!(allowed(None));
        assert!(allowed(Some("chrome-extension://abcdefghijklmnop")));
        assert!(allowed(Some("moz-extension://1234")));
        assert!(allowed(Some("http://127.0.0.1:3025")), "the connector's own origin");
        assert!(allowed(Some("http://localhost:3025")));
        // Any other page, local ones included, is refused.
        assert!(!allowed(Some("http://localhost:3000")));
        assert!(!allowed(Some("http://127.0.0.1:8080")));
        assert!(!allowed(Some("http://[::1]:8080")));
        assert!(!allowed(Some("https://app.localhost")));
        assert!(!allowed(Some("https://evil.example")));
        assert!(!allowed(Some("http://localhost.evil.example")));
        assert!(!allowed(Some("null")));
        assert!(!allowed(Some("file://")));
        assert!(!allowed(Some("chrome-extension://")));
        let config = Config { allowed_origins: vec!["http://LOCALHOST:5173/".into()], ..Config::default() };
        assert!(origin_allowed(&config, 3025, Some("http://localhost:5173")));
        assert!(!origin_allowed(&config, 3025, Some("http://localhost:5174")));
        assert!(!origin_allowed(&config, 0, Some("http://localhost:0")), "port 0 is nobody's origin");
        assert!(parse_allowed_origin("http://*.example").is_err());
        assert!(parse_allowed_origin("localhost:5173").is_err());
        assert!(parse_allowed_origin("http://localhost:5173/app").is_err());
    }

    #[test]
    fn jwt_tokens() {
        let config = Config { jwt_secret: Some("k".into()), ..Config::default() };
        let good = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({"sub": "ci", "exp": 4_000_000_000u64}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let expired = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({"sub": "ci", "exp": 1_000}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let wrong_key = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &serde_json::json!({"sub": "ci"}),
            &jsonwebtoken::EncodingKey::from_secret(b"other"),
        )
        .unwrap();
        assert!(token_valid(&config, &good));
        assert!(!token_valid(&config, &expired));
        assert!(!token_valid(&config, &wrong_key));
        assert!(!token_valid(&config, "garbage"));
    }
}
