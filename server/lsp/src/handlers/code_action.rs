//! `textDocument/codeAction`: the repairs riding in each diagnostic's `data`,
//! plus Return to Build / Archive attempt on a stage's `id` in pipeline.yaml,
//! and the failure policy (gate, rollback, resume) there and on the blockers it answers.
//! Recovery actions are planned here, so their titles say exactly what will
//! happen; they run through `workspace/executeCommand`.

use tollgate_engine::analysis::FileKind;
use tollgate_engine::diagnostic::{Data, Fix};
use tollgate_engine::model::state::RunStatus;
use tollgate_engine::recovery::{grant_write, Plan, Refusal};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::proto;
use crate::recovery::{single_edit, BufferFiles, Request};
use crate::server::Server;

pub fn code_action(server: &Server, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let uri = p.text_document.uri;
    let actions = server.with_session(|s| {
        let mut out: Vec<CodeActionOrCommand> = Vec::new();
        let Some(super::Doc { key, rel, text, index }) = super::locate(s, &uri) else { return out };
        let enc = s.encoding;
        let Some(state) = s.roots.get(&key) else { return out };
        let root = state.ws.root.clone();
        let files = BufferFiles::new(s, &root);
        let findings = state.ws.last_findings().unwrap_or_default();
        let paused = state.ws.snapshot.state().and_then(|st| st.status()) == Some(RunStatus::Paused);
        let mut seen = Vec::new();
        // `planned`: the request's plan when the caller has made it already (a
        // policy action is planned to decide whether to show it; planning a gate
        // reads the disk, so it is not planned twice).
        let mut recovery_action = |request: Request,
                                   planned: Option<std::result::Result<Plan, Refusal>>,
                                   diags: Vec<Diagnostic>,
                                   out: &mut Vec<CodeActionOrCommand>| {
            if seen.contains(&request) {
                return;
            }
            seen.push(request.clone());
            let planned = planned.unwrap_or_else(|| request.plan(&root, &files, &findings));
            let action = match planned {
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

        let mut policy: Vec<(Request, Vec<Diagnostic>)> = Vec::new();
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
                            recovery_action(req, None, vec![diag.clone()], &mut out);
                        }
                    }
                }
            }
            // The failure policy's commands, on the blockers they answer: the gate
            // quarantines the stage's writes and retries or pauses; a failed or
            // paused stage rolls back to its checkpoint or (paused) resumes.
            let code = diag.code.as_ref().map(|c| match c {
                NumberOrString::String(s) => s.as_str(),
                NumberOrString::Number(_) => "",
            });
            let answers: &[Request] = match code {
                Some("unauthorized-write" | "out-of-scope" | "stage-summary") => &[Request::Gate { stage: None }],
                Some("stage-failed" | "retry-limit" | "missing-output") => {
                    &[Request::Resume, Request::Rollback { to: None }]
                }
                _ => &[],
            };
            for req in answers {
                match policy.iter_mut().find(|(r, _)| r == req) {
                    Some((_, diags)) => diags.push(diag.clone()),
                    None => policy.push((req.clone(), vec![diag.clone()])),
                }
            }
        }
        // Each planned once, on every blocker it answers. Resume is shown greyed with
        // the blockers a person must clear; the others only when they can run.
        for (req, diags) in policy {
            let planned = req.plan(&root, &files, &findings);
            if planned.is_ok() || (req == Request::Resume && paused) {
                recovery_action(req, Some(planned), diags, &mut out);
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
                let current =
                    state.ws.snapshot.state().and_then(|st| st.current_stage.as_ref()).map(|c| c.value.clone());
                let is_current = current.as_deref() == Some(stage.as_str());
                let mut reqs = vec![
                    Request::ReturnToBuild { stage: stage.clone() },
                    Request::ArchiveAttempt { stage: stage.clone() },
                    Request::Rollback { to: Some(stage.clone()) },
                ];
                if is_current {
                    // The same request as on the stage's findings, so it is offered once.
                    reqs.insert(2, Request::Gate { stage: None });
                    reqs.push(Request::Resume);
                }
                for req in reqs {
                    let planned = req.plan(&root, &files, &findings);
                    if planned.is_ok() || (req == Request::Resume && paused) {
                        recovery_action(req, Some(planned), Vec::new(), &mut out);
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
        Request::Gate { stage } => match stage {
            Some(s) => format!("Gate of stage `{s}`"),
            None => "Gate of the current stage".to_string(),
        },
        Request::Rollback { to } => match to {
            Some(s) => format!("Roll back to `{s}`"),
            None => "Roll back to the latest checkpoint".to_string(),
        },
        Request::Resume => "Resume the paused run".to_string(),
    }
}
