//! One analysis of one factory root: its loaded files in, every finding out.
//!
//! A `Snapshot` holds each file of the root once loaded (text, model, own
//! findings). Replacing one file re-parses only that file; the cross-file checks
//! then run over the models, which is cheap. When a file has a syntax error, the
//! last good model of it keeps serving the other files' checks, and only its own
//! syntax finding is reported in it (the old model's ranges no longer fit the text).

use std::sync::Arc;

use crate::changes::{Change, GitFacts};
use crate::checks::{self, Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Finding, SeverityOverrides};
use crate::fs_view::FsView;
use crate::model::pipeline::{Facets, Stage, StageEdit};
use crate::model::{agent_settings, evidence, matrix, pipeline, scope, state, Loaded};
use crate::root::Root;
use tollgate_text::TextRange;

mod incremental;
mod read;
#[cfg(test)]
mod tests;

pub use incremental::Analysis;
use read::head_range;
pub use read::{read_text, too_large_message, ReadError, MAX_FILE_BYTES, MAX_MODELLED_BYTES};

/// Which of a root's files a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pipeline,
    Matrix,
    State,
    Scope,
    Evidence,
    ErrorLog,
    /// Claude Code's settings at the root (`agent_settings::FILES`).
    AgentSettings,
    /// Any other YAML or JSON file: checked for syntax and duplicate keys only.
    OtherYaml,
    Other,
}

impl Root {
    pub fn kind_of(&self, rel: &str) -> FileKind {
        let l = &self.layout;
        if rel == l.pipeline {
            FileKind::Pipeline
        } else if rel == l.matrix {
            FileKind::Matrix
        } else if rel == l.state {
            FileKind::State
        } else if rel == l.scope {
            FileKind::Scope
        } else if rel == l.evidence {
            FileKind::Evidence
        } else if rel == l.error_log {
            FileKind::ErrorLog
        } else if agent_settings::is_settings(rel) {
            FileKind::AgentSettings
        } else if [".yaml", ".yml", ".json"].iter().any(|e| rel.ends_with(e)) {
            FileKind::OtherYaml
        } else {
            FileKind::Other
        }
    }
}

/// A loaded file and, when its current text does not parse, the last version that did.
#[derive(Debug)]
pub struct Slot<T> {
    pub current: Arc<Loaded<T>>,
    pub last_good: Option<Arc<Loaded<T>>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot { current: self.current.clone(), last_good: self.last_good.clone() }
    }
}

impl<T> Slot<T> {
    fn new(loaded: Loaded<T>, previous: Option<&Slot<T>>) -> Self {
        let current = Arc::new(loaded);
        let last_good = if current.model.is_some() {
            None
        } else {
            previous.and_then(|p| if p.current.model.is_some() { Some(p.current.clone()) } else { p.last_good.clone() })
        };
        Slot { current, last_good }
    }

    /// The version the checks should read: the current one, or the last good one.
    fn for_checks(&self) -> &Loaded<T> {
        match &self.last_good {
            Some(good) if self.current.model.is_none() => good,
            _ => &self.current,
        }
    }

    fn is_stale(&self) -> bool {
        self.current.model.is_none() && self.last_good.is_some()
    }
}

/// Every file of one root that the checks read, as of some moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub root: Root,
    pub pipeline: Option<Slot<pipeline::Pipeline>>,
    pub matrix: Option<Slot<matrix::Matrix>>,
    pub state: Option<Slot<state::State>>,
    pub scope: Option<Slot<scope::Scope>>,
    pub evidence: Option<Slot<evidence::Evidence>>,
    /// Claude Code's settings files, in `agent_settings::FILES` order.
    pub agent_settings: [Option<Slot<agent_settings::AgentSettings>>; 2],
    /// Where the current pipeline text's stage items lie (None when it has no block
    /// list of stages or no model): lets `set` re-read only the item an edit is in.
    pipeline_layout: Option<Arc<pipeline::Layout>>,
    /// Counts the pipeline's replacements; with `last_edit`, lets an analysis tell
    /// whether the pipeline changed since the previous one by a single stage edit.
    pipeline_gen: u64,
    /// The latest replacement, when it re-read one stage in place: (generation, edit).
    last_edit: Option<(u64, pipeline::StageEdit)>,
}

impl Snapshot {
    pub fn empty(root: Root) -> Self {
        Snapshot {
            root,
            pipeline: None,
            matrix: None,
            state: None,
            scope: None,
            evidence: None,
            agent_settings: [None, None],
            pipeline_layout: None,
            pipeline_gen: 0,
            last_edit: None,
        }
    }

