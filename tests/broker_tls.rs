//! Issue 16: a broker over `rediss://` with a password — a real redis-server serving TLS with a
//! certificate from the test's own CA (trusted through `broker_ca`, the `--broker-ca` flag).

mod common;

use common::redis::{connector_at, Redis};
use serde_json::json;

const PASSWORD: &str = "tls-secret";

fn tls_url(redis: &Redis, password: &str) -> String {
    format!("rediss://:{password}@127.0.0.1:{}", redis.tls_port.expect("a TLS port"))
}

#[tokio::test]
async fn two_connectors_over_tls_with_a_password_see_each_others_events() {
    let redis = Redis::start_tls(PASSWORD);
    let (url, ca) = (tls_url(&redis, PASSWORD), Some(redis.dir.join("ca.pem")));
    let a = connector_at(&url, ca.clone(), "tls-a").await.expect("A connects over TLS");
    let b = connector_at(&url, ca, "tls-b").await.expect("B connects over TLS");
    let mut on_a = a.browser("tab-a").await;
    let mut on_b = b.browser("tab-b").await;
    on_a.send(json!({"id": "a-1", "type": "console-log", "data": {"message": "from A over TLS"}})).await;
    on_b.send(json!({"id": "b-1", "type": "console-log", "data": {"message": "from B over TLS"}})).await;
    let seen_by_b = b.wait_events("type=console-log", 2).await;
    let seen_by_a = a.wait_events("type=console-log", 2).await;
    let remote_a = format!("tls-a/{}", on_a.session);
    let remote_b = format!("tls-b/{}", on_b.session);
    assert!(seen_by_b.iter().any(|e| e["metadata"]["sessionId"] == remote_a.as_str()), "{seen_by_b:?}");
    assert!(seen_by_a.iter().any(|e| e["metadata"]["sessionId"] == remote_b.as_str()), "{seen_by_a:?}");
    assert_eq!(b.get_json("/health").await.1["redis"], "connected");
}

#[tokio::test]
async fn a_wrong_password_over_tls_is_a_start_error_naming_the_flag() {
    let redis = Redis::start_tls(PASSWORD);
    let ca = Some(redis.dir.join("ca.pem"));
    let Err(err) = connector_at(&tls_url(&redis, "not-it"), ca, "tls-a").await else {
        panic!("a wrong password must not connect");
    };
    let text = format!("{err:#}");
    assert!(text.contains("--broker rediss://***@127.0.0.1"), "{text}");
    assert!(text.contains("password"), "{text}");
    assert!(!text.contains("not-it"), "the password stays out of messages: {text}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_start_error_pointing_at_broker_ca() {
    let redis = Redis::start_tls(PASSWORD);
    // No CA given: the system roots do not know the test's CA.
    let Err(err) = connector_at(&tls_url(&redis, PASSWORD), None, "tls-a").await else {
        panic!("an unknown CA must not be trusted");
    };
    let text = format!("{err:#}");
    assert!(text.contains("--broker") && text.contains("--broker-ca"), "{text}");
    // A CA file that is not there: named with its flag.
    let missing = redis.dir.join("missing.pem");
    let Err(err) = connector_at(&tls_url(&redis, PASSWORD), Some(missing), "tls-a").await else {
        panic!("a missing CA file is an error");
    };
    assert!(format!("{err:#}").contains("--broker-ca"), "{err:#}");
}
