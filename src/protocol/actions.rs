//! The browser action vocabulary (seed 002's names) with the parameters each one takes.
//!
//! The command palette builds its prompts from this table; the server forwards any action name,
//! so an extension that learns new actions needs no server change.

/// One parameter of an action, as the palette prompts for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub hint: &'static str,
    pub required: bool,
    pub kind: ParamKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    Number,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
}

const fn text(name: &'static str, hint: &'static str, required: bool) -> ParamSpec {
    ParamSpec { name, hint, required, kind: ParamKind::Text }
}
const fn num(name: &'static str, hint: &'static str, required: bool) -> ParamSpec {
    ParamSpec { name, hint, required, kind: ParamKind::Number }
}
const fn flag(name: &'static str, hint: &'static str) -> ParamSpec {
    ParamSpec { name, hint, required: false, kind: ParamKind::Bool }
}

/// Every browser action of seed 002 that acts on one browser (tab).
pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec { name: "navigate", summary: "Open a URL", params: &[text("url", "https://…", true)] },
    ActionSpec { name: "go_back", summary: "History back", params: &[] },
    ActionSpec { name: "go_forward", summary: "History forward", params: &[] },
    ActionSpec {
        name: "reload",
        summary: "Reload the page",
        params: &[flag("ignoreCache", "bypass the cache")],
    },
    ActionSpec { name: "stop", summary: "Stop loading", params: &[] },
    ActionSpec { name: "get_url", summary: "Current URL", params: &[] },
    ActionSpec { name: "get_title", summary: "Page title", params: &[] },
    ActionSpec { name: "get_browser_state", summary: "URL, title, loading state, viewport", params: &[] },
    ActionSpec {
        name: "execute_js",
        summary: "Evaluate JavaScript in the page",
        params: &[text("script", "document.title", true)],
    },
    ActionSpec {
        name: "click",
        summary: "Click an element",
        params: &[text("selector", "CSS selector", true)],
    },
    ActionSpec {
        name: "type_text",
        summary: "Type into an element",
        params: &[text("selector", "CSS selector", true), text("text", "text to type", true)],
    },
    ActionSpec {
        name: "set_value",
        summary: "Set an input's value",
        params: &[text("selector", "CSS selector", true), text("value", "new value", true)],
    },
    ActionSpec {
        name: "clear_input",
        summary: "Clear an input",
        params: &[text("selector", "CSS selector", true)],
    },
    ActionSpec {
        name: "submit_form",
        summary: "Submit a form",
        params: &[text("selector", "CSS selector of the form", true)],
    },
    ActionSpec {
        name: "scroll_to",
        summary: "Scroll to a position or element",
        params: &[
            num("x", "pixels", false),
            num("y", "pixels", false),
            text("selector", "CSS selector", false),
        ],
    },
    ActionSpec {
        name: "scroll_by",
        summary: "Scroll by an offset",
        params: &[num("x", "pixels", false), num("y", "pixels", true)],
    },
    ActionSpec {
        name: "take_screenshot",
        summary: "Screenshot (same as `s`)",
        params: &[flag("fullPage", "whole page")],
    },
    ActionSpec { name: "print_pdf", summary: "Print the page to PDF", params: &[] },
    ActionSpec {
        name: "set_cookie",
        summary: "Set a cookie",
        params: &[
            text("name", "cookie name", true),
            text("value", "cookie value", true),
            text("url", "URL (default: page)", false),
        ],
    },
    ActionSpec {
        name: "get_cookie",
        summary: "Read cookies",
        params: &[text("name", "cookie name (empty: all)", false)],
    },
    ActionSpec { name: "clear_cookies", summary: "Delete the page's cookies", params: &[] },
    ActionSpec {
        name: "set_user_agent",
        summary: "Override the user agent",
        params: &[text("userAgent", "Mozilla/5.0 …", true)],
    },
    ActionSpec {
        name: "set_viewport",
        summary: "Resize the viewport",
        params: &[
            num("width", "pixels", true),
            num("height", "pixels", true),
            num("deviceScaleFactor", "1", false),
        ],
    },
    ActionSpec { name: "set_zoom", summary: "Zoom the page", params: &[num("zoom", "1.0 = 100 %", true)] },
];

pub fn find(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name)
}
