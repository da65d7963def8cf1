//! Models of the files a factory root holds, each with exact spans.
//!
//! Every `load` takes the file's text and returns the model (None when the text
//! cannot be read as that format at all, e.g. a syntax error) plus the findings
//! that belong to the file alone: `yaml-syntax`, `duplicate-key`, `unknown-key`,
//! `invalid-value`, `missing-key`, `matrix-malformed`. Cross-file checks live in
//! `crate::checks`.

pub mod agent_settings;
pub mod evidence;
pub mod matrix;
pub mod pipeline;
pub mod schema;
pub mod scope;
pub mod state;

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use tollgate_text::TextRange;

/// A value and the byte range of its text (quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub range: TextRange,
}

impl<T> Spanned<T> {
    pub fn new(value: T, range: TextRange) -> Self {
        Spanned { value, range }
    }
}

/// Where each id first appears in a list (stages, matrix rows), so that a look-up
/// by id is a hash probe: the checks look up every stage or row by id, and a scan
/// each time made them quadratic at thousands of stages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdIndex(std::collections::HashMap<String, usize>);

impl IdIndex {
    /// The first position of each id (a later duplicate is not indexed).
    pub fn build<'a>(ids: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut map = std::collections::HashMap::new();
        for (i, id) in ids.into_iter().enumerate() {
            if let Some(id) = id {
                map.entry(id.to_string()).or_insert(i);
            }
        }
        IdIndex(map)
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.0.get(id).copied()
    }
}

/// One loaded file: its text, its model and its own findings.
#[derive(Debug)]
pub struct Loaded<T> {
    /// Path relative to the factory root, `/`-separated.
    pub path: String,
    pub text: Arc<str>,
    pub model: Option<T>,
    pub diagnostics: Vec<Diagnostic>,
}
