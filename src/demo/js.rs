//! The demo browser's `execute_js`: a tiny evaluator for what people try first — numeric
//! arithmetic (`1+2*3`), `document.title`, `location.href`, `navigator.userAgent` and a few
//! other page facts. Anything else evaluates to `undefined` with a note. Never panics: the script
//! is whatever a user typed.

use serde_json::{json, Value};

/// What the page knows about itself, for the property lookups.
#[derive(Debug, Clone)]
pub struct PageFacts<'a> {
    pub title: &'a str,
    pub href: &'a str,
    pub user_agent: &'a str,
    pub cookie: &'a str,
    pub viewport: (u32, u32),
    pub history_len: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The value, as the real extension returns it (`returnByValue`).
    Value(Value),
    /// Outside the subset: JavaScript's `undefined`, with a note saying why.
    Undefined { note: String },
    /// The script throws (a syntax error, in this subset).
    Thrown(String),
}

pub const NOTE: &str = "the demo browser evaluates only numeric arithmetic and a few page properties \
    (document.title, location.href, navigator.userAgent, ...); this script evaluated to undefined";

/// Longest script we look at, and deepest nesting: beyond these it is not arithmetic anyone typed.
const MAX_SCRIPT: usize = 10_000;
const MAX_DEPTH: usize = 128;

pub fn evaluate(script: &str, page: &PageFacts) -> Outcome {
    let s = script.trim();
    let s = s.strip_suffix(';').unwrap_or(s).trim();
    if s.is_empty() {
        return Outcome::Value(Value::Null);
    }
    if let Some(v) = property(s, page) {
        return Outcome::Value(v);
    }
    if let Some(v) = literal(s) {
        return Outcome::Value(v);
    }
    let arithmetic = s.len() <= MAX_SCRIPT
        && s.chars().all(|c| c.is_ascii_digit() || c.is_ascii_whitespace() || "+-*/%().eE".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    if !arithmetic {
        return Outcome::Undefined { note: NOTE.to_string() };
    }
    let mut p = Parser { src: s.as_bytes(), pos: 0, depth: 0 };
    match p.expression().and_then(|v| if p.at_end() { Ok(v) } else { Err(p.unexpected()) }) {
        Ok(v) => Outcome::Value(number(v)),
        Err(e) => Outcome::Thrown(e),
    }
}

/// A JavaScript number as `returnByValue` gives it: integers stay integers; what JSON cannot
/// hold comes as text, like CDP's `unserializableValue`.
fn number(v: f64) -> Value {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn property(s: &str, page: &PageFacts) -> Option<Value> {
    let path = s.strip_prefix("window.").unwrap_or(s);
    let (origin, rest) = super::site::split_url(page.href);
    let path_only = rest.split(['?', '#']).next().unwrap_or("/");
    Some(match path {
        "document.title" => json!(page.title),
        "location.href" | "document.URL" | "document.location.href" | "location.toString()" => {
            json!(page.href)
        }
        "location.origin" => json!(origin),
        "location.host" | "location.hostname" => json!(origin.split("://").nth(1).unwrap_or("")),
        "location.pathname" => json!(path_only),
        "location.protocol" => json!(format!("{}:", origin.split("://").next().unwrap_or(""))),
        "navigator.userAgent" => json!(page.user_agent),
        "navigator.language" => json!("en-US"),
        "navigator.onLine" => json!(true),
        "document.readyState" => json!("complete"),
        "document.cookie" => json!(page.cookie),
        "innerWidth" => json!(page.viewport.0),
        "innerHeight" => json!(page.viewport.1),
        "history.length" => json!(page.history_len),
        _ => return None,
    })
}

fn literal(s: &str) -> Option<Value> {
    match s {
        "true" => return Some(json!(true)),
        "false" => return Some(json!(false)),
        "null" | "undefined" => return Some(Value::Null),
        _ => {}
    }
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            if !inner.contains(q) && !inner.contains('\\') {
                return Some(json!(inner));
            }
        }
    }
    None
}

/// Recursive descent over `+ - * / % **`, unary signs and parentheses, with JavaScript's
/// precedence (`**` binds tighter than unary minus on its right, and is right-associative).
struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

