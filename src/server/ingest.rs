//! What happens to a browser's message once it is parsed: redaction, screenshots to files,
//! page frames to the frame log, replies routed to the command that asked, events stored.

use std::sync::atomic::Ordering::Relaxed;

use base64::Engine;
use serde_json::{json, Value};

use super::sessions::{PageEvent, DOWNLOAD_STARTING};
use super::Connector;
use crate::protocol::shape::{FrameShape, Inspected, Scanned};
use crate::protocol::timestamp::now_ms;
use crate::protocol::{redact, Envelope, ErrorCode, MessageType, ProtocolError};
use crate::store::{
    classify, classify_parts, screenshots, Direction, FrameOrigin, FrameRecord, Raw, SessionId, Staged,
    StoredEvent,
};

impl Connector {
    /// Takes in one message from a browser session. `raw` is the text as received, kept as the
    /// stored form when nothing had to change; `None` makes the store keep `env` re-serialised.
    // Redaction changes the message: it stays a statement in its arm rather than a match guard.
    #[allow(clippy::collapsible_match)]
    pub(crate) async fn ingest(
        &self,
        session: &SessionId,
        mut env: Envelope,
        ty: MessageType,
        mut raw: Option<Raw>,
    ) -> Result<(), ProtocolError> {
        match ty {
            MessageType::NetworkRequest | MessageType::NetworkError => {
                if self.shared.config.redact_headers && redact::redact_network(&mut env.data) > 0 {
                    raw = None;
                }
            }
            MessageType::BrowserEvent => {
                let d = &env.data;
                let event = d.get("event").and_then(Value::as_str);
                let page = PageEvent {
                    event,
                    // A download's URL is not the page's.
                    url: d.get("url").and_then(Value::as_str).filter(|_| event != Some(DOWNLOAD_STARTING)),
                    title: d.get("title").and_then(Value::as_str),
                    attached_at: d.get("attachedAt").and_then(Value::as_f64).map(|t| t as i64),
                    already_loaded: d.get("alreadyLoaded").and_then(Value::as_bool),
                };
                if page.matters() {
                    self.shared.sessions.update_details(session, |d| d.note(&page));
                }
            }
            MessageType::ScreenshotResponse => {
                self.save_screenshot(&mut env).await;
                raw = None;
            }
            MessageType::WebsocketFrame => return self.ingest_page_frame(session, &env),
            MessageType::CommandResult => {
                let id = env.id.clone().unwrap_or_default();
                if !self.resolve_command(&id, session, Ok(env)) {
                    tracing::debug!(%session, id, "command-result for no pending command");
                }
                return Ok(());
            }
            _ => {}
        }
        if ty == MessageType::ScreenshotResponse {
            if let Some(id) = env.id.clone() {
                self.resolve_command(&id, session, Ok(env.clone()));
            }
        }
        self.store_event(session, ty, &env, raw);
        Ok(())
    }

    /// Appends one event to the store and wakes its readers.
    pub(crate) fn store_event(&self, session: &SessionId, ty: MessageType, env: &Envelope, raw: Option<Raw>) {
        let (level, status) = classify(env, ty);
        let timestamp_ms = env.timestamp.map_or_else(now_ms, |t| t.0);
        let raw = raw.unwrap_or_else(|| Raw::from(env.to_json().into_bytes()));
        let event = StoredEvent {
            seq: 0,
            ty,
            level,
            status,
            timestamp_ms,
            session: session.clone(),
            raw: raw.into(),
        };
        let recorded = self.shared.recorder.as_ref().map(|_| event.clone());
        self.shared.store.write().append_staged([Staged::Event(event)]);
        if let Some(e) = recorded {
            self.record(&e.envelope_json());
        }
        self.notify_changed();
    }

