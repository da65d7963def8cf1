//! `stale-scope`: scope.yaml's `base.commit` is set and is not an ancestor of
//! HEAD, so Exploration looked at another history than the one being edited.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some(git) = ctx.git else { return };
    let Some((loaded, scope)) = ctx.scope() else { return };
    let Some(base) = &scope.base_commit else { return };
    if git.scope_base_is_ancestor != Some(false) {
        return;
    }
    let why = if git.scope_base_found == Some(false) {
        "is not a commit of this repository"
    } else {
        "is not an ancestor of HEAD"
    };
    let message = format!(
        "scope base commit `{}` {why}: the scope was explored on another history. \
         Return point: exploration (revise the scope against the current code)",
        base.value
    );
    let mut diag = Diagnostic::new(Code::StaleScope, base.range, message);
    let stage = scope
        .stage
        .as_ref()
        .map(|s| s.value.clone())
        .or_else(|| ctx.state().and_then(|(_, st)| st.current_stage.as_ref().map(|s| s.value.clone())));
    if let Some(stage) = stage {
        diag = diag.with_stage(stage);
    }
    sink.push(&loaded.path, diag);
}
