//! Owns the overlays: help (generated from the live keymap, laid out in as many columns as fit
//! and scrolled when taller than the screen, so it fits at 80x24), the command palette, the
//! target picker (tabs by title and host) and the yes/no question.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use super::super::input::LineInput;
use super::super::sanitize::{self, cell, fit};
use super::super::state::{Confirm, State};
use super::super::target::session_name;
use super::super::theme::Theme;
use super::super::update::palette_matches;

/// A box of at most `width` x `height`, centred, always inside the screen.
pub fn centered(screen: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(screen.width.saturating_sub(2)).max(10.min(screen.width));
    let h = height.min(screen.height.saturating_sub(2)).max(3.min(screen.height));
    Rect::new((screen.width.saturating_sub(w)) / 2, (screen.height.saturating_sub(h)) / 2, w, h)
}

fn overlay_block<'a>(theme: &Theme, title: String, footer: String) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(theme.accent))
        .style(Style::default().fg(theme.foreground).bg(theme.overlay_bg))
        .title(Span::styled(title, theme.heading()))
        .title_bottom(Line::styled(footer, theme.muted()).right_aligned())
}

pub fn render_help(frame: &mut Frame, state: &State, scroll: usize, screen: Rect) {
    let theme = &state.theme;
    let entries = state.keymap.help_entries();
    let key_w = entries.iter().map(|(k, _)| sanitize::width(k)).max().unwrap_or(4).min(12);
    let desc_max = entries.iter().map(|(_, d)| sanitize::width(d)).max().unwrap_or(10);
    // Inside the border, one space of margin each side.
    let avail = screen.width.saturating_sub(4).max(20) as usize;
    let gap = 3;
    // As many columns as fit with descriptions of at least 18 columns (longer ones are cut).
    let min_col = key_w + 2 + desc_max.min(18);
    let columns = (1..=3).rev().find(|&n| n * min_col + (n - 1) * gap <= avail).unwrap_or(1);
    let col_w = ((avail - (columns - 1) * gap) / columns).min(key_w + 2 + desc_max);
    let desc_w = col_w.saturating_sub(key_w + 2).max(4);
    let rows_needed = entries.len().div_ceil(columns);
    let width = columns * col_w + (columns - 1) * gap;
    let entry = |(k, d): &(String, &str)| {
        vec![
            Span::styled(cell(k, key_w) + "  ", Style::default().fg(theme.key).add_modifier(Modifier::BOLD)),
            Span::styled(cell(d, desc_w), Style::default().fg(theme.foreground)),
        ]
    };
    let mut lines: Vec<Line> = Vec::new();
    for r in 0..rows_needed {
        let mut spans = vec![Span::raw(" ")];
        for c in 0..columns {
            if let Some(e) = entries.get(r + c * rows_needed) {
                if c > 0 {
                    spans.push(Span::raw(" ".repeat(gap)));
                }
                spans.extend(entry(e));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    let keys = |a: super::super::action::Action| state.keymap.keys_for(&a);
    let moved = format!(
        " Moved: {} clears this pane only; {} clears everything, after asking (it was c).",
        keys(super::super::action::Action::ClearPane),
        keys(super::super::action::Action::ClearLogs)
    );
    for note in [
        " Filter: text level:error method:POST status:>=400 url:… type:fetch session:… is:marked -term",
        " A bare word is free text: 404 finds \"404\" anywhere; status:404 the status.",
        moved.as_str(),
        " Prompts: Enter accepts, Esc cancels. Rebind keys in the config's [keys].",
    ] {
        for l in sanitize::wrap_words(note, width, 3) {
            lines.push(Line::styled(l, theme.muted()));
        }
    }
    let area = centered(screen, width as u16 + 3, lines.len() as u16 + 2);
    let inner_h = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_h);
    let scroll = scroll.min(max_scroll);
    let footer = if max_scroll > 0 {
        format!(" {}/{} · j/k scroll · Esc close ", (scroll + inner_h).min(lines.len()), lines.len())
    } else {
        " Esc close ".to_string()
    };
    let block = overlay_block(theme, " Keys (from your keymap) ".into(), footer);
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    // Each line cut to the box: nothing is drawn past the border.
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(inner_h).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

pub fn render_palette(frame: &mut Frame, state: &State, input: &LineInput, selected: usize, screen: Rect) {
    let theme = &state.theme;
    let matches = palette_matches(input.text());
    let area = centered(screen, 76, (matches.len() as u16 + 4).min(22));
    let block = overlay_block(
        theme,
        " Command palette: browser actions ".into(),
        " ↑↓ choose · Enter run · Esc close ".into(),
    );
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let text = sanitize::line(input.text()).into_owned();
    frame.render_widget(
        Line::from(vec![Span::styled("› ", Style::default().fg(theme.accent)), Span::raw(text)]),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let before: String = input.text().chars().take(input.cursor()).collect();
    frame.set_cursor_position(Position::new(inner.x + 2 + sanitize::width(&before) as u16, inner.y));
    let list = Rect::new(inner.x, inner.y + 1, inner.width, inner.height.saturating_sub(1));
    if matches.is_empty() {
        frame.render_widget(Line::styled("no action matches", theme.muted()), list);
    }
    let rows: Vec<String> = matches
        .iter()
        .map(|a| {
            let params: Vec<&str> = a.params.iter().map(|p| p.name).collect();
            let params = if params.is_empty() { String::new() } else { format!(" ({})", params.join(", ")) };
            format!(" {:<22} {}{params}", a.name, a.summary)
        })
        .collect();
    render_choices(frame, theme, &rows, selected, list);
}

/// A list of one-line choices in `area`, scrolled so `selected` shows, the selected one highlighted.
fn render_choices(frame: &mut Frame, theme: &Theme, rows: &[String], selected: usize, area: Rect) {
    let height = area.height as usize;
    let top = selected.saturating_sub(height.saturating_sub(1));
    for (i, text) in rows.iter().enumerate().skip(top).take(height) {
        let style = if i == selected { theme.selection() } else { Style::default().fg(theme.foreground) };
        let r = Rect::new(area.x, area.y + (i - top) as u16, area.width, 1);
        frame.buffer_mut().set_style(r, style);
        frame.render_widget(Span::styled(fit(text, area.width as usize).into_owned(), style), r);
    }
}

pub fn render_target(frame: &mut Frame, state: &State, selected: usize, screen: Rect) {
    let theme = &state.theme;
    let auto = match state.auto_target() {
        Some(id) => format!("auto: the selected row's tab, else the last used (now {})", state.name_of(&id)),
        None => "auto: the selected row's tab, else the last one used".to_string(),
    };
    let mut items = vec![(auto, state.target.is_none())];
    for s in state.browsers() {
        let label = format!("{}  ({})", session_name(s), s.session_id);
        items.push((label, state.target.as_deref() == Some(s.session_id.as_str())));
    }
    let area = centered(screen, 80, items.len() as u16 + 2);
    let block = overlay_block(
        theme,
        " Target browser for commands ".into(),
        " ↑↓ choose · Enter pick · Esc close ".into(),
    );
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let rows: Vec<String> = items
        .iter()
        .map(|(label, current)| format!("{} {label}", if *current { "◎" } else { " " }))
        .collect();
    render_choices(frame, theme, &rows, selected, inner);
}

pub fn render_confirm(frame: &mut Frame, state: &State, what: Confirm, screen: Rect) {
    let theme = &state.theme;
    let lines: Vec<String> = match what {
        Confirm::ClearAll if state.replay.is_some() => vec![
            "Clear every pane?".into(),
            "This empties what was loaded from the recording;".into(),
            "the file on disk is not changed.".into(),
        ],
        Confirm::ClearAll => vec![
            "Clear every pane of every tab?".into(),
            "This empties the connector's store (REST and MCP see".into(),
            "it too) and asks the browser to clear its logs.".into(),
        ],
    };
    let width = lines.iter().map(|l| sanitize::width(l)).max().unwrap_or(20) as u16 + 4;
    let area = centered(screen, width, lines.len() as u16 + 4);
    let block = overlay_block(theme, " Clear everything ".into(), " y / Enter clear · n / Esc keep ".into());
    let mut body: Vec<Line> = lines.into_iter().map(|l| Line::raw(format!(" {l}"))).collect();
    body.push(Line::raw(""));
    let pane_key = state.keymap.keys_for(&super::super::action::Action::ClearPane);
    if !pane_key.is_empty() {
        body.push(Line::styled(format!(" {pane_key} clears only the current pane."), theme.muted()));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(body).block(block), area);
}
