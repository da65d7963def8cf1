//! `matrix-unknown-stage`: a matrix row whose stage the pipeline does not have.
//! On the row's stage cell (markup included).

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::hint;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, matrix)) = ctx.matrix() else { return };
    let Some((pipeline_file, pipeline)) = ctx.pipeline() else { return };
    for row in &matrix.rows {
        let stage = &row.stage.value;
        if pipeline.stage(stage).is_some() {
            continue;
        }
        let message = format!(
            "matrix row `{stage}` names no stage of {}: rows must use the pipeline's stage ids{}",
            pipeline_file.path,
            hint(stage, pipeline.stage_ids())
        );
        sink.push(&loaded.path, Diagnostic::new(Code::MatrixUnknownStage, row.stage.range, message));
    }
}
