//! What each agent session was already told after its commands, so a finding is
//! reported once, not after every later command.
//!
//! Kept in the system's temp directory (`tollgate-hook-<uid>/<session>`), not
//! under the factory's `.factory/`: the memory is the session's, worthless after
//! it, and the factory's own files (and `git status` of the project) stay as the
//! orchestrator and the person see them. When it cannot be read or written, every
//! finding is reported again: telling twice is better than not telling.

use std::io::Write;
use std::path::{Path, PathBuf};

use tollgate_engine::Finding;

/// A finding's identity across commands: its root, code, file and message.
pub fn key(root: &Path, f: &Finding) -> String {
    let clean = |s: &str| s.replace(['\n', '\r', '\t'], " ");
    format!("{}\t{}\t{}\t{}", root.display(), f.diagnostic.code.as_str(), clean(&f.path), clean(&f.diagnostic.message))
}

/// The indexes of `keys` this session was not told yet; they are remembered.
pub fn not_yet_told(session: &str, keys: &[String]) -> Vec<usize> {
    let Some(file) = file_for(session) else { return (0..keys.len()).collect() };
    let told = std::fs::read_to_string(&file).unwrap_or_default();
    let told: std::collections::HashSet<&str> = told.lines().collect();
    let fresh: Vec<usize> = (0..keys.len()).filter(|&i| !told.contains(keys[i].as_str())).collect();
    if !fresh.is_empty() {
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&file) {
            let text: String = fresh.iter().map(|&i| format!("{}\n", keys[i])).collect();
            let _ = f.write_all(text.as_bytes());
        }
    }
    fresh
}

/// The session's file, in a directory only this user can enter; None when
/// there is no safe place.
fn file_for(session: &str) -> Option<PathBuf> {
    let name: String =
        session.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(128).collect();
    if name.is_empty() {
        return None;
    }
    Some(private_dir()?.join(name))
}

/// `tollgate-hook-<uid>` in the temp directory, created for this user alone
/// (also where the guard caches the current stage's rules); None when it cannot
/// be made safely (another user's, a link, open to others).
pub fn private_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // The process's own uid: /proc/self belongs to it.
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok()?;
    let dir = std::env::temp_dir().join(format!("tollgate-hook-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return None;
    }
    Some(dir)
}
