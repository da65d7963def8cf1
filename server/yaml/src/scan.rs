//! Small byte scans that turn saphyr's spans into the ranges we promise.
//!
//! saphyr's event spans start at a node's properties (`&anchor`, `!tag`), end
//! quoted scalars after trailing blanks and comments, start block scalars at their
//! content and leave block collections empty. Every marker we look for is ASCII,
//! so scanning bytes never lands inside a UTF-8 character.

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Skips blanks, comments and node properties from `pos`, stopping at `limit`.
pub(crate) fn skip_props(bytes: &[u8], mut pos: usize, limit: usize) -> usize {
    let limit = limit.min(bytes.len());
    while pos < limit {
        let b = bytes[pos];
        if is_ws(b) {
            pos += 1;
        } else if b == b'#' && (pos == 0 || is_ws(bytes[pos - 1])) {
            while pos < limit && bytes[pos] != b'\n' {
                pos += 1;
            }
        } else if b == b'&' || b == b'!' {
            while pos < limit && !is_ws(bytes[pos]) {
                pos += 1;
            }
        } else {
            break;
        }
    }
    pos.min(limit)
}

/// The end (exclusive) of the quoted scalar opening at `open`.
pub(crate) fn quoted_end(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = *bytes.get(open)?;
    let mut pos = open + 1;
    while pos < bytes.len() {
        let b = bytes[pos];
        if quote == b'"' && b == b'\\' {
            pos += 2;
            continue;
        }
        if b == quote {
            if quote == b'\'' && bytes.get(pos + 1) == Some(&b'\'') {
                pos += 2;
                continue;
            }
            return Some(pos + 1);
        }
        pos += 1;
    }
    None
}

/// The block scalar indicator (`|` or `>`) between `from` and `limit`, and the end
/// of its header's indicators (`|-`, `>+2`).
pub(crate) fn block_header(bytes: &[u8], from: usize, limit: usize) -> Option<(usize, usize)> {
    let limit = limit.min(bytes.len());
    let mut pos = from;
    while pos < limit {
        let b = bytes[pos];
        let at_token = pos == 0 || is_ws(bytes[pos - 1]);
        if b == b'#' && at_token {
            while pos < limit && bytes[pos] != b'\n' {
                pos += 1;
            }
        } else if (b == b'&' || b == b'!') && at_token {
            while pos < limit && !is_ws(bytes[pos]) {
                pos += 1;
            }
        } else if b == b'|' || b == b'>' {
            let mut end = pos + 1;
            while end < limit && matches!(bytes[end], b'-' | b'+' | b'0'..=b'9') {
                end += 1;
            }
            return Some((pos, end));
        } else {
            pos += 1;
        }
    }
    None
}

/// `end` moved back over trailing blanks and line breaks, not below `floor`.
pub(crate) fn trim_back(bytes: &[u8], floor: usize, mut end: usize) -> usize {
    while end > floor && is_ws(bytes[end - 1]) {
        end -= 1;
    }
    end
}

/// Where a block sequence really starts: its `-`, which saphyr's marker may skip
/// (an indentless sequence starts at its first item).
pub(crate) fn block_seq_start(bytes: &[u8], pos: usize) -> usize {
    if bytes.get(pos) == Some(&b'-') {
        return pos;
    }
    let mut back = pos;
    while back > 0 && matches!(bytes[back - 1], b' ' | b'\t') {
        back -= 1;
    }
    if back > 0 && bytes[back - 1] == b'-' {
        back - 1
    } else {
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_anchor_tag_and_comment() {
        let t = b"&a !!str # c\n  x";
        assert_eq!(skip_props(t, 0, t.len()), 15);
    }

    #[test]
    fn finds_closing_quotes_past_escapes() {
        assert_eq!(quoted_end(br#""a\"b" # "c""#, 0), Some(6));
        assert_eq!(quoted_end(b"'it''s' x", 0), Some(7));
        assert_eq!(quoted_end(b"'open", 0), None);
    }

    #[test]
    fn finds_block_header_after_comment_free_props() {
        let t = b"k: &a | # > x\n  v";
        assert_eq!(block_header(t, 1, 16), Some((6, 7)));
        let t = b"k: >+2\n  v";
        assert_eq!(block_header(t, 1, 9), Some((3, 6)));
    }
}
