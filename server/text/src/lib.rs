//! Text positions shared by every part of tollgate.
//!
//! Everything inside the engine speaks in byte offsets (`TextRange`). Only at the
//! edge (LSP, CLI output) are they turned into line/column pairs, in the encoding
//! the client negotiated, through a `LineIndex`.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into a UTF-8 text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: u32, end: u32) -> Self {
        debug_assert!(start <= end, "range {start}..{end} is reversed");
        TextRange { start, end }
    }

    pub fn empty(at: u32) -> Self {
        TextRange { start: at, end: at }
    }

    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn contains(&self, offset: u32) -> bool {
        self.start <= offset && offset < self.end
    }

    /// True when `offset` is inside the range or right at its end (a cursor after a word).
    pub fn touches(&self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start as usize..self.end as usize).unwrap_or("")
    }
}

/// How columns are counted: LSP's UTF-16 code units (the default) or UTF-8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

/// A 0-based line and column, the column counted in some `PositionEncoding`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of one text, so positions convert in O(log n).
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as LSP counts them; a column past the
/// line's content clamps to the content's end (LSP clients may send that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// Per line, ending included: all ASCII? Then a column is a byte count, and
    /// the text need not be read to find it.
    ascii: Vec<bool>,
    len: u32,
}

/// Does a line start at byte `p` of `b` (`0 < p <= b.len()`)? Only bytes `p - 1`
/// and `p` decide: after `\n`, or after a `\r` that no `\n` follows.
fn starts_line(b: &[u8], p: usize) -> bool {
    match b[p - 1] {
        b'\n' => true,
        b'\r' => b.get(p) != Some(&b'\n'),
        _ => false,
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            if (c == b'\n' || c == b'\r') && starts_line(b, i + 1) {
                line_starts.push(i as u32 + 1);
            }
        }
        let mut index = LineIndex { ascii: Vec::new(), line_starts, len: text.len() as u32 };
        index.ascii = if b.is_ascii() {
            vec![true; index.line_starts.len()]
        } else {
            (0..index.line_starts.len()).map(|l| index.line_is_ascii(b, l)).collect()
        };
        index
    }

    fn line_is_ascii(&self, b: &[u8], line: usize) -> bool {
        let start = self.line_starts[line] as usize;
        let end = self.line_starts.get(line + 1).map_or(b.len(), |&n| n as usize);
        b[start..end].is_ascii()
    }

    /// The index of `text` (the text after `range` of the old one was replaced by
    /// `new_text`): only line starts at or after the edit move, and only those whose
    /// two deciding bytes changed are looked at again (a keystroke must not re-scan
    /// megabytes).
    pub fn replace(&mut self, text: &str, range: TextRange, new_text: &str) {
        let (start, end) = (range.start.min(self.len), range.end.min(self.len));
        let delta = new_text.len() as i64 - (end - start) as i64;
        // Old starts up to `start - 1` and from `end + 1` on keep their deciding
        // bytes; those from `start` to `end` (new: `start + new_text.len()`) may not.
        let first = self.line_starts.partition_point(|&s| s < start.max(1));
        let last = self.line_starts.partition_point(|&s| s <= end);
        let b = text.as_bytes();
        let fresh_end = (start as usize + new_text.len()).min(b.len());
        let fresh: Vec<u32> =
            (start.max(1) as usize..=fresh_end).filter(|&p| starts_line(b, p)).map(|p| p as u32).collect();
        let added = fresh.len();
        self.line_starts.splice(first..last, fresh);
        for s in &mut self.line_starts[first + added..] {
            *s = (*s as i64 + delta) as u32;
        }
        self.len = text.len() as u32;
        // Changed content: the line holding `start` (`first - 1`, as `first >= 1`)
        // and the fresh ones; the lines before and after are as they were.
        self.ascii.splice(first - 1..last, std::iter::repeat_n(false, added + 1));
        for line in first - 1..first + added {
            self.ascii[line] = self.line_is_ascii(b, line);
        }
    }

    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    /// Byte range of line `line`, without its line ending.
    pub fn line_range(&self, text: &str, line: u32) -> Option<TextRange> {
        let start = *self.line_starts.get(line as usize)?;
        // The next line's start, less its line ending (`\n`, `\r\n` or `\r`).
        let mut end = self.line_starts.get(line as usize + 1).map(|&n| n - 1).unwrap_or(self.len);
        let b = text.as_bytes();
        if end > start && b.get(end as usize) == Some(&b'\n') && b.get(end as usize - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(TextRange::new(start, end))
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: u32) -> u32 {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line as u32,
            Err(next) => next as u32 - 1,
        }
    }

    /// Line and column of byte `offset`, the column in `enc`.
    pub fn position(&self, text: &str, offset: u32, enc: PositionEncoding) -> LineCol {
        // An offset inside a character is on that character's line.
        let offset = offset.min(self.len);
        self.line_col(text, self.line_of(offset), offset, enc)
    }

    /// A reader of many positions, cheapest when the offsets rise (a sorted list
    /// of diagnostics): each look-up starts at the line of the one before.
    pub fn positions<'a>(&'a self, text: &'a str, enc: PositionEncoding) -> Positions<'a> {
        Positions { index: self, text, enc, line: 0 }
    }

    /// `offset` (at most the length) on `line`; inside a character, that character's start.
    fn line_col(&self, text: &str, line: u32, offset: u32, enc: PositionEncoding) -> LineCol {
        let start = self.line_starts[line as usize];
        if self.ascii[line as usize] {
            return LineCol { line, col: offset - start };
        }
        let offset = floor_char_boundary(text, offset as usize);
        let prefix = &text[start as usize..offset];
        let col = match enc {
            PositionEncoding::Utf8 => prefix.len() as u32,
            PositionEncoding::Utf16 if prefix.is_ascii() => prefix.len() as u32,
            PositionEncoding::Utf16 => prefix.chars().map(|c| c.len_utf16() as u32).sum(),
        };
        LineCol { line, col }
    }

    /// Byte offset of a line/column, clamped into the text: a line past the end
    /// maps to the end, a column past the line's end to the line's end, and a
    /// column inside a character to the character's start.
    pub fn offset(&self, text: &str, pos: LineCol, enc: PositionEncoding) -> u32 {
        let Some(line) = self.line_range(text, pos.line) else {
            return self.len;
        };
        let content = line.slice(text);
        let mut units = 0u32;
        for (i, c) in content.char_indices() {
            let width = match enc {
                PositionEncoding::Utf8 => c.len_utf8() as u32,
                PositionEncoding::Utf16 => c.len_utf16() as u32,
            };
            if units + width > pos.col {
                return line.start + i as u32;
            }
            units += width;
        }
        line.end
    }
}

