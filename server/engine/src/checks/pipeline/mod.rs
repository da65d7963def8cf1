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

/// The checks of this theme that report inside one stage, for that stage alone.
pub fn run_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    duplicate_stage::check_stage(ctx, index, sink);
    agent_not_found::check_stage(ctx, index, sink);
    input_not_produced::check_stage(ctx, index, sink);
}

/// Does output `out` provide input `input` (as `input-not-produced` decides)?
pub fn output_provides(out: &str, input: &str) -> bool {
    input_not_produced::provides(out, input)
}

/// Root-relative spelling of a path from a pipeline file (`./x` is `x`).
pub(crate) fn norm(path: &str) -> &str {
    // Most paths are already plain: a visible ASCII byte at each end, no `./`.
    let solid = |b: &u8| *b > b' ' && *b < 0x7f;
    let b = path.as_bytes();
    if b.first().is_some_and(|c| solid(c) && *c != b'.') && b.last().is_some_and(solid) {
        return path;
    }
    path.trim().trim_start_matches("./")
}

#[cfg(test)]
pub(crate) mod tests;
