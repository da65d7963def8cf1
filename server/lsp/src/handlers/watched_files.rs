//! `workspace/didChangeWatchedFiles` (and the server-side watcher's events):
//! re-check only the paths that changed; a full scan only when the base moved.

use std::path::PathBuf;

use tollgate_engine::workspace;
use tower_lsp_server::ls_types::*;

use crate::{proto, Server};

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
