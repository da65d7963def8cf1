//! The next step of a paused run (SPEC 9): it waits for a person, who resumes
//! it in the same attempt or returns to Build for a new one.

use super::next::{next_step, shell_quote};
use crate::analysis::Snapshot;
use crate::model::state::RunStatus;
use crate::policy::exit::blocks_exit;
use crate::recovery::ActionKind;
use crate::Finding;

/// None unless the run is paused on a current stage.
pub(super) fn paused_next(snapshot: &Snapshot, findings: &[Finding]) -> Option<String> {
    let state = snapshot.state()?;
    if state.status() != Some(RunStatus::Paused) {
        return None;
    }
    let stage = &state.current_stage.as_ref()?.value;
    let q = shell_quote(stage);
    // A blocker a person must clear comes first: resume refuses while it stays.
    if let Some(f) = findings.iter().find(|f| blocks_exit(f, stage)) {
        let clear = f.diagnostic.data.fixes.first().map(next_step).unwrap_or_else(|| format!("fix {}", f.path));
        return Some(format!(
            "the run waits for a person: clear {} {} ({clear}), then `{}`",
            f.diagnostic.code.as_str(),
            f.path,
            ActionKind::Resume.shell()
        ));
    }
    // The gate closed the attempt (and moved it aside): a new attempt, or the same one again.
    let closed = state.latest(stage).and_then(|h| h.status.as_ref()).is_some_and(|s| s.value == "failed");
    Some(if closed {
        format!(
            "the run waits for a person: `{} --stage {q}` opens a new attempt (or `{}` goes on in the same one)",
            ActionKind::ReturnToBuild.shell(),
            ActionKind::Resume.shell()
        )
    } else {
        format!(
            "the run waits for a person: `{}` goes on with stage `{stage}` in the same attempt",
            ActionKind::Resume.shell()
        )
    })
}