    /// Stores a console entry the borrowed `/extension-log` path translated, as
    /// [`Self::store_event`] stores the owned path's.
    pub(crate) fn store_log_entry(&self, session: &SessionId, entry: super::compat_log::LogEntry) {
        let super::compat_log::LogEntry { kind, level, timestamp_ms, json } = entry;
        let raw = Raw::from(json.into_bytes());
        let event = StoredEvent {
            seq: 0,
            ty: kind,
            level,
            status: 0,
            timestamp_ms,
            session: session.clone(),
            raw: raw.into(),
        };
        self.append_staged(&mut vec![Staged::Event(event)]);
    }

    /// The recording's lines for what is about to be stored (none without `--record`): events,
    /// and page frames in their event form (the connector's own frames are not recorded).
    pub(crate) fn recorded_lines(&self, staged: &[Staged]) -> Vec<String> {
        if self.shared.recorder.is_none() {
            return Vec::new();
        }
        staged
            .iter()
            .filter_map(|s| match s {
                Staged::Event(e) => Some(e.envelope_json()),
                Staged::Frame(f) if f.origin == FrameOrigin::Page => Some(f.as_event().envelope_json()),
                Staged::Frame(_) => None,
            })
            .collect()
    }

    /// Appends what a browser source outside `server` staged (a CDP page's batch) under one
    /// lock, records it, and wakes readers once: the same path an extension's batch takes.
    pub(crate) fn append_staged(&self, staged: &mut Vec<Staged>) {
        if staged.is_empty() {
            return;
        }
        let recorded = self.recorded_lines(staged);
        self.shared.store.write().append_staged(staged.drain(..));
        self.record_lines(&recorded);
        self.notify_changed();
    }

    /// Appends what another connector already listed in order (read from the broker), at once:
    /// its own reorder window placed it, so holding it again would only add its delay.
    /// Recorded and woken as [`Self::append_staged`] does.
    pub(crate) fn append_listed(&self, staged: Vec<Staged>) {
        if staged.is_empty() {
            return;
        }
        let recorded = self.recorded_lines(&staged);
        self.shared.store.write().append_listed(staged);
        self.record_lines(&recorded);
        self.notify_changed();
    }

