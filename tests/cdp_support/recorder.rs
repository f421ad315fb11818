//! The tests' own minimal DevTools-Protocol client: attaches to one page target (flattened
//! session) beside whatever else is attached, enables Network and Runtime, and records every
//! event, as DevTools itself would receive them. Commands are answered in order of their ids.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub struct Recorder {
    out: mpsc::UnboundedSender<String>,
    replies: Arc<Mutex<Vec<Value>>>,
    /// Every event of the page's session: (method, params).
    pub events: Arc<Mutex<Vec<(String, Value)>>>,
    session: String,
    next: u64,
}

impl Recorder {
    /// Connects to the browser at DevTools port `port` and attaches to its first page target.
    pub async fn attach(port: u16) -> Recorder {
        let version: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/version"))
            .await
            .expect("GET /json/version")
            .json()
            .await
            .expect("version JSON");
        let url = version["webSocketDebuggerUrl"].as_str().expect("browser ws url").to_string();
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("DevTools WebSocket");
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        });
        let replies = Arc::new(Mutex::new(Vec::new()));
        let events = Arc::new(Mutex::new(Vec::new()));
        let (r, e) = (replies.clone(), events.clone());
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(t) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                match v["method"].as_str() {
                    Some(m) => e.lock().push((m.to_string(), v["params"].clone())),
                    None => r.lock().push(v),
                }
            }
        });
        let mut rec = Recorder { out, replies, events, session: String::new(), next: 0 };
        let targets = rec.call(None, "Target.getTargets", json!({})).await;
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|l| l.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["targetId"].as_str())
            .expect("a page target")
            .to_string();
        let attached =
            rec.call(None, "Target.attachToTarget", json!({ "targetId": page, "flatten": true })).await;
        rec.session = attached["sessionId"].as_str().expect("sessionId").to_string();
        rec.call_page("Network.enable", json!({})).await;
        rec.call_page("Runtime.enable", json!({})).await;
        rec.call_page("Page.enable", json!({})).await;
        rec
    }

    /// A command to the page's session; returns its `result` (panics on an error reply).
    pub async fn call_page(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.call(Some(&s), method, params).await
    }

    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.out.send(msg.to_string()).expect("DevTools writer");
        for _ in 0..400 {
            let reply = {
                let mut replies = self.replies.lock();
                replies.iter().position(|r| r["id"] == id).map(|i| replies.remove(i))
            };
            if let Some(r) = reply {
                assert!(r.get("error").is_none(), "{method}: {r}");
                return r["result"].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{method}: no reply within 20 s");
    }

    /// The recorded events named `method`.
    pub fn of(&self, method: &str) -> Vec<Value> {
        self.events.lock().iter().filter(|(m, _)| m == method).map(|(_, p)| p.clone()).collect()
    }
}
