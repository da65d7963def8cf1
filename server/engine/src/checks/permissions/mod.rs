//! Checks: permissions (pipeline outputs against write permissions, and the
//! capability matrix against the pipeline's stages).

mod matrix_missing_stage;
mod matrix_unknown_stage;
mod output_outside_permissions;

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    output_outside_permissions::check(ctx, sink);
    matrix_missing_stage::check(ctx, sink);
    matrix_unknown_stage::check(ctx, sink);
}

#[cfg(test)]
mod tests;
