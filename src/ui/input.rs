//! Owns the one-line text input used by the filter, the prompts and the palette.
//!
//! Small on purpose (insert, delete, move, kill line/word): the ecosystem's textarea widgets
//! either pin another ratatui or bring far more than a prompt needs.

use super::action::InputKey;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> Self {
        LineInput { text: text.to_string(), cursor: text.chars().count() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text.char_indices().nth(char_index).map_or(self.text.len(), |(i, _)| i)
    }

    /// Applies an editing key; returns whether the text changed.
    pub fn apply(&mut self, key: InputKey) -> bool {
        let len = self.text.chars().count();
        match key {
            InputKey::Char(c) if !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                true
            }
            InputKey::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                true
            }
            InputKey::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                true
            }
            InputKey::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                false
            }
            InputKey::Right => {
                self.cursor = (self.cursor + 1).min(len);
                false
            }
            InputKey::Home => {
                self.cursor = 0;
                false
            }
            InputKey::End => {
                self.cursor = len;
                false
            }
            InputKey::KillLine if self.cursor > 0 => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                true
            }
            InputKey::KillWord if self.cursor > 0 => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = start;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor() {
        let mut i = LineInput::new("héllo");
        i.apply(InputKey::Left);
        i.apply(InputKey::Backspace);
        assert_eq!(i.text(), "hélo");
        i.apply(InputKey::Home);
        i.apply(InputKey::Char('>'));
        assert_eq!(i.text(), ">hélo");
        i.apply(InputKey::End);
        i.apply(InputKey::Char(' '));
        i.apply(InputKey::Char('w'));
        i.apply(InputKey::KillWord);
        assert_eq!(i.text(), ">hélo ");
        i.apply(InputKey::KillLine);
        assert_eq!(i.text(), "");
    }
}
