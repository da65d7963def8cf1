//! Checks: Claude Code's project settings at the factory root
//! (`.claude/settings.json`, `.claude/settings.local.json`): permission rules
//! that Claude Code reads but never applies as written.

mod ineffective_agent_rule;

use super::{Context, Sink};

pub fn run(ctx: &Context, sink: &mut Sink) {
    ineffective_agent_rule::check(ctx, sink);
}

#[cfg(test)]
mod tests;
