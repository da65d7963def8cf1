//! The server-side watcher, for clients that cannot watch files for us (no
//! dynamic registration of `workspace/didChangeWatchedFiles`): the paths that
//! change under the roots, sent to a channel (`handlers::watched_files` reads it).

use std::path::PathBuf;

use notify::{RecursiveMode, Watcher as _};

pub struct Watcher {
    inner: notify::RecommendedWatcher,
    watched: Vec<PathBuf>,
}

impl Watcher {
    /// A watcher that sends every changed path (reads left out) to `tx`; None
    /// when the system has none for us (then changes on disk are seen on save).
    pub fn new(tx: tokio::sync::mpsc::UnboundedSender<PathBuf>) -> Option<Self> {
        let handler = move |event: notify::Result<notify::Event>| match event {
            // Reads (ours included: git status, loading a file) are no change; reacting
            // to them would feed the watcher its own events forever.
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => {}
            Ok(e) => {
                for p in e.paths {
                    let _ = tx.send(p);
                }
            }
            Err(e) => tracing::warn!("file watcher: {e}"),
        };
        match notify::recommended_watcher(handler) {
            Ok(inner) => Some(Watcher { inner, watched: Vec::new() }),
            Err(e) => {
                tracing::warn!("cannot start the file watcher: {e}; changes on disk are seen on save only");
                None
            }
        }
    }

    /// Watches a root (recursively) once.
    pub fn add(&mut self, root: &std::path::Path) {
        if self.watched.iter().any(|w| root.starts_with(w)) {
            return;
        }
        match self.inner.watch(root, RecursiveMode::Recursive) {
            Ok(()) => self.watched.push(root.to_path_buf()),
            Err(e) => tracing::warn!("cannot watch {}: {e}", root.display()),
        }
    }
}
