//! Attempt counting for the gate, rollback and resume: the model's own count
//! (`State::current_attempt`), the one `tollgate status` and `retry-limit` use, so
//! the gate and the status line never disagree and the limit cannot reset itself
//! when an orchestrator session restarts `attempts` at 1.

use std::sync::Arc;

use crate::recovery::project::StateDoc;

/// The attempt the stage is on (0 when the state says nothing of it).
pub(crate) fn current_attempt(state: &StateDoc, stage: &str, max_attempts: u32) -> u32 {
    let model = crate::model::state::load(&state.path, Arc::from(state.text.as_str())).model;
    model.and_then(|m| m.current_attempt(stage, max_attempts)).unwrap_or(0)
}
