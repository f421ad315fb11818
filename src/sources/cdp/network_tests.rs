//! Unit tests of the network mapping: timing phases, the 304 quirk, frame payloads.
use super::*;

fn request(status: i64, raw_status: Option<i64>) -> Request {
    Request {
        session: Arc::from("s"),
        url: "http://127.0.0.1:8080/api".into(),
        method: "GET".into(),
        resource_type: "Fetch".into(),
        frame_id: "f".into(),
        request_headers: json!({ "Accept": "*/*" }),
        raw_request_headers: None,
        raw_response_headers: None,
        post_data: None,
        has_post_data: false,
        start_ts: 100.0,
        wall_ms: 1_700_000_000_000.0,
        initiator: Some("script".into()),
        response: Some(json!({
            "status": status, "statusText": "", "mimeType": "application/json", "headers": { "ETag": "x" },
            "timing": { "requestTime": 100.001, "dnsStart": -1, "dnsEnd": -1, "connectStart": 0.5, "connectEnd": 1.0,
                        "sslStart": -1, "sslEnd": -1, "sendStart": 1.2, "sendEnd": 1.4, "receiveHeadersEnd": 5.4 },
        })),
        facts: WireFacts {
            response_status: Some(status),
            wire_status: raw_status,
            encoded_length: Some(250.0),
            decoded_length: 11,
            ..WireFacts::default()
        },
        end_ts: Some(100.010),
        redirected_to: None,
        last_seen: None,
        reported: false,
        wants_extra: false,
        finished_at: None,
    }
}

#[test]
fn timing_phases_come_from_the_response_timing() {
    let d = data_of("r1", &request(200, None), Some(Body::Text("{\"ok\":true}".into())), 1024);
    let t = &d["timing"];
    assert_eq!(t["dns"], -1.0, "no DNS for an IP literal");
    assert_eq!(t["connect"], 0.5);
    assert_eq!(t["send"], 0.2);
    assert_eq!(t["wait"], 4.0);
    assert_eq!(t["queued"], 1.0);
    assert_eq!(t["total"], 10.0);
    assert_eq!(t["receive"], 3.6);
    assert_eq!(d["statusText"], "OK");
    assert_eq!(d["size"]["response"], 250.0);
    assert_eq!(d["body"]["response"], "{\"ok\":true}");
}

#[test]
fn a_revalidation_reports_the_wire_status() {
    // responseReceived says 200 with the cached headers; only the ExtraInfo status says 304.
    let d = data_of("r2", &request(200, Some(304)), None, 1024);
    assert_eq!(d["status"], 304);
}

#[test]
fn text_and_binary_frames_are_base64_with_their_length() {
    let mut net = Net::default();
    net.sockets.insert("ws1".into(), "ws://h/ws".into());
    let text = net.frame("ws1", &json!({ "opcode": 1, "payloadData": "hé" }), "client-to-server");
    assert_eq!(text["data"], "aMOp");
    assert_eq!(text["length"], 3);
    let bin = net.frame("ws1", &json!({ "opcode": 2, "payloadData": "AQID+g==" }), "server-to-client");
    assert_eq!((bin["length"].as_u64(), bin["isBinary"].as_bool()), (Some(4), Some(true)));
    assert_eq!(bin["url"], "ws://h/ws");
}

/// A client over a real socket to a peer that accepts and stays silent: `body_cap` 0 makes
/// `on_event` call nothing, so the events alone decide what is reported.
async fn silent_client() -> (Client, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                use futures_util::StreamExt;
                while ws.next().await.is_some() {}
            }
        }
    });
    let (client, _events) = Client::connect(&format!("ws://{addr}/")).await.unwrap();
    (client, peer)
}

async fn run(events: &[(&str, Value)]) -> Out {
    let (client, peer) = silent_client().await;
    let mut net = Net::default();
    let session: Arc<str> = Arc::from("s");
    let mut out = Out::new();
    for (method, p) in events {
        out.extend(net.on_event(&client, &session, method, p, 0, None, true).await);
    }
    client.shutdown();
    peer.abort();
    out
}

fn sent(id: &str, url: &str) -> (&'static str, Value) {
    let p = json!({ "requestId": id, "request": { "url": url, "method": "GET", "headers": {} },
                    "timestamp": 1.0, "wallTime": 1_700_000_000.0, "type": "Document", "frameId": "f" });
    ("Network.requestWillBeSent", p)
}

