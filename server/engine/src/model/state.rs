//! `.factory/state.json`: the run (SPEC section 2). Both the orchestrator's
//! camelCase names and `factory init`'s snake_case names are read.

use super::{Loaded, Spanned};
use tollgate_text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    Camel,
    Snake,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Idle,
    Running,
    WaitingForConfirmation,
    Paused,
    Failed,
}

impl RunStatus {
    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "idle" => RunStatus::Idle,
            "running" => RunStatus::Running,
            "waiting_for_confirmation" => RunStatus::WaitingForConfirmation,
            "paused" => RunStatus::Paused,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Idle => "idle",
            RunStatus::Running => "running",
            RunStatus::WaitingForConfirmation => "waiting_for_confirmation",
            RunStatus::Paused => "paused",
            RunStatus::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub spelling: Spelling,
    pub status: Option<Spanned<RunStatus>>,
    pub current_stage: Option<Spanned<String>>,
    pub completed_stages: Vec<Spanned<String>>,
    pub failed_stages: Vec<Spanned<String>>,
    pub history: Vec<HistoryEntry>,
    pub last_checkpoint: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub range: TextRange,
    pub stage_id: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub start_time: Option<Spanned<String>>,
    pub end_time: Option<Spanned<String>>,
    pub attempts: Option<Spanned<u32>>,
    pub outputs: Vec<Spanned<String>>,
    pub error: Option<Spanned<String>>,
}

impl State {
    /// A run is active when it has a current stage and is running, waiting, paused or failed.
    pub fn is_active(&self) -> bool {
        self.current_stage.is_some()
            && matches!(
                self.status.as_ref().map(|s| s.value),
                Some(RunStatus::Running | RunStatus::WaitingForConfirmation | RunStatus::Paused | RunStatus::Failed)
            )
    }

    pub fn status(&self) -> Option<RunStatus> {
        self.status.as_ref().map(|s| s.value)
    }

    /// The latest history entry of `stage`.
    pub fn latest(&self, stage: &str) -> Option<&HistoryEntry> {
        self.history.iter().rev().find(|h| h.stage_id.as_ref().is_some_and(|s| s.value == stage))
    }

    pub fn is_completed(&self, stage: &str) -> bool {
        self.completed_stages.iter().any(|s| s.value == stage)
    }
}

/// Reads `.factory/state.json`.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<State> {
    Loaded { path: path.to_string(), text, model: None, diagnostics: Vec::new() }
}
