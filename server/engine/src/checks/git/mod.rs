//! Checks that need git facts (`ctx.git`): a stale scope base, and write
//! permissions widened since the git base during a run.

mod permissions_widened;
mod stale_scope;

#[cfg(test)]
mod tests;

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    stale_scope::check(ctx, sink);
    permissions_widened::check(ctx, sink);
}
