//! Owns the bottom lines: the status bar (connector, REPLAY / FOLLOW / PAUSED +n badges, filter,
//! target by tab name, the last command, and the toast, which lives here rather than over the
//! content), the footer of key hints (from the live keymap, for this pane and mode) and the
//! prompt line.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::super::action::{Action, Pane};
use super::super::sanitize::{self, fit};
use super::super::state::{CommandPhase, Modal, PromptKind, State};

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
    if state.replay.is_some() {
        let badge = Style::default().fg(theme.tab_active_fg).bg(theme.warn).add_modifier(Modifier::BOLD);
        parts.push((" REPLAY (read-only) ".to_string(), badge, 10));
        if let Some(load) = &state.status.load {
            // The bar always stays; the final count gives way to a toast when space runs out.
            let (style, priority) = if load.done { (base, 9) } else { (base.fg(theme.accent), 10) };
            parts.push((
                super::super::loading::status_part(load),
                style.add_modifier(Modifier::BOLD),
                priority,
            ));
        }
    } else {
        parts.push((format!(" {}", state.status.listen), base.add_modifier(Modifier::BOLD), 9));
        parts.push((format!("browsers {} clients {}", state.status.browsers, state.status.clients), base, 4));
        parts.push((format!("{:.0} ev/s", state.status.events_per_sec), base, 2));
    }
    if !state.status.assistants.is_empty() {
        // An assistant is connected over MCP: the human sees who.
        let names = state.status.assistants.join(", ");
        parts.push((format!("◆ MCP {names}"), base.fg(theme.accent).add_modifier(Modifier::BOLD), 8));
    }
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
        if let Some(s) = &state.search[state.pane.index()] {
            parts.push((format!("search {}", s.text()), base.fg(theme.accent), 5));
        }
        let (label, style) = if v.follow {
            ("FOLLOW".to_string(), base.fg(theme.success))
        } else {
            match v.arrived_since_pause() {
                0 => ("PAUSED".to_string(), base.fg(theme.warn)),
                n => (format!("PAUSED +{n}"), base.fg(theme.warn)),
            }
        };
        parts.push((label, style.add_modifier(Modifier::BOLD), 8));
    }
    if state.replay.is_none() {
        // Where commands go matters more than the connection counts.
        parts.push((state.target_summary(), base, 5));
    }
    if let Some(t) = &state.toast {
        let style = if t.error {
            Style::default().fg(theme.toast_error_fg).bg(theme.toast_error_bg)
        } else {
            Style::default().fg(theme.toast_fg).bg(theme.toast_bg)
        };
        parts.push((format!(" {} ", sanitize::line(&t.text)), style.add_modifier(Modifier::BOLD), 11));
    } else if let Some(c) = &state.last_command {
        let (text, style) = match &c.phase {
            CommandPhase::Pending => (format!("{} … pending", c.label), base.fg(theme.accent)),
            CommandPhase::Done { ok: true, duration_ms, .. } => {
                (format!("{} ✓ ok {duration_ms} ms", c.label), base.fg(theme.success))
            }
            CommandPhase::Done { ok: false, duration_ms, .. } => {
                (format!("{} ✗ failed {duration_ms} ms", c.label), base.fg(theme.error))
            }
        };
        parts.push((text, style, 7));
    }
    parts
}

pub fn render_status(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let base = Style::default().fg(theme.status_fg).bg(theme.status_bg);
    frame.buffer_mut().set_style(area, base);
    let mut parts = status_text(state);
    // Drop the least important parts until the rest fits; the most important one is cut to fit.
    let total = |p: &[(String, Style, u8)]| p.iter().map(|(t, _, _)| sanitize::width(t) + 3).sum::<usize>();
    // Badges and the toast (priority 10 and up) always stay; the last part is cut to fit.
    while total(&parts) > area.width as usize {
        match parts.iter().enumerate().filter(|(_, p)| p.2 < 10).min_by_key(|(_, p)| p.2).map(|(i, _)| i) {
            Some(i) => {
                parts.remove(i);
            }
            None => break,
        }
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (text, style, _)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", base.fg(theme.muted)));
            used += 3;
        }
        let room = (area.width as usize).saturating_sub(used);
        let text = fit(&text, room).into_owned();
        used += sanitize::width(&text);
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The short name a footer hint uses for an action.
fn hint_label(action: &Action) -> &'static str {
    match action {
        Action::Filter => "filter",
        Action::Search => "search",
        Action::NextMatch => "next match",
        Action::ToggleDetail => "detail",
        Action::NextError => "next error",
        Action::ToggleMark => "mark",
        Action::ExecuteJs => "JS",
        Action::ClearPane => "clear",
        Action::CopyText => "copy",
        Action::ResendRequest => "resend",
        Action::ChooseTarget => "target",
        Action::Bottom => "resume",
        Action::ClearFilter => "clear filter",
        Action::Palette => "actions",
        Action::ToggleTimeFormat => "time",
        Action::Help => "help",
        _ => "",
    }
}

