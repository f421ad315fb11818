//! Owns key bindings: the default keymap (DESIGN.md's table, a public interface), the user's
//! `[keys]` table laid over it, and the key → `Action` lookup. Help and docs are generated here.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Pane};
use crate::export::console::ConsoleFormat;

/// A bindable action: its config name, what help says, and its default keys.
pub struct Binding {
    pub name: &'static str,
    pub action: Action,
    pub help: &'static str,
    pub defaults: &'static [&'static str],
}

const fn b(
    name: &'static str,
    action: Action,
    help: &'static str,
    defaults: &'static [&'static str],
) -> Binding {
    Binding { name, action, help, defaults }
}

/// Every bindable action, in the order help shows them.
pub const BINDINGS: &[Binding] = &[
    b("show_console", Action::ShowPane(Pane::Console), "Console pane", &["1"]),
    b("show_network", Action::ShowPane(Pane::Network), "Network pane", &["2"]),
    b("show_elements", Action::ShowPane(Pane::Elements), "Elements pane", &["3"]),
    b("show_frames", Action::ShowPane(Pane::Frames), "Frames pane", &["4"]),
    b("show_sessions", Action::ShowPane(Pane::Sessions), "Sessions pane", &["5"]),
    b("next_pane", Action::NextPane, "next pane", &["tab"]),
    b("prev_pane", Action::PrevPane, "previous pane", &["shift-tab"]),
    b("move_down", Action::MoveDown, "move down", &["j", "down"]),
    b("move_up", Action::MoveUp, "move up (pauses follow)", &["k", "up"]),
    b("page_down", Action::PageDown, "page down", &["pgdn", "ctrl-d"]),
    b("page_up", Action::PageUp, "page up", &["pgup", "ctrl-u"]),
    b("go_top", Action::Top, "oldest row", &["g", "home"]),
    b("go_bottom", Action::Bottom, "newest row + follow", &["G", "end"]),
    b("toggle_detail", Action::ToggleDetail, "open/close detail", &["enter"]),
    b("detail_down", Action::DetailDown, "scroll detail down", &["J"]),
    b("detail_up", Action::DetailUp, "scroll detail up", &["K"]),
    b("filter", Action::Filter, "filter", &["/"]),
    b("clear_filter", Action::ClearFilter, "clear filter / close", &["esc"]),
    b("search", Action::Search, "search (rows stay)", &["ctrl-f"]),
    b("next_match", Action::NextMatch, "next match", &["ctrl-n"]),
    b("prev_match", Action::PrevMatch, "previous match", &["ctrl-p"]),
    b("next_error", Action::NextError, "next error/warning", &["}"]),
    b("prev_error", Action::PrevError, "previous error/warning", &["{"]),
    b("toggle_follow", Action::ToggleFollow, "follow on/off", &["f"]),
    b("toggle_mark", Action::ToggleMark, "mark/unmark row", &["m"]),
    b("toggle_time_format", Action::ToggleTimeFormat, "time: absolute/relative", &["T"]),
    b("toggle_grouping", Action::ToggleGrouping, "group repeats on/off", &["="]),
    b("copy_json", Action::CopyJson, "copy event as JSON", &["y"]),
    b("copy_text", Action::CopyText, "copy curl/text/stack", &["Y"]),
    b("cycle_copy_format", Action::CycleCopyFormat, "request copy format", &["F"]),
    b("screenshot", Action::Screenshot, "screenshot (visible)", &["s"]),
    b("screenshot_full_page", Action::ScreenshotFullPage, "screenshot (full page)", &["S"]),
    b("open_screenshot", Action::OpenScreenshot, "open screenshot", &["o"]),
    b("export_har", Action::ExportHar, "export Network as HAR", &["E"]),
    b("export_console", Action::ExportConsole(ConsoleFormat::Ndjson), "export Console NDJSON", &["X"]),
    b("clear_pane", Action::ClearPane, "clear this pane", &["c"]),
    b("clear_logs", Action::ClearLogs, "clear everything (asks)", &["C"]),
    b("navigate", Action::Navigate, "navigate (URL prompt)", &["n"]),
    b("reload_page", Action::Reload, "reload page", &["r"]),
    b("go_back", Action::Back, "history back", &["["]),
    b("go_forward", Action::Forward, "history forward", &["]"]),
    b("execute_js", Action::ExecuteJs, "execute JavaScript", &["e"]),
    b("resend_request", Action::ResendRequest, "resend request", &["R"]),
    b("pick_element", Action::PickElement, "pick an element", &["p"]),
    b("command_palette", Action::Palette, "command palette", &[":"]),
    b("choose_target", Action::ChooseTarget, "choose target browser", &["t"]),
    b("help", Action::Help, "help", &["?"]),
    b("quit", Action::Quit, "quit", &["q", "ctrl-c"]),
];

