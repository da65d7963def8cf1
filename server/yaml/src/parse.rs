use std::panic::{catch_unwind, AssertUnwindSafe};

use tollgate_text::TextRange;

use crate::build::build;
use crate::tree::{Parsed, SyntaxError};

/// Bounds that keep hostile input cheap. Exceeding one is a `SyntaxError`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Total nodes created by alias expansion (billion laughs).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 256, max_alias_nodes: 100_000 }
    }
}

/// Parses the first document of `text`.
pub fn parse(text: &str, limits: &Limits) -> Parsed {
    // saphyr has `unwrap`s inside; a panic there must not take the server down.
    match catch_unwind(AssertUnwindSafe(|| build(text, limits))) {
        Ok(parsed) => parsed,
        Err(_) => {
            let end = text.chars().next().map_or(0, char::len_utf8) as u32;
            Parsed {
                root: None,
                errors: vec![SyntaxError {
                    message: "YAML syntax error: the parser could not read this text".to_string(),
                    range: TextRange::new(0, end),
                }],
                duplicate_keys: Vec::new(),
            }
        }
    }
}
