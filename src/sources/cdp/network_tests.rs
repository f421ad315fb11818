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
        raw_status,
        data_length: 11,
        end_ts: Some(100.010),
        encoded_length: Some(250.0),
        redirected_to: None,
        last_seen: None,
        reported: false,
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
