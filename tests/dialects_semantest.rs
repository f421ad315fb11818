//! Seed 001 (Semantest) over real sockets: a command's `correlationId` reaches the browser and
//! comes back on its result (and on its error), on `/mcp-ws` and `POST /api/commands`.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn seed001_correlation_id_goes_to_the_browser_and_back_on_the_result() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let mut c = srv.client().await;
    let data = json!({"action": "get_title", "params": {}});
    c.send(json!({"id": "c1", "type": "browser-action", "data": data, "correlationId": "corr-1"})).await;
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], "corr-1", "{cmd}");
    // The browser need not echo it: the result carries it anyway.
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true, "data": "T"}})).await;
    let r = c.recv_type("command-result").await;
    assert_eq!((r["id"].as_str(), r["correlationId"].as_str()), (Some("c1"), Some("corr-1")), "{r}");
    // Any JSON value is carried as sent; a command without one gets none.
    c.send(json!({"id": "c2", "type": "browser-action", "data": data, "correlationId": 7})).await;
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], 7);
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert_eq!(c.recv_type("command-result").await["correlationId"], 7);
    c.send(json!({"id": "c3", "type": "browser-action", "data": data})).await;
    let cmd = b.recv_type("browser-action").await;
    assert!(cmd.get("correlationId").is_none(), "{cmd}");
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert!(c.recv_type("command-result").await.get("correlationId").is_none());
    // A command that fails says which request it was.
    let bad = json!({"action": "get_title", "params": {}, "sessionId": "ext-nope"});
    c.send(json!({"id": "c4", "type": "browser-action", "data": bad, "correlationId": "corr-4"})).await;
    let e = c.recv_type("error").await;
    assert_eq!((e["id"].as_str(), e["correlationId"].as_str()), (Some("c4"), Some("corr-4")), "{e}");
}

#[tokio::test]
async fn seed001_correlation_id_over_rest_commands() {
    let srv = start().await;
    let mut b = srv.browser("tab-1").await;
    let reply = srv.spawn_command(json!({"type": "browser-action", "data": {"action": "get_title", "params": {}}, "correlationId": "rest-1"}));
    let cmd = b.recv_type("browser-action").await;
    assert_eq!(cmd["correlationId"], "rest-1");
    b.send(json!({"id": cmd["id"], "type": "command-result", "data": {"success": true}})).await;
    assert_eq!(reply.await.unwrap()["correlationId"], "rest-1");
}