/// See [`LineIndex::positions`]; answers exactly as [`LineIndex::position`].
pub struct Positions<'a> {
    index: &'a LineIndex,
    text: &'a str,
    enc: PositionEncoding,
    line: usize,
}

impl Positions<'_> {
    pub fn at(&mut self, offset: u32) -> LineCol {
        let index = self.index;
        let offset = offset.min(index.len);
        let starts = &index.line_starts;
        let after = |line: usize| starts.get(line + 1).is_none_or(|&next| offset < next);
        let mut line = self.line.min(starts.len() - 1);
        if starts[line] > offset {
            line = index.line_of(offset) as usize;
        } else if !after(line) {
            // A few lines on is the common case; else search the rest.
            let near = (line + 1..starts.len().min(line + 9)).find(|&l| after(l));
            line = near.unwrap_or_else(|| line + starts[line..].partition_point(|&s| s <= offset) - 1);
        }
        self.line = line;
        index.line_col(self.text, line as u32, offset, self.enc)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rising, falling, repeated and far-apart offsets, in both encodings,
    /// including offsets inside a character and past the end.
    #[test]
    fn positions_in_any_order_equal_one_by_one_positions() {
        let text = "a: 初始化\nb: 😀x\r\nc\rd\n\n\n".repeat(7) + "last 😀";
        let idx = LineIndex::new(&text);
        let len = text.len() as u32;
        let mut order: Vec<u32> = (0..=len + 2).collect();
        order.extend((0..=len + 2).rev());
        order.extend((0..len + 1).step_by(37).chain((0..len + 1).step_by(5).rev()));
        let mut seed = 7u64;
        for _ in 0..500 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.push((seed >> 33) as u32 % (len + 3));
        }
        // Counted from the start, character by character: shares nothing with the index.
        let reference = |offset: u32, enc: PositionEncoding| {
            let (mut line, mut col) = (0, 0);
            let mut chars = text.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if i + c.len_utf8() > offset as usize {
                    break;
                }
                let crlf = c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n');
                // Between the `\r` and `\n` of a CRLF: one column past the content.
                if (c == '\n' || c == '\r') && !crlf {
                    (line, col) = (line + 1, 0);
                } else {
                    col += match enc {
                        PositionEncoding::Utf8 => c.len_utf8() as u32,
                        PositionEncoding::Utf16 => c.len_utf16() as u32,
                    };
                }
            }
            LineCol { line, col }
        };
        for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            let mut many = idx.positions(&text, enc);
            for &o in &order {
                let want = reference(o, enc);
                assert_eq!(many.at(o), want, "offset {o}, {enc:?}");
                assert_eq!(idx.position(&text, o, enc), want, "offset {o}, {enc:?}");
            }
        }
    }

    #[test]
    fn cjk_and_emoji_columns_differ_by_encoding() {
        let text = "a: 初始化\nb: 😀x\r\nc";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(idx.position(text, x, PositionEncoding::Utf16), LineCol { line: 1, col: 5 });
        assert_eq!(idx.position(text, x, PositionEncoding::Utf8), LineCol { line: 1, col: 7 });
        let han = text.find('始').unwrap() as u32;
        assert_eq!(idx.position(text, han, PositionEncoding::Utf16), LineCol { line: 0, col: 4 });
        assert_eq!(idx.offset(text, LineCol { line: 1, col: 5 }, PositionEncoding::Utf16), x);
        assert_eq!(idx.offset(text, LineCol { line: 1, col: 7 }, PositionEncoding::Utf8), x);
    }

    /// A lone `\r` ends a line, as LSP says (old Mac files); `\r\n` is one ending.
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = "a\rb\r\nc\r\r\n初";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 5);
        let at = |s: &str| text.find(s).unwrap() as u32;
        assert_eq!(idx.position(text, at("b"), PositionEncoding::Utf16), LineCol { line: 1, col: 0 });
        assert_eq!(idx.position(text, at("c"), PositionEncoding::Utf16), LineCol { line: 2, col: 0 });
        assert_eq!(idx.position(text, at("初"), PositionEncoding::Utf16), LineCol { line: 4, col: 0 });
        assert_eq!(idx.line_range(text, 0), Some(TextRange::new(0, 1)));
        assert_eq!(idx.line_range(text, 1), Some(TextRange::new(2, 3)));
        // `c\r` then an empty line ended by `\r\n`.
        assert_eq!(idx.line_range(text, 2), Some(TextRange::new(5, 6)));
        assert_eq!(idx.line_range(text, 3), Some(TextRange::new(7, 7)));
        assert_eq!(idx.offset(text, LineCol { line: 0, col: 9 }, PositionEncoding::Utf8), 1);
    }

    /// `replace` gives the index a fresh scan of the edited text gives.
    #[test]
    fn replace_matches_a_fresh_index() {
        let pieces = ["", "a", "\n", "\r\n", "\r", "a\rb", "xy\nz", "\n\n", "初\n", "😀"];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut text = String::from("ab\ncd\n\nef");
        let mut idx = LineIndex::new(&text);
        for _ in 0..2000 {
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let (a, b) = (bounds[next(bounds.len())], bounds[next(bounds.len())]);
            let (a, b) = (a.min(b), a.max(b));
            let new = pieces[next(pieces.len())];
            text.replace_range(a..b, new);
            idx.replace(&text, TextRange::new(a as u32, b as u32), new);
            assert_eq!(idx, LineIndex::new(&text), "after replacing {a}..{b} with {new:?}: {text:?}");
            if text.len() > 200 {
                text.truncate(text.char_indices().nth(20).map_or(text.len(), |(i, _)| i));
                idx = LineIndex::new(&text);
            }
        }
    }

    #[test]
    fn offsets_clamp_and_crlf_is_not_content() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_range(text, 0), Some(TextRange::new(0, 2)));
        assert_eq!(idx.offset(text, LineCol { line: 0, col: 99 }, PositionEncoding::Utf16), 2);
        assert_eq!(idx.offset(text, LineCol { line: 9, col: 0 }, PositionEncoding::Utf16), 6);
        // column inside a surrogate pair falls back to the character's start
        let t = "😀";
        let i = LineIndex::new(t);
        assert_eq!(i.offset(t, LineCol { line: 0, col: 1 }, PositionEncoding::Utf16), 0);
        assert_eq!(i.position(t, 2, PositionEncoding::Utf16), LineCol { line: 0, col: 0 });
    }
}
