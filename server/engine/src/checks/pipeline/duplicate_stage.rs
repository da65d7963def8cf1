//! `duplicate-stage`: a stage id used twice, reported on the second.

use std::collections::HashMap;

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::schema::line_of;
use crate::model::Spanned;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    // The first stage of each id (a map: a scan of the earlier stages was quadratic).
    let mut firsts: HashMap<&str, &Spanned<String>> = HashMap::with_capacity(p.stages.len());
    for stage in &p.stages {
        let Some(id) = &stage.id else { continue };
        let first = *firsts.entry(id.value.as_str()).or_insert(id);
        if !std::ptr::eq(first, id) {
            let line = line_of(&loaded.text, first.range.start);
            let msg = format!(
                "stage id `{}` is already used by the stage on line {line}; stage ids must be unique",
                id.value
            );
            sink.push(&loaded.path, Diagnostic::new(Code::DuplicateStage, id.range, msg).with_stage(id.value.clone()));
        }
    }
}
