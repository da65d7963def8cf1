//! Changed paths while a run is active (SPEC 3.2), as plain data.
//!
//! In git, a changed path differs from the git base (scope.yaml's `base.commit`,
//! else HEAD), is untracked and not ignored, or was deleted; a rename is a delete
//! plus a create. Outside git, it is a file modified after the current stage's
//! `startTime`. Open buffers that differ from the disk are the server's part:
//! it uses [`first_changed_line`] for them.
//!
//! For the server: [`GitFacts::gather`] once per analysis (and when HEAD or
//! scope.yaml changes), [`changed_paths`] for the initial picture (both in
//! `Snapshot::gather_changes`), then [`status_of`] / [`changes_under`] per
//! file-watch event instead of a rescan, and [`Change::of_buffer`] for buffers.

mod git;
mod lines;
mod time;
mod walk;

use std::path::PathBuf;
use std::sync::Arc;

pub(crate) use git::{read_head, read_small};
pub use lines::{first_changed_line, first_diff_line, line_range, mark_range};
pub use time::parse_rfc3339;

use crate::model::scope::Op;
use crate::root::Root;
use tollgate_text::TextRange;

/// One changed path, relative to the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub op: Op,
    /// The first changed line (0-based) of the current text, where known.
    pub first_line: Option<u32>,
    /// The bytes of the current text a finding marks: `first_line`'s content (its
    /// line ending when the line is empty; see [`mark_range`]). None when unknown,
    /// and for a deleted file (there is no text: findings sit at 0..0 then).
    pub line_range: Option<TextRange>,
    /// An open document's unsaved text: a person is typing it now.
    pub in_editor: bool,
}

impl Change {
    pub fn new(path: impl Into<String>, op: Op, first_line: Option<u32>) -> Self {
        Change { path: path.into(), op, first_line, line_range: None, in_editor: false }
    }

    /// A change of an open document: `buffer` against the file on disk (`disk`
    /// None: the file does not exist on disk, a creation). None when equal.
    pub fn of_buffer(path: impl Into<String>, disk: Option<&str>, buffer: &str) -> Option<Change> {
        let (op, line) = match disk {
            None => (Op::Create, 0),
            Some(d) => (Op::Modify, first_changed_line(d, buffer)?),
        };
        let mut c = Change::new(path, op, Some(line));
        c.line_range = mark_range(buffer.as_bytes(), line);
        c.in_editor = true;
        Some(c)
    }
}

/// What the engine needs to know from git, read once per analysis by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// Is the scope's `base.commit` an ancestor of HEAD? None when unset or unknown.
    pub scope_base_is_ancestor: Option<bool>,
    /// `pipeline.yaml` and the matrix as they are at the git base, for `permissions-widened`.
    pub base_pipeline: Option<Arc<str>>,
    pub base_matrix: Option<Arc<str>>,
    /// The worktree's top directory.
    pub toplevel: PathBuf,
    /// The root's path below the top, `/`-separated with a trailing `/` ("" at the top).
    pub prefix: String,
    /// HEAD's commit; None on an unborn branch.
    pub head: Option<String>,
    /// The commit changes are measured against: the scope's base when it resolves, else HEAD.
    pub base: Option<String>,
    /// True when `base` is HEAD (or there is no commit yet).
    pub base_is_head: bool,
    /// Does the scope's `base.commit` name a commit here? None when unset.
    pub scope_base_found: Option<bool>,
}

/// Every changed path of the root. `git`: facts from [`GitFacts::gather`] (None
/// outside git). `since`: the current stage's `startTime` (RFC 3339), used only
/// outside git; without it nothing is found there.
pub fn changed_paths(root: &Root, git: Option<&GitFacts>, since: Option<&str>) -> Vec<Change> {
    match git {
        Some(facts) => git::scan(root, facts, None),
        None => match since.and_then(parse_rfc3339) {
            Some(t) => walk::modified_since(&root.dir, t),
            None => Vec::new(),
        },
    }
}

/// Outside git, in one walk: the changed paths (as [`changed_paths`]) and every
/// other file of the root, root-relative: what was there before the stage (all of
/// them when `since` is unknown). The server keeps this listing from its first
/// scan, so a file that appears or disappears later (a move keeps its old mtime; a
/// deletion leaves no file) is still seen. One walk reads each file's time once: a
/// file written while it runs is not taken for one that was there before the stage
/// (its removal would read as a deletion).
pub fn outside_git(root: &Root, since: Option<&str>) -> (Vec<Change>, std::collections::HashSet<String>) {
    let (changed, untouched) = walk::split(&root.dir, since.and_then(parse_rfc3339));
    (changed, untouched.into_iter().collect())
}

/// Outside git, against the listing of a first scan ([`outside_git`]) (files untouched since the
/// stage started): a file that appeared since is a creation, whatever its mtime
/// (a move keeps it), and one that disappeared is a deletion. `path` is `rel`'s
/// absolute path.
pub fn against_baseline(
    baseline: &std::collections::HashSet<String>,
    rel: &str,
    path: &std::path::Path,
) -> Option<Change> {
    match (path.is_file(), baseline.contains(rel)) {
        (true, false) => {
            // Only the first line is marked: read just that (never a FIFO, never megabytes).
            let head = git::read_head(path).unwrap_or_default();
            let mut c = Change::of_buffer(rel.to_string(), None, &String::from_utf8_lossy(&head))?;
            c.in_editor = false;
            Some(c)
        }
        (false, true) => Some(Change::new(rel.to_string(), Op::Delete, None)),
        _ => None,
    }
}

/// Re-checks one root-relative file after a file-watch event: its change, or
/// None when it no longer differs (or is ignored, or outside git was not
/// modified after `since`; a deletion cannot be seen outside git).
pub fn status_of(root: &Root, git: Option<&GitFacts>, since: Option<&str>, rel: &str) -> Option<Change> {
    let rel = rel.trim_end_matches('/');
    match git {
        Some(facts) => match git::single(root, facts, rel) {
            Some(answer) => answer,
            None => git::scan(root, facts, Some(rel)).into_iter().find(|c| c.path == rel),
        },
        None => walk::check_file(&root.dir.join(rel), rel.to_string(), since.and_then(parse_rfc3339)?),
    }
}

/// Re-checks everything under a root-relative directory (an event on a folder:
/// created, renamed or deleted as a whole). Replaces the previous changes under it.
pub fn changes_under(root: &Root, git: Option<&GitFacts>, since: Option<&str>, rel: &str) -> Vec<Change> {
    let rel = rel.trim_end_matches('/');
    match git {
        Some(facts) => git::scan(root, facts, Some(rel)),
        None => match since.and_then(parse_rfc3339) {
            Some(t) => {
                let mut v = walk::modified_since(&root.dir.join(rel), t);
                for c in &mut v {
                    c.path = format!("{rel}/{}", c.path);
                }
                v
            }
            None => Vec::new(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests;