    /// Loads every known file of the root from disk. Unreadable files are returned
    /// as errors and otherwise treated as absent.
    pub fn load(root: Root) -> (Self, Vec<ReadError>) {
        let mut snap = Snapshot::empty(root);
        let mut errors = Vec::new();
        let l = snap.root.layout.clone();
        let settings = agent_settings::FILES.map(String::from);
        for rel in [&l.pipeline, &l.matrix, &l.state, &l.scope, &l.evidence].into_iter().chain(&settings) {
            let path = snap.root.dir.join(rel);
            if let Some(size) = std::fs::metadata(&path).ok().filter(|m| m.is_file()).map(|m| m.len()) {
                if size > MAX_MODELLED_BYTES {
                    // Only its first line is read, to place the finding.
                    let head = crate::changes::read_head(&path).unwrap_or_default();
                    snap.set_too_large(rel, size, &head);
                    errors.push(ReadError { path: rel.clone(), message: too_large_message(size) });
                    continue;
                }
            }
            match read_text(&snap.root.dir, rel) {
                Ok(text) => {
                    snap.set(rel, text);
                }
                Err(message) => {
                    snap.set_unreadable(rel, &message);
                    errors.push(ReadError { path: rel.clone(), message });
                }
            }
        }
        (snap, errors)
    }

    /// Replaces (or, with None, removes) one file's text. Returns false when the
    /// path is not one of the files a snapshot models.
    pub fn set(&mut self, rel: &str, text: Option<Arc<str>>) -> bool {
        fn put<T>(slot: &mut Option<Slot<T>>, text: Option<Arc<str>>, load: impl Fn(Arc<str>) -> Loaded<T>) {
            *slot = text.map(|t| Slot::new(load(t), slot.as_ref()));
        }
        let kind = self.root.kind_of(rel);
        let modelled = matches!(
            kind,
            FileKind::Pipeline
                | FileKind::Matrix
                | FileKind::State
                | FileKind::Scope
                | FileKind::Evidence
                | FileKind::AgentSettings
        );
        if let Some(t) = text.as_ref().filter(|t| modelled && t.len() as u64 > MAX_MODELLED_BYTES) {
            self.set_too_large(rel, t.len() as u64, t.as_bytes());
            return true;
        }
        match kind {
            FileKind::Pipeline => self.set_pipeline(rel, text),
            FileKind::Matrix => put(&mut self.matrix, text, |t| matrix::load(rel, t)),
            FileKind::State => put(&mut self.state, text, |t| state::load(rel, t)),
            FileKind::Scope => put(&mut self.scope, text, |t| scope::load(rel, t)),
            FileKind::Evidence => put(&mut self.evidence, text, |t| evidence::load(rel, t)),
            FileKind::AgentSettings => {
                put(self.settings_slot(rel).expect("a settings file"), text, |t| agent_settings::load(rel, t))
            }
            _ => return false,
        }
        true
    }

    /// A modelled file that exists but cannot be read (not UTF-8, too large): it
    /// has no model, and one finding says why.
    pub fn set_unreadable(&mut self, rel: &str, message: &str) {
        // On its first line where that much can be read (a file that is not UTF-8
        // further on, one over MAX_FILE_BYTES); else at 0..0, there being no text.
        let head = crate::changes::read_head(&self.root.dir.join(rel)).unwrap_or_default();
        let (range, text) = head_range(&head);
        self.put_unparsed(rel, text, range, format!("{rel} cannot be read: {message}"));
    }

    /// A modelled file over [`MAX_MODELLED_BYTES`]: not parsed, one finding on its
    /// first line names its size and the limit. `head`: the file's first bytes
    /// (through its first line ending at least).
    pub fn set_too_large(&mut self, rel: &str, size: u64, head: &[u8]) {
        let (range, text) = head_range(head);
        self.put_unparsed(rel, text, range, format!("{rel} is too large to check: {}", too_large_message(size)));
    }

    /// A modelled file without a model: `text` (what the finding's range lies in) and one finding.
    fn put_unparsed(&mut self, rel: &str, text: Arc<str>, range: TextRange, message: String) {
        fn put<T>(slot: &mut Option<Slot<T>>, rel: &str, text: Arc<str>, diag: Diagnostic) {
            let loaded = Loaded { path: rel.to_string(), text, model: None, diagnostics: vec![diag] };
            *slot = Some(Slot::new(loaded, slot.as_ref()));
        }
        let kind = self.root.kind_of(rel);
        let code = if kind == FileKind::Matrix { Code::MatrixMalformed } else { Code::YamlSyntax };
        let diag = Diagnostic::new(code, range, message);
        match kind {
            FileKind::Pipeline => {
                self.pipeline_gen += 1;
                self.last_edit = None;
                put(&mut self.pipeline, rel, text, diag)
            }
            FileKind::Matrix => put(&mut self.matrix, rel, text, diag),
            FileKind::State => put(&mut self.state, rel, text, diag),
            FileKind::Scope => put(&mut self.scope, rel, text, diag),
            FileKind::Evidence => put(&mut self.evidence, rel, text, diag),
            FileKind::AgentSettings => put(self.settings_slot(rel).expect("a settings file"), rel, text, diag),
            _ => {}
        }
    }

