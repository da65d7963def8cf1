//! `output-outside-permissions`: a stage's output that its write permissions
//! (`permissions.write`, else its matrix row) do not cover. A stage with
//! neither is `matrix-missing-stage`'s business, not this check's.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::pipeline::Stage;
use crate::permissions::WriteSet;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    for stage in &pipeline.stages {
        one(ctx, &loaded.path, stage, sink);
    }
}

/// The check for the stage at `index` alone (an edit inside that stage).
pub fn check_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    let Some(stage) = pipeline.stages.get(index) else { return };
    one(ctx, &loaded.path, stage, sink);
}

/// The stage's outputs against the write permissions of its id (those of the
/// first stage with it, as `WriteSet::for_stage` finds them).
fn one(ctx: &Context, path: &str, stage: &Stage, sink: &mut Sink) {
    let Some(id) = &stage.id else { return };
    let Some(writes) = WriteSet::for_stage(ctx.pipeline, ctx.matrix, &id.value) else { return };
    for output in &stage.outputs {
        let out = output.value.trim();
        if out.is_empty() || writes.allows_output(out) {
            continue;
        }
        let message = format!(
            "output `{out}` of stage `{}` is outside its write permissions: {} ({})",
            id.value,
            writes.describe(),
            writes.file
        );
        let diag = Diagnostic::new(Code::OutputOutsidePermissions, output.range, message)
            .with_stage(&id.value)
            .with_fix(Fix::GrantWrite { stage: id.value.clone(), path: out.to_string() });
        sink.push(path, diag);
    }
}
