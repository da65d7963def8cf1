//! `unauthorized-write`: a changed path outside the current stage's write
//! permissions (`permissions.write`, else its matrix row). A stage with neither
//! is `matrix-missing-stage`'s business: nothing to measure against here.

use super::{range_of, unauthorized, verb, Live};
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::scope::Op;

pub fn check(ctx: &Context, live: &Live, sink: &mut Sink) {
    let Some(writes) = &live.writes else { return };
    let stage = live.stage;
    // Named once, not once per file.
    let (rules, file) = (writes.describe(), &writes.file);
    for change in live.stage_edits(ctx).filter(|c| unauthorized(writes, c)) {
        let message = format!(
            "stage `{stage}` {} `{}` outside its write permissions: {} ({}). \
             Return point: user (quarantine the file, or a person grants write access)",
            verb(change.op),
            change.path,
            rules,
            file,
        );
        let mut diag = Diagnostic::new(Code::UnauthorizedWrite, range_of(ctx, change), message).with_stage(stage);
        // A deleted file has nothing left to move.
        if change.op != Op::Delete {
            diag = diag.with_fix(Fix::Quarantine { path: change.path.clone(), stage: stage.to_string() });
        }
        diag = diag.with_fix(Fix::GrantWrite { stage: stage.to_string(), path: change.path.clone() });
        sink.push(&change.path, diag);
    }
}
