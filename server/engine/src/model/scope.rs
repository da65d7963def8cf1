//! `.factory/scope.yaml`: the retained scope of the current work (SPEC section 4).

use super::{Loaded, Spanned};
use tollgate_text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Modify,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Modify => "modify",
            Op::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "create" => Op::Create,
            "modify" => Op::Modify,
            "delete" => Op::Delete,
            _ => return None,
        })
    }
}

/// A set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ops {
    pub create: bool,
    pub modify: bool,
    pub delete: bool,
}

impl Ops {
    pub const ALL: Ops = Ops { create: true, modify: true, delete: true };
    /// The default of an allow entry: `[modify, create]`.
    pub const MODIFY_CREATE: Ops = Ops { create: true, modify: true, delete: false };

    pub fn has(self, op: Op) -> bool {
        match op {
            Op::Create => self.create,
            Op::Modify => self.modify,
            Op::Delete => self.delete,
        }
    }

    pub fn insert(&mut self, op: Op) {
        match op {
            Op::Create => self.create = true,
            Op::Modify => self.modify = true,
            Op::Delete => self.delete = true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub version: Option<Spanned<i64>>,
    pub id: Option<Spanned<String>>,
    pub revision: Option<Spanned<i64>>,
    pub supersedes: Option<Spanned<i64>>,
    pub request: Option<Spanned<String>>,
    /// The stage this scope binds; None: the current stage.
    pub stage: Option<Spanned<String>>,
    pub base_commit: Option<Spanned<String>>,
    pub allow: Vec<ScopeEntry>,
    pub exclude: Vec<ScopeEntry>,
    /// The `allow` value node (the list), for edits that append to it.
    pub allow_range: Option<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeEntry {
    /// The whole `-` item.
    pub range: TextRange,
    pub path: Spanned<String>,
    pub ops: Ops,
    pub reason: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub evidence: Option<Spanned<String>>,
}

/// Reads `.factory/scope.yaml`.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Scope> {
    Loaded { path: path.to_string(), text, model: None, diagnostics: Vec::new() }
}