/// A key with its modifiers, normalised so that a config string and a terminal event compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    fn new(code: KeyCode, mods: KeyModifiers) -> KeySpec {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Esc => {
                // Two quick Esc presses arrive as ESC ESC, which terminals report as alt-Esc.
                mods.remove(KeyModifiers::ALT);
                KeyCode::Esc
            }
            KeyCode::Char(c) => {
                // The character already says whether shift was held ('G', '?').
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            other => other,
        };
        KeySpec { code, mods }
    }

    pub fn from_event(e: &KeyEvent) -> KeySpec {
        KeySpec::new(e.code, e.modifiers)
    }

    /// Parses `"ctrl-r"`, `"G"`, `"shift-tab"`, `"pgdn"`, `"?"`, `"f5"`, `"alt-x"`.
    pub fn parse(s: &str) -> Result<KeySpec, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let mut stripped = false;
            for (prefix, m) in [
                ("ctrl-", KeyModifiers::CONTROL),
                ("ctrl+", KeyModifiers::CONTROL),
                ("alt-", KeyModifiers::ALT),
                ("alt+", KeyModifiers::ALT),
                ("shift-", KeyModifiers::SHIFT),
                ("shift+", KeyModifiers::SHIFT),
            ] {
                if lower.starts_with(prefix) && rest.len() > prefix.len() {
                    mods |= m;
                    rest = &rest[prefix.len()..];
                    stripped = true;
                    break;
                }
            }
            if !stripped {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    KeyCode::Char(c.to_ascii_uppercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" | "pgdown" => KeyCode::PageDown,
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key {s:?}")),
                },
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        Ok(KeySpec::new(code, mods))
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The live keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<KeySpec, usize>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut map = HashMap::new();
        for (i, binding) in BINDINGS.iter().enumerate() {
            for key in binding.defaults {
                // The defaults are ours and tested: a bad one is a bug caught by the tests.
                if let Ok(spec) = KeySpec::parse(key) {
                    map.insert(spec, i);
                }
            }
        }
        Keymap { map }
    }
}

/// Where the user's `[keys]` came from, so errors can name the file and line.
pub struct KeySource<'a> {
    pub file: &'a Path,
    pub text: Option<&'a str>,
}

fn line_of(text: Option<&str>, key: &str) -> Option<usize> {
    let text = text?;
    let mut in_keys = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_keys = t.starts_with("[keys]");
            continue;
        }
        let quoted = [format!("\"{key}\""), format!("'{key}'")];
        let bare = t.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('='));
        if (in_keys && (quoted.iter().any(|q| t.starts_with(q.as_str())) || bare))
            || t.starts_with(&format!("keys.\"{key}\""))
            || t.starts_with(&format!("keys.{key}"))
        {
            return Some(i + 1);
        }
    }
    None
}

impl Keymap {
    /// The defaults with the user's `[keys]` laid over: `"ctrl-r" = "reload_page"`, or
    /// `"q" = "none"` to unbind. Two entries for the same key, an unknown key or an unknown
    /// action are errors naming the file and line.
    pub fn with_overrides(keys: &BTreeMap<String, String>, source: &KeySource<'_>) -> Result<Keymap, String> {
        let mut keymap = Keymap::default();
        let mut seen: HashMap<KeySpec, &str> = HashMap::new();
        let place = |key: &str| match line_of(source.text, key) {
            Some(n) => format!("{}, line {n}", source.file.display()),
            None => format!("{} ([keys])", source.file.display()),
        };
        for (key, action) in keys {
            let spec = KeySpec::parse(key).map_err(|e| format!("{}: {e} in [keys]", place(key)))?;
            if let Some(other) = seen.insert(spec, key) {
                return Err(format!(
                    "{}: duplicate binding: {other:?} and {key:?} are both the key {spec} (bound to {:?})",
                    place(key),
                    keys.get(other).map(String::as_str).unwrap_or("")
                ));
            }
            let action = action.trim();
            if action == "none" || action.is_empty() {
                keymap.map.remove(&spec);
                continue;
            }
            let Some(i) = BINDINGS.iter().position(|b| b.name == action) else {
                let names: Vec<&str> = BINDINGS.iter().map(|b| b.name).collect();
                return Err(format!(
                    "{}: unknown action {action:?} for key {key:?}; actions are: {}",
                    place(key),
                    names.join(", ")
                ));
            };
            keymap.map.insert(spec, i);
        }
        Ok(keymap)
    }

    pub fn action_for(&self, key: &KeyEvent) -> Option<Action> {
        self.map.get(&KeySpec::from_event(key)).map(|&i| BINDINGS[i].action.clone())
    }

    /// The keys bound to a binding, in a stable order (defaults first).
    pub fn keys_of(&self, index: usize) -> Vec<KeySpec> {
        let mut keys: Vec<KeySpec> = self.map.iter().filter(|(_, &i)| i == index).map(|(k, _)| *k).collect();
        let default_rank = |k: &KeySpec| {
            BINDINGS[index]
                .defaults
                .iter()
                .position(|d| KeySpec::parse(d).ok().as_ref() == Some(k))
                .unwrap_or(usize::MAX)
        };
        keys.sort_by_key(|k| (default_rank(k), k.to_string()));
        keys
    }

