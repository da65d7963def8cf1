//! The edge: engine data to and from LSP types. Only this crate imports `ls_types`.

use std::path::{Path, PathBuf};

use tollgate_engine::{Diagnostic, LineCol, LineIndex, PositionEncoding, Severity, TextRange};
use tower_lsp_server::ls_types::{self as lsp, NumberOrString, PositionEncodingKind, Uri};

/// UTF-8 when the client offers it (cheaper, exact for us), else UTF-16, LSP's default.
pub fn negotiate_encoding(caps: &lsp::ClientCapabilities) -> PositionEncoding {
    let offered = caps.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|list| list.contains(&PositionEncodingKind::UTF8)) {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    }
}

pub fn encoding_kind(enc: PositionEncoding) -> PositionEncodingKind {
    match enc {
        PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
    }
}

/// The file path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// An `lsp::Uri` or file URI string from a command argument (`root` may be a path or a URI).
pub fn path_from_arg(s: &str) -> Option<PathBuf> {
    if s.starts_with("file:") {
        let uri: Uri = s.parse().ok()?;
        path_of(&uri)
    } else {
        Some(PathBuf::from(s))
    }
}

pub fn position(text: &str, index: &LineIndex, offset: u32, enc: PositionEncoding) -> lsp::Position {
    let lc = index.position(text, offset, enc);
    lsp::Position { line: lc.line, character: lc.col }
}

pub fn range(text: &str, index: &LineIndex, r: TextRange, enc: PositionEncoding) -> lsp::Range {
    lsp::Range { start: position(text, index, r.start, enc), end: position(text, index, r.end, enc) }
}

pub fn offset(text: &str, index: &LineIndex, p: lsp::Position, enc: PositionEncoding) -> u32 {
    index.offset(text, LineCol { line: p.line, col: p.character }, enc)
}

pub fn text_range(text: &str, index: &LineIndex, r: lsp::Range, enc: PositionEncoding) -> TextRange {
    let (a, b) = (offset(text, index, r.start, enc), offset(text, index, r.end, enc));
    TextRange::new(a.min(b), a.max(b))
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(text: &str, index: &LineIndex, d: &Diagnostic, enc: PositionEncoding) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: range(text, index, d.range, enc),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("tollgate".to_string()),
        message: d.message.clone(),
        data: serde_json::to_value(&d.data).ok(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_carries_code_source_and_blocker() {
        let text = "id: 初始化 x";
        let index = LineIndex::new(text);
        let start = text.find('x').unwrap() as u32;
        let d = Diagnostic::new(tollgate_engine::Code::OutOfScope, TextRange::new(start, start + 1), "m");
        let u16 = diagnostic(text, &index, &d, PositionEncoding::Utf16);
        assert_eq!((u16.range.start.character, u16.range.end.character), (8, 9));
        let u8 = diagnostic(text, &index, &d, PositionEncoding::Utf8);
        assert_eq!((u8.range.start.character, u8.range.end.character), (14, 15));
        assert_eq!(u16.code, Some(NumberOrString::String("out-of-scope".into())));
        assert_eq!(u16.source.as_deref(), Some("tollgate"));
        assert_eq!(u16.data.unwrap()["blocker"]["return_to"], "exploration");
    }
}
