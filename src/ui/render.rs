//! Owns drawing: `render(&State, &mut Frame)` is a pure function of the state. Here: the layout
//! (shared with mouse handling), the tab row with the stream's sparkline, the list and the
//! detail. The status bar, footer hints and prompt line are in `bars`; overlays in `overlays`.

mod bars;
mod overlays;
mod row;

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::action::{Action, Pane};
use super::histogram;
use super::panes::{self, Column, DKind, Row, Tone, Width};
use super::sanitize::{self, cell, fit};
use super::state::{Modal, State, TimeFormat};
use super::theme::Theme;
use row::{row_line, RowCtx};

/// Where everything goes on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub header: Rect,
    pub list: Rect,
    /// The line above the list saying what was not captured (a tab attached after its load).
    pub notice: Option<Rect>,
    pub detail: Option<Rect>,
    /// The prompt line (filter, search, navigate, JavaScript) when one is open.
    pub input: Option<Rect>,
    /// One line of key hints for this pane and mode (where the prompt goes when one is open).
    pub footer: Option<Rect>,
    pub status: Rect,
}

/// Whether a prompt line is open.
pub fn input_open(state: &State) -> bool {
    matches!(state.modal, Modal::Filter { .. } | Modal::Search { .. } | Modal::Prompt(_))
}

/// The layout for a terminal of `viewport` (columns, rows).
pub fn layout(viewport: (u16, u16), state: &State) -> Areas {
    let (w, h) = (viewport.0.max(1), viewport.1.max(3));
    let tabs = Rect::new(0, 0, w, 1);
    let status = Rect::new(0, h - 1, w, 1);
    let open = input_open(state);
    let second = open || h >= 12;
    let bottom_line = second.then(|| Rect::new(0, h - 2, w, 1));
    let (input, footer) = if open { (bottom_line, None) } else { (None, bottom_line) };
    let body_top = 1;
    let body_bottom = h - 1 - u16::from(second);
    let body = Rect::new(0, body_top, w, body_bottom.saturating_sub(body_top));
    let (list_part, detail) = if state.detail_is_open() && body.height >= 6 {
        if w >= 140 {
            let lw = w * 11 / 20;
            (Rect::new(0, body.y, lw, body.height), Some(Rect::new(lw, body.y, w - lw, body.height)))
        } else {
            let lh = (body.height * 2 / 5).max(4);
            (Rect::new(0, body.y, w, lh), Some(Rect::new(0, body.y + lh, w, body.height - lh)))
        }
    } else {
        (body, None)
    };
    let mut list_part = list_part;
    let notice =
        (list_part.height >= 3 && panes::attach_notice::capture_notice(state).is_some()).then(|| {
            list_part.y += 1;
            list_part.height -= 1;
            Rect::new(list_part.x, list_part.y - 1, list_part.width, 1)
        });
    let header = Rect::new(list_part.x, list_part.y, list_part.width, 1.min(list_part.height));
    let list = Rect::new(list_part.x, list_part.y + 1, list_part.width, list_part.height.saturating_sub(1));
    Areas { tabs, header, list, notice, detail, input, footer, status }
}

fn count_label(n: usize) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The tab labels, in order.
pub fn tab_labels(state: &State) -> Vec<(Pane, String)> {
    Pane::ALL
        .iter()
        .map(|&p| {
            let n = match state.view(p) {
                Some(v) => v.event_count(),
                None => state.sessions.len(),
            };
            (p, format!(" {} {} {} ", p.index() + 1, p.title(), count_label(n)))
        })
        .collect()
}

/// Which tab a click at `column` on the tab row hits.
pub fn tab_hit(state: &State, column: u16) -> Option<Pane> {
    let mut x = 0u16;
    for (pane, label) in tab_labels(state) {
        let w = sanitize::width(&label) as u16;
        if column >= x && column < x + w {
            return Some(pane);
        }
        x += w + 1;
    }
    None
}

