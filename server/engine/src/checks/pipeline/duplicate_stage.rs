//! `duplicate-stage`: a stage id used twice, reported on the second.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::schema::line_of;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    for (i, stage) in p.stages.iter().enumerate() {
        let Some(id) = &stage.id else { continue };
        let first = p.stages[..i].iter().filter_map(|s| s.id.as_ref()).find(|f| f.value == id.value);
        if let Some(first) = first {
            let line = line_of(&loaded.text, first.range.start);
            let msg = format!(
                "stage id `{}` is already used by the stage on line {line}; stage ids must be unique",
                id.value
            );
            sink.push(&loaded.path, Diagnostic::new(Code::DuplicateStage, id.range, msg).with_stage(id.value.clone()));
        }
    }
}
