//! `workspace/executeCommand`: the recovery commands and the failure policy's. Plan, check that the
//! files are as the caller saw them, move files on disk, then change text files
//! through `workspace/applyEdit` (undoing the moves if the client refuses).

use serde_json::{json, Value};
use tollgate_engine::recovery::{begin_apply, Step};
use tollgate_engine::root::Root;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use crate::recovery::{self, check_expectations, workspace_edit, BufferFiles};
use crate::server::Server;

fn failed(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into().into(), data: None }
}

pub async fn execute_command(server: &Server, p: ExecuteCommandParams) -> Result<Option<Value>> {
    let (root_dir, request) = recovery::parse(&p.command, &p.arguments).map_err(|e| Error::invalid_params(e.0))?;
    let root = Root::at(&root_dir)
        .ok_or_else(|| Error::invalid_params(format!("{}: not a factory root", root_dir.display())))?;
    let (files, enc) = server.with_session(|s| (BufferFiles::new(s, &root), s.encoding))?;
    // The gate and resume judge the disk as it is now, as `tollgate gate` does: the
    // server's last analysis may not have seen a move that just happened.
    let needs = matches!(request, recovery::Request::Gate { .. } | recovery::Request::Resume);
    let findings = if needs {
        let r = root.clone();
        tokio::task::spawn_blocking(move || fresh_findings(r))
            .await
            .map_err(|e| failed(format!("the check before the command failed: {e}")))?
            .map_err(failed)?
    } else {
        Vec::new()
    };
    let plan = request.plan(&root, &files, &findings).map_err(|r| failed(r.0))?;
    check_expectations(&p.arguments, &plan).map_err(|r| failed(r.0))?;

    let done = begin_apply(&root.dir, &plan, &files).map_err(|f| failed(f.message))?;
    let steps: Vec<&Step> = plan.text_steps().collect();
    if !steps.is_empty() {
        let edit = workspace_edit(&root.dir, &files, &steps, enc);
        let answer = server.client.apply_edit(edit).await;
        let refused = match answer {
            Ok(r) if r.applied => None,
            Ok(r) => Some(r.failure_reason.unwrap_or_else(|| "the editor did not apply the edit".into())),
            Err(e) => Some(e.message.to_string()),
        };
        if let Some(reason) = refused {
            let undo = done.rollback();
            let tail = match undo {
                Ok(()) => "every move was undone; nothing changed".to_string(),
                Err(left) => format!("undoing the moves failed too: {left}"),
            };
            return Err(failed(format!("{}: {reason}; {tail}", plan.title)));
        }
    }
    // Refresh at once; the file watcher will confirm what moved.
    let touched: Vec<std::path::PathBuf> = plan
        .steps
        .iter()
        .flat_map(|s| match s {
            Step::Move { from, to } | Step::Copy { from, to } => vec![from.clone(), to.clone()],
            Step::CreateFile { path, .. } | Step::CreateDir { path } => vec![path.clone()],
            Step::Edit(e) => vec![e.path.clone()],
        })
        .map(|rel| root.dir.join(rel))
        .collect();
    super::watched_files::paths_changed(server, touched).await;
    Ok(Some(json!({"done": plan.title, "description": plan.description})))
}

/// Every finding of the root on disk, with the default severities (what `tollgate check` reports).
fn fresh_findings(root: Root) -> std::result::Result<Vec<tollgate_engine::Finding>, String> {
    let (ws, errors) = tollgate_engine::workspace::Workspace::load_scanned(root);
    if let Some(e) = errors.first() {
        return Err(format!("{} cannot be read: {}", e.path, e.message));
    }
    Ok(ws.into_findings(&Default::default()).1)
}
