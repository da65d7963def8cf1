//! One file per LSP method (or group of closely related notifications).

pub mod code_action;
pub mod configuration;
pub mod document_link;
pub mod execute_command;
pub mod lifecycle;
pub mod navigation;
pub mod pull_diagnostics;
pub mod status;
pub mod text_sync;
pub mod watched_files;

use std::sync::Arc;

use tollgate_engine::LineIndex;
use tower_lsp_server::ls_types::Uri;

use crate::proto;
use crate::session::Session;

/// What a request on a document needs: its root's key, its root-relative path,
/// and its text (the open buffer, else the root's copy) with a line index.
pub(crate) struct Doc {
    pub key: std::path::PathBuf,
    pub rel: String,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
}

pub(crate) fn locate(s: &mut Session, uri: &Uri) -> Option<Doc> {
    let path = proto::path_of(uri)?;
    let key = s.root_for(&path)?;
    let state = s.roots.get(&key)?;
    let rel = state.ws.root.relative(&path)?;
    let (text, index) = match s.docs.get(uri) {
        Some(d) => (d.text.clone(), d.index.clone()),
        None => {
            // Not open: the root's copy, else the disk (code actions on a file the
            // editor has not opened, e.g. from the Problems list); a deleted file is empty.
            let t = state
                .ws
                .snapshot
                .text(&rel)
                .or_else(|| tollgate_engine::analysis::read_text(&state.ws.root.dir, &rel).ok().flatten())
                .unwrap_or_else(|| Arc::from(""));
            let i = Arc::new(LineIndex::new(&t));
            (t, i)
        }
    };
    Some(Doc { key, rel, text, index })
}
