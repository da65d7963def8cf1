//! Checks: state (`.factory/state.json` against the pipeline and the disk).

mod missing_output;
mod retry_limit;
mod stage_failed;
mod state_inconsistent;
mod state_unknown_stage;

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    state_unknown_stage::check(ctx, sink);
    state_inconsistent::check(ctx, sink);
    missing_output::check(ctx, sink);
    stage_failed::check(ctx, sink);
    retry_limit::check(ctx, sink);
}

#[cfg(test)]
mod tests;
