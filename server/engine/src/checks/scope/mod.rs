//! Checks: scope (patterns and evidence of `.factory/scope.yaml`).

mod ambiguous_pattern;
mod invalid_pattern;
mod missing_evidence;

use super::{Context, Sink};
use crate::model::scope::{Scope, ScopeEntry};

pub fn run(ctx: &Context, sink: &mut Sink) {
    invalid_pattern::check(ctx, sink);
    ambiguous_pattern::check(ctx, sink);
    missing_evidence::check(ctx, sink);
}

/// Every entry with the list it sits in, allow entries first.
fn entries(scope: &Scope) -> impl Iterator<Item = (&'static str, &ScopeEntry)> {
    scope.allow.iter().map(|e| ("allow", e)).chain(scope.exclude.iter().map(|e| ("exclude", e)))
}

#[cfg(test)]
mod tests;
