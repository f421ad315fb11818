//! Unit tests of the copy formats (`copy`), each against the exact text it must produce.

use serde_json::json;

use super::copy::CopyFormat;

fn post() -> serde_json::Value {
    json!({
        "url": "https://api.example.com/users?q=it's",
        "method": "post",
        "headers": {"request": {"Authorization": "[REDACTED]", "Content-Type": "application/json",
            "Content-Length": "12", "Referer": "https://app.example.com/", "User-Agent": "UA", "sec-ch-ua": "x"}},
        "body": {"request": "{\"page\": 1}", "response": "{}"}
    })
}

#[test]
fn curl_has_method_headers_body_and_keeps_redactions() {
    assert_eq!(
        CopyFormat::Curl.write(&post()),
        "curl \\\n  -X 'POST' \\\n  'https://api.example.com/users?q=it'\\''s' \\\n  \
         -H 'Authorization: [REDACTED]' \\\n  -H 'Content-Type: application/json' \\\n  \
         -H 'Referer: https://app.example.com/' \\\n  -H 'User-Agent: UA' \\\n  -H 'sec-ch-ua: x' \\\n  \
         --data-raw '{\"page\": 1}'"
    );
    let list = json!({"url": "https://x", "requestHeaders": [{"name": "Accept", "value": "*/*"}]});
    assert_eq!(CopyFormat::Curl.write(&list), "curl \\\n  'https://x' \\\n  -H 'Accept: */*'");
}

#[test]
fn fetch_is_shaped_like_devtools_copy_as_fetch() {
    assert_eq!(
        CopyFormat::Fetch.write(&post()),
        r#"fetch("https://api.example.com/users?q=it's", {
  "headers": {
    "authorization": "[REDACTED]",
    "content-type": "application/json"
  },
  "referrer": "https://app.example.com/",
  "body": "{\"page\": 1}",
  "method": "POST",
  "mode": "cors",
  "credentials": "include"
});"#
    );
    let get = json!({"url": "https://x/a", "requestHeaders": [{"name": ":path", "value": "/a"}]});
    assert_eq!(
        CopyFormat::Fetch.write(&get),
        "fetch(\"https://x/a\", {\n  \"headers\": {},\n  \"body\": null,\n  \"method\": \"GET\",\n  \
         \"mode\": \"cors\",\n  \"credentials\": \"omit\"\n});"
    );
}

#[test]
fn httpie_sends_the_body_raw_and_headers_as_items() {
    assert_eq!(
        CopyFormat::Httpie.write(&post()),
        "http \\\n  --raw '{\"page\": 1}' \\\n  POST \\\n  'https://api.example.com/users?q=it'\\''s' \\\n  \
         'Authorization:[REDACTED]' \\\n  'Content-Type:application/json' \\\n  \
         'Referer:https://app.example.com/' \\\n  'User-Agent:UA' \\\n  'sec-ch-ua:x'"
    );
    assert_eq!(CopyFormat::Httpie.write(&json!({"url": "https://x"})), "http \\\n  GET \\\n  'https://x'");
}

#[test]
fn raw_is_http11_with_host_path_and_crlf() {
    assert_eq!(
        CopyFormat::Raw.write(&post()),
        "POST /users?q=it's HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: [REDACTED]\r\n\
         Content-Type: application/json\r\nContent-Length: 12\r\nReferer: https://app.example.com/\r\n\
         User-Agent: UA\r\nsec-ch-ua: x\r\n\r\n{\"page\": 1}"
    );
    // HTTP/2 captures: `:authority` becomes Host, pseudo-headers go; no path means "/".
    let h2 = json!({"url": "https://h2.test?x=1#frag", "requestHeaders": [{"name": ":authority", "value": "h2.test:8443"},
        {"name": ":method", "value": "GET"}, {"name": "accept", "value": "*/*"}]});
    assert_eq!(CopyFormat::Raw.write(&h2), "GET /?x=1 HTTP/1.1\r\nHost: h2.test:8443\r\naccept: */*\r\n\r\n");
    assert_eq!(CopyFormat::Raw.write(&json!({})), "GET / HTTP/1.1\r\nHost: \r\n\r\n");
}
