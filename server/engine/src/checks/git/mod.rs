//! Checks: git.

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    let _ = (ctx, sink);
}