    /// The keys of an action as help shows them, e.g. `j ↓`.
    pub fn keys_for(&self, action: &Action) -> String {
        BINDINGS
            .iter()
            .position(|b| &b.action == action)
            .map(|i| self.keys_of(i).iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// (keys, what they do) for every bound action, in help order.
    pub fn help_entries(&self) -> Vec<(String, &'static str)> {
        BINDINGS
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let keys = self.keys_of(i);
                (!keys.is_empty())
                    .then(|| (keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" "), b.help))
            })
            .collect()
    }

    /// `docs/keybindings.md`, generated from a keymap (the default one in the repository).
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "# Key bindings\n\n\
             Generated from the default keymap (`src/ui/keymap.rs`); a test keeps this file in sync.\n\
             Rebind in the config file's `[keys]` table, e.g. `\"ctrl-r\" = \"reload_page\"`, or\n\
             `\"q\" = \"none\"` to unbind. Two entries for the same key are an error.\n\n\
             | keys | action | config name |\n|---|---|---|\n",
        );
        for (i, b) in BINDINGS.iter().enumerate() {
            let keys: Vec<String> = self.keys_of(i).iter().map(|k| format!("`{k}`")).collect();
            out.push_str(&format!("| {} | {} | `{}` |\n", keys.join(" "), b.help, b.name));
        }
        out.push_str(
            "\nIn prompts (filter, navigate, execute JavaScript, palette parameters): type, \
             `Enter` accepts, `Esc` cancels, `←`/`→`/`Home`/`End` move, `ctrl-u` clears, \
             `ctrl-w` deletes a word; in the JavaScript prompt `↑`/`↓` walk its history. In the \
             palette and the target picker `↑`/`↓` choose.\n\
             \nMouse: the wheel scrolls the list (or the detail under the pointer); a click selects a \
             row or a tab.\n\
             \nMoved in this release: `c` clears the current pane only (`clear_pane`); clearing \
             everything (`clear_logs`) moved to `C` and asks first.\n",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_parse_and_do_not_collide() {
        let mut seen = HashMap::new();
        for b in BINDINGS {
            for k in b.defaults {
                let spec = KeySpec::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
                assert!(seen.insert(spec, b.name).is_none(), "{k} bound twice");
            }
        }
    }

    #[test]
    fn events_normalise_like_config_strings() {
        let km = Keymap::default();
        assert_eq!(km.action_for(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Bottom));
        assert_eq!(km.action_for(&key(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::PrevPane));
        assert_eq!(km.action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(km.action_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)), Some(Action::ClearPane));
        assert_eq!(km.action_for(&key(KeyCode::Char('C'), KeyModifiers::SHIFT)), Some(Action::ClearLogs));
        assert_eq!(km.action_for(&key(KeyCode::Char('f'), KeyModifiers::CONTROL)), Some(Action::Search));
        assert_eq!(km.action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)), Some(Action::Help));
        assert_eq!(km.action_for(&key(KeyCode::PageDown, KeyModifiers::NONE)), Some(Action::PageDown));
        assert_eq!(km.action_for(&key(KeyCode::Esc, KeyModifiers::ALT)), Some(Action::ClearFilter));
        assert_eq!(km.action_for(&key(KeyCode::Char('x'), KeyModifiers::NONE)), None);
    }

    #[test]
    fn overrides_rebind_unbind_and_reject_duplicates() {
        let src = KeySource {
            file: Path::new("/cfg/config.toml"),
            text: Some("port = 1\n[keys]\n\"ctrl-r\" = \"reload_page\"\n\"Ctrl-R\" = \"quit\"\n"),
        };
        let mut keys = BTreeMap::new();
        keys.insert("ctrl-r".to_string(), "reload_page".to_string());
        keys.insert("q".to_string(), "none".to_string());
        let km = Keymap::with_overrides(&keys, &src).unwrap();
        assert_eq!(km.action_for(&key(KeyCode::Char('r'), KeyModifiers::CONTROL)), Some(Action::Reload));
        assert_eq!(km.action_for(&key(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert!(km.keys_for(&Action::Reload).contains("ctrl-r"));

        keys.insert("Ctrl-R".to_string(), "quit".to_string());
        let err = Keymap::with_overrides(&keys, &src).unwrap_err();
        assert!(err.contains("duplicate binding"), "{err}");
        assert!(err.contains("/cfg/config.toml, line"), "{err}");

        let mut bad = BTreeMap::new();
        bad.insert("x".to_string(), "explode".to_string());
        let src = KeySource { file: Path::new("/cfg/config.toml"), text: Some("[keys]\nx = \"explode\"\n") };
        let err = Keymap::with_overrides(&bad, &src).unwrap_err();
        assert!(err.contains("line 2") && err.contains("unknown action \"explode\""), "{err}");
        let mut bad = BTreeMap::new();
        bad.insert("hyper-x".to_string(), "quit".to_string());
        assert!(Keymap::with_overrides(&bad, &src).unwrap_err().contains("unknown key"));
    }

    #[test]
    fn docs_keybindings_md_is_in_sync() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/keybindings.md");
        let want = Keymap::default().markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/keybindings.md is stale: run `UPDATE_DOCS=1 cargo test docs_keybindings`"
        );
    }
}
