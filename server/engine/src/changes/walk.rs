//! Outside git: files modified after a moment (the current stage's `startTime`),
//! found by walking the root.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{git::read_head, lines, Change};
use crate::model::scope::Op;

/// Every file under `root` modified after `since`. `.git` is skipped; a symlink
/// to a directory is followed only when it stays inside the root and has not been
/// seen (no loops); an unreadable directory is skipped with a warning.
pub(super) fn modified_since(root: &Path, since: SystemTime) -> Vec<Change> {
    let mut out = Vec::new();
    walk(root, &mut |path, rel| {
        if let Some(c) = check_file(path, rel, since) {
            out.push(c);
        }
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// In one walk: the files modified after `since` (as [`modified_since`]) and the
/// others, root-relative (every file when `since` is None). Each file's time is
/// read once, so a file written while the walk runs is on one side only.
pub(super) fn split(root: &Path, since: Option<SystemTime>) -> (Vec<Change>, Vec<String>) {
    let (mut changed, mut untouched) = (Vec::new(), Vec::new());
    walk(root, &mut |path, rel| {
        let Ok(meta) = std::fs::symlink_metadata(path) else { return }; // gone meanwhile: neither
        match since {
            Some(since) if is_modified(&meta, since) => changed.push(change_of(path, &meta, rel, since)),
            _ => untouched.push(rel),
        }
    });
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    (changed, untouched)
}

fn walk(root: &Path, visit: &mut dyn FnMut(&Path, String)) {
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut seen: HashSet<PathBuf> = HashSet::from([canon_root.clone()]);
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("skipping unreadable directory {}: {e}", dir.display());
                continue;
            }
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                tracing::warn!("skipping a file name that is not UTF-8 in {}", dir.display());
                continue;
            };
            let path = entry.path();
            let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if name != ".git" {
                    stack.push((path, child));
                }
                continue;
            }
            if ft.is_symlink() {
                if let Ok(target) = path.canonicalize() {
                    if target.is_dir() {
                        // Inside the root, not an ancestor of the link (a loop), not followed before.
                        let here = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                        if target.starts_with(&canon_root) && !here.starts_with(&target) && seen.insert(target) {
                            stack.push((path, child));
                        }
                        continue;
                    }
                }
            }
            // A file, or a link to one: its own time counts (the link is never followed out).
            visit(&path, child);
        }
    }
}

/// The change of one file modified after `since`, if it was.
pub(super) fn check_file(path: &Path, rel: String, since: SystemTime) -> Option<Change> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    is_modified(&meta, since).then(|| change_of(path, &meta, rel, since))
}

fn is_modified(meta: &std::fs::Metadata, since: SystemTime) -> bool {
    !meta.is_dir() && meta.modified().is_ok_and(|t| t > since)
}

/// The change of a file modified after `since`.
fn change_of(path: &Path, meta: &std::fs::Metadata, rel: String, since: SystemTime) -> Change {
    // Birth time where the platform has it; else a modification (unknown first line).
    let op = match meta.created() {
        Ok(born) if born > since => Op::Create,
        _ => Op::Modify,
    };
    let mut c = Change::new(rel, op, None);
    if op == Op::Create {
        c.first_line = Some(0);
        c.line_range = read_head(path).and_then(|t| lines::mark_range(&t, 0));
    }
    c
}
