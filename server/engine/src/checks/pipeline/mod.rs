//! Checks: pipeline (stage ids, agents, inputs).

mod agent_not_found;
mod duplicate_stage;
mod input_not_produced;

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    duplicate_stage::check(ctx, sink);
    agent_not_found::check(ctx, sink);
    input_not_produced::check(ctx, sink);
}

/// Root-relative spelling of a path from a pipeline file (`./x` is `x`).
pub(crate) fn norm(path: &str) -> &str {
    path.trim().trim_start_matches("./")
}

#[cfg(test)]
pub(crate) mod tests;
