//! `agent-not-found`: a stage's `agent:` file exists neither under `.factory/` nor the root
//! (the factory's own lookup order).

use super::norm;
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::pipeline::Stage;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    for stage in &p.stages {
        one(ctx, &loaded.path, stage, sink);
    }
}

/// The check for the stage at `index` alone (an edit inside that stage).
pub fn check_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    if let Some(stage) = p.stages.get(index) {
        one(ctx, &loaded.path, stage, sink);
    }
}

fn one(ctx: &Context, path: &str, stage: &Stage, sink: &mut Sink) {
    let Some(agent) = &stage.agent else { return };
    let rel = norm(&agent.value);
    if rel.is_empty() || ctx.fs.exists(&format!(".factory/{rel}")) || ctx.fs.exists(rel) {
        return;
    }
    let name = stage.id.as_ref().map_or("?", |i| i.value.as_str());
    let msg = format!(
        "agent `{}` of stage `{name}` exists neither under `.factory/` nor the factory root; a stage's agent file must exist",
        agent.value
    );
    let mut d = Diagnostic::new(Code::AgentNotFound, agent.range, msg);
    if let Some(id) = &stage.id {
        d = d.with_stage(id.value.clone());
    }
    sink.push(path, d);
}
