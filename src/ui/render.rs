//! Owns drawing: `render(&State, &mut Frame)` is a pure function of the state. Also the layout
//! (shared with mouse handling) and the overlays (help, palette, target picker, results).

use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::action::{Action, Pane};
use super::panes::{self, Column, DKind, Row, Tone, Width};
use super::sanitize::{self, cell, fit};
use super::state::{CommandPhase, Modal, PromptKind, State};
use super::theme::Theme;
use super::update::palette_matches;

/// Where everything goes on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub header: Rect,
    pub list: Rect,
    pub detail: Option<Rect>,
    pub input: Option<Rect>,
    pub status: Rect,
}

/// The layout for a terminal of `viewport` (columns, rows).
pub fn layout(viewport: (u16, u16), state: &State) -> Areas {
    let (w, h) = (viewport.0.max(1), viewport.1.max(3));
    let tabs = Rect::new(0, 0, w, 1);
    let status = Rect::new(0, h - 1, w, 1);
    let input_open = matches!(state.modal, Modal::Filter { .. } | Modal::Prompt(_));
    let input = input_open.then(|| Rect::new(0, h - 2, w, 1));
    let body_top = 1;
    let body_bottom = h - 1 - u16::from(input_open);
    let body = Rect::new(0, body_top, w, body_bottom.saturating_sub(body_top));
    let (list_part, detail) = if state.detail_open && body.height >= 6 {
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
    let header = Rect::new(list_part.x, list_part.y, list_part.width, 1.min(list_part.height));
    let list = Rect::new(list_part.x, list_part.y + 1, list_part.width, list_part.height.saturating_sub(1));
    Areas { tabs, header, list, detail, input, status }
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

fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Normal => Style::default().fg(theme.foreground),
        Tone::Error => Style::default().fg(theme.error).bg(theme.error_row_bg),
        Tone::Warn => Style::default().fg(theme.warn).bg(theme.warn_row_bg),
        Tone::Debug => Style::default().fg(theme.debug),
        Tone::Success => Style::default().fg(theme.success),
        Tone::Muted => Style::default().fg(theme.muted),
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

fn row_line<'a>(row: &Row, widths: &[usize], count: u32, style: Style, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::with_capacity(widths.len() + 1);
    let last = widths.len().saturating_sub(1);
    for (i, w) in widths.iter().enumerate() {
        let text = row.cells.get(i).map(String::as_str).unwrap_or("");
        if i == last {
            let mut w = *w;
            if count > 1 {
                let badge = format!("×{count} ");
                w = w.saturating_sub(sanitize::width(&badge));
                spans.push(Span::styled(badge, style.fg(theme.accent).add_modifier(Modifier::BOLD)));
            }
            spans.push(Span::styled(fit(text, w).into_owned(), style));
        } else {
            spans.push(Span::styled(cell(text, *w) + " ", style));
        }
    }
    Line::from(spans)
}

fn render_header(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let cols = columns_of(state.pane);
    let ws = widths(cols, area.width);
    let text = cols.iter().zip(&ws).map(|(c, w)| cell(c.title, *w)).collect::<Vec<_>>().join(" ");
    let style = Style::default().fg(theme.muted).add_modifier(Modifier::BOLD);
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&text, area.width as usize).into_owned(), style)),
        area,
    );
}

