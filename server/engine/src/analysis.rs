//! One analysis of one factory root: its loaded files in, every finding out.
//!
//! A `Snapshot` holds each file of the root once loaded (text, model, own
//! findings). Replacing one file re-parses only that file; the cross-file checks
//! then run over the models, which is cheap. When a file has a syntax error, the
//! last good model of it keeps serving the other files' checks, and only its own
//! syntax finding is reported in it (the old model's ranges no longer fit the text).

use std::path::Path;
use std::sync::Arc;

use crate::changes::{Change, GitFacts};
use crate::checks::{self, Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Finding, SeverityOverrides};
use crate::fs_view::FsView;
use crate::model::pipeline::{Facets, Stage, StageEdit};
use crate::model::{evidence, matrix, pipeline, scope, state, Loaded};
use crate::root::Root;
use tollgate_text::TextRange;

/// Which of a root's files a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pipeline,
    Matrix,
    State,
    Scope,
    Evidence,
    ErrorLog,
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
    /// Where the current pipeline text's stage items lie (None when it has no block
    /// list of stages or no model): lets `set` re-read only the item an edit is in.
    pipeline_layout: Option<Arc<pipeline::Layout>>,
    /// Counts the pipeline's replacements; with `last_edit`, lets an analysis tell
    /// whether the pipeline changed since the previous one by a single stage edit.
    pipeline_gen: u64,
    /// The latest replacement, when it re-read one stage in place: (generation, edit).
    last_edit: Option<(u64, pipeline::StageEdit)>,
}

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub path: String,
    pub message: String,
}

/// Largest file tollgate reads at all (a changed file's text for its
/// diagnostics' positions, an open document's copy on disk); a larger one is
/// reported, not read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Largest file tollgate parses: the files it models (pipeline, matrix, state,
/// scope, evidence, on disk or in an open buffer) and the other YAML and JSON
/// buffers it checks. Parsing costs tens of times the text in memory (a 50 MB
/// pipeline took GBs in a debug build); a larger file gets one finding that
/// names its size and this limit, and its last good model keeps serving.
pub const MAX_MODELLED_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file of `size` bytes is not parsed.
pub fn too_large_message(size: u64) -> String {
    format!("{size} bytes is over tollgate's limit of {MAX_MODELLED_BYTES} bytes (8 MiB) for the files it parses")
}

/// Where the finding on a file too large to parse sits: its first line's content
/// (its line ending when the first line is empty), at most 256 bytes, within the
/// part of `head` that is valid UTF-8. Returns the range and the text it lies in
/// (a prefix of the file, for positions).
fn head_range(head: &[u8]) -> (TextRange, Arc<str>) {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let line_end = valid.find(['\n', '\r']).unwrap_or(valid.len());
    let (start, mut end) = (0, line_end);
    if end == start {
        // An empty first line: mark its line ending.
        end = if valid[start..].starts_with("\r\n") { 2 } else { valid.len().min(1) };
    }
    let mut end = end.min(256);
    while !valid.is_char_boundary(end) {
        end -= 1;
    }
    let range = TextRange::new(start as u32, end as u32);
    let text_end = if valid[end..].starts_with("\r\n") { end + 2 } else { end };
    (range, Arc::from(&valid[..text_end]))
}

/// Reads a root-relative file: Ok(None) when absent, Err when unreadable.
pub fn read_text(root: &Path, rel: &str) -> Result<Option<Arc<str>>, String> {
    let path = root.join(rel);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
        Ok(m) if !m.is_file() => return Ok(None),
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return Err(format!("{} bytes is over tollgate's limit of {MAX_FILE_BYTES} bytes", m.len()))
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(Arc::from(s))),
        Err(_) => Err("the file is not valid UTF-8".to_string()),
    }
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
        for rel in [&l.pipeline, &l.matrix, &l.state, &l.scope, &l.evidence] {
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
            FileKind::Pipeline | FileKind::Matrix | FileKind::State | FileKind::Scope | FileKind::Evidence
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
            _ => None,
        }
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
    }
}

fn own<T>(slot: &Option<Slot<T>>, out: &mut Vec<Finding>) {
    if let Some(s) = slot {
        let path: Arc<str> = Arc::from(s.current.path.as_str());
        out.extend(s.current.diagnostics.iter().map(|d| Finding { path: path.clone(), diagnostic: d.clone() }));
    }
}

/// A finished analysis and what it was computed from, so that the next one can
/// start from it: a keystroke inside one stage of a 5,000-stage pipeline then
/// re-checks that stage, not all of them (`Snapshot::analyze_since`).
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Sorted as `analyze` sorts them.
    pub findings: Arc<Vec<Finding>>,
    /// Was it made from the previous one (rather than by a full analysis)?
    pub reused: bool,
    basis: Basis,
}

