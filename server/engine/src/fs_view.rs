//! What checks may ask of the disk, behind a trait so the server can cache it
//! (per-keystroke checks must not stat thousands of files) and tests can fake it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub trait FsView {
    /// Does `rel` (relative to the root; a trailing `/` asks for a directory) exist?
    fn exists(&self, rel: &str) -> bool;

    /// Changes whenever an earlier answer may no longer hold; None when unknown.
    /// Lets an analysis be reused only while the disk answers the same.
    fn epoch(&self) -> Option<u64> {
        None
    }
}

/// The real disk under one root, with a per-instance memo.
pub struct DiskFs {
    root: PathBuf,
    memo: RefCell<HashMap<String, bool>>,
    id: u64,
}

/// A number no other view of the disk has had in this process.
pub fn unique_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl DiskFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskFs { root: root.into(), memo: RefCell::new(HashMap::new()), id: unique_id() }
    }
}

impl FsView for DiskFs {
    fn exists(&self, rel: &str) -> bool {
        if let Some(&known) = self.memo.borrow().get(rel) {
            return known;
        }
        let path = self.root.join(rel.trim_end_matches('/'));
        let found = if rel.ends_with('/') { path.is_dir() } else { path.exists() };
        self.memo.borrow_mut().insert(rel.to_string(), found);
        found
    }

    /// Its answers never change (they are memoized for its lifetime).
    fn epoch(&self) -> Option<u64> {
        Some(self.id)
    }
}

/// The disk under one root with answers cached across analyses (a keystroke must
/// not stat thousands of files); `clear` on any file event.
pub struct CachedFs {
    root: PathBuf,
    memo: Mutex<HashMap<String, bool>>,
    /// Changes on every `clear`, so analyses made before it are not reused.
    epoch: AtomicU64,
}

impl CachedFs {
    pub fn new(root: &Path) -> Self {
        CachedFs { root: root.to_path_buf(), memo: Mutex::default(), epoch: AtomicU64::new(unique_id()) }
    }

    pub fn clear(&self) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.epoch.store(unique_id(), Ordering::SeqCst);
    }
}

impl FsView for CachedFs {
    fn exists(&self, rel: &str) -> bool {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&known) = memo.get(rel) {
            return known;
        }
        let path = self.root.join(rel.trim_end_matches('/'));
        let found = if rel.ends_with('/') { path.is_dir() } else { path.exists() };
        memo.insert(rel.to_string(), found);
        found
    }

    fn epoch(&self) -> Option<u64> {
        Some(self.epoch.load(Ordering::SeqCst))
    }
}