type Parsed = Result<f64, String>;

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.src.get(self.pos).is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.src.get(self.pos).copied()
    }

    fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn unexpected(&mut self) -> String {
        match self.peek() {
            None => "SyntaxError: Unexpected end of input".to_string(),
            Some(c) => format!("SyntaxError: Unexpected token '{}'", c as char),
        }
    }

    fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("RangeError: Maximum call stack size exceeded".to_string());
        }
        Ok(())
    }

    fn expression(&mut self) -> Parsed {
        let mut v = self.term()?;
        loop {
            match self.peek() {
                Some(b'+') => {
                    self.pos += 1;
                    v += self.term()?;
                }
                Some(b'-') => {
                    self.pos += 1;
                    v -= self.term()?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn term(&mut self) -> Parsed {
        let mut v = self.unary()?;
        loop {
            match self.peek() {
                Some(b'*') if self.src.get(self.pos + 1) != Some(&b'*') => {
                    self.pos += 1;
                    v *= self.unary()?;
                }
                Some(b'/') => {
                    self.pos += 1;
                    v /= self.unary()?;
                }
                Some(b'%') => {
                    self.pos += 1;
                    v %= self.unary()?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn unary(&mut self) -> Parsed {
        self.nest()?;
        let v = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                Ok(-self.unary()?)
            }
            Some(b'+') => {
                self.pos += 1;
                self.unary()
            }
            _ => self.power(),
        };
        self.depth -= 1;
        v
    }

    fn power(&mut self) -> Parsed {
        let base = self.primary()?;
        if self.peek() == Some(b'*') && self.src.get(self.pos + 1) == Some(&b'*') {
            self.pos += 2;
            let exponent = self.unary()?;
            return Ok(base.powf(exponent));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Parsed {
        match self.peek() {
            Some(b'(') => {
                self.nest()?;
                self.pos += 1;
                let v = self.expression()?;
                if self.peek() != Some(b')') {
                    return Err(self.unexpected());
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(v)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            _ => Err(self.unexpected()),
        }
    }

    fn number(&mut self) -> Parsed {
        let start = self.pos;
        while self.src.get(self.pos).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
            self.pos += 1;
        }
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            while self.src.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
        text.parse::<f64>().map_err(|_| format!("SyntaxError: Invalid or unexpected token '{text}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> PageFacts<'static> {
        PageFacts {
            title: "Cart — Acme Shop",
            href: "https://shop.acme.test/cart?x=1",
            user_agent: "Mozilla/5.0 test",
            cookie: "sid=1",
            viewport: (1280, 800),
            history_len: 2,
        }
    }

    fn eval(s: &str) -> Outcome {
        evaluate(s, &page())
    }

    #[test]
    fn arithmetic_follows_javascript() {
        assert_eq!(eval("1+2"), Outcome::Value(json!(3)));
        assert_eq!(eval("1+2*3"), Outcome::Value(json!(7)));
        assert_eq!(eval("(1+2)*3;"), Outcome::Value(json!(9)));
        assert_eq!(eval("7 % 4 - -1"), Outcome::Value(json!(4)));
        assert_eq!(eval("2**3**2"), Outcome::Value(json!(512)));
        assert_eq!(eval("1/4"), Outcome::Value(json!(0.25)));
        assert_eq!(eval("1.5e3 + .5"), Outcome::Value(json!(1500.5)));
        assert_eq!(eval("1/0"), Outcome::Value(json!("Infinity")));
        assert_eq!(eval("-1/0"), Outcome::Value(json!("-Infinity")));
        assert_eq!(eval("0/0"), Outcome::Value(json!("NaN")));
    }

    #[test]
    fn page_properties_and_literals() {
        assert_eq!(eval("document.title"), Outcome::Value(json!("Cart — Acme Shop")));
        assert_eq!(eval("window.location.href"), Outcome::Value(json!("https://shop.acme.test/cart?x=1")));
        assert_eq!(eval("location.pathname"), Outcome::Value(json!("/cart")));
        assert_eq!(eval("location.hostname"), Outcome::Value(json!("shop.acme.test")));
        assert_eq!(eval("navigator.userAgent"), Outcome::Value(json!("Mozilla/5.0 test")));
        assert_eq!(eval("'hi'"), Outcome::Value(json!("hi")));
        assert_eq!(eval("true"), Outcome::Value(json!(true)));
    }

    #[test]
    fn anything_else_is_undefined_or_a_syntax_error_never_a_panic() {
        assert!(matches!(eval("document.querySelectorAll('a').length"), Outcome::Undefined { .. }));
        assert!(matches!(eval("fetch('/x')"), Outcome::Undefined { .. }));
        assert!(matches!(eval("1+"), Outcome::Thrown(e) if e.contains("SyntaxError")));
        assert!(matches!(eval("(1+2"), Outcome::Thrown(_)));
        assert!(matches!(eval("1 2"), Outcome::Thrown(_)));
        assert!(matches!(eval("1..2"), Outcome::Thrown(_)));
        assert!(matches!(eval("e"), Outcome::Thrown(_) | Outcome::Undefined { .. }));
        let deep = format!("{}1{}", "(".repeat(3000), ")".repeat(3000));
        assert!(matches!(eval(&deep), Outcome::Thrown(e) if e.contains("RangeError")));
        let minus = "-".repeat(5000) + "1";
        assert!(matches!(eval(&minus), Outcome::Thrown(_)));
        for s in ["", ";", "\u{0}", "💥", "((((", "**", "%", ".", "1e", "1e+", "--", "\"unterminated"] {
            let _ = eval(s);
        }
        assert_eq!(eval(""), Outcome::Value(Value::Null));
    }
}
