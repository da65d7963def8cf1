//! `output-outside-permissions`: a stage's output that its write permissions
//! (`permissions.write`, else its matrix row) do not cover. A stage with
//! neither is `matrix-missing-stage`'s business, not this check's.

use std::collections::HashMap;

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::pipeline::Stage;
use crate::permissions::WriteSet;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, pipeline)) = ctx.pipeline() else { return };
    // The first stage of each id, as `Pipeline::stage` finds it (a search per stage was quadratic).
    let mut firsts: HashMap<&str, &Stage> = HashMap::with_capacity(pipeline.stages.len());
    for stage in &pipeline.stages {
        if let Some(id) = &stage.id {
            firsts.entry(id.value.as_str()).or_insert(stage);
        }
    }
    for stage in &pipeline.stages {
        let Some(id) = &stage.id else { continue };
        let first = firsts.get(id.value.as_str()).copied();
        let Some(writes) = WriteSet::for_found_stage(ctx.pipeline, first, ctx.matrix, &id.value) else { continue };
        for output in &stage.outputs {
            let path = output.value.trim();
            if path.is_empty() || writes.allows_output(path) {
                continue;
            }
            let message = format!(
                "output `{path}` of stage `{}` is outside its write permissions: {} ({})",
                id.value,
                writes.describe(),
                writes.file
            );
            let diag = Diagnostic::new(Code::OutputOutsidePermissions, output.range, message)
                .with_stage(&id.value)
                .with_fix(Fix::GrantWrite { stage: id.value.clone(), path: path.to_string() });
            sink.push(&loaded.path, diag);
        }
    }
}