    /// Writes the image to the screenshots dir and replaces the base64 with its id and path.
    pub(crate) async fn save_screenshot(&self, env: &mut Envelope) {
        let Some(data) = env.data.as_object_mut() else { return };
        let encoded = ["base64", "data", "dataUrl", "image"]
            .iter()
            .find_map(|k| data.get(*k).and_then(Value::as_str).map(|s| (k.to_string(), s.to_string())));
        let Some((key, encoded)) = encoded else {
            if data.get("success").and_then(Value::as_bool) != Some(false) && !data.contains_key("path") {
                data.insert("success".into(), json!(false));
                data.entry("error").or_insert(json!("the screenshot response carried no image"));
            }
            return;
        };
        data.remove(&key);
        let n = self.shared.command_counter.fetch_add(1, Relaxed);
        // Epoch ms first so file names sort by time.
        let id = format!("shot-{}-{n}", now_ms());
        let dir = self.shared.screenshots_dir.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let (bytes, ext) = screenshots::decode_image(&encoded)?;
            screenshots::write(&dir, &id, &bytes, ext)
        })
        .await;
        match saved {
            Ok(Ok(shot)) => {
                data.insert("screenshotId".into(), json!(shot.id));
                data.insert("path".into(), json!(shot.path.to_string_lossy()));
                data.insert("size".into(), json!(shot.bytes));
                data.insert("format".into(), json!(shot.extension));
                data.entry("success").or_insert(json!(true));
                tracing::info!(path = %shot.path.display(), bytes = shot.bytes, "screenshot saved");
            }
            Ok(Err(e)) => {
                data.insert("success".into(), json!(false));
                data.insert("error".into(), json!(e.to_string()));
            }
            Err(e) => {
                data.insert("success".into(), json!(false));
                data.insert("error".into(), json!(format!("could not save the screenshot: {e}")));
            }
        }
    }

    fn ingest_page_frame(&self, session: &SessionId, env: &Envelope) -> Result<(), ProtocolError> {
        let data = env.data.to_string();
        let shape: FrameShape = serde_json::from_str(&data)
            .map_err(|e| ProtocolError::invalid(format!("websocket-frame: {e}")))?;
        let frame = self.page_frame(session, &shape, env.timestamp.map(|t| t.0))?;
        let event = self.shared.recorder.as_ref().map(|_| frame.clone());
        self.shared.store.write().append_staged([Staged::Frame(frame)]);
        if let Some(f) = event {
            self.record(&f.as_event().envelope_json());
        }
        self.notify_changed();
        Ok(())
    }

    /// A page's own WebSocket frame, as the extension forwards it (seed 003's fields).
    pub(crate) fn page_frame(
        &self,
        session: &SessionId,
        frame: &FrameShape,
        envelope_ms: Option<i64>,
    ) -> Result<FrameRecord, ProtocolError> {
        let direction = frame.direction.as_deref().and_then(Direction::parse).ok_or_else(|| {
            ProtocolError::invalid(
                "websocket-frame: `direction` must be client-to-server or server-to-client",
            )
        })?;
        let payload = match frame.data.as_deref() {
            Some(b64) => Some(Raw::from(
                base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).map_err(|e| {
                    ProtocolError::new(
                        ErrorCode::InvalidMessage,
                        format!("websocket-frame: `data` is not base64: {e}"),
                    )
                })?,
            )),
            None => None,
        };
        let length = frame.length.unwrap_or(payload.as_ref().map_or(0, |p| p.len() as u64));
        let cap = self.shared.config.frame_payload_cap;
        let payload = payload.map(|p| if p.len() > cap { Raw::from(&p[..cap]) } else { p });
        let traffic_id: SessionId =
            frame.traffic_id.as_deref().map_or_else(|| session.clone(), SessionId::from);
        Ok(FrameRecord {
            seq: 0,
            traffic_id,
            session: session.clone(),
            timestamp_ms: frame.timestamp.map(|t| t.0).or(envelope_ms).unwrap_or_else(now_ms),
            direction,
            opcode: frame.opcode.unwrap_or(if frame.is_binary == Some(true) { 2 } else { 1 }),
            data: payload,
            length,
            origin: FrameOrigin::Page,
            url: frame.url.as_deref().map(Box::from),
        })
    }

    /// The hot path: a message already scanned and checked, stored as the bytes it came in.
    pub(crate) fn stage(
        &self,
        session: &SessionId,
        scanned: Scanned<'_>,
        raw: Raw,
    ) -> Result<Staged, ProtocolError> {
        let ty = scanned.kind;
        let timestamp_ms = scanned.timestamp.map_or_else(now_ms, |t| t.0);
        let (level, status) = match &scanned.inspected {
            Inspected::Frame(f) => {
                return self.page_frame(session, f, scanned.timestamp.map(|t| t.0)).map(Staged::Frame)
            }
            Inspected::Console(c) => classify_parts(ty, c.level.as_deref(), None, None),
            Inspected::Network(n) => classify_parts(ty, None, n.status.and_then(|s| s.as_u64()), None),
            Inspected::BrowserEvent(b) => {
                let page = PageEvent {
                    event: b.event.as_deref(),
                    // A download's URL is not the page's.
                    url: b.url.as_deref().filter(|_| b.event.as_deref() != Some(DOWNLOAD_STARTING)),
                    title: b.title.as_deref(),
                    attached_at: b.attached_at.map(|t| t as i64),
                    already_loaded: b.already_loaded,
                };
                if page.matters() {
                    self.shared.sessions.update_details(session, |d| d.note(&page));
                }
                classify_parts(ty, None, None, None)
            }
            Inspected::Other => classify_parts(ty, None, None, None),
        };
        Ok(Staged::Event(StoredEvent {
            seq: 0,
            ty,
            level,
            status,
            timestamp_ms,
            session: session.clone(),
            raw: raw.into(),
        }))
    }
}