/// Everything but the pipeline that an analysis read, held (not just pointed at)
/// so that a freed model's address can never be mistaken for the same model.
#[derive(Clone, Debug)]
struct Basis {
    pipeline_gen: u64,
    pipeline_path: Option<String>,
    others: Vec<Option<Arc<dyn std::any::Any + Send + Sync>>>,
    fs_epoch: Option<u64>,
    git: Option<GitFacts>,
    overrides: SeverityOverrides,
}

impl Basis {
    fn same_inputs(&self, other: &Basis) -> bool {
        let same_arcs = self.others.len() == other.others.len()
            && self.others.iter().zip(&other.others).all(|(a, b)| match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            });
        same_arcs
            && self.fs_epoch.is_some()
            && self.fs_epoch == other.fs_epoch
            && self.pipeline_path == other.pipeline_path
            && self.git == other.git
            && self.overrides == other.overrides
    }
}

impl Snapshot {
    /// (The changed paths are not part of it: they are read only while a run is
    /// active, and then nothing is reused; whether a run is active is the state's.)
    fn basis(&self, fs: &dyn FsView, git: Option<&GitFacts>, o: &SeverityOverrides) -> Basis {
        fn held<T: Send + Sync + 'static>(slot: &Option<Slot<T>>) -> [Option<Arc<dyn std::any::Any + Send + Sync>>; 2] {
            match slot {
                None => [None, None],
                Some(s) => [
                    Some(s.current.clone() as Arc<dyn std::any::Any + Send + Sync>),
                    s.last_good.clone().map(|g| g as Arc<dyn std::any::Any + Send + Sync>),
                ],
            }
        }
        let mut others = Vec::with_capacity(8);
        others.extend(held(&self.matrix));
        others.extend(held(&self.state));
        others.extend(held(&self.scope));
        others.extend(held(&self.evidence));
        Basis {
            pipeline_gen: self.pipeline_gen,
            pipeline_path: self.pipeline.as_ref().map(|s| s.current.path.clone()),
            others,
            fs_epoch: fs.epoch(),
            git: git.cloned(),
            overrides: o.clone(),
        }
    }

    /// `analyze`, starting from the previous analysis when it can: when the only
    /// change since is one stage re-read in place (`pipeline::apply`) that kept its
    /// id, outputs and permissions, and no run is active (the live checks read the
    /// whole changed-path picture), only that stage's findings are made again; the
    /// others move with the text. Otherwise a full analysis. Same result either way
    /// (tested against `analyze` on random edits).
    pub fn analyze_since(
        &self,
        prev: Option<Analysis>,
        fs: &dyn FsView,
        changes: &[Change],
        git: Option<&GitFacts>,
        overrides: &SeverityOverrides,
    ) -> Analysis {
        let basis = self.basis(fs, git, overrides);
        if let Some(findings) = prev.and_then(|prev| self.reuse(prev, &basis, fs, git, overrides)) {
            return Analysis { findings: Arc::new(findings), reused: true, basis };
        }
        Analysis { findings: Arc::new(self.analyze(fs, changes, git, overrides)), reused: false, basis }
    }

    fn reuse(
        &self,
        prev: Analysis,
        basis: &Basis,
        fs: &dyn FsView,
        git: Option<&GitFacts>,
        overrides: &SeverityOverrides,
    ) -> Option<Vec<Finding>> {
        if !prev.basis.same_inputs(basis) || self.run_is_active() {
            return None;
        }
        if prev.basis.pipeline_gen == self.pipeline_gen {
            return Some(Arc::try_unwrap(prev.findings).unwrap_or_else(|shared| (*shared).clone()));
        }
        let (gen, edit) = self.last_edit.as_ref()?;
        if *gen != self.pipeline_gen || prev.basis.pipeline_gen + 1 != *gen {
            return None;
        }
        let slot = self.pipeline.as_ref()?;
        let loaded = &slot.current;
        let stages = &loaded.model.as_ref()?.stages;
        let stage = stages.get(edit.stage)?;
        if slot.last_good.is_some() {
            return None;
        }
        let facets = edit.changed_facets(stage)?;
        // Other stages whose findings may change with this one.
        let affected = affected_stages(stages, edit, stage, &facets)?;

        let path = loaded.path.as_str();
        // This file's findings share one path (see `Sink`): compared by pointer.
        let here: Arc<str> =
            prev.findings.iter().find(|f| *f.path == *path).map_or_else(|| Arc::from(path), |f| f.path.clone());
        let new_end = u32::try_from(i64::from(edit.old_end) + edit.delta).ok()?;
        let mut findings = Arc::try_unwrap(prev.findings).unwrap_or_else(|shared| (*shared).clone());
        // The old stage's findings go; later ones move with the text. A finding that
        // straddles the stage's bounds cannot be placed: start afresh then.
        let mut straddles = false;
        findings.retain_mut(|f| {
            if !f.is_in(&here) {
                return !facets.files;
            }
            let r = &mut f.diagnostic.range;
            if r.start >= edit.old_end {
                r.start = (i64::from(r.start) + edit.delta) as u32;
                r.end = (i64::from(r.end) + edit.delta) as u32;
            } else if r.start >= edit.start {
                straddles |= r.end > edit.old_end;
                return false;
            } else {
                straddles |= r.end > edit.start;
            }
            // An affected stage's check findings are made again below.
            let at = r.start;
            !(checks::STAGE_CODES.contains(&f.diagnostic.code)
                && affected.iter().any(|&k| stages[k].range.contains(at)))
        });
        if straddles {
            return None;
        }
        // Made again: the edited stage's own findings and checks, the affected
        // stages' checks, and (when ids or outputs changed) the other files' findings.
        let mut fresh: Vec<Finding> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.range.start >= edit.start && d.range.start < new_end)
            .map(|d| Finding { path: here.clone(), diagnostic: d.clone() })
            .collect();
        let ctx = self.context(fs, &[], git);
        let mut sink = Sink::with_path(here.clone());
        checks::run_stage(&ctx, edit.stage, &mut sink);
        for &k in &affected {
            checks::run_stage(&ctx, k, &mut sink);
        }
        let in_place = |f: &Finding| {
            f.is_in(&here)
                && ((f.diagnostic.range.start >= edit.start && f.diagnostic.range.end <= new_end)
                    || affected.iter().any(|&k| stages[k].range.contains(f.diagnostic.range.start)))
        };
        if !sink.findings.iter().all(in_place) {
            return None;
        }
        fresh.extend(sink.findings);
        if facets.files {
            let mut sink = Sink::default();
            checks::run_files(&ctx, &mut sink);
            if sink.findings.iter().any(|f| f.is_in(&here)) {
                return None;
            }
            fresh.extend(self.drop_stale(sink.findings));
            self.own_of_others(&mut fresh);
        }
        apply_overrides(&mut fresh, overrides);
        findings.extend(fresh);
        // Mostly sorted runs: a stable merge sort is near linear here.
        sort(&mut findings);
        Some(findings)
    }
}

