//! saphyr's markers count characters; our ranges count bytes.

/// Converts character indices to byte offsets. Events arrive nearly in order, so a
/// cursor that walks from the last answer costs O(distance), not O(text).
pub(crate) struct Offsets<'a> {
    bytes: &'a [u8],
    ascii: bool,
    chars: usize,
    byte: usize,
}

impl<'a> Offsets<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Offsets { bytes: text.as_bytes(), ascii: text.is_ascii(), chars: 0, byte: 0 }
    }

    /// The byte offset of character `index`, clamped to the text's end.
    pub(crate) fn byte(&mut self, index: usize) -> usize {
        let len = self.bytes.len();
        if self.ascii {
            return index.min(len);
        }
        while self.chars < index && self.byte < len {
            // Eight ASCII bytes at a time: most of a YAML file is ASCII even when some lines are not.
            if index - self.chars >= 8 {
                if let Some(chunk) = self.bytes.get(self.byte..self.byte + 8) {
                    let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0x80; 8]));
                    if word & 0x8080_8080_8080_8080 == 0 {
                        self.byte += 8;
                        self.chars += 8;
                        continue;
                    }
                }
            }
            self.byte += char_width(self.bytes[self.byte]);
            self.chars += 1;
        }
        while self.chars > index && self.byte > 0 {
            self.byte -= 1;
            while self.byte > 0 && is_continuation(self.bytes[self.byte]) {
                self.byte -= 1;
            }
            self.chars -= 1;
        }
        self.byte.min(len)
    }
}

fn char_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// The byte range of the character at `at`, or of the last character when `at` is
/// at the end; empty only for an empty text.
pub(crate) fn char_range_at(text: &str, at: usize) -> (usize, usize) {
    let mut start = at.min(text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    if start == text.len() {
        match text[..start].chars().next_back() {
            Some(c) => return (start - c.len_utf8(), start),
            None => return (0, 0),
        }
    }
    let width = text[start..].chars().next().map_or(0, char::len_utf8);
    (start, start + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_walks_both_ways_over_multibyte_text() {
        let text = "a中😀b";
        let mut o = Offsets::new(text);
        assert_eq!(o.byte(3), 8);
        assert_eq!(o.byte(1), 1);
        assert_eq!(o.byte(2), 4);
        assert_eq!(o.byte(4), 9);
        assert_eq!(o.byte(99), 9);
        assert_eq!(o.byte(0), 0);
    }

    #[test]
    fn cursor_skips_ascii_runs_exactly() {
        let text = "abcdefghijklmnop中qrstuvwxyz0123456789😀end";
        let mut o = Offsets::new(text);
        for (i, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(o.byte(i), b);
        }
        let mut o = Offsets::new(text);
        let starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        for (i, b) in starts.iter().enumerate().rev() {
            assert_eq!(o.byte(i), *b);
        }
        let mut o = Offsets::new(text);
        assert_eq!(o.byte(40), text.char_indices().nth(40).unwrap().0);
        assert_eq!(o.byte(17), 19);
    }

    #[test]
    fn char_range_is_never_empty_on_text() {
        assert_eq!(char_range_at("ab", 2), (1, 2));
        assert_eq!(char_range_at("a中", 4), (1, 4));
        assert_eq!(char_range_at("a中", 2), (1, 4));
        assert_eq!(char_range_at("", 0), (0, 0));
    }
}
