//! `textDocument/documentLink`: paths in `pipeline/error.log` open the archived folders.

use tollgate_engine::recovery::parse_error_log;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::proto;
use crate::server::Server;

pub fn document_link(server: &Server, p: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
    let uri = p.text_document.uri;
    let links = server.with_session(|s| {
        let doc = super::locate(s, &uri)?;
        let root = s.roots.get(&doc.key)?.ws.root.clone();
        if doc.rel != root.layout.error_log {
            return None;
        }
        let links = parse_error_log(&doc.text)
            .iter()
            .flat_map(|b| b.paths.iter())
            .filter_map(|r| {
                let target = root.dir.join(r.path.trim_end_matches('/'));
                target.exists().then(|| DocumentLink {
                    range: proto::range(&doc.text, &doc.index, r.range, s.encoding),
                    target: proto::uri_of(&target),
                    tooltip: Some(format!("Open {}", r.path)),
                    data: None,
                })
            })
            .collect();
        Some(links)
    })?;
    Ok(links)
}
