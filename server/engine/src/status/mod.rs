//! The run as a person asks about it: stage, status, attempts against the
//! limit, each blocker with its class, subject, return point and next step.
//! Plain data; `tollgate status` prints it (text or JSON) and every other
//! picture of the run is drawn from it.

mod next;
mod paused;
mod stages;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tollgate_text::{LineIndex, PositionEncoding};

pub use next::{is_command, next_step, shell_quote};
pub use stages::{Archived, FileView, Folder, StageState, StageView, FAILED_DIR, MAX_FILES, UNTRUSTED_DIR};

use crate::analysis::{read_text, Snapshot};
use crate::model::pipeline::DEFAULT_MAX_ATTEMPTS;
use crate::{Finding, Severity};

/// What `tollgate status --format json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub root: String,
    pub pipeline: Option<String>,
    pub stage: Option<String>,
    pub status: Option<&'static str>,
    pub active: bool,
    pub attempts: Option<u32>,
    pub max_attempts: u32,
    pub completed: Option<Vec<String>>,
    pub blockers: Vec<Entry>,
    pub warnings: Vec<Entry>,
    pub next: Option<String>,
    /// Every stage in pipeline order (then those only the run state names).
    pub stages: Vec<StageView>,
}

/// One blocker (an error) or warning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub code: &'static str,
    pub severity: &'static str,
    pub class: &'static str,
    pub return_to: &'static str,
    pub subject: String,
    pub path: String,
    /// 1-based.
    pub line: u32,
    pub message: String,
    pub next: String,
}

impl Report {
    pub fn build(snapshot: &Snapshot, findings: &[Finding]) -> Report {
        let mut lines = Lines { snapshot, texts: HashMap::new() };
        let state = snapshot.state();
        let stage = state.and_then(|s| s.current_stage.as_ref()).map(|s| s.value.clone());
        // Counted from the history (the automatic retry shows attempt 2 before it is recorded).
        let max_attempts = snapshot.pipeline().map(|p| p.max_attempts).unwrap_or(DEFAULT_MAX_ATTEMPTS);
        let attempts = stage.as_deref().and_then(|id| state?.current_attempt(id, max_attempts));
        let mut entry = |f: &Finding| {
            let d = &f.diagnostic;
            let blocker = d.code.blocker();
            let line = lines.line(f) + 1;
            Entry {
                code: d.code.as_str(),
                severity: d.severity.as_str(),
                class: blocker.class.as_str(),
                return_to: blocker.return_to.as_str(),
                subject: next::subject(f, snapshot),
                path: f.path.to_string(),
                line,
                message: d.message.clone(),
                next: next::blocker_next(f, line),
            }
        };
        let errors: Vec<&Finding> = findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).collect();
        let blockers: Vec<Entry> = errors.iter().map(|f| entry(f)).collect();
        let warnings: Vec<Entry> =
            findings.iter().filter(|f| f.diagnostic.severity == Severity::Warning).map(&mut entry).collect();
        // A person's decision comes first (the failure policy stops the automation);
        // then the first blocker that a recovery command clears; then the first blocker.
        let next = blockers
            .iter()
            .find(|b| b.class == "intervention")
            .or_else(|| blockers.iter().find(|b| b.next.starts_with("tollgate recover ")))
            .or(blockers.first())
            .map(|b| b.next.clone());
        // A paused run waits for a person: resume or return to Build (SPEC 9).
        let next = paused::paused_next(snapshot, findings).or(next);
        Report {
            root: snapshot.root.dir.display().to_string(),
            pipeline: snapshot.pipeline.as_ref().map(|p| p.current.path.clone()),
            stage,
            status: state.and_then(|s| s.status()).map(|s| s.as_str()),
            active: snapshot.run_is_active(),
            attempts,
            max_attempts,
            completed: state.map(|s| s.completed_stages.iter().map(|c| c.value.clone()).collect()),
            blockers,
            warnings,
            next,
            stages: stages::stages(
                snapshot,
                &errors.iter().map(|f| f.diagnostic.data.stage.clone()).collect::<Vec<_>>(),
            ),
        }
    }

    /// The JSON object (keys in alphabetical order, as `serde_json` maps keep them).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn is_blocked(&self) -> bool {
        !self.blockers.is_empty()
    }
}

/// Line numbers of findings: a modelled file's text as the snapshot holds it,
/// any other file as it is on disk, each indexed once.
struct Lines<'a> {
    snapshot: &'a Snapshot,
    texts: HashMap<Arc<str>, (Arc<str>, LineIndex)>,
}

impl Lines<'_> {
    /// The 0-based line of a finding's start; a deleted or unreadable file has line 0.
    fn line(&mut self, f: &Finding) -> u32 {
        let (text, index) = self.texts.entry(f.path.clone()).or_insert_with(|| {
            let text = self
                .snapshot
                .text(&f.path)
                .or_else(|| read_text(&self.snapshot.root.dir, &f.path).ok().flatten())
                .unwrap_or_else(|| Arc::from(""));
            let index = LineIndex::new(&text);
            (text, index)
        });
        index.position(text, f.diagnostic.range.start, PositionEncoding::Utf8).line
    }
}