    /// Replaces the pipeline's text. An edit inside one stage item re-reads only that
    /// item (see `pipeline::plan`); the result is the same as a full load.
    fn set_pipeline(&mut self, rel: &str, text: Option<Arc<str>>) {
        self.pipeline_gen += 1;
        self.last_edit = None;
        let Some(text) = text else {
            self.pipeline = None;
            self.pipeline_layout = None;
            return;
        };
        let planned = match (&self.pipeline, &self.pipeline_layout) {
            (Some(slot), Some(layout)) if slot.current.model.is_some() && slot.current.path == rel => {
                pipeline::plan(&slot.current.text, layout, &text)
            }
            _ => None,
        };
        if let Some((plan, slot)) = planned.and_then(|plan| Some((plan, self.pipeline.take()?))) {
            // Reuse the model in place when nothing else holds it; else copy it once.
            let mut loaded = Arc::try_unwrap(slot.current).unwrap_or_else(|shared| Loaded {
                path: shared.path.clone(),
                text: shared.text.clone(),
                model: shared.model.clone(),
                diagnostics: shared.diagnostics.clone(),
            });
            let layout = Arc::make_mut(self.pipeline_layout.as_mut().expect("layout"));
            self.last_edit = pipeline::apply(plan, &mut loaded, layout, text).map(|e| (self.pipeline_gen, e));
            self.pipeline = Some(Slot { current: Arc::new(loaded), last_good: None });
            return;
        }
        let (loaded, layout) = pipeline::load_with_layout(rel, text);
        self.pipeline = Some(Slot::new(loaded, self.pipeline.as_ref()));
        self.pipeline_layout = layout.map(Arc::new);
    }

    /// The text the snapshot holds for a modelled file.
    pub fn text(&self, rel: &str) -> Option<Arc<str>> {
        fn t<T>(slot: &Option<Slot<T>>) -> Option<Arc<str>> {
            slot.as_ref().map(|s| s.current.text.clone())
        }
        match self.root.kind_of(rel) {
            FileKind::Pipeline => t(&self.pipeline),
            FileKind::Matrix => t(&self.matrix),
            FileKind::State => t(&self.state),
            FileKind::Scope => t(&self.scope),
            FileKind::Evidence => t(&self.evidence),
            FileKind::AgentSettings => {
                let i = agent_settings::FILES.iter().position(|f| *f == rel)?;
                t(&self.agent_settings[i])
            }
            _ => None,
        }
    }

    /// The slot of settings file `rel` (one of `agent_settings::FILES`).
    fn settings_slot(&mut self, rel: &str) -> Option<&mut Option<Slot<agent_settings::AgentSettings>>> {
        let i = agent_settings::FILES.iter().position(|f| *f == rel)?;
        Some(&mut self.agent_settings[i])
    }

    pub fn pipeline(&self) -> Option<&pipeline::Pipeline> {
        self.pipeline.as_ref().and_then(|s| s.for_checks().model.as_ref())
    }

    pub fn state(&self) -> Option<&state::State> {
        self.state.as_ref().and_then(|s| s.for_checks().model.as_ref())
    }

    pub fn scope(&self) -> Option<&scope::Scope> {
        self.scope.as_ref().and_then(|s| s.for_checks().model.as_ref())
    }

    pub fn matrix(&self) -> Option<&matrix::Matrix> {
        self.matrix.as_ref().and_then(|s| s.for_checks().model.as_ref())
    }

    /// Is a run active (SPEC 3.2)?
    pub fn run_is_active(&self) -> bool {
        self.state().is_some_and(|s| s.is_active())
    }

    /// Runs every check. `changes` are the changed paths (only read while a run is active).
    pub fn analyze(
        &self,
        fs: &dyn FsView,
        changes: &[Change],
        git: Option<&GitFacts>,
        overrides: &SeverityOverrides,
    ) -> Vec<Finding> {
        let ctx = self.context(fs, changes, git);
        let mut sink = Sink::default();
        checks::run_all(&ctx, &mut sink);
        let mut findings = self.drop_stale(sink.findings);
        own(&self.pipeline, &mut findings);
        self.own_of_others(&mut findings);
        apply_overrides(&mut findings, overrides);
        sort(&mut findings);
        findings
    }