#[tokio::test]
async fn a_revalidation_from_events_reads_304_with_transferred_and_resource() {
    // ExtraInfo first (Chrome may send it before requestWillBeSent): it must be held.
    let out = run(&[
        ("Network.responseReceivedExtraInfo", json!({ "requestId": "1", "statusCode": 304, "headers": { "ETag": "v1" } })),
        sent("1", "http://127.0.0.1:1/page"),
        ("Network.responseReceived", json!({ "requestId": "1", "timestamp": 1.1, "type": "Document",
            "response": { "status": 200, "statusText": "OK", "mimeType": "text/html", "headers": { "Server": "x" } } })),
        ("Network.dataReceived", json!({ "requestId": "1", "dataLength": 1700, "timestamp": 1.2 })),
        ("Network.loadingFinished", json!({ "requestId": "1", "encodedDataLength": 180, "timestamp": 1.3 })),
    ])
    .await;
    assert_eq!(out.len(), 1);
    let d = &out[0].1;
    assert_eq!((d["status"].as_i64(), d["revalidated"].as_bool()), (Some(304), Some(true)));
    assert_eq!(d["size"]["transferred"], 180.0);
    assert_eq!(d["size"]["resource"], 1700);
    assert_eq!(d["headers"]["response"], json!({ "ETag": "v1" }), "the wire's headers, not the cached ones");
    assert!(d.get("cache").is_none());
}

#[tokio::test]
async fn a_revalidation_whose_extra_info_comes_after_loading_finished_still_reads_304() {
    // The order CI saw from Chromium: loadingFinished, then the ExtraInfo with the 304.
    let (client, peer) = silent_client().await;
    let mut net = Net::default();
    let s: Arc<str> = Arc::from("s");
    let mut out = Out::new();
    for (method, p) in [
        sent("1", "http://127.0.0.1:1/etag"),
        (
            "Network.responseReceived",
            json!({ "requestId": "1", "timestamp": 1.1, "type": "Fetch", "hasExtraInfo": true,
            "response": { "status": 200, "statusText": "OK", "mimeType": "text/plain", "headers": {} } }),
        ),
        ("Network.loadingFinished", json!({ "requestId": "1", "encodedDataLength": 144, "timestamp": 1.3 })),
        (
            "Network.responseReceivedExtraInfo",
            json!({ "requestId": "1", "statusCode": 304, "headers": { "ETag": "v1" } }),
        ),
    ] {
        out.extend(net.on_event(&client, &s, method, &p, 0, None, true).await);
    }
    assert_eq!(out.len(), 1, "reported once, when the ExtraInfo came");
    assert_eq!(out[0].1["status"], 304);
    assert_eq!(out[0].1["size"]["transferred"], 144.0);
    // Without its ExtraInfo, a finished request is reported after the wait, as it is.
    for (method, p) in [
        sent("2", "http://127.0.0.1:1/ok"),
        (
            "Network.responseReceived",
            json!({ "requestId": "2", "timestamp": 1.1, "type": "Fetch", "hasExtraInfo": true,
            "response": { "status": 200, "statusText": "OK", "mimeType": "text/plain", "headers": {} } }),
        ),
        ("Network.loadingFinished", json!({ "requestId": "2", "encodedDataLength": 10, "timestamp": 1.3 })),
    ] {
        assert!(net.on_event(&client, &s, method, &p, 0, None, true).await.is_empty());
    }
    assert!(net.stalled(&client, 0).await.is_empty(), "still waiting");
    net.requests.get_mut("2").unwrap().finished_at = Some(std::time::Instant::now() - EXTRA_WAIT);
    let late = net.stalled(&client, 0).await;
    assert_eq!(late.len(), 1);
    assert_eq!((late[0].1["status"].as_i64(), late[0].1.get("incomplete")), (Some(200), None));
    client.shutdown();
    peer.abort();
}

#[tokio::test]
async fn memory_and_disk_cache_hits_say_which_cache() {
    let ok = |id: &str, disk: bool| {
        (
            "Network.responseReceived",
            json!({ "requestId": id, "timestamp": 1.1,
            "response": { "status": 200, "mimeType": "text/css", "headers": {}, "fromDiskCache": disk } }),
        )
    };
    let done = |id: &str| {
        ("Network.loadingFinished", json!({ "requestId": id, "encodedDataLength": 0, "timestamp": 1.2 }))
    };
    let out = run(&[
        sent("m", "http://127.0.0.1:1/a.css"),
        ("Network.requestServedFromCache", json!({ "requestId": "m" })),
        ok("m", false),
        done("m"),
        sent("d", "http://127.0.0.1:1/b.css"),
        ok("d", true),
        done("d"),
    ])
    .await;
    let cache: Vec<_> = out.iter().map(|(_, d)| (d["cache"].as_str(), d["status"].as_i64())).collect();
    assert_eq!(cache, [(Some("memory"), Some(200)), (Some("disk"), Some(200))]);
    assert_eq!(out[1].1["size"]["transferred"], 0.0);
}
