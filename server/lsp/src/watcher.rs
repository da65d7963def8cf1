//! The server-side watcher, for clients that cannot watch files for us (no
//! dynamic registration of `workspace/didChangeWatchedFiles`). Events are
//! gathered for 50 ms, then handled exactly like the client's notifications.

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};

use crate::Server;

pub struct Watcher {
    inner: notify::RecommendedWatcher,
    watched: Vec<PathBuf>,
}

impl Watcher {
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

pub fn start(server: &Server, roots: Vec<PathBuf>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
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
    let inner = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot start the file watcher: {e}; changes on disk are seen on save only");
            return;
        }
    };
    let mut watcher = Watcher { inner, watched: Vec::new() };
    let started = std::time::Instant::now();
    for r in &roots {
        watcher.add(r);
    }
    tracing::info!("watching {} root(s) took {:?}", roots.len(), started.elapsed());
    *server.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(watcher);
    let server = server.clone();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut paths = vec![first];
            tokio::time::sleep(Duration::from_millis(50)).await;
            while let Ok(p) = rx.try_recv() {
                paths.push(p);
            }
            paths.sort();
            paths.dedup();
            crate::handlers::watched_files::paths_changed(&server, paths).await;
        }
    });
}

/// Watches roots found after start-up (a file opened in a new root).
pub fn watch_roots(server: &Server) {
    let roots: Vec<PathBuf> = server.session().roots.keys().cloned().collect();
    if let Some(w) = server.watcher.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        for r in &roots {
            w.add(r);
        }
    }
}
