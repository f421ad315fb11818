//! Owns how one list row is drawn: its cells cut to their columns (in the middle where the
//! column says so), the time in the chosen format, a mark, the `×n` badge of a group, search
//! matches highlighted, a request's name with its host dimmed, and the duration bar.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::super::panes::{Column, Row, Tone, Width};
use super::super::sanitize::{self, cell, fit, fit_middle};
use super::super::theme::Theme;

/// A cell's own colour on top of the row's style (foreground only: the row keeps its band).
fn accent_style(theme: &Theme, base: Style, tone: Tone) -> Style {
    let fg = match tone {
        Tone::Error => theme.error,
        Tone::Warn => theme.warn,
        Tone::Debug => theme.muted,
        Tone::Success => theme.success,
        Tone::Muted => theme.muted,
        Tone::Marker => theme.marker,
        Tone::Normal => theme.foreground,
    };
    base.fg(fg)
}

/// What one row needs from around it to be drawn.
pub struct RowCtx<'a> {
    pub count: u32,
    pub time: Option<String>,
    pub marked: bool,
    pub needles: &'a [&'a str],
    /// The slowest visible request's duration (for the bar).
    pub bar_max: f64,
}

/// `text` with every case-insensitive occurrence of `needles` in `hit` style.
fn highlighted<'a>(text: String, needles: &[&str], style: Style, hit: Style) -> Vec<Span<'a>> {
    if needles.is_empty() {
        return vec![Span::styled(text, style)];
    }
    // ASCII case folding keeps every byte where it was, so offsets in `lower` are offsets in
    // `text`, and a match of a whole (UTF-8) needle starts and ends on character boundaries.
    let lower = text.to_ascii_lowercase();
    let mut marks = vec![false; text.len()];
    for n in needles.iter().filter(|n| !n.is_empty()) {
        let n = n.to_ascii_lowercase();
        let mut from = 0;
        while let Some(p) = lower[from..].find(&n) {
            marks[from + p..from + p + n.len()].iter_mut().for_each(|m| *m = true);
            from += p + n.len().max(1);
        }
    }
    let mut spans = Vec::new();
    let mut start = 0;
    for i in 1..=text.len() {
        if i == text.len() || marks[i] != marks[start] {
            let s = if marks[start] { hit } else { style };
            spans.push(Span::styled(text[start..i].to_string(), s));
            start = i;
        }
    }
    spans
}

/// The name cell: the host dimmed, the path kept (the host goes first when space runs out).
fn name_cell<'a>(text: &str, split: usize, w: usize, style: Style, theme: &Theme) -> Vec<Span<'a>> {
    let (host, path) = text.split_at(split.min(text.len()));
    let dim = style.fg(theme.muted);
    let pw = sanitize::width(path);
    if sanitize::width(text) <= w {
        vec![Span::styled(host.to_string(), dim), Span::styled(cell(path, w - sanitize::width(host)), style)]
    } else if pw + 8 <= w {
        // The path whole; the host cut in the middle to what is left.
        let host = fit_middle(host, w - pw).into_owned();
        let rest = w - sanitize::width(&host);
        vec![Span::styled(host, dim), Span::styled(cell(path, rest), style)]
    } else {
        // Only the path, cut in the middle: its start and its file name stay.
        vec![Span::styled(cell(&fit_middle(path, w), w), style)]
    }
}

fn bar_text(ms: f64, max: f64, w: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    if max <= 0.0 || w == 0 {
        return String::new();
    }
    let eighths = ((ms / max).clamp(0.0, 1.0) * (w * 8) as f64).round() as usize;
    let mut out = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        out.push(PARTS[eighths % 8 - 1]);
    }
    if out.is_empty() {
        out.push('▏');
    }
    out
}

pub fn row_line<'a>(
    row: &Row,
    columns: &[Column],
    widths: &[usize],
    ctx: &RowCtx,
    style: Style,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = Vec::with_capacity(widths.len() + 2);
    let last = widths.len().saturating_sub(1);
    for (i, w) in widths.iter().enumerate() {
        let mut text = row.cells.get(i).map(String::as_str).unwrap_or("");
        if i == 0 {
            if let Some(t) = ctx.time.as_deref() {
                text = t;
            }
        }
        let col = columns.get(i);
        let cstyle =
            row.accents.iter().find(|(c, _)| *c == i).map_or(style, |(_, t)| accent_style(theme, style, *t));
        let cstyle = if i == 0 && ctx.marked { cstyle.add_modifier(Modifier::REVERSED) } else { cstyle };
        let sep = if i == last { "" } else { " " };
        let mut w = *w;
        if col.is_some_and(|c| c.width == Width::Fill) && ctx.count > 1 {
            let badge = format!("×{} ", ctx.count);
            w = w.saturating_sub(sanitize::width(&badge));
            spans.push(Span::styled(badge, style.fg(theme.accent).add_modifier(Modifier::BOLD)));
        }
        if let (Some(ms), true) = (row.bar, i == last && row.bar.is_some()) {
            spans.push(Span::styled(format!("{:>7} ", text), cstyle));
            let bar = bar_text(ms, ctx.bar_max, w.saturating_sub(8));
            spans.push(Span::styled(bar, style.fg(theme.accent)));
            continue;
        }
        if let Some((c, split)) = row.dim_prefix.filter(|(c, _)| *c == i) {
            let _ = c;
            spans.extend(name_cell(text, split, w, cstyle, theme));
            spans.push(Span::styled(sep, style));
            continue;
        }
        let shown = if col.is_some_and(|c| c.middle) { fit_middle(text, w) } else { fit(text, w) };
        let padded = if i == last { shown.into_owned() } else { cell(&shown, w) };
        if col.is_some_and(|c| c.width == Width::Fill) {
            let hit = Style::default().fg(theme.selection_fg).bg(theme.warn).add_modifier(Modifier::BOLD);
            spans.extend(highlighted(padded, ctx.needles, cstyle, hit));
        } else {
            spans.push(Span::styled(padded, cstyle));
        }
        spans.push(Span::styled(sep, style));
    }
    Line::from(spans)
}
