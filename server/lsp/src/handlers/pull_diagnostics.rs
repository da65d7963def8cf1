//! `textDocument/diagnostic`: the same findings, pulled.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::server::Server;

pub fn diagnostic(server: &Server, p: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
    let items = server.with_session(|s| s.pull(&p.text_document.uri))?;
    Ok(DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
        related_documents: None,
        full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id: None, items },
    })))
}
