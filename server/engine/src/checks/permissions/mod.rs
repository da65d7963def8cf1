//! Checks: permissions (pipeline outputs against write permissions, and the
//! capability matrix against the pipeline's stages).

mod matrix_missing_stage;
mod matrix_unknown_stage;
mod output_outside_permissions;

use super::{Context, Sink};

/// The checks of this theme that report inside pipeline stages.
pub fn run_stages(ctx: &Context, sink: &mut Sink) {
    output_outside_permissions::check(ctx, sink);
    matrix_missing_stage::check(ctx, sink);
}

/// The check of this theme that reports in the matrix.
pub fn run_files(ctx: &Context, sink: &mut Sink) {
    matrix_unknown_stage::check(ctx, sink);
}

/// The checks of this theme that report inside one stage, for that stage alone.
pub fn run_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    output_outside_permissions::check_stage(ctx, index, sink);
    matrix_missing_stage::check_stage(ctx, index, sink);
}

#[cfg(test)]
mod tests;