pub fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Normal => Style::default().fg(theme.foreground),
        Tone::Error => Style::default().fg(theme.error).bg(theme.error_row_bg),
        Tone::Warn => Style::default().fg(theme.warn).bg(theme.warn_row_bg),
        Tone::Debug => Style::default().fg(theme.debug),
        Tone::Success => Style::default().fg(theme.success),
        Tone::Muted => Style::default().fg(theme.muted),
        Tone::Marker => {
            Style::default().fg(theme.marker).bg(theme.marker_row_bg).add_modifier(Modifier::BOLD)
        }
    }
}

/// Column widths for `total` columns (one space between columns).
fn widths(columns: &[Column], total: u16) -> Vec<usize> {
    let fixed: usize = columns
        .iter()
        .map(|c| match c.width {
            Width::Fixed(n) => n as usize,
            Width::Fill => 0,
        })
        .sum::<usize>()
        + columns.len().saturating_sub(1);
    let fill = (total as usize).saturating_sub(fixed).max(8);
    columns
        .iter()
        .map(|c| match c.width {
            Width::Fixed(n) => n as usize,
            Width::Fill => fill,
        })
        .collect()
}

fn columns_of(pane: Pane) -> &'static [Column] {
    match pane {
        Pane::Console => panes::console::COLUMNS,
        Pane::Network => panes::network::COLUMNS,
        Pane::Elements => panes::elements::COLUMNS,
        Pane::Frames => panes::frames::COLUMNS,
        Pane::Sessions => panes::sessions::COLUMNS,
    }
}

fn render_header(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let cols = columns_of(state.pane);
    let ws = widths(cols, area.width);
    let title = |c: &Column| match (c.title, state.time_format) {
        ("time", TimeFormat::SincePrevious) => "+prev",
        ("time", TimeFormat::SinceFirst) => "+first",
        (t, _) => t,
    };
    let text = cols.iter().zip(&ws).map(|(c, w)| cell(title(c), *w)).collect::<Vec<_>>().join(" ");
    let style = Style::default().fg(theme.muted).add_modifier(Modifier::BOLD);
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&text, area.width as usize).into_owned(), style)),
        area,
    );
}

/// Scans this long show their progress; shorter ones finish before anyone could read it.
const LONG_SCAN: u64 = 200_000;

fn empty_message(state: &State) -> Vec<String> {
    let listen = &state.status.listen;
    if let Some(v) = state.view(state.pane) {
        if v.scanning {
            let end = state.log_ends[state.pane.index()];
            if v.scan_total(end) >= LONG_SCAN {
                return vec![format!("Filtering… {}%", v.progress(end))];
            }
            return vec!["Filtering…".into()];
        }
        if let Some(f) = &v.filter {
            return vec![format!("Nothing matches `{}`", f.text()), "Esc clears the filter".into()];
        }
        if v.cleared_before > 0 {
            return vec!["Cleared. New rows appear here as they arrive.".into()];
        }
    }
    if state.replay.is_some() && state.pane != Pane::Sessions {
        return vec!["Nothing of this kind in the recording.".into()];
    }
    let waiting = format!("Waiting for a browser on ws://{listen}/extension-ws");
    let hint = "Open a page with the triage extension, or run `triage-tui --demo`.".to_string();
    match state.pane {
        Pane::Console => vec!["No console messages yet.".into(), waiting, hint],
        Pane::Network => vec!["No network requests yet.".into(), waiting, hint],
        Pane::Elements => vec![
            "No element selected yet.".into(),
            "Pick an element with the extension's inspector to see it here.".into(),
        ],
        Pane::Frames => vec!["No WebSocket frames yet.".into(), waiting],
        Pane::Sessions => vec![
            "No browser or client connected.".into(),
            format!("Browsers connect to ws://{listen}/extension-ws, clients to ws://{listen}/mcp-ws."),
        ],
    }
}

fn time_text(state: &State, row: &Row, prev: Option<i64>, first: Option<i64>) -> Option<String> {
    match state.time_format {
        TimeFormat::Absolute => None,
        TimeFormat::SincePrevious => Some(prev.map_or("".into(), |p| panes::fmt_rel(row.ts - p))),
        TimeFormat::SinceFirst => Some(first.map_or("".into(), |f| panes::fmt_rel(row.ts - f))),
    }
}

