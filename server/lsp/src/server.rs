//! The server's state and the handle every handler receives: the session
//! behind a lock (notifications mutate it in order), the client, and publishing.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::ClientCapabilities;
use tower_lsp_server::Client;

use crate::session::{self, Batch, Session};
use crate::{proto, stdio, watcher};
/// The server's shared state; `Server` is a cheap handle to it, so background
/// tasks (the file watcher) can hold one.
pub struct State {
    pub(crate) client: Client,
    pub(crate) session: Arc<Mutex<Session>>,
    /// Held while publishing, so a batch is checked for staleness and sent as one step.
    pub(crate) publish_lock: tokio::sync::Mutex<()>,
    pub(crate) shutdown: Arc<AtomicBool>,
    pub(crate) watcher: Mutex<Option<watcher::Watcher>>,
    /// Where publishes go as ready frames (None in-process, e.g. under the fuzzer:
    /// then through the client).
    pub(crate) frames: Option<stdio::Frames>,
    pub(crate) caps: Mutex<ClientCapabilities>,
}

#[derive(Clone)]
pub struct Server(pub(crate) Arc<State>);

impl std::ops::Deref for Server {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl Server {
    pub(crate) fn new(client: Client, shutdown: Arc<AtomicBool>, frames: Option<stdio::Frames>) -> Self {
        Server(Arc::new(State {
            client,
            session: Arc::default(),
            publish_lock: tokio::sync::Mutex::new(()),
            shutdown,
            watcher: Mutex::new(None),
            caps: Mutex::default(),
            frames,
        }))
    }

    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs synchronous work on the session; a panic becomes an error response
    /// (or a log line for a notification) and the server lives on.
    pub(crate) fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> Result<T> {
        let mut guard = self.session();
        std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut guard))).map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!("internal error: {what}");
            Error {
                code: tower_lsp_server::jsonrpc::ErrorCode::InternalError,
                message: format!("tollgate internal error: {what}").into(),
                data: None,
            }
        })
    }

    /// Sends each batch that is still the newest of its root.
    pub(crate) async fn publish_diagnostics(&self, batches: Vec<Batch>) {
        let _guard = self.publish_lock.lock().await;
        for batch in batches {
            let fresh = self.session().take_if_latest(&batch);
            if !fresh {
                tracing::debug!(
                    "publish: batch {} of {} dropped, a newer one exists",
                    batch.generation,
                    batch.key.display()
                );
                continue;
            }
            if self.session().mode == session::DiagnosticMode::Pull {
                continue;
            }
            for p in batch.items {
                match &self.frames {
                    Some(frames) => {
                        let mut body = Vec::with_capacity(256 + p.len() * 400);
                        proto::write_publish(
                            &mut body,
                            &p.uri,
                            p.version,
                            &p.text,
                            &p.index,
                            p.diagnostics(),
                            batch.encoding,
                        );
                        tracing::debug!(
                            "publish: {} v{:?}, {} diagnostics, {} bytes",
                            p.uri.as_str(),
                            p.version,
                            p.len(),
                            body.len()
                        );
                        let _ = frames.send(body);
                    }
                    None => self.client.publish_diagnostics(p.uri.clone(), p.to_lsp(batch.encoding), p.version).await,
                }
            }
        }
    }
}
