//! Shared helpers of the loaders: parse a YAML/JSON text into its root mapping,
//! report syntax and duplicate keys, and read typed values while reporting
//! `unknown-key`, `invalid-value` and `missing-key` with exact ranges.

use super::Spanned;
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest;
use tollgate_text::TextRange;
use tollgate_yaml::{Limits, Node, NodeKind};

/// Collects one file's own findings while its model is built.
pub struct Reader<'t> {
    pub text: &'t str,
    pub diags: Vec<Diagnostic>,
}

/// 1-based line of a byte offset (for messages), counted as editors count
/// lines (`\n`, `\r\n` or a lone `\r` ends one).
pub fn line_of(text: &str, offset: u32) -> usize {
    let end = (offset as usize).min(text.len());
    let b = text.as_bytes();
    b[..end].iter().enumerate().filter(|&(i, &c)| c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n'))).count()
        + 1
}

/// The first line of `range`, trimmed, never zero width when the text has a character there:
/// whole-document nodes must not be reported over the whole file.
pub fn head(text: &str, range: TextRange) -> TextRange {
    let (s, e) = (range.start as usize, (range.end as usize).min(text.len()));
    let Some(slice) = text.get(s..e) else { return range };
    let first = slice.split('\n').next().unwrap_or_default().trim_end();
    let lead = first.len() - first.trim_start().len();
    if first.trim().is_empty() {
        return if range.is_empty() { widen_empty(text, s) } else { range };
    }
    TextRange::new((s + lead) as u32, (s + first.len()) as u32)
}

/// An empty node (`-` or `key:` with nothing after it) has an empty range: put a
/// finding on the last character before it (the `-` or `:`), else the next one.
fn widen_empty(text: &str, at: usize) -> TextRange {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    if let Some((i, c)) = text[..at].char_indices().rev().find(|(_, c)| !c.is_whitespace()) {
        return TextRange::new(i as u32, (i + c.len_utf8()) as u32);
    }
    match text[at..].char_indices().find(|(_, c)| !c.is_whitespace()).or_else(|| text[at..].char_indices().next()) {
        Some((i, c)) => TextRange::new((at + i) as u32, (at + i + c.len_utf8()) as u32),
        // Only whitespace, and nothing after `at`: its last character (never zero
        // width while the text has one).
        None => match text[..at].char_indices().next_back() {
            Some((i, c)) => TextRange::new(i as u32, (i + c.len_utf8()) as u32),
            None => TextRange::empty(at as u32),
        },
    }
}

/// A `-` item's range: the node, widened back over its `- ` indicator when it has one.
pub fn item_range(text: &str, node: &Node) -> TextRange {
    let start = node.range.start as usize;
    let before = text.get(..start).unwrap_or_default();
    let trimmed = before.trim_end_matches([' ', '\t']);
    if trimmed.ends_with('-') && trimmed.len() < start {
        let dash = trimmed.len() - 1;
        let line_start = text.get(..dash).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        if text.get(line_start..dash).is_some_and(|p| p.trim().is_empty()) {
            return TextRange::new(dash as u32, node.range.end);
        }
    }
    node.range
}

/// `yaml-syntax` and `duplicate-key` findings of a parse: the same words for
/// every YAML or JSON file, modelled or not. `what` names the file.
pub fn syntax_findings(text: &str, parsed: &tollgate_yaml::Parsed, what: &str) -> Vec<Diagnostic> {
    let syntax = parsed
        .errors
        .iter()
        .map(|e| Diagnostic::new(Code::YamlSyntax, e.range, format!("syntax error in {what}: {}", e.message)));
    let dups = parsed.duplicate_keys.iter().map(|d| {
        let line = line_of(text, d.first.start);
        Diagnostic::new(
            Code::DuplicateKey,
            d.range,
            format!("key `{}` is repeated in this mapping (first on line {line}); keys must be unique and the first one counts", d.key),
        )
    });
    syntax.chain(dups).collect()
}

/// A JSON file's syntax error, in JSON's words (the YAML parser that reads it
/// speaks of YAML nodes), at the character where `serde_json` stopped. None when
/// the text is JSON. Stricter than the YAML reading on purpose: the factory reads
/// `state.json` with `JSON.parse`, which takes no comments, no trailing commas and
/// no unquoted keys.
pub fn json_syntax(text: &str, what: &str) -> Option<Diagnostic> {
    let e = serde_json::from_str::<serde::de::IgnoredAny>(text).err()?;
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    // serde_json counts lines by `\n` and columns in bytes, 1-based (0: before the line's first byte).
    let line_start = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>();
    let mut at = (line_start + e.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let range = match text[at..].chars().next() {
        Some(c) if c != '\n' && c != '\r' => TextRange::new(at as u32, (at + c.len_utf8()) as u32),
        _ => widen_empty(text, at),
    };
    Some(Diagnostic::new(Code::YamlSyntax, range, format!("JSON syntax error in {what}: {message}")))
}

impl<'t> Reader<'t> {
    /// [`Reader::open`] for a JSON file: a text that is not JSON gets one JSON syntax
    /// error (with JSON's message) and no model.
    pub fn open_json(text: &'t str, what: &str) -> (Self, Option<Node>) {
        match json_syntax(text, what) {
            Some(d) => (Reader { text, diags: vec![d] }, None),
            None => Self::open(text, what),
        }
    }

    /// Parses `text` and returns its root mapping, or None (with a finding) when the
    /// text has no usable document. `what` names the file in messages.
    pub fn open(text: &'t str, what: &str) -> (Self, Option<Node>) {
        let parsed = tollgate_yaml::parse(text, &Limits::default());
        let mut r = Reader { text, diags: syntax_findings(text, &parsed, what) };
        if !parsed.errors.is_empty() {
            return (r, None);
        }
        let root = match parsed.root {
            Some(n) if n.as_map().is_some() => Some(n),
            Some(n) => {
                let range = head(text, n.range);
                r.diags.push(Diagnostic::new(
                    Code::InvalidValue,
                    range,
                    format!("{what} must be a mapping of keys at the top level, found {}", n.kind_name()),
                ));
                None
            }
            None => {
                let range = head(text, TextRange::new(0, text.len() as u32));
                r.diags.push(Diagnostic::new(
                    Code::InvalidValue,
                    range,
                    format!("{what} holds no document; expected a mapping of keys"),
                ));
                None
            }
        };
        (r, root)
    }

    /// Adds a finding; an empty range (an empty key, item or value) is widened to
    /// one character (SPEC 3: never zero width).
    pub fn push(&mut self, code: Code, range: TextRange, message: String) {
        let range = if range.is_empty() && !self.text.is_empty() {
            widen_empty(self.text, range.start as usize)
        } else {
            range
        };
        self.diags.push(Diagnostic::new(code, range, message));
    }

    /// Reports every key of `map` outside `known` (with "did you mean").
    pub fn unknown_keys(&mut self, map: &Node, known: &[&str], place: &str) {
        for (k, _) in map.as_map().unwrap_or_default() {
            let name = k.as_str().unwrap_or_default();
            if !known.contains(&name) {
                let hint = suggest::hint(name, known.iter().copied());
                self.push(
                    Code::UnknownKey,
                    k.range,
                    format!("unknown key `{name}` in {place}{hint}; it is not part of the format and is ignored"),
                );
            }
        }
    }

    /// `missing-key` on `anchor` for each required key absent from `map`.
    pub fn required(&mut self, map: &Node, keys: &[&str], anchor: TextRange, place: &str) {
        for key in keys {
            if map.get(key).is_none() {
                self.push(Code::MissingKey, anchor, format!("{place} is missing the required key `{key}`"));
            }
        }
    }

    fn wrong_type(&mut self, node: &Node, key: &str, expected: &str) {
        let range = head(self.text, node.range);
        self.push(Code::InvalidValue, range, format!("`{key}` must be {expected}, found {}", node.kind_name()));
    }

    /// A string-like scalar (numbers and booleans read as their text). Null: None, silently
    /// when `optional`, else `invalid-value` on `at` (the key: an empty value has no width).
    pub fn string(&mut self, node: &Node, key: &str, optional: bool, at: TextRange) -> Option<Spanned<String>> {
        if node.is_null() {
            if !optional {
                let range = if node.range.is_empty() { at } else { node.range };
                self.push(Code::InvalidValue, range, format!("`{key}` is empty; it must be a string"));
            }
            return None;
        }
        match node.as_str() {
            Some(s) => Some(Spanned::new(s.to_string(), node.range)),
            None => {
                self.wrong_type(node, key, "a string");
                None
            }
        }
    }

    /// A list of strings; null is empty. A lone scalar is reported but still read.
    pub fn strings(&mut self, node: &Node, key: &str) -> Vec<Spanned<String>> {
        if node.is_null() {
            return Vec::new();
        }
        match &node.kind {
            NodeKind::Seq(items) => {
                let text = self.text;
                items.iter().filter_map(|i| self.string(i, key, false, item_range(text, i))).collect()
            }
            NodeKind::Scalar(_) => {
                self.wrong_type(node, key, "a list of strings");
                self.string(node, key, true, node.range).into_iter().collect()
            }
            NodeKind::Map(_) => {
                self.wrong_type(node, key, "a list of strings");
                Vec::new()
            }
        }
    }

    /// An integer at least `min`.
    pub fn int(&mut self, node: &Node, key: &str, min: i64) -> Option<Spanned<i64>> {
        match node.as_i64() {
            Some(v) if v >= min => Some(Spanned::new(v, node.range)),
            Some(v) => {
                self.push(Code::InvalidValue, node.range, format!("`{key}` is {v}; it must be at least {min}"));
                None
            }
            None => {
                self.wrong_type(node, key, "an integer");
                None
            }
        }
    }

    /// A string out of `allowed`. An outside value is reported and still returned
    /// (best effort); a wrong type gives None.
    pub fn one_of(&mut self, node: &Node, key: &str, allowed: &[&str], at: TextRange) -> Option<Spanned<String>> {
        let s = self.string(node, key, false, at)?;
        if !allowed.contains(&s.value.as_str()) {
            let set = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
            let hint = suggest::hint(&s.value, allowed.iter().copied());
            self.push(
                Code::InvalidValue,
                s.range,
                format!("`{key}` is `{}`, which is not one of {set}{hint}", s.value),
            );
        }
        Some(s)
    }

    /// The mapping `node`, or None with `invalid-value` (null: None, silently).
    pub fn mapping<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n Node> {
        if node.as_map().is_some() {
            return Some(node);
        }
        if !node.is_null() {
            self.wrong_type(node, key, "a mapping");
        }
        None
    }

    /// The items of the list `node` (null: none), or none with `invalid-value`.
    pub fn list<'n>(&mut self, node: &'n Node, key: &str) -> &'n [Node] {
        if let Some(items) = node.as_seq() {
            return items;
        }
        if !node.is_null() {
            self.wrong_type(node, key, "a list");
        }
        &[]
    }
}

/// Range of the first key of a mapping (where a missing key of it is reported), else the node's head.
pub fn first_key(text: &str, map: &Node) -> TextRange {
    map.as_map().and_then(|m| m.first()).map(|(k, _)| k.range).unwrap_or_else(|| head(text, map.range))
}

#[cfg(test)]
mod tests {
    /// A JSON syntax error at the end of a text of only whitespace still sits on a
    /// character (SPEC 3: never zero width); the fuzzer found `\n` gave an empty range.
    #[test]
    fn a_json_error_in_whitespace_is_never_zero_width() {
        for text in ["\n", " ", "\n\n", "\r\n", " \t\n", "\u{3000}"] {
            let d = super::json_syntax(text, "`state.json`").expect("not JSON");
            assert!(!d.range.is_empty(), "{text:?}: {:?}", d.range);
            assert!(d.range.end as usize <= text.len() && text.is_char_boundary(d.range.start as usize));
        }
        assert!(super::json_syntax("", "`state.json`").is_some_and(|d| d.range.is_empty()), "empty: nothing to sit on");
    }
}
