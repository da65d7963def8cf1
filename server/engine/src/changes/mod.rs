//! Changed paths while a run is active (SPEC 3.2).

use crate::model::scope::Op;

/// One changed path, relative to the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub op: Op,
    /// The first changed line (0-based) of the current text, where known.
    pub first_line: Option<u32>,
}

/// What the engine needs to know from git, read once per analysis by the caller.
#[derive(Clone, Debug, Default)]
pub struct GitFacts {
    /// Is the scope's `base.commit` an ancestor of HEAD? None when unset or unknown.
    pub scope_base_is_ancestor: Option<bool>,
    /// `pipeline.yaml` and the matrix as they are at the git base, for `permissions-widened`.
    pub base_pipeline: Option<std::sync::Arc<str>>,
    pub base_matrix: Option<std::sync::Arc<str>>,
}
