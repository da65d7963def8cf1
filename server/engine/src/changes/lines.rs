//! Where two versions of a file first differ, in lines.

use tollgate_text::TextRange;

/// The first line (0-based, in `buffer`) where `buffer` differs from `disk`;
/// None when they are equal. For the server's open documents.
pub fn first_changed_line(disk: &str, buffer: &str) -> Option<u32> {
    first_diff_line(disk.as_bytes(), buffer.as_bytes())
}

/// Same on bytes: the line is counted in `new`.
pub fn first_diff_line(old: &[u8], new: &[u8]) -> Option<u32> {
    if old == new {
        return None;
    }
    let at = old.iter().zip(new).position(|(a, b)| a != b).unwrap_or(old.len().min(new.len()));
    // Lines were only removed at the end: point at the last line that is left,
    // rather than at the empty line past the final newline.
    let at = if at == new.len() && at > 0 && new[at - 1] == b'\n' { at - 1 } else { at };
    Some(count_newlines(&new[..at]))
}

fn count_newlines(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count().min(u32::MAX as usize) as u32
}

/// Byte range of line `line` of `text`, without its line ending (None past the end).
pub fn line_range(text: &[u8], line: u32) -> Option<TextRange> {
    let mut start = 0usize;
    for _ in 0..line {
        start += text.get(start..)?.iter().position(|&b| b == b'\n')? + 1;
    }
    let rest = &text[start..];
    let mut end = start + rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    if end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    let (start, end) = (u32::try_from(start).ok()?, u32::try_from(end).ok()?);
    Some(TextRange::new(start, end))
}

/// The range a finding on line `line` marks: the line's content, or, for an empty
/// line, its line ending (a finding is never zero-width where there is text).
pub fn mark_range(text: &[u8], line: u32) -> Option<TextRange> {
    let r = line_range(text, line)?;
    if !r.is_empty() {
        return Some(r);
    }
    let s = r.start as usize;
    let width = match text.get(s..) {
        Some([b'\r', b'\n', ..]) => 2,
        Some([b'\n', ..]) => 1,
        _ => 0,
    };
    Some(TextRange::new(r.start, r.start + width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_changed_line_cases() {
        assert_eq!(first_changed_line("a\nb\n", "a\nb\n"), None);
        assert_eq!(first_changed_line("a\nb\n", "a\nc\n"), Some(1));
        assert_eq!(first_changed_line("a\nb\n", "x\nb\n"), Some(0));
        assert_eq!(first_changed_line("a\nb\n", "a\nb\nc\n"), Some(2));
        assert_eq!(first_changed_line("a\nb\nc\n", "a\nb\n"), Some(1));
        assert_eq!(first_changed_line("a\n", "a\n\n"), Some(1));
        assert_eq!(first_changed_line("", "x"), Some(0));
        assert_eq!(first_changed_line("x", ""), Some(0));
        assert_eq!(first_changed_line("中文\n第二行\n", "中文\n第三行\n"), Some(1));
    }

    #[test]
    fn line_ranges() {
        let t = b"ab\r\ncd\n\nxyz";
        assert_eq!(line_range(t, 0), Some(TextRange::new(0, 2)));
        assert_eq!(line_range(t, 1), Some(TextRange::new(4, 6)));
        assert_eq!(line_range(t, 2), Some(TextRange::new(7, 7)));
        assert_eq!(line_range(t, 3), Some(TextRange::new(8, 11)));
        assert_eq!(line_range(t, 4), None);
        assert_eq!(line_range(b"", 0), Some(TextRange::new(0, 0)));
        assert_eq!(mark_range(t, 2), Some(TextRange::new(7, 8)));
        assert_eq!(mark_range(b"a\r\n\r\n", 1), Some(TextRange::new(3, 5)));
        assert_eq!(mark_range(b"", 0), Some(TextRange::new(0, 0)));
        assert_eq!(mark_range(t, 3), Some(TextRange::new(8, 11)));
    }
}
