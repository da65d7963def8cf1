//! `didOpen`, `didChange`, `didSave`, `didClose`: apply the edit, then analyze
//! and publish. Everything before the first `.await` runs in arrival order.

use tower_lsp_server::ls_types::*;

use crate::Server;

pub async fn did_open(server: &Server, p: DidOpenTextDocumentParams) {
    let uri = p.text_document.uri;
    let batch = server.with_session(|s| {
        let key = s.open(uri.clone(), p.text_document.version, p.text_document.text)?;
        Some(s.analyze(&key, Some(&uri)))
    });
    if let Ok(Some(batch)) = batch {
        server.publish(vec![batch]).await;
    }
    crate::watcher::watch_roots(server);
    super::watched_files::rescan(server).await;
}

pub async fn did_change(server: &Server, p: DidChangeTextDocumentParams) {
    let uri = p.text_document.uri;
    let batch = server.with_session(|s| {
        let key = s.change(&uri, p.text_document.version, p.content_changes)?;
        Some(s.analyze(&key, Some(&uri)))
    });
    if let Ok(Some(batch)) = batch {
        server.publish(vec![batch]).await;
    }
    // A state or scope edit can start or end a run: read the disk picture then.
    super::watched_files::rescan(server).await;
}

pub async fn did_save(server: &Server, p: DidSaveTextDocumentParams) {
    let uri = p.text_document.uri;
    let batch = server.with_session(|s| {
        let path = crate::proto::path_of(&uri)?;
        let key = s.file_changed(&path).unwrap_or(path);
        Some(s.analyze(&key, Some(&uri)))
    });
    if let Ok(Some(batch)) = batch {
        server.publish(vec![batch]).await;
    }
}

pub async fn did_close(server: &Server, p: DidCloseTextDocumentParams) {
    let uri = p.text_document.uri;
    let batch = server.with_session(|s| {
        let key = s.close(&uri)?;
        Some(s.analyze(&key, Some(&uri)))
    });
    if let Ok(Some(batch)) = batch {
        server.publish(vec![batch]).await;
    }
}
