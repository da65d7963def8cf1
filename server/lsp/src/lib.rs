//! The language server. The only crate that knows LSP types: it converts the
//! engine's plain data at the edge (`proto`). One file per handler in `handlers/`.

mod document;
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
#[cfg(test)]
mod props;
mod proto;
mod recovery;
mod server;
mod session;
mod stdio;
mod watcher;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService};

pub use server::Server;
use session::Batch;

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        handlers::lifecycle::initialize(self, params)
    }

    async fn initialized(&self, _: InitializedParams) {
        handlers::lifecycle::initialized(self).await
    }

    async fn shutdown(&self) -> Result<()> {
        self.shutdown.store(true, Ordering::SeqCst);
        // The watcher's event task holds the server and waits on the watcher's
        // channel: dropping the watcher ends both (and frees its inotify instance),
        // so a server in a process that lives on (the fuzz targets) is freed.
        self.watcher.lock().unwrap_or_else(|e| e.into_inner()).take();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        handlers::text_sync::did_open(self, params).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        handlers::text_sync::did_change(self, params).await
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        handlers::text_sync::did_save(self, params).await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        handlers::text_sync::did_close(self, params).await
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        handlers::watched_files::did_change_watched_files(self, params).await
    }

    async fn did_change_configuration(&self, _: DidChangeConfigurationParams) {
        handlers::configuration::reload(self).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        handlers::code_action::code_action(self, params)
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        handlers::execute_command::execute_command(self, params).await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        handlers::document_link::document_link(self, params)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        handlers::navigation::hover(self, params)
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        handlers::navigation::definition(self, params)
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        handlers::navigation::document_symbol(self, params)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        handlers::navigation::completion(self, params)
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        handlers::pull_diagnostics::diagnostic(self, params)
    }
}

/// A publish on a 5,000-stage pipeline is megabytes; through the default 64 KiB
/// pipe the client reads it in some sixty pieces, each a wake-up (and, in clients
/// that append them, a copy). A 1 MiB pipe (Linux's unprivileged maximum by
/// default) takes it in four. Not a pipe, or not allowed: nothing changes.
fn widen_stdout_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl on fd 1 with an integer argument touches no memory of ours.
    unsafe {
        libc::fcntl(1, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// glibc raises its mmap threshold after the first large free, so the
/// megabytes-long texts and publish frames of each keystroke would then stay on
/// the heap and the resident size would creep up; a fixed threshold hands them
/// back to the system as soon as they are freed.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

/// The service with tollgate's own methods next to the standard ones.
fn service(init: impl FnOnce(Client) -> Server) -> (LspService<Server>, tower_lsp_server::ClientSocket) {
    LspService::build(init).custom_method(handlers::status::REQUEST, Server::status).finish()
}

impl Server {
    /// Publishes diagnostics, then tells the clients that follow a root's status
    /// (`tollgate/statusChanged`) when it changed.
    pub(crate) async fn publish(&self, batches: Vec<Batch>) {
        let watched: Vec<std::path::PathBuf> = {
            let s = self.session();
            let mut keys: Vec<_> =
                batches.iter().map(|b| b.key.clone()).filter(|k| s.status_sent.contains_key(k)).collect();
            keys.dedup();
            keys
        };
        self.publish_diagnostics(batches).await;
        if !watched.is_empty() {
            handlers::status::after_publish(self, watched).await;
        }
    }

    async fn status(&self, params: handlers::status::StatusParams) -> Result<serde_json::Value> {
        handlers::status::status(self, params).await
    }
}

/// Serves LSP over stdin/stdout until `exit`, then ends the process at once
/// (stdin may stay open: a blocked read must not keep us alive).
pub fn run_stdio() {
    widen_stdout_pipe();
    return_large_blocks();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tollgate: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    let flag = shutdown.clone();
    runtime.block_on(async move {
        let (input, output, frames) = stdio::transport(tokio::io::stdin(), raw_stdout(), flag.clone());
        let (service, socket) = service(move |client| Server::new(client, flag, Some(frames)));
        tower_lsp_server::Server::new(input, output, socket).serve(service).await;
    });
    // LSP: exit code 0 after a shutdown request, 1 otherwise.
    std::process::exit(if shutdown.load(Ordering::SeqCst) { 0 } else { 1 });
}

/// Standard output without std's line buffering, which scans every megabytes-long
/// frame for its last newline: a duplicate of the descriptor, written as a file.
fn raw_stdout() -> Box<dyn std::io::Write + Send> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}
