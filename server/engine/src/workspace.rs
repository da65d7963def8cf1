//! One factory root, live: its files (with open buffers in place of the disk),
//! the changed paths on disk, the git facts, the baseline outside git and the
//! last analysis. The language server keeps one per root and feeds it changes;
//! `tollgate check`, `status` and the agent hook make one, scan it once and ask
//! it the same question, so the server and the CLI answer alike by construction.
//!
//! Changes come in through a small API: a file's text (`set`), a file event
//! (`file_changed`), a scan's result (`scan_done`); `analyze` answers.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::analysis::{read_text, Analysis, FileKind, ReadError, Snapshot};
use crate::changes::{self, Change, GitFacts};
use crate::diagnostic::SeverityOverrides;
use crate::fs_view::CachedFs;
use crate::root::{self, Root};
use crate::Finding;

/// Past this many files changed at once, one scan of the root is cheaper than a
/// git call for each.
const MANY: usize = 64;

pub struct Workspace {
    pub root: Root,
    /// The root's files, with open buffers in place of the disk.
    pub snapshot: Snapshot,
    /// Changed paths on disk (git or mtimes), by root-relative path.
    pub disk_changes: BTreeMap<String, Change>,
    pub git: Option<GitFacts>,
    pub fs: CachedFs,
    /// Has the changed-path scan run since the run's facts last changed?
    scanned: bool,
    /// The latest analysis, which the next one starts from.
    last: Option<Analysis>,
    /// Outside git: every file at the first scan, so later appearances and
    /// disappearances count as creations and deletions.
    baseline: Option<HashSet<String>>,
    /// In git: files whose change is to be read again, gathered over a batch of
    /// file events and read at the next analysis (see `recheck`).
    recheck: Vec<String>,
    /// Files that changed while the picture was due to be scanned again (the scan
    /// may have read them before): read again once its result is in.
    during_scan: Vec<String>,
    /// More of those than are worth reading one by one: scan once more.
    scan_again: bool,
}

/// An open buffer of the root that differs from its file on disk.
pub struct Buffer<'a> {
    pub rel: String,
    /// The file on disk (None: not there).
    pub disk: Option<&'a str>,
    pub text: &'a str,
}

/// What a full changed-path scan found: computed off any lock from a snapshot
/// (`scan`), then handed to the workspace (`scan_done`).
pub struct Scan {
    pub changes: Vec<Change>,
    pub git: Option<GitFacts>,
    pub baseline: Option<HashSet<String>>,
}

/// Reads git once and, while a run is active, every changed path on disk; outside
/// git also the listing that later file events are compared with.
pub fn scan(snapshot: &Snapshot) -> Scan {
    let started = std::time::Instant::now();
    let git = GitFacts::gather(&snapshot.root, snapshot.scope_base());
    let since = snapshot.stage_start_time();
    let (changes, baseline) = match (&git, snapshot.run_is_active()) {
        (_, false) => (Vec::new(), None),
        (Some(_), true) => (changes::changed_paths(&snapshot.root, git.as_ref(), since.as_deref()), None),
        // Only files untouched since the stage started are what was there before it:
        // removing one the run wrote (a quarantine, say) deletes nothing. (Birth times
        // are not on every file system, so a creation may read as a change.)
        (None, true) => {
            let (changes, before) = changes::outside_git(&snapshot.root, since.as_deref());
            (changes, Some(before))
        }
    };
    tracing::info!(
        "changed-path scan of {}: {} paths in {:?}",
        snapshot.root.dir.display(),
        changes.len(),
        started.elapsed()
    );
    Scan { changes, git, baseline }
}

impl Workspace {
    /// Loads the root's files from disk; nothing is scanned yet.
    pub fn load(root: Root) -> (Self, Vec<ReadError>) {
        let (snapshot, errors) = Snapshot::load(root.clone());
        let ws = Workspace {
            fs: CachedFs::new(&root.dir),
            root,
            snapshot,
            disk_changes: BTreeMap::new(),
            git: None,
            scanned: false,
            last: None,
            baseline: None,
            recheck: Vec::new(),
            during_scan: Vec::new(),
            scan_again: false,
        };
        (ws, errors)
    }

