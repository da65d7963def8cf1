//! What keeps the current stage from ending its turn: the `Stop` hook's question,
//! answered by the gate's own exit check (`policy::exit`), without its effects.

use crate::analysis::Snapshot;
use crate::model::state::RunStatus;
use crate::policy::exit::{self, ExitCheck};
use crate::Finding;

/// The current stage's exit check while the run is `running`; None otherwise
/// (a run that waits for a person, or none: the agent may stop). `findings`: a
/// full analysis of the root with its changed paths (what `tollgate check` reports).
pub fn stop_check(snap: &Snapshot, findings: &[Finding]) -> Option<ExitCheck> {
    let state = snap.state()?;
    if state.status() != Some(RunStatus::Running) {
        return None;
    }
    let id = &state.current_stage.as_ref()?.value;
    let stage = snap.pipeline()?.stage(id)?;
    Some(exit::check(&snap.root.dir, stage, findings))
}
