//! `matrix-missing-stage`: a stage with no matrix row and no `permissions.write`,
//! so nothing says where it may write. On the stage's `id` value.
//!
//! Without any matrix file the project may simply not use write permissions:
//! then a stage is reported only when some other stage has `permissions.write`
//! (the project does use them, this stage forgot). A matrix file that cannot be
//! read reports that itself (`matrix-malformed`), so stages are not reported then.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::pipeline::Stage;
use crate::suggest::hint;

fn has_write(stage: &Stage) -> bool {
    stage.permissions.as_ref().is_some_and(|p| p.write.is_some())
}

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    let matrix = match ctx.matrix {
        Some(l) => match &l.model {
            Some(m) => Some((l.path.as_str(), m)),
            None => return,
        },
        None => None,
    };
    if matrix.is_none() && !pipeline.stages.iter().any(has_write) {
        return;
    }
    for stage in &pipeline.stages {
        let Some(id) = &stage.id else { continue };
        if has_write(stage) {
            continue;
        }
        let message = match matrix {
            Some((_, m)) if m.row(&id.value).is_some() => continue,
            Some((path, m)) => format!(
                "stage `{}` has no row in the capability matrix ({path}) and no `permissions.write`, \
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
        sink.push(&loaded.path, diag);
    }
}
