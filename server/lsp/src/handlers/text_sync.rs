//! `didOpen`, `didChange`, `didSave`, `didClose`: apply the edit, then analyze
//! and publish. Everything before the first `.await` runs in arrival order.

use tower_lsp_server::ls_types::*;

use crate::server::Server;

pub async fn did_open(server: &Server, p: DidOpenTextDocumentParams) {
    let uri = p.text_document.uri;
    let batch = server.with_session(|s| {
        let key = s.open(uri.clone(), p.text_document.version, p.text_document.text)?;
        Some(s.analyze(&key, Some(&uri)))
    });
    if let Ok(Some(batch)) = batch {
        server.publish(vec![batch]).await;
    }
    super::watched_files::watch_roots(server);
    super::watched_files::rescan(server).await;
}

pub async fn did_change(server: &Server, p: DidChangeTextDocumentParams) {
    let uri = p.text_document.uri;
    let t0 = std::time::Instant::now();
    let batch = server.with_session(|s| {
        let key = s.change(&uri, p.text_document.version, p.content_changes)?;
        let t1 = std::time::Instant::now();
        let b = s.analyze(&key, Some(&uri));
        tracing::debug!("change: applied in {:?}, analyzed in {:?}", t1 - t0, t1.elapsed());
        Some(b)
    });
    if let Ok(Some(batch)) = batch {
        let t2 = std::time::Instant::now();
        server.publish(vec![batch]).await;
        tracing::debug!("change: published in {:?}", t2.elapsed());
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
    // A saved state or scope can start or end a run: read the disk picture then.
    super::watched_files::rescan(server).await;
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
    // Back to the disk's text: a run may have started or ended with it.
    super::watched_files::rescan(server).await;
}
