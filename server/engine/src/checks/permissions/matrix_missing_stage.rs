//! `matrix-missing-stage`: a stage with no matrix row and no `permissions.write`,
//! so nothing says where it may write. On the stage's `id` value.
//!
//! Without any matrix file the project may simply not use write permissions:
//! then a stage is reported only when some other stage has `permissions.write`
//! (the project does use them, this stage forgot). A matrix file that cannot be
//! read reports that itself (`matrix-malformed`), so stages are not reported then.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::matrix::Matrix;
use crate::model::pipeline::{Pipeline, Stage};
use crate::suggest::hint;

fn has_write(stage: &Stage) -> bool {
    stage.permissions.as_ref().is_some_and(|p| p.write.is_some())
}

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    let Some(matrix) = applies(ctx, pipeline) else { return };
    for stage in &pipeline.stages {
        one(&loaded.path, matrix, stage, sink);
    }
}

/// The check for the stage at `index` alone (an edit inside that stage).
pub fn check_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    let Some(matrix) = applies(ctx, pipeline) else { return };
    if let Some(stage) = pipeline.stages.get(index) {
        one(&loaded.path, matrix, stage, sink);
    }
}

/// Does the check apply at all? Some(the matrix, if any) when it does.
fn applies<'a>(ctx: &Context<'a>, pipeline: &Pipeline) -> Option<Option<(&'a str, &'a Matrix)>> {
    let matrix = match ctx.matrix {
        Some(l) => Some((l.path.as_str(), l.model.as_ref()?)),
        None => None,
    };
    if matrix.is_none() && !pipeline.stages.iter().any(has_write) {
        return None;
    }
    Some(matrix)
}

fn one(path: &str, matrix: Option<(&str, &Matrix)>, stage: &Stage, sink: &mut Sink) {
    let Some(id) = &stage.id else { return };
    if has_write(stage) {
        return;
    }
    let message = match matrix {
        Some((_, m)) if m.row(&id.value).is_some() => return,
        Some((file, m)) => format!(
            "stage `{}` has no row in the capability matrix ({file}) and no `permissions.write`, \
             so nothing says where it may write{}",
            id.value,
            hint(&id.value, m.stage_ids())
        ),
        None => format!(
            "stage `{}` has no `permissions.write` and there is no capability matrix, \
             so nothing says where it may write",
            id.value
        ),
    };
    let diag = Diagnostic::new(Code::MatrixMissingStage, id.range, message).with_stage(&id.value);
    sink.push(path, diag);
}
