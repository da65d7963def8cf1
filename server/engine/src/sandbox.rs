//! The current stage's box as an agent's OS sandbox can hold it for shell
//! commands (Claude Code's `sandbox.filesystem`, Codex permission profiles).
//!
//! A sandbox knows paths, not the scope dialect: each write rule is held as the
//! path it names (`artifacts/backend/` as the directory, a file as itself), and a
//! rule with wildcards as the literal directory before them, which is wider (the
//! hook still judges file-tool writes by the rule itself). Shell commands may also
//! write the control folders the factory's own tools write (`.factory/`, the error
//! log, the archive), except the rule files in them: a widening of the rules can
//! only be judged from a write's content, which a sandbox never sees.

use std::path::Path;

use crate::analysis::Snapshot;
use crate::pattern::Pattern;
use crate::permissions::WriteSet;
use crate::root::Root;

/// Control folders a stage's shell commands may write (`.git/` is left to each
/// agent's own rule: Codex keeps it read-only, Claude Code leaves it to its own
/// protections).
pub const SHELL_CONTROL: &[&str] = &[".factory", "pipeline", "artifacts/_failed", "artifacts/_untrusted"];

/// Left as the agent has it: neither opened nor closed by tollgate. Claude Code's
/// sandbox guards `.claude/` itself and mounts inside it (closing it whole makes
/// every sandboxed command fail, seen with 2.1.197).
pub const UNTOUCHED: &[&str] = &[".git", ".claude"];

/// What a sandbox should let the current stage's shell commands write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellBox {
    pub stage: String,
    /// Root-relative, `/`-separated paths, without a trailing `/`, sorted, none
    /// inside another; `""` is the whole root.
    pub write: Vec<String>,
    /// Root-relative paths inside `write` that stay read-only: the rule files.
    pub read_only: Vec<String>,
    /// Rules a sandbox can only hold wider: (the rule, the directory held).
    pub widened: Vec<(String, String)>,
}

/// The box of the root's running stage; None when no run is active (a sandbox
/// then has no stage to hold), Err when a rule or state file cannot be read.
pub fn shell_box(root: Root) -> Result<Option<ShellBox>, String> {
    let (snap, errors) = Snapshot::load(root);
    if let Some(e) = errors.first() {
        return Err(format!("{} cannot be read: {}", snap.root.dir.join(&e.path).display(), e.message));
    }
    let Some(stage) = crate::guard::active_stage(&snap) else { return Ok(None) };
    let pipeline = snap.pipeline.as_ref().map(|s| &*s.current);
    let matrix = snap.matrix.as_ref().map(|s| &*s.current);
    let rules = WriteSet::for_stage(pipeline, matrix, &stage).map(|w| w.rules).unwrap_or_default();
    let mut write: Vec<String> = SHELL_CONTROL.iter().map(|s| s.to_string()).collect();
    let mut widened = Vec::new();
    for rule in &rules {
        let Some(p) = Pattern::compile(rule.text.trim()).ok() else { continue };
        let (held, exact) = held_as(&p);
        if !exact {
            widened.push((rule.text.trim().to_string(), held.clone()));
        }
        write.push(held);
    }
    let l = &snap.root.layout;
    let mut read_only: Vec<String> = [&l.pipeline, &l.matrix, &l.scope].iter().map(|s| s.to_string()).collect();
    let write = outermost(write);
    read_only.retain(|r| write.iter().any(|w| inside(r, w)));
    read_only.sort();
    Ok(Some(ShellBox { stage, write, read_only, widened }))
}

/// The path a sandbox holds for a rule, and whether it is exactly the rule.
fn held_as(p: &Pattern) -> (String, bool) {
    if p.is_directory() {
        let dir = p.glob.strip_suffix("**").unwrap_or("").trim_end_matches('/');
        return (dir.to_string(), true);
    }
    if !crate::pattern::has_wildcard(&p.glob) {
        return (p.glob.clone(), true);
    }
    (p.literal_prefix().to_string(), false)
}

/// Is `path` the directory `dir` or under it (`""` holds everything)?
pub fn inside(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Sorted, deduplicated, without paths inside another.
fn outermost(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths.dedup();
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        if !out.iter().any(|o| inside(&p, o)) {
            out.push(p);
        }
    }
    out
}

impl ShellBox {
    /// What a sandbox that can only close paths (not reopen one inside a closed
    /// one) must close: every entry of the root, as it is on disk now, that is
    /// neither in the box nor on the way to it, plus the read-only rule files and
    /// the other agents' settings folders, there or not (a command that edits them
    /// can lift that agent's hooks). Symlinks are closed as they are, never followed.
    /// Root-relative, sorted.
    pub fn closed(&self, root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        if !self.write.iter().any(|w| w.is_empty()) {
            self.close_below(root, "", &mut out);
        }
        out.extend(self.read_only.iter().cloned());
        out.extend(crate::guard::AGENT_SETTINGS.iter().filter(|s| !UNTOUCHED.contains(s)).map(|s| s.to_string()));
        out.sort();
        out.dedup();
        out
    }

    fn close_below(&self, root: &Path, dir: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { return };
        let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
        names.sort();
        for name in names {
            let rel = if dir.is_empty() { name } else { format!("{dir}/{name}") };
            if UNTOUCHED.contains(&rel.as_str()) || self.write.iter().any(|w| inside(&rel, w)) {
                continue;
            }
            let on_the_way = self.write.iter().any(|w| inside(w, &rel));
            let real_dir = std::fs::symlink_metadata(root.join(&rel)).is_ok_and(|m| m.is_dir());
            if on_the_way && real_dir {
                self.close_below(root, &rel, out);
            } else {
                out.push(rel);
            }
        }
    }
}

#[cfg(test)]
mod tests;
