//! `stage-summary`: on the current stage's `id` in pipeline.yaml, how many files
//! the stage wrote outside its permissions and outside the scope.

use super::{unauthorized, Live, Verdict};
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_string()
    } else {
        format!("{n} files")
    }
}

pub fn check(ctx: &Context, live: &Live, sink: &mut Sink) {
    let stage = live.stage;
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    let Some(id) = pipeline.stage(stage).and_then(|s| s.id.as_ref()) else { return };
    let (mut outside_perms, mut outside_scope) = (0, 0);
    for change in live.stage_edits(ctx) {
        outside_perms += usize::from(live.writes.as_ref().is_some_and(|w| unauthorized(w, change)));
        outside_scope +=
            usize::from(live.scope.as_ref().is_some_and(|s| !matches!(s.verdict(change), Verdict::Inside)));
    }
    let mut parts = Vec::new();
    if outside_perms > 0 {
        parts.push(format!("{} outside its permissions", files(outside_perms)));
    }
    if outside_scope > 0 {
        let n = if outside_perms > 0 { outside_scope.to_string() } else { files(outside_scope) };
        parts.push(format!("{n} outside the scope"));
    }
    if parts.is_empty() {
        return;
    }
    let message = format!("stage `{stage}` wrote {}", parts.join(", "));
    let diag = Diagnostic::new(Code::StageSummary, id.range, message)
        .with_stage(stage)
        .with_fix(Fix::ReturnToBuild { stage: stage.to_string() })
        .with_fix(Fix::ArchiveAttempt { stage: stage.to_string() });
    sink.push(&loaded.path, diag);
}
