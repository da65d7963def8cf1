//! `permissions-widened`: during an active run, a stage's write permissions
//! grant more than they did at the git base (an agent must not grant itself
//! access silently). On each widening entry, in the matrix or pipeline.yaml.

use std::sync::Arc;

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{matrix, pipeline};
use crate::permissions::WriteSet;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some(git) = ctx.git else { return };
    if !ctx.state().is_some_and(|(_, s)| s.is_active()) {
        return;
    }
    // Nothing at the base to compare with (e.g. no commit yet).
    if git.base_pipeline.is_none() && git.base_matrix.is_none() {
        return;
    }
    let (Some(p_now), Some((_, pipeline))) = (ctx.pipeline, ctx.pipeline()) else { return };
    let p_base = git.base_pipeline.as_ref().map(|t| pipeline::load(&p_now.path, Arc::clone(t)));
    let m_path = ctx.matrix.map(|m| m.path.as_str()).unwrap_or("policies/capability.matrix.md");
    let m_base = git.base_matrix.as_ref().map(|t| matrix::load(m_path, Arc::clone(t)));
    let at = match (&git.base, git.base_is_head) {
        (_, true) => "HEAD".to_string(),
        (Some(c), false) => format!("commit {}", &c[..c.len().min(10)]),
        (None, false) => "the git base".to_string(),
    };
    for id in pipeline.stage_ids() {
        let Some(now) = WriteSet::for_stage(ctx.pipeline, ctx.matrix, id) else { continue };
        // No rule at the base: nothing was enforced then, so a new rule only restricts.
        let Some(base) = WriteSet::for_stage(p_base.as_ref(), m_base.as_ref(), id) else { continue };
        for rule in now.widened_rules(&base) {
            let message = format!(
                "write permissions of stage `{id}` were widened during the run: {} now grants `{}`, \
                 which it did not at {at}. Return point: user (a person approves the change, or it is reverted)",
                now.rule_name(),
                rule.text
            );
            sink.push(&now.file, Diagnostic::new(Code::PermissionsWidened, rule.range, message).with_stage(id));
        }
    }
}
