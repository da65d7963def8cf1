//! Positions.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    Utf8,
    Utf16,
}

impl Enc {
    pub fn kind(self) -> &'static str {
        match self {
            Enc::Utf8 => "utf-8",
            Enc::Utf16 => "utf-16",
        }
    }
    fn width(self, c: char) -> u32 {
        match self {
            Enc::Utf8 => c.len_utf8() as u32,
            Enc::Utf16 => c.len_utf16() as u32,
        }
    }
}

pub const BOTH: [Enc; 2] = [Enc::Utf8, Enc::Utf16];

/// The LSP position of byte `offset` (lines end at `\n`, `\r\n` or `\r`).
pub fn position(text: &str, offset: usize, enc: Enc) -> (u32, u32) {
    let (mut line, mut col) = (0u32, 0u32);
    let mut chars = text[..offset].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => {
                line += 1;
                col = 0;
            }
            c => col += enc.width(c),
        }
    }
    // An offset between `\r` and `\n` does not occur in our tests.
    (line, col)
}

/// The byte offset of an LSP position (clamped to the line's end).
pub fn offset(text: &str, line: u32, character: u32, enc: Enc) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut l = 0;
    while l < line && i < bytes.len() {
        match bytes[i] {
            b'\n' => l += 1,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => l += 1,
            _ => {}
        }
        i += 1;
    }
    let mut col = 0;
    for c in text[i..].chars() {
        if col >= character || c == '\n' || c == '\r' {
            break;
        }
        col += enc.width(c);
        i += c.len_utf8();
    }
    i
}

/// The byte span of the `nth` (0-based) occurrence of `needle`.
pub fn find(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` (#{nth}) is not in the text:\n{text}"))
        .0;
    (start, start + needle.len())
}

/// An LSP range (JSON) of a byte span.
pub fn range(text: &str, span: (usize, usize), enc: Enc) -> Value {
    let (a, b) = (position(text, span.0, enc), position(text, span.1, enc));
    json!({"start": {"line": a.0, "character": a.1}, "end": {"line": b.0, "character": b.1}})
}

/// The LSP range of the `nth` occurrence of `needle`.
pub fn range_of(text: &str, needle: &str, nth: usize, enc: Enc) -> Value {
    range(text, find(text, needle, nth), enc)
}

/// A range as `(line, character, line, character)`.
pub fn quad(r: &Value) -> (u64, u64, u64, u64) {
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a position number in {r}"));
    (n(&r["start"]["line"]), n(&r["start"]["character"]), n(&r["end"]["line"]), n(&r["end"]["character"]))
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}
