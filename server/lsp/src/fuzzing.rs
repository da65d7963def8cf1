//! For the fuzz targets (`fuzz/`) only: the server as an in-process `tower`
//! service, without stdio. Not part of tollgate's API; hidden from the docs.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tower_lsp_server::{ClientSocket, LspService};

use crate::Server;

/// A fresh server, as `run_stdio` builds it: send it requests with
/// `tower_service::Service::call`, answer its own requests on the socket.
pub fn service() -> (LspService<Server>, ClientSocket) {
    crate::service(|client| Server::new(client, Arc::new(AtomicBool::new(false)), None))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use futures::StreamExt;
    use serde_json::json;
    use tower_lsp_server::jsonrpc::Request;
    use tower_service::Service;

    use super::{service, LspService, Server};

    async fn call(s: &mut LspService<Server>, req: Request) {
        std::future::poll_fn(|cx| s.poll_ready(cx)).await.expect("ready");
        let _ = tokio::time::timeout(Duration::from_secs(10), s.call(req)).await.expect("answered in time");
    }

    /// A client that cannot watch files makes the server watch the root itself;
    /// after `shutdown` nothing may keep the server (and its inotify instance)
    /// alive: before, the watcher's event task held it forever.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shut_down_server_is_freed_with_its_watcher() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("pipeline.yaml"), "version: 1\nstages: []\n").expect("write");
        let uri = format!("file://{}", dir.path().display());
        let (mut s, mut socket) = service();
        tokio::spawn(async move { while socket.next().await.is_some() {} });
        let init = json!({"capabilities": {}, "workspaceFolders": [{"uri": uri, "name": "ws"}]});
        call(&mut s, Request::build("initialize").id(1).params(init).finish()).await;
        call(&mut s, Request::build("initialized").params(json!({})).finish()).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.inner().watcher.lock().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the server never started its own watcher");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let weak = std::sync::Arc::downgrade(&s.inner().0);
        call(&mut s, Request::build("shutdown").id(2).finish()).await;
        drop(s);
        let deadline = Instant::now() + Duration::from_secs(5);
        while weak.upgrade().is_some() {
            assert!(Instant::now() < deadline, "the server is still alive 5 s after shutdown");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
