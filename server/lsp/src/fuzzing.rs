//! For the fuzz targets (`fuzz/`) only: the server as an in-process `tower`
//! service, without stdio. Not part of tollgate's API; hidden from the docs.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tower_lsp_server::{ClientSocket, LspService};

use crate::Server;

/// A fresh server, as `run_stdio` builds it: send it requests with
/// `tower_service::Service::call`, answer its own requests on the socket.
pub fn service() -> (LspService<Server>, ClientSocket) {
    LspService::new(|client| Server::new(client, Arc::new(AtomicBool::new(false)), None))
}
