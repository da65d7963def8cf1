//! `deleted-output`: an output of a completed stage was deleted (a file output,
//! or files under a directory output), on the output's entry in pipeline.yaml.

use super::{current_stage, edits};
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::scope::Op;

/// Deleted files named in one message.
const NAMED: usize = 3;

pub fn check(ctx: &Context, sink: &mut Sink) {
    if current_stage(ctx).is_none() {
        return;
    }
    let (Some((loaded, pipeline)), Some((_, state))) = (ctx.pipeline(), ctx.state()) else { return };
    let deleted: Vec<&str> = edits(ctx).filter(|c| c.op == Op::Delete).map(|c| c.path.as_str()).collect();
    if deleted.is_empty() {
        return;
    }
    for stage in &pipeline.stages {
        let Some(id) = &stage.id else { continue };
        if !state.is_completed(&id.value) {
            continue;
        }
        for output in &stage.outputs {
            let out = output.value.trim();
            let gone: Vec<&str> = match out.strip_suffix('/') {
                Some(_) => deleted.iter().copied().filter(|p| p.starts_with(out)).collect(),
                None if !out.is_empty() => deleted.iter().copied().filter(|p| *p == out).collect(),
                None => continue,
            };
            if gone.is_empty() {
                continue;
            }
            let was = if gone.len() == 1 { "was" } else { "were" };
            let what = if gone == [out] {
                format!("output `{out}`")
            } else {
                let mut names: Vec<String> = gone.iter().take(NAMED).map(|p| format!("`{p}`")).collect();
                if gone.len() > NAMED {
                    names.push(format!("{} more", gone.len() - NAMED));
                }
                let files = if gone.len() == 1 { "file" } else { "files" };
                format!("{} {files} of output `{out}` ({})", gone.len(), names.join(", "))
            };
            let message = format!(
                "{what} of completed stage `{}` {was} deleted. Return point: build (return to Build to restore it, \
                 or archive the attempt)",
                id.value
            );
            let diag = Diagnostic::new(Code::DeletedOutput, output.range, message)
                .with_stage(&id.value)
                .with_fix(Fix::ReturnToBuild { stage: id.value.clone() })
                .with_fix(Fix::ArchiveAttempt { stage: id.value.clone() });
            sink.push(&loaded.path, diag);
        }
    }
}
