//! What DevTools shows for one request, from what the DevTools Protocol reported: the status the
//! network saw (304 for a revalidation, which `responseReceived` reports as the cached 200), the
//! bytes transferred and the resource size, and which cache served it. The one Rust rule for
//! every source that reads the protocol itself (the extension's capture.js applies the same in JS).

use serde_json::{json, Value};

/// What the protocol said about one request, gathered over its events.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WireFacts {
    /// `responseReceived.response.status`.
    pub response_status: Option<i64>,
    /// `responseReceivedExtraInfo.statusCode`: what crossed the wire.
    pub wire_status: Option<i64>,
    /// `loadingFinished.encodedDataLength` (headers + encoded body); `None` until it finished.
    pub encoded_length: Option<f64>,
    /// Sum of `dataReceived.dataLength`: the decoded body.
    pub decoded_length: u64,
    /// `Network.requestServedFromCache` was seen.
    pub from_memory_cache: bool,
    pub from_disk_cache: bool,
    pub from_prefetch_cache: bool,
    pub from_service_worker: bool,
}

impl WireFacts {
    /// The status DevTools shows: the wire's when it has one, else the response's, else 0.
    pub fn status(&self) -> i64 {
        self.wire_status.or(self.response_status).unwrap_or(0)
    }

    /// `"memory"`, `"disk"` or `"service-worker"` when a cache answered.
    pub fn cache(&self) -> Option<&'static str> {
        if self.from_memory_cache {
            Some("memory")
        } else if self.from_disk_cache || self.from_prefetch_cache {
            Some("disk")
        } else if self.from_service_worker {
            Some("service-worker")
        } else {
            None
        }
    }

    /// Writes `status`, `size.transferred` / `size.resource` (once finished, with a response),
    /// `cache` and `revalidated` into a `network-request` / `network-error` payload.
    pub fn apply(&self, data: &mut Value) {
        let status = self.status();
        data["status"] = json!(status);
        if !data["size"].is_object() {
            data["size"] = json!({});
        }
        if let Some(t) = self.encoded_length {
            data["size"]["transferred"] = json!(t);
            if self.response_status.is_some() {
                data["size"]["resource"] = json!(self.decoded_length);
            }
        }
        if let Some(c) = self.cache() {
            data["cache"] = json!(c);
        }
        if status == 304 {
            data["revalidated"] = json!(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revalidation_reads_304_with_both_sizes() {
        let f = WireFacts {
            response_status: Some(200),
            wire_status: Some(304),
            encoded_length: Some(180.0),
            decoded_length: 1700,
            ..WireFacts::default()
        };
        let mut d = json!({ "size": { "request": 10 } });
        f.apply(&mut d);
        assert_eq!(d["status"], 304);
        assert_eq!(d["revalidated"], true);
        assert_eq!(d["size"], json!({ "request": 10, "transferred": 180.0, "resource": 1700 }));
        assert!(d.get("cache").is_none());
    }

    #[test]
    fn caches_by_precedence_and_no_sizes_before_the_end() {
        let mut f = WireFacts { response_status: Some(200), from_disk_cache: true, ..WireFacts::default() };
        let mut d = json!({});
        f.apply(&mut d);
        assert_eq!((d["cache"].as_str(), d["status"].as_i64()), (Some("disk"), Some(200)));
        assert!(d["size"].get("transferred").is_none() && d.get("revalidated").is_none());
        f.from_memory_cache = true;
        assert_eq!(f.cache(), Some("memory"));
        let sw = WireFacts { from_service_worker: true, ..WireFacts::default() };
        assert_eq!((sw.cache(), sw.status()), (Some("service-worker"), 0));
    }
}