fn empty_message(state: &State) -> Vec<String> {
    let listen = &state.status.listen;
    if let Some(v) = state.view(state.pane) {
        if v.scanning {
            let end = state.log_ends[state.pane.index()];
            return vec![format!("Filtering… {}%", v.progress(end))];
        }
        if let Some(f) = &v.filter {
            return vec![format!("Nothing matches `{}`", f.text()), "Esc clears the filter".into()];
        }
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

fn render_list(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let ws = widths(columns_of(state.pane), area.width);
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
                frame.render_widget(row_line(&row, &ws, 1, style, theme), r);
                drawn += 1;
            }
        }
        pane => {
            let view = &state.views[pane.index()];
            let cache = &state.rows[pane.index()];
            for idx in view.visible(height) {
                let r = Rect::new(area.x, area.y + drawn as u16, area.width, 1);
                drawn += 1;
                let Some(row) = cache.get(idx) else { continue };
                let selected = view.selected == Some(*idx);
                let style = if selected { theme.selection() } else { tone_style(theme, row.tone) };
                frame.buffer_mut().set_style(r, style);
                frame.render_widget(row_line(row, &ws, view.count_of(*idx), style, theme), r);
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
    let copy_text = if state.pane == Pane::Network { "copy curl" } else { "copy text" };
    format!(
        " {}/{} or wheel scroll · {} copy JSON · {} {copy_text} ",
        keys(Action::DetailDown),
        keys(Action::DetailUp),
        keys(Action::CopyJson),
        keys(Action::CopyText)
    )
}

fn render_detail(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(" Detail ", theme.heading()))
        .title_bottom(Line::styled(detail_hint(state), theme.muted()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let Some(detail) = &state.detail else {
        frame.render_widget(Paragraph::new(Line::styled("Nothing selected", theme.muted())), inner);
        return;
    };
    let lines: Vec<Line> = detail
        .lines
        .iter()
        .skip(state.detail_scroll)
        .take(inner.height as usize)
        .map(|l| {
            let text_style = match l.kind {
                DKind::Heading => theme.heading(),
                DKind::Error => Style::default().fg(theme.error),
                DKind::Muted => theme.muted(),
                DKind::Field | DKind::Text => Style::default().fg(theme.foreground),
            };
            let mut spans = Vec::new();
            if l.indent > 0 {
                spans.push(Span::styled(cell(&l.key, l.indent as usize), Style::default().fg(theme.key)));
            }
            spans.push(Span::styled(l.text.clone(), text_style));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    let total = detail.lines.len();
    if total > inner.height as usize {
        let pos = format!(" {}/{} ", (state.detail_scroll + inner.height as usize).min(total), total);
        let r =
            Rect::new(area.x + area.width.saturating_sub(pos.len() as u16 + 2), area.y, pos.len() as u16, 1);
        frame.render_widget(Span::styled(pos, theme.muted()), r);
    }
}

fn render_tabs(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let mut spans = Vec::new();
    for (pane, label) in tab_labels(state) {
        let style = if pane == state.pane {
            Style::default().fg(theme.tab_active_fg).bg(theme.tab_active_bg).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.tab_inactive_fg)
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Line::from(spans), area);
    let help = format!(" {} help ", state.keymap.keys_for(&super::action::Action::Help));
    let used: usize = tab_labels(state).iter().map(|(_, l)| sanitize::width(l) + 1).sum();
    if (area.width as usize) > used + help.len() {
        let r = Rect::new(area.x + area.width - help.len() as u16, area.y, help.len() as u16, 1);
        frame.render_widget(Span::styled(help, theme.muted()), r);
    }
}

/// "memory full, evicted 120 console 4 frames": what the byte budget pushed out, by kind.
fn memory_evictions(counts: &[u64; 4]) -> Option<String> {
    let parts: Vec<String> = ["console", "network", "elements", "frames"]
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    (!parts.is_empty()).then(|| format!("memory full, evicted {}", parts.join(" ")))
}

/// The status bar's parts with a priority each (the lowest goes first when space runs out).
fn status_text(state: &State) -> Vec<(String, Style, u8)> {
    let theme = &state.theme;
    let base = Style::default().fg(theme.status_fg).bg(theme.status_bg);
    let mut parts: Vec<(String, Style, u8)> = Vec::new();
    parts.push((format!(" {}", state.status.listen), base.add_modifier(Modifier::BOLD), 9));
    parts.push((format!("browsers {} clients {}", state.status.browsers, state.status.clients), base, 7));
    if !state.status.assistants.is_empty() {
        let names = state.status.assistants.join(", ");
        parts.push((format!("◆ MCP {names}"), base.fg(theme.accent).add_modifier(Modifier::BOLD), 8));
    }
    parts.push((format!("{:.0} ev/s", state.status.events_per_sec), base, 3));
    let (dropped_style, dropped_priority) =
        if state.status.dropped > 0 { (base.fg(theme.warn), 4) } else { (base, 1) };
    parts.push((format!("dropped {}", state.status.dropped), dropped_style, dropped_priority));
    if let Some(text) = memory_evictions(&state.status.evicted_for_memory) {
        parts.push((text, base.fg(theme.warn), 5));
    }
    if let Some(v) = state.view(state.pane) {
        if let Some(f) = &v.filter {
            parts.push((format!("filter {} ({})", f.text(), v.event_count()), base.fg(theme.accent), 6));
        }
        let (label, style) =
            if v.follow { ("FOLLOW", base.fg(theme.success)) } else { ("PAUSED", base.fg(theme.warn)) };
        parts.push((label.to_string(), style.add_modifier(Modifier::BOLD), 8));
    }
    let target_priority = if state.target.is_some() { 5 } else { 2 };
    parts.push((format!("target {}", state.target.as_deref().unwrap_or("auto")), base, target_priority));
    if let Some(c) = &state.last_command {
        let (text, style) = match &c.phase {
            CommandPhase::Pending => (format!("{} … pending", c.label), base.fg(theme.accent)),
            CommandPhase::Done { ok: true, duration_ms, .. } => {
                (format!("{} ✓ ok {duration_ms} ms", c.label), base.fg(theme.success))
            }
            CommandPhase::Done { ok: false, duration_ms, .. } => {
                (format!("{} ✗ failed {duration_ms} ms", c.label), base.fg(theme.error))
            }
        };
        parts.push((text, style, 8));
    }
    parts
}

fn render_status(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let base = Style::default().fg(theme.status_fg).bg(theme.status_bg);
    frame.buffer_mut().set_style(area, base);
    let mut parts = status_text(state);
    // Drop the least important parts until the rest fits.
    let total = |p: &[(String, Style, u8)]| p.iter().map(|(t, _, _)| sanitize::width(t) + 3).sum::<usize>();
    while parts.len() > 1 && total(&parts) > area.width as usize {
        if let Some(i) = parts.iter().enumerate().min_by_key(|(_, p)| p.2).map(|(i, _)| i) {
            parts.remove(i);
        }
    }
    let mut spans = Vec::new();
    for (i, (text, style, _)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", base.fg(theme.muted)));
        }
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Line::from(spans), area);
}

fn render_input(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let (prefix, input, note, error) = match &state.modal {
        Modal::Filter { input, error } => {
            let v = state.view(state.pane);
            let note = match v {
                Some(v) if v.scanning => {
                    format!("  filtering… {}%", v.progress(state.log_ends[state.pane.index()]))
                }
                Some(v) => {
                    format!("  {} match{}", v.event_count(), if v.event_count() == 1 { "" } else { "es" })
                }
                None => String::new(),
            };
            ("/ ".to_string(), input, note, error.clone())
        }
        Modal::Prompt(p) => {
            let note = match p.kind {
                PromptKind::ExecuteJs => "  Enter runs · Esc cancels".to_string(),
                _ => "  Enter · Esc cancels".to_string(),
            };
            (format!("{}: ", p.title), &p.input, note, p.error.clone())
        }
        _ => return,
    };
    let text = sanitize::line(input.text()).into_owned();
    let mut spans = vec![
        Span::styled(prefix.clone(), Style::default().fg(theme.accent).add_modifier(Modifier::BOLD)),
        Span::styled(text, Style::default().fg(theme.foreground)),
    ];
    match error {
        Some(e) => spans.push(Span::styled(format!("  {e}"), Style::default().fg(theme.error))),
        None => spans.push(Span::styled(note, theme.muted())),
    }
    frame.render_widget(Line::from(spans), area);
    let before: String = input.text().chars().take(input.cursor()).collect();
    let x = sanitize::width(&prefix) + sanitize::width(&sanitize::line(&before));
    frame.set_cursor_position(Position::new(area.x + (x as u16).min(area.width.saturating_sub(1)), area.y));
}

fn render_toast(frame: &mut Frame, state: &State, screen: Rect) {
    let Some(toast) = &state.toast else { return };
    let theme = &state.theme;
    let style = if toast.error {
        Style::default().fg(theme.toast_error_fg).bg(theme.toast_error_bg)
    } else {
        Style::default().fg(theme.toast_fg).bg(theme.toast_bg)
    };
    let max = screen.width.saturating_sub(2) as usize;
    let text = format!(" {} ", fit(&sanitize::line(&toast.text), max.saturating_sub(2)));
    let w = sanitize::width(&text) as u16;
    let y = screen.height.saturating_sub(if matches!(state.modal, Modal::Filter { .. } | Modal::Prompt(_)) {
        3
    } else {
        2
    });
    let r = Rect::new(screen.width.saturating_sub(w + 1), y, w, 1);
    frame.render_widget(Clear, r);
    frame.render_widget(Span::styled(text, style.add_modifier(Modifier::BOLD)), r);
}

fn centered(screen: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(screen.width.saturating_sub(2)).max(10);
    let h = height.min(screen.height.saturating_sub(2)).max(3);
    Rect::new((screen.width.saturating_sub(w)) / 2, (screen.height.saturating_sub(h)) / 2, w, h)
}

fn overlay_block<'a>(theme: &Theme, title: &'a str, footer: &'a str) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.accent))
        .style(Style::default().fg(theme.foreground).bg(theme.overlay_bg))
        .title(Span::styled(title, theme.heading()))
        .title_bottom(Line::styled(footer, theme.muted()).right_aligned())
}

fn render_help(frame: &mut Frame, state: &State, scroll: usize, screen: Rect) {
    let theme = &state.theme;
    let entries = state.keymap.help_entries();
    let key_w = entries.iter().map(|(k, _)| sanitize::width(k)).max().unwrap_or(4).min(16);
    let desc_max = entries.iter().map(|(_, d)| sanitize::width(d)).max().unwrap_or(10);
    let avail = screen.width.saturating_sub(4) as usize;
    let two = (key_w + 2 + 16) * 2 + 3 <= avail;
    let desc_w = if two {
        desc_max.min((avail - 3) / 2 - key_w - 2)
    } else {
        desc_max.min(avail.saturating_sub(key_w + 2)).max(8)
    };
    let col_w = key_w + 2 + desc_w;
    let rows_needed = if two { entries.len().div_ceil(2) } else { entries.len() };
    let width = if two { col_w * 2 + 4 } else { col_w + 1 };
    let mut lines: Vec<Line> = Vec::new();
    let entry = |(k, d): &(String, &str)| {
        vec![
            Span::styled(cell(k, key_w) + "  ", Style::default().fg(theme.key).add_modifier(Modifier::BOLD)),
            Span::styled(cell(d, desc_w), Style::default().fg(theme.foreground)),
        ]
    };
    for r in 0..rows_needed {
        let mut spans = vec![Span::raw(" ")];
        spans.extend(entry(&entries[r]));
        if two {
            if let Some(e) = entries.get(r + rows_needed) {
                spans.push(Span::raw("   "));
                spans.extend(entry(e));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    for note in [
        " Filter: text level:error method:POST status:>=400 url:… type:… session:… -term",
        " Prompts: Enter accepts, Esc cancels. Rebind keys in the config's [keys].",
    ] {
        lines.push(Line::styled(fit(note, width.max(20)).into_owned(), theme.muted()));
    }
    let area = centered(screen, width as u16 + 2, lines.len() as u16 + 2);
    let inner_h = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_h));
    let block = overlay_block(theme, " Keys (from your keymap) ", " Esc close · j/k scroll ");
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)).block(block), area);
}

fn render_palette(
    frame: &mut Frame,
    state: &State,
    input: &super::input::LineInput,
    selected: usize,
    screen: Rect,
) {
    let theme = &state.theme;
    let matches = palette_matches(input.text());
    let area = centered(screen, 76, (matches.len() as u16 + 4).min(22));
    let block =
        overlay_block(theme, " Command palette: browser actions ", " ↑↓ choose · Enter run · Esc close ");
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let text = sanitize::line(input.text()).into_owned();
    frame.render_widget(
        Line::from(vec![Span::styled("› ", Style::default().fg(theme.accent)), Span::raw(text.clone())]),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let before: String = input.text().chars().take(input.cursor()).collect();
    frame.set_cursor_position(Position::new(inner.x + 2 + sanitize::width(&before) as u16, inner.y));
    let list_h = inner.height.saturating_sub(1) as usize;
    let top = selected.saturating_sub(list_h.saturating_sub(1));
    if matches.is_empty() {
        frame.render_widget(
            Line::styled("no action matches", theme.muted()),
            Rect::new(inner.x, inner.y + 1, inner.width, 1),
        );
    }
    for (i, a) in matches.iter().enumerate().skip(top).take(list_h) {
        let params: Vec<&str> = a.params.iter().map(|p| p.name).collect();
        let text = format!(
            " {:<22} {}{}",
            a.name,
            a.summary,
            if params.is_empty() { String::new() } else { format!(" ({})", params.join(", ")) }
        );
        let style = if i == selected { theme.selection() } else { Style::default().fg(theme.foreground) };
        let r = Rect::new(inner.x, inner.y + 1 + (i - top) as u16, inner.width, 1);
        frame.buffer_mut().set_style(r, style);
        frame.render_widget(Span::styled(fit(&text, inner.width as usize).into_owned(), style), r);
    }
}

fn render_target(frame: &mut Frame, state: &State, selected: usize, screen: Rect) {
    let theme = &state.theme;
    let mut items = vec![("auto (the most recently active browser)".to_string(), state.target.is_none())];
    for s in state.browsers() {
        let label = format!(
            "{}  tab {}  {}",
            s.session_id,
            s.tab_id.as_deref().unwrap_or("-"),
            s.url.as_deref().map(sanitize::line).unwrap_or_default()
        );
        items.push((label, state.target.as_deref() == Some(s.session_id.as_str())));
    }
    let area = centered(screen, 80, items.len() as u16 + 2);
    let block = overlay_block(theme, " Target browser for commands ", " ↑↓ choose · Enter pick · Esc close ");
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    for (i, (label, current)) in items.iter().enumerate().take(inner.height as usize) {
        let text = format!("{} {label}", if *current { "◎" } else { " " });
        let style = if i == selected { theme.selection() } else { Style::default().fg(theme.foreground) };
        let r = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        frame.buffer_mut().set_style(r, style);
        frame.render_widget(Span::styled(fit(&text, inner.width as usize).into_owned(), style), r);
    }
}

fn render_result(
    frame: &mut Frame,
    state: &State,
    title: &str,
    lines: &[String],
    scroll: usize,
    screen: Rect,
) {
    let theme = &state.theme;
    let width = lines.iter().map(|l| sanitize::width(l)).max().unwrap_or(10).clamp(30, 120) as u16 + 4;
    let area = centered(screen, width, lines.len() as u16 + 2);
    let inner_h = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_h));
    let title = format!(" {} ", sanitize::line(title));
    let block = overlay_block(theme, &title, " Esc close · j/k scroll ");
    let body: Vec<Line> = lines.iter().skip(scroll).take(inner_h).map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(body).wrap(ratatui::widgets::Wrap { trim: false }).block(block), area);
}

/// Draws the whole screen from `state`. Changes nothing.
pub fn render(state: &State, frame: &mut Frame) {
    let screen = frame.area();
    let areas = layout((screen.width, screen.height), state);
    frame.buffer_mut().set_style(screen, state.theme.base());
    render_tabs(frame, state, areas.tabs);
    render_header(frame, state, areas.header);
    render_list(frame, state, areas.list);
    if let Some(d) = areas.detail {
        render_detail(frame, state, d);
    }
    if let Some(i) = areas.input {
        render_input(frame, state, i);
    }
    render_status(frame, state, areas.status);
    render_toast(frame, state, screen);
    match &state.modal {
        Modal::Help { scroll } => render_help(frame, state, *scroll, screen),
        Modal::Palette { input, selected } => render_palette(frame, state, input, *selected, screen),
        Modal::Target { selected } => render_target(frame, state, *selected, screen),
        Modal::Result { title, lines, scroll } => render_result(frame, state, title, lines, *scroll, screen),
        _ => {}
    }
}
