//! Every cross-file check: one folder per theme, one file per code
//! (`missing-output` is in `state/missing_output.rs`). Per-file format checks
//! (syntax, keys, values) are made by the loaders in `crate::model`.

pub mod agent_settings;
pub mod edits;
pub mod git;
pub mod permissions;
pub mod pipeline;
pub mod scope;
pub mod state;

use std::path::Path;

use crate::changes::{Change, GitFacts};
use crate::diagnostic::{Diagnostic, Finding};
use crate::fs_view::FsView;
use crate::model::agent_settings::AgentSettings;
use crate::model::evidence::Evidence;
use crate::model::matrix::Matrix;
use crate::model::pipeline::Pipeline;
use crate::model::scope::Scope;
use crate::model::state::State;
use crate::model::Loaded;

/// Everything a check may read.
pub struct Context<'a> {
    pub root: &'a Path,
    pub pipeline: Option<&'a Loaded<Pipeline>>,
    pub matrix: Option<&'a Loaded<Matrix>>,
    pub state: Option<&'a Loaded<State>>,
    pub scope: Option<&'a Loaded<Scope>>,
    pub evidence: Option<&'a Loaded<Evidence>>,
    /// Claude Code's settings at the root (`agent_settings::FILES` order), as they are now.
    pub agent_settings: [Option<&'a Loaded<AgentSettings>>; 2],
    pub fs: &'a dyn FsView,
    /// Changed paths while a run is active (empty otherwise).
    pub changes: &'a [Change],
    /// Facts read from git (None outside git).
    pub git: Option<&'a GitFacts>,
}

impl<'a> Context<'a> {
    pub fn pipeline(&self) -> Option<(&'a Loaded<Pipeline>, &'a Pipeline)> {
        self.pipeline.and_then(|l| l.model.as_ref().map(|m| (l, m)))
    }
    pub fn matrix(&self) -> Option<(&'a Loaded<Matrix>, &'a Matrix)> {
        self.matrix.and_then(|l| l.model.as_ref().map(|m| (l, m)))
    }
    pub fn state(&self) -> Option<(&'a Loaded<State>, &'a State)> {
        self.state.and_then(|l| l.model.as_ref().map(|m| (l, m)))
    }
    pub fn scope(&self) -> Option<(&'a Loaded<Scope>, &'a Scope)> {
        self.scope.and_then(|l| l.model.as_ref().map(|m| (l, m)))
    }
    pub fn evidence(&self) -> Option<(&'a Loaded<Evidence>, &'a Evidence)> {
        self.evidence.and_then(|l| l.model.as_ref().map(|m| (l, m)))
    }
}

/// For the checks' tests: a context with no file loaded, no change, no git, under
/// a root that does not exist; a test fills in what it checks
/// (`Context { scope: Some(&s), ..Context::bare(&NoFs) }`).
#[cfg(test)]
impl<'a> Context<'a> {
    pub(crate) fn bare(fs: &'a dyn FsView) -> Self {
        Context {
            root: Path::new("/nonexistent"),
            pipeline: None,
            matrix: None,
            state: None,
            scope: None,
            evidence: None,
            agent_settings: [None, None],
            fs,
            changes: &[],
            git: None,
        }
    }
}

/// For the checks' tests: a disk where nothing exists.
#[cfg(test)]
pub(crate) struct NoFs;

#[cfg(test)]
impl FsView for NoFs {
    fn exists(&self, _: &str) -> bool {
        false
    }
}

/// Where checks put their findings.
#[derive(Default, Debug)]
pub struct Sink {
    pub findings: Vec<Finding>,
    /// The last path pushed: a file's findings share one allocation.
    path: Option<std::sync::Arc<str>>,
}

impl Sink {
    /// A sink whose findings in `path` share that allocation.
    pub fn with_path(path: std::sync::Arc<str>) -> Self {
        Sink { findings: Vec::new(), path: Some(path) }
    }

    pub fn push(&mut self, path: &str, diagnostic: Diagnostic) {
        let shared = match &self.path {
            Some(p) if **p == *path => p.clone(),
            _ => self.path.insert(std::sync::Arc::from(path)).clone(),
        };
        self.findings.push(Finding { path: shared, diagnostic });
    }
}

/// Runs every cross-file check: those that report inside pipeline stages, then the rest.
pub fn run_all(ctx: &Context, sink: &mut Sink) {
    pipeline::run(ctx, sink);
    permissions::run_stages(ctx, sink);
    run_files(ctx, sink);
}

/// The checks that do not report inside pipeline stages while no run is active
/// (state, matrix rows, scope, git, and the live edit checks).
pub fn run_files(ctx: &Context, sink: &mut Sink) {
    state::run(ctx, sink);
    permissions::run_files(ctx, sink);
    scope::run(ctx, sink);
    git::run(ctx, sink);
    edits::run(ctx, sink);
    agent_settings::run(ctx, sink);
}

/// The codes `run_stage` makes.
pub const STAGE_CODES: &[crate::diagnostic::Code] = &[
    crate::diagnostic::Code::DuplicateStage,
    crate::diagnostic::Code::AgentNotFound,
    crate::diagnostic::Code::InputNotProduced,
    crate::diagnostic::Code::OutputOutsidePermissions,
    crate::diagnostic::Code::MatrixMissingStage,
];

pub use pipeline::output_provides;

/// Every check that reports inside a stage of the pipeline, for the stage at
/// `index` alone: what an edit inside that stage, which left its id, outputs and
/// permissions alone, can change (while no run is active; `analysis` decides).
pub fn run_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    pipeline::run_stage(ctx, index, sink);
    permissions::run_stage(ctx, index, sink);
}
