//! Hover, go to definition, document symbols and completion: thin wrappers that
//! find the document's root and convert the engine's plain answers (`ide`).

use std::sync::Arc;

use tollgate_engine::ide;
use tollgate_engine::LineIndex;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{locate, Doc};
use crate::proto;
use crate::server::Server;

pub fn hover(server: &Server, p: HoverParams) -> Result<Option<Hover>> {
    let uri = p.text_document_position_params.text_document.uri;
    let pos = p.text_document_position_params.position;
    server.with_session(|s| {
        let doc = locate(s, &uri)?;
        let enc = s.encoding;
        let at = proto::offset(&doc.text, &doc.index, pos, enc);
        let h = ide::hover(&s.roots.get(&doc.key)?.ws.snapshot, &doc.rel, at)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: h.markdown }),
            range: Some(proto::range(&doc.text, &doc.index, h.range, enc)),
        })
    })
}

pub fn definition(server: &Server, p: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
    let uri = p.text_document_position_params.text_document.uri;
    let pos = p.text_document_position_params.position;
    server.with_session(|s| {
        let doc = locate(s, &uri)?;
        let enc = s.encoding;
        let at = proto::offset(&doc.text, &doc.index, pos, enc);
        let state = s.roots.get(&doc.key)?;
        let targets = ide::definition(&state.ws.snapshot, &doc.rel, at);
        let locations: Vec<Location> = targets
            .into_iter()
            .filter_map(|t| {
                let uri = proto::uri_of(&state.ws.root.absolute(&t.path))?;
                let text = match s.docs.get(&uri) {
                    Some(d) => d.text.clone(),
                    None => state.ws.snapshot.text(&t.path).unwrap_or_else(|| Arc::from("")),
                };
                let index = LineIndex::new(&text);
                Some(Location { uri, range: proto::range(&text, &index, t.range, enc) })
            })
            .collect();
        (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
    })
}

pub fn document_symbol(server: &Server, p: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
    let uri = p.text_document.uri;
    server.with_session(|s| {
        let doc = locate(s, &uri)?;
        let enc = s.encoding;
        let symbols = ide::symbols(&s.roots.get(&doc.key)?.ws.snapshot, &doc.rel);
        let convert = |sym: &ide::Symbol| to_symbol(sym, &doc, enc);
        Some(DocumentSymbolResponse::Nested(symbols.iter().map(convert).collect()))
    })
}

#[allow(deprecated)]
fn to_symbol(sym: &ide::Symbol, doc: &Doc, enc: tollgate_engine::PositionEncoding) -> DocumentSymbol {
    let kind = match sym.kind {
        ide::SymbolKind::Stage => SymbolKind::CLASS,
        ide::SymbolKind::Input => SymbolKind::FIELD,
        ide::SymbolKind::Output => SymbolKind::PROPERTY,
        ide::SymbolKind::Row => SymbolKind::STRUCT,
        ide::SymbolKind::Entry => SymbolKind::KEY,
    };
    DocumentSymbol {
        name: sym.name.clone(),
        detail: sym.detail.clone(),
        kind,
        tags: None,
        deprecated: None,
        range: proto::range(&doc.text, &doc.index, sym.range, enc),
        selection_range: proto::range(&doc.text, &doc.index, sym.selection_range, enc),
        children: (!sym.children.is_empty()).then(|| sym.children.iter().map(|c| to_symbol(c, doc, enc)).collect()),
    }
}

pub fn completion(server: &Server, p: CompletionParams) -> Result<Option<CompletionResponse>> {
    let uri = p.text_document_position.text_document.uri;
    let pos = p.text_document_position.position;
    server.with_session(|s| {
        let doc = locate(s, &uri)?;
        let enc = s.encoding;
        let at = proto::offset(&doc.text, &doc.index, pos, enc);
        let items = ide::completion(&s.roots.get(&doc.key)?.ws.snapshot, &doc.rel, &doc.text, at);
        let items: Vec<CompletionItem> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| CompletionItem {
                label: item.label,
                kind: Some(match item.kind {
                    ide::ItemKind::Key => CompletionItemKind::PROPERTY,
                    ide::ItemKind::Value => CompletionItemKind::ENUM_MEMBER,
                    ide::ItemKind::StageId => CompletionItemKind::REFERENCE,
                    ide::ItemKind::Path => CompletionItemKind::FILE,
                }),
                detail: item.detail,
                // Keep the engine's order (it ranks by relevance).
                sort_text: Some(format!("{i:06}")),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                    range: proto::range(&doc.text, &doc.index, item.replace, enc),
                    new_text: item.insert_text,
                })),
                ..Default::default()
            })
            .collect();
        Some(CompletionResponse::List(CompletionList { is_incomplete: false, items }))
    })
}