    /// Loads and scans at once: what a one-shot command (`check`, `status`) needs.
    pub fn load_scanned(root: Root) -> (Self, Vec<ReadError>) {
        let (mut ws, errors) = Workspace::load(root);
        ws.scan_now();
        (ws, errors)
    }

    /// Scans here and now, for a one-shot command (which has no later events to
    /// compare with a listing, so none is kept).
    pub fn scan_now(&mut self) {
        let s = scan(&self.snapshot);
        self.scan_done(Scan { baseline: None, ..s });
    }

    /// A file of the root has this text now (an open buffer, or the disk's again
    /// when it closes; None: absent).
    pub fn set(&mut self, rel: &str, text: Option<Arc<str>>) {
        self.put(rel, |snapshot| {
            snapshot.set(rel, text);
        });
    }

    /// Changes one file of the snapshot; when it is one that decides the disk
    /// picture (the state, the scope), a run that began or ended, or a base that
    /// moved, asks for a new scan. (Only those two are compared: a keystroke in
    /// `pipeline.yaml` reads no run facts, and they stat the state file.)
    fn put(&mut self, rel: &str, change: impl FnOnce(&mut Snapshot)) {
        if !matches!(self.root.kind_of(rel), FileKind::State | FileKind::Scope) {
            change(&mut self.snapshot);
            return;
        }
        let before = run_facts(&self.snapshot);
        change(&mut self.snapshot);
        if run_facts(&self.snapshot) != before {
            self.scanned = false;
        }
    }

    /// A file changed on disk (created, changed or deleted): updates only what it
    /// touches. `read` is its text now (or why it cannot be read); `open`: an
    /// editor holds it, and its buffer, not the disk, is the root's copy.
    pub fn file_changed(&mut self, path: &Path, read: &Result<Option<Arc<str>>, String>, open: bool) {
        self.fs.clear();
        let Some(rel) = self.root.relative(path) else { return };
        if rel.is_empty() {
            // The root folder itself (created, moved, touched): read everything again.
            self.scanned = false;
            return;
        }
        if !open && self.root.kind_of(&rel) != FileKind::Other {
            self.put(&rel, |snapshot| match read {
                Err(message) => snapshot.set_unreadable(&rel, message),
                Ok(disk) => {
                    snapshot.set(&rel, disk.clone());
                }
            });
        }
        if rel == ".gitignore" || rel.ends_with("/.gitignore") {
            // What git ignores changed: every untracked path may have changed.
            self.scanned = false;
        }
        if rel == ".git" || rel.starts_with(".git/") {
            // HEAD moved (a commit, a checkout): the base changed for every path.
            if rel == ".git/HEAD" || rel.starts_with(".git/refs/") {
                self.scanned = false;
            }
            return;
        }
        if !self.snapshot.run_is_active() || root::is_control(&rel) {
            return;
        }
        if self.scanned {
            self.path_event(rel, path);
        } else if self.during_scan.len() < MANY {
            // A scan is due or under way, and it may have read the disk before this
            // event: the path is read again once the scan's result is in.
            self.during_scan.push(rel);
        } else {
            self.scan_again = true;
        }
    }

