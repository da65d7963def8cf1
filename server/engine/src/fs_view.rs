//! What checks may ask of the disk, behind a trait so the server can cache it
//! (per-keystroke checks must not stat thousands of files) and tests can fake it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

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
