//! The Frames pane: every WebSocket frame recorded, the page's own (forwarded by the extension)
//! and the connector's: time, direction (coloured), opcode, length, connection, and the
//! payload taking the rest of the width; detail as text (JSON pretty-printed) or a hex dump.
//! The pane starts filtered to the page's own sockets (`DEFAULT_FILTER`); Esc shows every frame.

use super::{cell_text, col, fmt_bytes, fmt_time, pretty_text, Column, Detail, Row, Tone, Width};
use crate::store::{Direction, FrameOrigin, FrameRecord};

pub const COLUMNS: &[Column] = &[
    col("time", Width::Fixed(12)),
    col("", Width::Fixed(1)),
    col("opcode", Width::Fixed(6)),
    col("length", Width::Fixed(8)),
    col("connection", Width::Fixed(16)),
    col("payload", Width::Fill),
];

/// The Frames pane's filter at start: the page's own sockets (connector frames are one Esc away).
pub const DEFAULT_FILTER: &str = "type:page";

/// Most bytes of a payload shown as a hex dump.
const HEX_CAP: usize = 64 * 1024;

pub fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "↑",
        Direction::ServerToClient => "↓",
    }
}

fn origin(f: &FrameRecord) -> String {
    let who = match f.origin {
        FrameOrigin::Page => "page",
        FrameOrigin::Connector => "conn",
    };
    match (f.origin, f.url.as_deref()) {
        // A page's socket by its host; a connector connection by its session.
        (FrameOrigin::Page, Some(u)) => crate::ui::target::host_of(u).to_string(),
        _ => format!("{who} {}", f.traffic_id),
    }
}

/// A close frame's code and reason.
fn close_text(data: &[u8]) -> String {
    if data.len() >= 2 {
        let code = u16::from_be_bytes([data[0], data[1]]);
        format!("{code} {}", String::from_utf8_lossy(&data[2..]))
    } else {
        String::new()
    }
}

fn hex_line(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// The payload as text: UTF-8 (lossy), or hex for binary frames.
pub fn preview(f: &FrameRecord) -> String {
    let Some(data) = f.data.as_deref() else { return String::new() };
    match f.opcode {
        8 => close_text(data),
        2 => hex_line(&data[..data.len().min(32)]),
        _ => String::from_utf8_lossy(&data[..data.len().min(600)]).into_owned(),
    }
}

pub fn row(f: &FrameRecord, utc: bool) -> Row {
    let mut row = Row::new(
        f.seq,
        f.timestamp_ms,
        vec![
            fmt_time(f.timestamp_ms, utc),
            arrow(f.direction).to_string(),
            f.opcode_name().to_string(),
            fmt_bytes(f.length),
            cell_text(&origin(f)),
            cell_text(&preview(f)),
        ],
        match (f.opcode, f.origin) {
            (8, _) => Tone::Warn,
            (9 | 10, _) => Tone::Debug,
            (_, FrameOrigin::Connector) => Tone::Muted,
            _ => Tone::Normal,
        },
    );
    let direction = match f.direction {
        Direction::ClientToServer => Tone::Warn,
        Direction::ServerToClient => Tone::Success,
    };
    row.accents.push((1, direction));
    row
}

/// `offset  hex bytes  |ascii|`, 16 bytes a line.
pub fn hex_dump(data: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String =
            chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        out.push_str(&format!("{:08x}  {:<47}  |{ascii}|\n", i * 16, hex.join(" ")));
    }
    out
}

/// What `Y` copies for a frame: its text, or its hex dump.
pub fn text(f: &FrameRecord) -> String {
    match f.data.as_deref() {
        Some(d) if f.opcode == 2 => hex_dump(d),
        Some(d) => String::from_utf8_lossy(d).into_owned(),
        None => String::new(),
    }
}

pub fn detail(f: &FrameRecord, utc: bool) -> Detail {
    let mut d = Detail::default();
    d.heading(&format!(
        "{} {} frame · {} · {}",
        arrow(f.direction),
        f.opcode_name(),
        fmt_bytes(f.length),
        fmt_time(f.timestamp_ms, utc)
    ));
    d.field("id", &f.id());
    d.field("direction", f.direction.as_str());
    d.field("opcode", &format!("{} ({})", f.opcode, f.opcode_name()));
    d.field("length", &format!("{} bytes", f.length));
    if f.truncated() {
        d.field("stored", &format!("first {} bytes", f.data.as_ref().map_or(0, |b| b.len())));
    }
    d.field(
        "origin",
        match f.origin {
            FrameOrigin::Page => "page (the page's own WebSocket)",
            FrameOrigin::Connector => "connector (a connection to triage-tui)",
        },
    );
    d.field("traffic", &f.traffic_id);
    d.field("session", &f.session);
    if let Some(u) = f.url.as_deref() {
        d.field("url", u);
    }
    let Some(data) = f.data.as_deref() else {
        d.heading("Payload");
        d.muted("(none)");
        return d;
    };
    match f.opcode {
        2 => {
            d.heading("Payload (hex)");
            d.text(&hex_dump(&data[..data.len().min(HEX_CAP)]));
            if data.len() > HEX_CAP {
                d.muted(&format!("… {} more bytes (y copies the frame)", data.len() - HEX_CAP));
            }
        }
        8 => {
            d.heading("Close");
            d.text(&close_text(data));
        }
        _ => match std::str::from_utf8(data) {
            Ok(text) => {
                d.heading("Payload");
                d.text(&pretty_text(text));
            }
            Err(_) => {
                d.heading("Payload (not UTF-8, hex)");
                d.text(&hex_dump(&data[..data.len().min(HEX_CAP)]));
            }
        },
    }
    d
}