    /// What one file event changes in the picture (the scan having run).
    fn path_event(&mut self, rel: String, path: &Path) {
        let since = self.snapshot.stage_start_time();
        let prefix = format!("{rel}/");
        let had_children =
            self.disk_changes.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix));
        if path.is_dir() || had_children {
            self.disk_changes.retain(|k, _| !k.starts_with(&prefix));
            for c in changes::changes_under(&self.root, self.git.as_ref(), since.as_deref(), &rel) {
                self.disk_changes.insert(c.path.clone(), c);
            }
        } else if self.git.is_some() {
            self.recheck.push(rel);
        } else {
            let change = changes::status_of(&self.root, self.git.as_ref(), since.as_deref(), &rel)
                .or_else(|| changes::against_baseline(self.baseline.as_ref()?, &rel, path));
            match change {
                Some(c) => self.disk_changes.insert(rel, c),
                None => self.disk_changes.remove(&rel),
            };
        }
    }

    /// The changed-path picture must be read again from scratch.
    pub fn mark_unscanned(&mut self) {
        self.scanned = false;
    }

    pub fn needs_scan(&self) -> bool {
        !self.scanned
    }

    /// A scan's result replaces the changed-path picture.
    pub fn scan_done(&mut self, scan: Scan) {
        self.baseline = scan.baseline;
        self.disk_changes = scan.changes.into_iter().map(|c| (c.path.clone(), c)).collect();
        self.git = scan.git;
        self.scanned = true;
        self.fs.clear();
        // Events that came while it ran: each path read again, or, past a few
        // dozen, one more scan.
        if std::mem::take(&mut self.scan_again) {
            self.during_scan.clear();
            self.scanned = false;
            return;
        }
        for rel in std::mem::take(&mut self.during_scan) {
            let path = self.root.dir.join(&rel);
            self.path_event(rel, &path);
        }
    }

    /// Every finding of the root now, the open buffers that differ from the disk
    /// counted as changes (and winning over the disk's view of the same path).
    /// Starts from the previous analysis where it can (`Snapshot::analyze_since`).
    pub fn analyze(&mut self, buffers: &[Buffer], overrides: &SeverityOverrides) -> Arc<Vec<Finding>> {
        self.read_rechecks();
        let mut all = self.disk_changes.clone();
        for b in buffers {
            if root::is_control(&b.rel) {
                continue;
            }
            if let Some(mut c) = Change::of_buffer(b.rel.clone(), b.disk, b.text) {
                // A file that is new against the git base stays a creation while edited.
                if let Some(disk) = all.get(&b.rel) {
                    c.op = disk.op;
                }
                all.insert(b.rel.clone(), c);
            }
        }
        let changes: Vec<Change> = all.into_values().collect();
        let started = std::time::Instant::now();
        let analysis = self.snapshot.analyze_since(self.last.take(), &self.fs, &changes, self.git.as_ref(), overrides);
        tracing::debug!("engine: {:?} (reused: {})", started.elapsed(), analysis.reused);
        let findings = analysis.findings.clone();
        self.last = Some(analysis);
        findings
    }

    /// The latest analysis's findings (None before the first): what the code
    /// actions of the failure policy are planned from.
    pub fn last_findings(&self) -> Option<Arc<Vec<Finding>>> {
        self.last.as_ref().map(|a| a.findings.clone())
    }

    /// One analysis for a one-shot command, which has no next one to start from.
    pub fn into_findings(mut self, overrides: &SeverityOverrides) -> (Snapshot, Vec<Finding>) {
        let findings = self.analyze(&[], overrides);
        self.last = None;
        (self.snapshot, Arc::try_unwrap(findings).unwrap_or_else(|shared| (*shared).clone()))
    }

    /// The text of a root file: the root's copy, else the disk's.
    pub fn text(&self, rel: &str) -> Option<Arc<str>> {
        self.snapshot.text(rel).or_else(|| read_text(&self.root.dir, rel).ok().flatten())
    }

    /// Reads again the changes of the files `file_changed` gathered (in git). Asking
    /// git about one file costs two processes (a few milliseconds); 100,000 files
    /// written at once (a generator, an archive unpacked) would take minutes that
    /// way, so past a few dozen the root is marked for one full scan instead, which
    /// the server runs off its lock right after.
    fn read_rechecks(&mut self) {
        let mut rels = std::mem::take(&mut self.recheck);
        if rels.is_empty() || !self.scanned {
            return; // a full scan is coming anyway
        }
        rels.sort_unstable();
        rels.dedup();
        if rels.len() > MANY {
            tracing::info!(
                "{} files changed at once in {}: one scan of the root instead of a git call each",
                rels.len(),
                self.root.dir.display()
            );
            self.scanned = false;
            return;
        }
        let since = self.snapshot.stage_start_time();
        for rel in rels {
            match changes::status_of(&self.root, self.git.as_ref(), since.as_deref(), &rel) {
                Some(c) => self.disk_changes.insert(rel, c),
                None => self.disk_changes.remove(&rel),
            };
        }
    }
}

/// What decides the disk picture: whether a run is active, its stage, and the base.
fn run_facts(s: &Snapshot) -> (bool, Option<String>, Option<String>, Option<String>) {
    (
        s.run_is_active(),
        s.state().and_then(|st| st.current_stage.as_ref()).map(|c| c.value.clone()),
        s.scope_base().map(str::to_string),
        s.stage_start_time(),
    )
}