fn render_list(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let cols = columns_of(state.pane);
    let ws = widths(cols, area.width);
    let height = area.height as usize;
    let mut drawn = 0;
    match state.pane {
        Pane::Sessions => {
            let sel = state.session_position();
            for (i, s) in state.sessions.iter().enumerate().skip(state.session_top).take(height) {
                let is_target = state.target.as_deref() == Some(s.session_id.as_str());
                let row = panes::sessions::row(s, state.utc, is_target);
                let style = if Some(i) == sel { theme.selection() } else { tone_style(theme, row.tone) };
                let r = Rect::new(area.x, area.y + drawn as u16, area.width, 1);
                frame.buffer_mut().set_style(r, style);
                let ctx = RowCtx { count: 1, time: None, marked: false, needles: &[], bar_max: 0.0 };
                frame.render_widget(row_line(&row, cols, &ws, &ctx, style, theme), r);
                drawn += 1;
            }
        }
        pane => {
            let i = pane.index();
            let view = &state.views[i];
            let cache = &state.rows[i];
            let needles: Vec<&str> = state.search[i].as_ref().map(|f| f.needles()).unwrap_or_default();
            let bar_max = view.visible(height).filter_map(|idx| cache.get(idx)?.bar).fold(0.0, f64::max);
            let (mut prev, first) = state.time_refs[i];
            for idx in view.visible(height) {
                let r = Rect::new(area.x, area.y + drawn as u16, area.width, 1);
                drawn += 1;
                let Some(row) = cache.get(idx) else { continue };
                let selected = view.selected == Some(*idx);
                let style = if selected { theme.selection() } else { tone_style(theme, row.tone) };
                frame.buffer_mut().set_style(r, style);
                let ctx = RowCtx {
                    count: view.count_of(*idx),
                    time: time_text(state, row, prev, first),
                    marked: state.marks.contains(&row.seq),
                    needles: &needles,
                    bar_max,
                };
                prev = Some(row.ts);
                frame.render_widget(row_line(row, cols, &ws, &ctx, style, theme), r);
            }
        }
    }
    if drawn == 0 {
        let lines: Vec<Line> =
            empty_message(state).into_iter().map(|l| Line::styled(l, theme.muted()).centered()).collect();
        let top = area.y + area.height.saturating_sub(lines.len() as u16) / 3;
        let r = Rect::new(area.x, top, area.width, area.height.saturating_sub(top - area.y));
        frame.render_widget(Paragraph::new(lines), r);
    }
}

/// The detail's footer, from the live keymap (a rebinding shows here too).
fn detail_hint(state: &State) -> String {
    let keys = |a: Action| state.keymap.keys_for(&a);
    let copy_text = if state.pane == Pane::Network {
        format!("copy {}", state.copy_format.name())
    } else {
        "copy text".to_string()
    };
    format!(
        " {}/{} scroll · {} JSON · {} {copy_text} ",
        keys(Action::DetailDown),
        keys(Action::DetailUp),
        keys(Action::CopyJson),
        keys(Action::CopyText)
    )
}

fn detail_line<'a>(l: &super::state::WLine, theme: &Theme) -> Line<'a> {
    let text_style = match l.kind {
        DKind::Heading => theme.heading(),
        DKind::Error => Style::default().fg(theme.error),
        DKind::Muted => theme.muted(),
        DKind::Field | DKind::Text | DKind::Frame => Style::default().fg(theme.foreground),
    };
    let mut spans = Vec::new();
    if l.indent > 0 {
        spans.push(Span::styled(cell(&l.key, l.indent as usize), Style::default().fg(theme.key)));
    }
    spans.push(Span::styled(l.text.clone(), text_style));
    Line::from(spans)
}