    /// Only the path checks of the edit checks (`unauthorized-write`,
    /// `out-of-scope`) over `changes`, without overrides: what the agent guard
    /// asks before a write (SPEC 8).
    pub fn path_findings(&self, fs: &dyn FsView, changes: &[Change]) -> Vec<Finding> {
        let ctx = self.context(fs, changes, None);
        let mut sink = Sink::default();
        checks::edits::run_path_checks(&ctx, &mut sink);
        sink.findings
    }

    fn context<'a>(&'a self, fs: &'a dyn FsView, changes: &'a [Change], git: Option<&'a GitFacts>) -> Context<'a> {
        Context {
            root: &self.root.dir,
            pipeline: self.pipeline.as_ref().map(Slot::for_checks),
            matrix: self.matrix.as_ref().map(Slot::for_checks),
            state: self.state.as_ref().map(Slot::for_checks),
            scope: self.scope.as_ref().map(Slot::for_checks),
            evidence: self.evidence.as_ref().map(Slot::for_checks),
            // As they are now: nothing else reads them, so a file that does not
            // parse has only its syntax finding (no last good model to fall back on).
            agent_settings: [0, 1].map(|i| self.agent_settings[i].as_ref().map(|s| &*s.current)),
            fs,
            changes: if self.run_is_active() { changes } else { &[] },
            git,
        }
    }

    /// Findings placed in a file whose current text does not parse would point
    /// into an older text: drop them; that file shows its syntax error instead.
    fn drop_stale(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let stale: Vec<&str> = [
            self.pipeline.as_ref().filter(|s| s.is_stale()).map(|s| s.current.path.as_str()),
            self.matrix.as_ref().filter(|s| s.is_stale()).map(|s| s.current.path.as_str()),
            self.state.as_ref().filter(|s| s.is_stale()).map(|s| s.current.path.as_str()),
            self.scope.as_ref().filter(|s| s.is_stale()).map(|s| s.current.path.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        findings.into_iter().filter(|f| !stale.contains(&&*f.path)).collect()
    }

    /// The loaders' own findings of every modelled file but the pipeline.
    fn own_of_others(&self, out: &mut Vec<Finding>) {
        own(&self.matrix, out);
        own(&self.state, out);
        own(&self.scope, out);
        own(&self.evidence, out);
        for slot in &self.agent_settings {
            own(slot, out);
        }
    }
}

fn own<T>(slot: &Option<Slot<T>>, out: &mut Vec<Finding>) {
    if let Some(s) = slot {
        let path: Arc<str> = Arc::from(s.current.path.as_str());
        out.extend(s.current.diagnostics.iter().map(|d| Finding { path: path.clone(), diagnostic: d.clone() }));
    }
}

/// Syntax and duplicate-key findings of a YAML or JSON file the root does not model.
pub fn check_other_yaml(rel: &str, text: &str) -> Vec<Diagnostic> {
    if text.len() as u64 > MAX_MODELLED_BYTES {
        let (range, _) = head_range(text.as_bytes());
        let message = format!("{rel} is too large to check: {}", too_large_message(text.len() as u64));
        return vec![Diagnostic::new(Code::YamlSyntax, range, message)];
    }
    let parsed = tollgate_yaml::parse(text, &tollgate_yaml::Limits::default());
    crate::model::schema::syntax_findings(text, &parsed, rel)
}

pub fn apply_overrides(findings: &mut Vec<Finding>, overrides: &SeverityOverrides) {
    findings.retain_mut(|f| overrides.adjust(&mut f.diagnostic));
}

/// Stable order: by path, then position, then code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let path = if a.is_in(&b.path) { std::cmp::Ordering::Equal } else { a.path.cmp(&b.path) };
        path.then_with(|| {
            let (x, y) = (&a.diagnostic, &b.diagnostic);
            (x.range.start, x.range.end, x.code).cmp(&(y.range.start, y.range.end, y.code))
        })
    });
}

impl Snapshot {
    /// The scope's `base.commit`, when set.
    pub fn scope_base(&self) -> Option<&str> {
        self.scope().and_then(|s| s.base_commit.as_ref()).map(|b| b.value.as_str())
    }

    /// Since when the current stage has been writing (RFC 3339), the reference
    /// outside git: see [`state::State::stage_started`].
    pub fn stage_start_time(&self) -> Option<String> {
        let mtime = std::fs::metadata(self.root.dir.join(&self.root.layout.state)).and_then(|m| m.modified()).ok();
        self.state()?.stage_started(mtime).map(crate::recovery::time::rfc3339_nanos)
    }

    /// Reads git once and, while a run is active, every changed path on disk.
    pub fn gather_changes(&self) -> (Vec<Change>, Option<GitFacts>) {
        let git = GitFacts::gather(&self.root, self.scope_base());
        let changes = if self.run_is_active() {
            crate::changes::changed_paths(&self.root, git.as_ref(), self.stage_start_time().as_deref())
        } else {
            Vec::new()
        };
        (changes, git)
    }
}
