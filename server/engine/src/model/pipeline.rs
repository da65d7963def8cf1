//! `pipeline.yaml`: stages in order (SPEC section 2).

use super::{Loaded, Spanned};
use tollgate_text::TextRange;

pub const DEFAULT_MAX_ATTEMPTS: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `pipeline.max_attempts`, default 2 (one automatic retry).
    pub max_attempts: u32,
    pub max_attempts_range: Option<TextRange>,
    pub stages: Vec<Stage>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The `-` item's first key: where a missing key of this stage is reported.
    pub anchor: TextRange,
    /// The whole item.
    pub range: TextRange,
    pub id: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub agent: Option<Spanned<String>>,
    pub inputs: Vec<Spanned<String>>,
    pub outputs: Vec<Spanned<String>>,
    pub exit_criteria: Vec<Spanned<String>>,
    pub on_failure: Option<OnFailure>,
    pub permissions: Option<Permissions>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnFailure {
    pub action: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
}

/// Per-stage `permissions: {read: [...], write: [...]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// The `permissions` key.
    pub key: TextRange,
    pub read: Vec<Spanned<String>>,
    /// None when `write` is absent (the matrix row then applies).
    pub write: Option<Vec<Spanned<String>>>,
    /// The `write` value node (the list), for edits that append to it.
    pub write_range: Option<TextRange>,
}

impl Pipeline {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id.as_ref().is_some_and(|i| i.value == id))
    }

    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id.as_ref().is_some_and(|i| i.value == id))
    }

    pub fn stage_ids(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().filter_map(|s| s.id.as_ref().map(|i| i.value.as_str()))
    }
}

/// Reads `pipeline.yaml`.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Pipeline> {
    Loaded { path: path.to_string(), text, model: None, diagnostics: Vec::new() }
}
