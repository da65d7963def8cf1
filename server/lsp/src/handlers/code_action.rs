//! `textDocument/codeAction`: the repairs riding in each diagnostic's `data`,
//! plus Return to Build / Archive attempt on a stage's `id` in pipeline.yaml.
//! Recovery actions are planned here, so their titles say exactly what will
//! happen; they run through `workspace/executeCommand`.

use tollgate_engine::analysis::FileKind;
use tollgate_engine::diagnostic::{Data, Fix};
use tollgate_engine::recovery::grant_write;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::recovery::{single_edit, BufferFiles, Request};
use crate::{proto, Server};

pub fn code_action(server: &Server, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let uri = p.text_document.uri;
    let actions = server.with_session(|s| {
        let mut out: Vec<CodeActionOrCommand> = Vec::new();
        let Some(super::Doc { key, rel, text, index }) = super::locate(s, &uri) else { return out };
        let enc = s.encoding;
        let Some(state) = s.roots.get(&key) else { return out };
        let root = state.ws.root.clone();
        let files = BufferFiles::new(s, &root);
        let mut seen = Vec::new();
        let mut recovery_action = |request: Request, diags: Vec<Diagnostic>, out: &mut Vec<CodeActionOrCommand>| {
            if seen.contains(&request) {
                return;
            }
            seen.push(request.clone());
            let action = match request.plan(&root, &files) {
                Ok(plan) => CodeAction {
                    title: plan.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: (!diags.is_empty()).then_some(diags),
                    command: Some(Command {
                        title: plan.title.clone(),
                        command: plan.kind.command().to_string(),
                        arguments: Some(vec![request.arguments(&root.dir, &plan)]),
                    }),
                    ..Default::default()
                },
                // Shown greyed out with the reason, rather than hidden.
                Err(refusal) => CodeAction {
                    title: refusal_title(&request),
                    kind: Some(CodeActionKind::QUICKFIX),
                    disabled: Some(CodeActionDisabled { reason: refusal.0 }),
                    ..Default::default()
                },
            };
            out.push(CodeActionOrCommand::CodeAction(action));
        };

        for diag in &p.context.diagnostics {
            if diag.source.as_deref() != Some("tollgate") {
                continue;
            }
            let Some(data) = diag.data.clone().and_then(|d| serde_json::from_value::<Data>(d).ok()) else { continue };
            for fix in &data.fixes {
                match fix {
                    Fix::Replace { title, range, new_text } => {
                        out.push(CodeActionOrCommand::CodeAction(CodeAction {
                            title: title.clone(),
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics: Some(vec![diag.clone()]),
                            edit: Some(single_edit(&uri, &text, &index, *range, new_text, enc)),
                            is_preferred: Some(false),
                            ..Default::default()
                        }));
                    }
                    Fix::GrantWrite { stage, path } => {
                        let Some(g) = grant_write(&state.ws.snapshot, stage, path) else { continue };
                        let Some(target) = proto::uri_of(&root.dir.join(&g.file)) else { continue };
                        let t = state.ws.snapshot.text(&g.file).unwrap_or_else(|| std::sync::Arc::from(""));
                        let i = tollgate_engine::LineIndex::new(&t);
                        out.push(CodeActionOrCommand::CodeAction(CodeAction {
                            title: g.title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics: Some(vec![diag.clone()]),
                            edit: Some(single_edit(&target, &t, &i, g.range, &g.new_text, enc)),
                            ..Default::default()
                        }));
                    }
                    other => {
                        if let Some(req) = Request::from_fix(other) {
                            recovery_action(req, vec![diag.clone()], &mut out);
                        }
                    }
                }
            }
        }

        // On a stage's id in pipeline.yaml: whatever the state allows.
        if root.kind_of(&rel) == FileKind::Pipeline {
            let at = proto::offset(&text, &index, p.range.start, enc);
            let stage = state.ws.snapshot.pipeline().and_then(|pl| {
                pl.stages
                    .iter()
                    .filter_map(|st| st.id.as_ref())
                    .find(|id| id.range.touches(at))
                    .map(|id| id.value.clone())
            });
            if let Some(stage) = stage {
                for req in [Request::ReturnToBuild { stage: stage.clone() }, Request::ArchiveAttempt { stage }] {
                    if req.plan(&root, &files).is_ok() {
                        recovery_action(req, Vec::new(), &mut out);
                    }
                }
            }
        }
        out
    })?;
    Ok((!actions.is_empty()).then_some(actions))
}

fn refusal_title(r: &Request) -> String {
    match r {
        Request::ExpandScope { path, .. } => format!("Expand scope to include `{path}`"),
        Request::ReturnToBuild { stage } => format!("Return to Build: re-open stage `{stage}`"),
        Request::ArchiveAttempt { stage } => format!("Archive the attempt of stage `{stage}`"),
        Request::Quarantine { path, .. } => format!("Quarantine `{path}`"),
    }
}
