//! `initialize` and `initialized`: capabilities, roots, watchers, the first scan.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::proto;
use crate::server::Server;
use crate::session::DiagnosticMode;
use tollgate_engine::recovery::ActionKind;

pub fn initialize(server: &Server, params: InitializeParams) -> Result<InitializeResult> {
    let encoding = proto::negotiate_encoding(&params.capabilities);
    let pull = params.initialization_options.as_ref().and_then(|o| o.get("diagnosticMode")).and_then(|m| m.as_str())
        == Some("pull");
    let mut folders: Vec<std::path::PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|f| proto::path_of(&f.uri)).collect();
    #[allow(deprecated)]
    if folders.is_empty() {
        if let Some(p) = params.root_uri.as_ref().and_then(proto::path_of) {
            folders.push(p);
        }
    }
    *server.caps.lock().unwrap_or_else(|e| e.into_inner()) = params.capabilities.clone();
    server.with_session(|s| {
        s.encoding = encoding;
        s.mode = if pull { DiagnosticMode::Pull } else { DiagnosticMode::Push };
        for f in &folders {
            s.discover(f);
        }
    })?;
    Ok(InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(proto::encoding_kind(encoding)),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            diagnostic_provider: pull.then(|| {
                DiagnosticServerCapabilities::Options(DiagnosticOptions {
                    identifier: Some("tollgate".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: false,
                    ..Default::default()
                })
            }),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![":".into(), " ".into(), "/".into(), "\"".into()]),
                ..Default::default()
            }),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            })),
            document_link_provider: Some(DocumentLinkOptions {
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            }),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: ActionKind::ALL.iter().map(|k| k.command().to_string()).collect(),
                ..Default::default()
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        },
        server_info: Some(ServerInfo { name: "tollgate".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
        offset_encoding: None,
    })
}

pub async fn initialized(server: &Server) {
    let caps = server.caps.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let dynamic_watch = caps
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    let mut registered = false;
    if dynamic_watch {
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher { glob_pattern: GlobPattern::String("**/*".into()), kind: None }],
        };
        let registration = Registration {
            id: "tollgate-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        registered = server.client.register_capability(vec![registration]).await.is_ok();
    }
    if !registered {
        // The client cannot watch for us: watch the roots ourselves. Setting up a
        // recursive watch walks the whole tree (0.7 s at 100,000 files), so it runs
        // beside the first scan; once it is live, one more scan covers any change
        // that fell between the two.
        let roots: Vec<_> = server.session().roots.keys().cloned().collect();
        let handle = server.clone();
        tokio::spawn(async move {
            let h = handle.clone();
            let _ = tokio::task::spawn_blocking(move || super::watched_files::start_watcher(&h, roots)).await;
            handle.session().rescan_all();
            super::watched_files::rescan(&handle).await;
        });
    }
    super::configuration::reload(server).await;
    super::watched_files::rescan(server).await;
}
