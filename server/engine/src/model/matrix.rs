//! `policies/capability.matrix.md`: a Markdown table of stage, readable dirs,
//! writable dirs, notes (SPEC section 2).

use super::{Loaded, Spanned};
use tollgate_text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    pub rows: Vec<MatrixRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixRow {
    /// The stage id without markup; `range` is the trimmed cell, markup (`**`) included.
    pub stage: Spanned<String>,
    pub read: Vec<Spanned<String>>,
    pub write: Vec<Spanned<String>>,
    /// The trimmed write cell (for edits that grant access).
    pub write_cell: TextRange,
    /// The whole row line, without its line ending.
    pub line: TextRange,
}

impl Matrix {
    pub fn row(&self, stage: &str) -> Option<&MatrixRow> {
        self.rows.iter().find(|r| r.stage.value == stage)
    }
}

/// Reads the capability matrix.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Matrix> {
    Loaded { path: path.to_string(), text, model: None, diagnostics: Vec::new() }
}
