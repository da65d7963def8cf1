//! `workspace/didChangeWatchedFiles` (and the server-side watcher's events):
//! re-check only the paths that changed; a full scan only when the base moved.

use std::path::PathBuf;

use tollgate_engine::workspace;
use tower_lsp_server::ls_types::*;

use crate::proto;
use crate::server::Server;
use crate::watcher::Watcher;

pub async fn did_change_watched_files(server: &Server, p: DidChangeWatchedFilesParams) {
    let paths: Vec<PathBuf> = p.changes.iter().filter_map(|c| proto::path_of(&c.uri)).collect();
    paths_changed(server, paths).await;
}

pub async fn paths_changed(server: &Server, paths: Vec<PathBuf>) {
    let batches = server.with_session(|s| {
        let mut keys: Vec<PathBuf> = paths.iter().filter_map(|p| s.file_changed(p)).collect();
        keys.sort();
        keys.dedup();
        keys.iter().map(|k| s.analyze(k, None)).collect::<Vec<_>>()
    });
    if let Ok(batches) = batches {
        server.publish(batches).await;
    }
    rescan(server).await;
}

/// Runs the full changed-path scan of every root that needs one (first time, or
/// after the run or its base changed), off the async threads.
pub async fn rescan(server: &Server) {
    let todo: Vec<_> = {
        let session = server.session();
        session.unscanned_roots().into_iter().filter_map(|k| session.scan_input(&k).map(|s| (k, s))).collect()
    };
    for (key, snapshot) in todo {
        let Ok(scan) = tokio::task::spawn_blocking(move || workspace::scan(&snapshot)).await else { continue };
        let batch = server.with_session(|s| {
            s.scan_done(&key, scan);
            s.analyze(&key, None)
        });
        if let Ok(batch) = batch {
            server.publish(vec![batch]).await;
        }
    }
}

/// Starts the server's own watcher on `roots`: its events are gathered for 50 ms,
/// then handled exactly like the client's notifications.
pub fn start_watcher(server: &Server, roots: Vec<PathBuf>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let Some(mut watcher) = Watcher::new(tx) else { return };
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
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            while let Ok(p) = rx.try_recv() {
                paths.push(p);
            }
            paths.sort();
            paths.dedup();
            paths_changed(&server, paths).await;
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