fn render_detail(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(format!(" {} detail ", state.pane.title()), theme.heading()))
        .title_bottom(Line::styled(detail_hint(state), theme.muted()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let detail = state.detail.as_ref().filter(|d| d.pane == state.pane && state.selected_item.is_some());
    let Some(detail) = detail else {
        let text = match state.view(state.pane) {
            Some(v) if v.scanning => "Filtering…",
            _ => "Nothing selected",
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.muted())), inner);
        return;
    };
    // The first line says what this is (method and URL for a request) and stays while scrolling.
    let mut lines: Vec<Line> = detail.lines.first().map(|l| detail_line(l, theme)).into_iter().collect();
    let body = inner.height.saturating_sub(1) as usize;
    let scroll = state.scroll();
    lines.extend(detail.lines.iter().skip(1 + scroll).take(body).map(|l| detail_line(l, theme)));
    frame.render_widget(Paragraph::new(lines), inner);
    let total = detail.lines.len().saturating_sub(1);
    if total > body {
        let pos = format!(" {}/{} ", (scroll + body).min(total), total);
        let r =
            Rect::new(area.x + area.width.saturating_sub(pos.len() as u16 + 2), area.y, pos.len() as u16, 1);
        frame.render_widget(Span::styled(pos, theme.muted()), r);
    }
}

/// The sparkline of the last seconds: events, with seconds that had errors in the error colour.
fn sparkline<'a>(state: &State, width: usize) -> Vec<Span<'a>> {
    let theme = &state.theme;
    let series = state.histogram.series(width);
    let max = series.iter().map(|s| s.0).max().unwrap_or(0);
    series
        .into_iter()
        .map(|(n, e)| {
            let style =
                if e > 0 { Style::default().fg(theme.error) } else { Style::default().fg(theme.accent) };
            Span::styled(histogram::glyph(n, max).to_string(), style)
        })
        .collect()
}

fn render_tabs(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let mut spans = Vec::new();
    let labels = tab_labels(state);
    for (pane, label) in &labels {
        let style = if *pane == state.pane {
            Style::default().fg(theme.tab_active_fg).bg(theme.tab_active_bg).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.tab_inactive_fg)
        };
        spans.push(Span::styled(label.clone(), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Line::from(spans), area);
    let used: usize = labels.iter().map(|(_, l)| sanitize::width(l) + 1).sum();
    let room = (area.width as usize).saturating_sub(used + 1);
    if room >= 12 && !state.histogram.buckets.is_empty() {
        let errors = state.histogram.errors();
        let label = if errors > 0 { format!(" {errors} err/{}s", histogram::SECONDS) } else { String::new() };
        let w = room.min(histogram::SECONDS + label.len()).saturating_sub(label.len()).max(4);
        let mut line = sparkline(state, w);
        line.push(Span::styled(label.clone(), Style::default().fg(theme.error)));
        let total = w + label.len();
        let r = Rect::new(area.x + area.width - total as u16, area.y, total as u16, 1);
        frame.render_widget(Line::from(line), r);
    }
}

/// Draws the whole screen from `state`. Changes nothing.
pub fn render(state: &State, frame: &mut Frame) {
    let screen = frame.area();
    let areas = layout((screen.width, screen.height), state);
    frame.buffer_mut().set_style(screen, state.theme.base());
    render_tabs(frame, state, areas.tabs);
    render_header(frame, state, areas.header);
    if let (Some(r), Some(text)) = (areas.notice, panes::attach_notice::capture_notice(state)) {
        let style = Style::default().fg(state.theme.warn).add_modifier(Modifier::BOLD);
        frame
            .render_widget(Paragraph::new(Line::styled(fit(&text, r.width as usize).into_owned(), style)), r);
    }
    render_list(frame, state, areas.list);
    if let Some(d) = areas.detail {
        render_detail(frame, state, d);
    }
    if let Some(i) = areas.input {
        bars::render_input(frame, state, i);
    }
    if let Some(f) = areas.footer {
        bars::render_footer(frame, state, f);
    }
    bars::render_status(frame, state, areas.status);
    match &state.modal {
        Modal::Help { scroll } => overlays::render_help(frame, state, *scroll, screen),
        Modal::Palette { input, selected } => {
            overlays::render_palette(frame, state, input, *selected, screen)
        }
        Modal::Target { selected } => overlays::render_target(frame, state, *selected, screen),
        Modal::Confirm(what) => overlays::render_confirm(frame, state, *what, screen),
        _ => {}
    }
}
