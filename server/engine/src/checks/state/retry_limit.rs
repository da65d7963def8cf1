//! `retry-limit`: a stage's latest attempt reached `max_attempts` and failed while the
//! run is not `paused` or `failed`: the failure policy requires a person now. The
//! attempts are counted by `State::failed_attempts`, not read from `attempts` alone.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::pipeline::DEFAULT_MAX_ATTEMPTS;
use crate::model::state::RunStatus;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, st)) = ctx.state() else { return };
    let Some(status) = st.status() else { return };
    if matches!(status, RunStatus::Paused | RunStatus::Failed) {
        return;
    }
    let max = ctx.pipeline().map_or(DEFAULT_MAX_ATTEMPTS, |(_, p)| p.max_attempts);
    let mut seen: Vec<&str> = Vec::new();
    for h in st.history.iter().rev() {
        let Some(id) = &h.stage_id else { continue };
        if seen.contains(&id.value.as_str()) {
            continue;
        }
        seen.push(&id.value);
        if !h.has_status("failed") {
            continue;
        }
        // Counted from the history: `attempts` restarts at 1 in each orchestrator session.
        let failed = st.failed_attempts(&id.value);
        if failed < max {
            continue;
        }
        let at = h.attempts.as_ref().map_or(id.range, |a| a.range);
        let msg = format!(
            "stage `{}` failed attempt {failed} of {max} (`max_attempts`) and the run is `{}`, not paused; the failure policy requires a person to decide now",
            id.value,
            status.as_str()
        );
        sink.push(&loaded.path, Diagnostic::new(Code::RetryLimit, at, msg).with_stage(id.value.clone()));
    }
}
