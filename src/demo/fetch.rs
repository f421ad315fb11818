//! Owns the simulated page's answer to `fetch(url, init)` run through `execute_js` (what the
//! UI's `resend_request` sends): the request goes out again and shows up as a new
//! `network-request`, as it would from a real page.

use serde_json::{json, Value};

use super::payloads::Exchange;
use super::rng::Rng;
use super::site::Tab;
use super::traffic::Planned;

fn method(m: &str) -> &'static str {
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    METHODS.iter().find(|x| x.eq_ignore_ascii_case(m)).copied().unwrap_or("GET")
}

/// `fetch("url", {...})` with JSON arguments: the result the script gives and the request it
/// makes. `None` for any other script.
pub fn run(script: &str, tab: &Tab, rng: &mut Rng) -> Option<(Value, Planned)> {
    let inner = script.trim().strip_prefix("fetch(")?.strip_suffix(')')?;
    let args: Vec<Value> = serde_json::from_str(&format!("[{inner}]")).ok()?;
    let url = args.first()?.as_str()?.to_string();
    let init = args.get(1).cloned().unwrap_or(Value::Null);
    let m = method(init.get("method").and_then(Value::as_str).unwrap_or("GET"));
    let body = init.get("body").and_then(Value::as_str).map(str::to_string);
    let status = if m == "POST" { 201 } else { 200 };
    let took = rng.range(30, 160);
    let x = Exchange {
        request_body: body,
        response_body: Some(json!({ "ok": true, "resent": true }).to_string()),
        authorized: false,
        ..Exchange::new(m, url.clone(), status)
    }
    .took(took);
    let event = x.event(tab, rng);
    let result = json!({ "ok": true, "status": status, "url": url, "method": m });
    Some((result, Planned { at_ms: took, event }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resent_request_goes_out_again() {
        let tab = Tab::new(1);
        let mut rng = Rng::new(3);
        let script = r#"fetch("https://shop.example.com/api/cart", {"method":"POST","body":"{\"sku\":1}"})"#;
        let (result, planned) = run(script, &tab, &mut rng).unwrap();
        assert_eq!(result["status"], 201);
        assert_eq!(planned.event.kind, "network-request");
        assert_eq!(planned.event.data["method"], "POST");
        assert_eq!(planned.event.data["url"], "https://shop.example.com/api/cart");
        assert!(run("1+1", &tab, &mut rng).is_none());
    }
}
