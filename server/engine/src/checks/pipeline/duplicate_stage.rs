//! `duplicate-stage`: a stage id used twice, reported on the second.

use std::collections::HashMap;

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::pipeline::Pipeline;
use crate::model::schema::line_of;
use crate::model::{Loaded, Spanned};

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    // The first stage of each id (a map: a scan of the earlier stages was quadratic).
    let mut firsts: HashMap<&str, &Spanned<String>> = HashMap::with_capacity(p.stages.len());
    for stage in &p.stages {
        let Some(id) = &stage.id else { continue };
        let first = *firsts.entry(id.value.as_str()).or_insert(id);
        one(loaded, id, first, sink);
    }
}

/// The check for the stage at `index` alone (an edit inside that stage).
pub fn check_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    let Some(id) = p.stages.get(index).and_then(|s| s.id.as_ref()) else { return };
    let first = p.stages[..index].iter().filter_map(|s| s.id.as_ref()).find(|i| i.value == id.value).unwrap_or(id);
    one(loaded, id, first, sink);
}

fn one(loaded: &Loaded<Pipeline>, id: &Spanned<String>, first: &Spanned<String>, sink: &mut Sink) {
    if std::ptr::eq(first, id) {
        return;
    }
    let line = line_of(&loaded.text, first.range.start);
    let msg = format!("stage id `{}` is already used by the stage on line {line}; stage ids must be unique", id.value);
    sink.push(&loaded.path, Diagnostic::new(Code::DuplicateStage, id.range, msg).with_stage(id.value.clone()));
}
