//! Owns colours: the bundled themes (`themes/*.toml`, compiled in) and the user's.
//!
//! A theme is a flat TOML file of colour names. `--theme NAME` (or `theme = ` in the config)
//! picks `<themes dir>/NAME.toml` when it exists, else the bundled one of that name; a path to a
//! `.toml` file also works. Colours a user theme leaves out come from `dark`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Deserializer};

/// The bundled themes: (name, TOML text).
pub const BUNDLED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq)]
struct ColorSpec(Color);

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Color::from_str(s.trim()).map(ColorSpec).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown colour {s:?}: use a name (red, light-blue, dark-gray, reset), \"#rrggbb\" or 0-255"
            ))
        })
    }
}

macro_rules! theme {
    ($($field:ident),* $(,)?) => {
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ThemeFile {
            name: Option<String>,
            $($field: Option<ColorSpec>,)*
        }

        /// Resolved colours.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            $(pub $field: Color,)*
        }

        impl Theme {
            fn resolve(file: ThemeFile, base: Option<&Theme>, fallback_name: &str) -> Result<Theme, String> {
                Ok(Theme {
                    name: file.name.unwrap_or_else(|| fallback_name.to_string()),
                    $($field: match (file.$field, base) {
                        (Some(c), _) => c.0,
                        (None, Some(b)) => b.$field,
                        (None, None) => return Err(format!("missing colour `{}`", stringify!($field))),
                    },)*
                })
            }
        }
    };
}

theme!(
    foreground,
    background,
    muted,
    accent,
    border,
    heading,
    key,
    selection_fg,
    selection_bg,
    error,
    error_row_bg,
    warn,
    warn_row_bg,
    info,
    debug,
    success,
    tab_active_fg,
    tab_active_bg,
    tab_inactive_fg,
    status_fg,
    status_bg,
    toast_fg,
    toast_bg,
    toast_error_fg,
    toast_error_bg,
    overlay_bg,
    marker,
    marker_row_bg,
);

fn parse_file(text: &str, origin: &str) -> Result<ThemeFile, String> {
    toml::from_str(text).map_err(|e| format!("theme file {origin}: {e}"))
}

impl Theme {
    /// A bundled theme by name.
    pub fn bundled(name: &str) -> Option<Result<Theme, String>> {
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name)?;
        let origin = format!("themes/{name}.toml (bundled)");
        Some(
            parse_file(text, &origin)
                .and_then(|f| Theme::resolve(f, None, name).map_err(|e| format!("{origin}: {e}"))),
        )
    }

    /// The default theme. The bundled files are parsed by a test, so this cannot fail in a build
    /// that passed its tests; a last-resort palette keeps the UI usable regardless.
    pub fn dark() -> Theme {
        Theme::bundled("dark").and_then(Result::ok).unwrap_or_else(|| Theme {
            name: "dark".into(),
            foreground: Color::Reset,
            background: Color::Reset,
            muted: Color::DarkGray,
            accent: Color::Cyan,
            border: Color::DarkGray,
            heading: Color::LightCyan,
            key: Color::LightBlue,
            selection_fg: Color::White,
            selection_bg: Color::Blue,
            error: Color::LightRed,
            error_row_bg: Color::Reset,
            warn: Color::Yellow,
            warn_row_bg: Color::Reset,
            info: Color::Reset,
            debug: Color::DarkGray,
            success: Color::LightGreen,
            tab_active_fg: Color::Black,
            tab_active_bg: Color::Cyan,
            tab_inactive_fg: Color::Gray,
            status_fg: Color::White,
            status_bg: Color::DarkGray,
            toast_fg: Color::Black,
            toast_bg: Color::LightYellow,
            toast_error_fg: Color::White,
            toast_error_bg: Color::Red,
            overlay_bg: Color::Reset,
            marker: Color::LightMagenta,
            marker_row_bg: Color::Reset,
        })
    }

    /// Parses a theme file's text; colours it leaves out come from `dark`.
    pub fn parse(text: &str, origin: &str, fallback_name: &str) -> Result<Theme, String> {
        let base = Theme::dark();
        let file = parse_file(text, origin)?;
        Theme::resolve(file, Some(&base), fallback_name).map_err(|e| format!("theme file {origin}: {e}"))
    }

    /// Loads the theme `name`: a `.toml` path, `<themes_dir>/<name>.toml`, or a bundled theme.
    pub fn load(name: &str, themes_dir: &Path) -> Result<Theme, String> {
        let name = name.trim();
        let as_path = PathBuf::from(name);
        let candidate = if name.ends_with(".toml") || name.contains('/') {
            Some(as_path)
        } else {
            Some(themes_dir.join(format!("{name}.toml"))).filter(|p| p.is_file())
        };
        if let Some(path) = candidate {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read theme file {}: {e}", path.display()))?;
            return Theme::parse(&text, &path.display().to_string(), name);
        }
        match Theme::bundled(name) {
            Some(theme) => theme,
            None => {
                let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
                Err(format!(
                    "unknown theme {name:?}: bundled themes are {}, or put {name}.toml in {}",
                    names.join(", "),
                    themes_dir.display()
                ))
            }
        }
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.foreground).bg(self.background)
    }

    pub fn muted(&self) -> Style {
        Style::default().fg(self.muted)
    }

    pub fn selection(&self) -> Style {
        Style::default().fg(self.selection_fg).bg(self.selection_bg).add_modifier(Modifier::BOLD)
    }

    pub fn heading(&self) -> Style {
        Style::default().fg(self.heading).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_theme_parses_completely() {
        for (name, text) in BUNDLED {
            // Resolved with no base: a bundled theme must name every colour.
            let file = parse_file(text, name).unwrap_or_else(|e| panic!("{e}"));
            let theme = Theme::resolve(file, None, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&theme.name, name);
        }
        assert_eq!(Theme::dark().name, "dark");
    }

    #[test]
    fn user_theme_wins_and_errors_name_file_and_line() {
        let dir = std::env::temp_dir().join(format!("triage-theme-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("dark.toml"), "name = \"mine\"\naccent = \"#ff0000\"\n").unwrap();
        let t = Theme::load("dark", &dir).unwrap();
        assert_eq!(t.name, "mine");
        assert_eq!(t.accent, Color::Rgb(255, 0, 0));
        assert_eq!(t.error, Theme::dark().error, "missing colours come from dark");

        std::fs::write(dir.join("broken.toml"), "name = \"b\"\naccent = \"blurple\"\n").unwrap();
        let err = Theme::load("broken", &dir).unwrap_err();
        assert!(err.contains("broken.toml") && err.contains("line 2") && err.contains("blurple"), "{err}");
        std::fs::write(dir.join("typo.toml"), "acent = \"red\"\n").unwrap();
        let err = Theme::load("typo", &dir).unwrap_err();
        assert!(err.contains("typo.toml") && err.contains("line 1") && err.contains("acent"), "{err}");
        assert!(Theme::load("nope", &dir).unwrap_err().contains("unknown theme"));
        assert_eq!(Theme::load("light", &dir).unwrap().name, "light");
        std::fs::remove_dir_all(&dir).ok();
    }
}
