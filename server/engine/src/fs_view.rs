//! What checks may ask of the disk, behind a trait so the server can cache it
//! (per-keystroke checks must not stat thousands of files) and tests can fake it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

pub trait FsView {
    /// Does `rel` (relative to the root; a trailing `/` asks for a directory) exist?
    fn exists(&self, rel: &str) -> bool;
}

/// The real disk under one root, with a per-instance memo.
pub struct DiskFs {
    root: PathBuf,
    memo: RefCell<HashMap<String, bool>>,
}

impl DiskFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskFs { root: root.into(), memo: RefCell::new(HashMap::new()) }
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
}