/// The stages other than the edited one whose check findings may change: those
/// sharing its old or new id (duplicates, and whose permissions count), and the
/// later ones with an input its old or new outputs provide. None when too many
/// (or when whether any stage has `permissions.write` may have changed): then a
/// full analysis is as cheap.
fn affected_stages(stages: &[Stage], edit: &StageEdit, now: &Stage, f: &Facets) -> Option<Vec<usize>> {
    const MOST: usize = 64;
    let mut out = Vec::new();
    if f.id || f.permissions {
        let ids: Vec<&str> = [&edit.old.id, &now.id].into_iter().flatten().map(|i| i.value.as_str()).collect();
        for (k, s) in stages.iter().enumerate() {
            if k != edit.stage && s.id.as_ref().is_some_and(|i| ids.contains(&i.value.as_str())) {
                out.push(k);
            }
        }
    }
    if f.outputs {
        let outs: Vec<&str> = edit.old.outputs.iter().chain(&now.outputs).map(|o| o.value.as_str()).collect();
        for (k, s) in stages.iter().enumerate().skip(edit.stage + 1) {
            if s.inputs.iter().any(|i| outs.iter().any(|o| checks::output_provides(o, &i.value))) {
                out.push(k);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    (out.len() <= MOST).then_some(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs_view::DiskFs;

    fn fixture() -> (Snapshot, DiskFs) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
        let (snap, errors) = Snapshot::load(Root::at(&dir).expect("root"));
        assert!(errors.is_empty(), "{errors:?}");
        (snap, DiskFs::new(dir))
    }

    /// After each `set`, the snapshot answers exactly as one loaded afresh with that text.
    #[test]
    fn pipeline_edits_give_what_a_fresh_load_gives() {
        let (mut snap, fs) = fixture();
        let rel = snap.root.layout.pipeline.clone();
        let none = SeverityOverrides::default();
        let base = snap.text(&rel).expect("text");
        let edits = [
            base.replacen("agents/prd.agent.md", "agents/prd2.agent.md", 1),
            base.replacen("      - artifacts/prd/prd.md\n", "      - artifacts/prd/prd.md\n      - x/\n", 1),
            base.replacen("action: pause", "action: paus", 1),
            base.replacen("  - id: ui\n", "  - id: [broken\n", 1),
            base.replacen("  - id: ui\n", "  - id: ui\n    agnet: x\n", 1),
            base.replacen("\nstages:\n", "\nstage:\n", 1),
            base.replacen("    agent: agents/prd.agent.md\n", "", 1),
            base.to_string(),
        ];
        for text in edits {
            let before = snap.pipeline.as_ref().map(|s| s.current.clone());
            snap.set(&rel, Some(text.as_str().into()));
            let mut fresh = Snapshot { pipeline: None, pipeline_layout: None, ..snap.clone() };
            // A fresh load that saw the same previous text keeps the same last good model.
            fresh.pipeline = before.map(|current| Slot { current, last_good: None });
            fresh.pipeline_layout = None;
            fresh.set(&rel, Some(text.as_str().into()));
            assert_eq!(snap.pipeline(), fresh.pipeline(), "model");
            assert_eq!(snap.analyze(&fs, &[], None, &none), fresh.analyze(&fs, &[], None, &none), "findings");
            let (loaded, layout) = pipeline::load_with_layout(&rel, text.as_str().into());
            assert_eq!(snap.pipeline.as_ref().map(|s| &s.current.diagnostics), Some(&loaded.diagnostics));
            assert_eq!(snap.pipeline_layout.as_deref(), layout.as_ref());
        }
    }

    /// `analyze_since` equals a full `analyze` after every one of many random edits
    /// inside stages (ids, outputs, inputs, agents, permissions), with a matrix and
    /// an idle run's state that read ids and outputs; most take the reuse path.
    #[test]
    fn analyze_since_equals_a_full_analysis_after_random_edits() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example");
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&src, dir.path());
        let state = std::fs::read_to_string(dir.path().join(".factory/state.json")).expect("state");
        std::fs::write(dir.path().join(".factory/state.json"), state.replace("\"running\"", "\"idle\""))
            .expect("write");
        let (mut snap, errors) = Snapshot::load(Root::at(dir.path()).expect("root"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!snap.run_is_active());
        let fs = DiskFs::new(dir.path());
        let none = SeverityOverrides::default();
        let rel = snap.root.layout.pipeline.clone();
        let mut text = snap.text(&rel).expect("pipeline").to_string();
        let ids: Vec<String> = snap.pipeline().expect("model").stage_ids().map(str::to_string).collect();
        let first_stage = text.find("\n  - ").expect("a stage") + 1;

        let mut seed = 11u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n.max(1)
        };
        let mut prev = Some(snap.analyze_since(None, &fs, &[], None, &none));
        let (mut reused, mut steps) = (0, 0);
        for _ in 0..1500 {
            // A value somewhere in the stages: after a `: ` or a `- `.
            let starts: Vec<usize> = text[first_stage..]
                .match_indices(": ")
                .chain(text[first_stage..].match_indices("- "))
                .map(|(i, m)| first_stage + i + m.len())
                .collect();
            let at = starts[next(starts.len())];
            let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
            let col = at + next(end - at + 1);
            if !text.is_char_boundary(col) {
                continue;
            }
            match next(6) {
                0 if col < end => {
                    text.remove(col);
                }
                1 => {
                    // A whole value becomes another stage's id (duplicates, firsts).
                    let id = &ids[next(ids.len())];
                    text.replace_range(at..end, id);
                }
                2 if next(8) == 0 => text.insert(col, '\n'),
                _ => text.insert(col, ['a', 'x', '-', '/', '.', 'd'][next(6)]),
            }
            snap.set(&rel, Some(Arc::from(text.as_str())));
            let got = snap.analyze_since(prev.take(), &fs, &[], None, &none);
            let want = snap.analyze(&fs, &[], None, &none);
            assert_eq!(*got.findings, want, "after an edit at {col} (reused: {})\n{text}", got.reused);
            steps += 1;
            reused += usize::from(got.reused);
            prev = Some(got);
            if snap.pipeline.as_ref().is_some_and(|s| s.current.model.is_none()) || next(50) == 0 {
                // Back to the original now and then, so edits do not pile up.
                text = std::fs::read_to_string(dir.path().join(&rel)).expect("read");
                snap.set(&rel, Some(Arc::from(text.as_str())));
                prev = Some(snap.analyze_since(prev.take(), &fs, &[], None, &none));
            }
        }
        assert!(reused * 2 > steps, "only {reused} of {steps} edits reused the previous analysis");
    }

    fn copy_dir(from: &Path, to: &Path) {
        for e in std::fs::read_dir(from).expect("read_dir").flatten() {
            let (src, dst) = (e.path(), to.join(e.file_name()));
            if src.is_dir() {
                std::fs::create_dir_all(&dst).expect("mkdir");
                copy_dir(&src, &dst);
            } else {
                std::fs::copy(&src, &dst).expect("copy");
            }
        }
    }
}