/// The most useful keys for this pane and mode, from the live keymap.
pub fn footer_actions(state: &State) -> Vec<Action> {
    let mut out = Vec::new();
    let live = state.replay.is_none();
    if let Some(v) = state.view(state.pane) {
        if !v.follow {
            out.push(Action::Bottom);
        }
        if v.filter.is_some() {
            out.push(Action::ClearFilter);
        }
        if state.search[state.pane.index()].is_some() {
            out.push(Action::NextMatch);
        }
    }
    let per_pane: &[Action] = match state.pane {
        Pane::Console => &[
            Action::Filter,
            Action::Search,
            Action::ToggleDetail,
            Action::NextError,
            Action::ToggleMark,
            Action::ExecuteJs,
            Action::ClearPane,
            Action::ToggleTimeFormat,
        ],
        Pane::Network => &[
            Action::Filter,
            Action::ToggleDetail,
            Action::CopyText,
            Action::ResendRequest,
            Action::NextError,
            Action::ToggleMark,
            Action::ClearPane,
        ],
        Pane::Elements | Pane::Frames => {
            &[Action::Filter, Action::Search, Action::ToggleDetail, Action::CopyText, Action::ClearPane]
        }
        Pane::Sessions => &[Action::ChooseTarget, Action::ToggleDetail, Action::Palette],
    };
    for a in per_pane {
        let command =
            matches!(a, Action::ExecuteJs | Action::ResendRequest | Action::ChooseTarget | Action::Palette);
        if (live || !command) && !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

pub fn render_footer(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let key_style = Style::default().fg(theme.key).add_modifier(Modifier::BOLD);
    let first_key = |a: &Action| state.keymap.keys_for(a).split(' ').next().unwrap_or("").to_string();
    let help = first_key(&Action::Help);
    let help_w = if help.is_empty() { 0 } else { sanitize::width(&help) + 6 };
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for a in footer_actions(state) {
        let key = first_key(&a);
        if key.is_empty() {
            continue;
        }
        let label = hint_label(&a);
        let w = sanitize::width(&key) + 1 + sanitize::width(label) + 2;
        if used + w + help_w > area.width as usize {
            break;
        }
        spans.push(Span::styled(key, key_style));
        spans.push(Span::styled(format!(" {label}  "), theme.muted()));
        used += w;
    }
    if !help.is_empty() {
        spans.push(Span::styled(help, key_style));
        spans.push(Span::styled(" help", theme.muted()));
    }
    frame.render_widget(Line::from(spans), area);
}

pub fn render_input(frame: &mut Frame, state: &State, area: Rect) {
    let theme = &state.theme;
    let (prefix, input, note, error) = match &state.modal {
        Modal::Filter { input, error } => {
            let v = state.view(state.pane);
            let note = match v {
                Some(v) if v.scanning => {
                    let end = state.log_ends[state.pane.index()];
                    if v.scan_total(end) >= super::LONG_SCAN {
                        format!("  filtering… {}%", v.progress(end))
                    } else {
                        "  filtering…".to_string()
                    }
                }
                Some(v) => {
                    format!("  {} match{}", v.event_count(), if v.event_count() == 1 { "" } else { "es" })
                }
                None => String::new(),
            };
            ("/ ".to_string(), input, note, error.clone())
        }
        Modal::Search { input, error } => {
            let keys = |a: Action| state.keymap.keys_for(&a);
            let note = format!(
                "  Enter finds · {} next · {} previous",
                keys(Action::NextMatch),
                keys(Action::PrevMatch)
            );
            ("search: ".to_string(), input, note, error.clone())
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
