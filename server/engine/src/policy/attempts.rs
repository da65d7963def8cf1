//! Attempt counting, in one place: the gate, rollback and resume all ask here.

use crate::recovery::project::StateDoc;

/// The attempt the stage is on: the attempts it has spent (`StateDoc::attempts`,
/// which counts failures from the history with `State::failed_attempts`, so the
/// limit cannot reset itself across orchestrator sessions), at least 1 once the
/// stage has an entry.
pub(crate) fn current_attempt(state: &StateDoc, stage: &str) -> u32 {
    match state.latest_index(stage) {
        Some(_) => state.attempts(stage).max(1),
        None => 0,
    }
}
