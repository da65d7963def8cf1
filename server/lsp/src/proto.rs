//! The edge: engine data to and from LSP types. Only this crate imports `ls_types`.

use std::path::{Path, PathBuf};

use tollgate_engine::diagnostic::Data;
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

/// The body of a `textDocument/publishDiagnostics` notification, written straight
/// from the engine's diagnostics: the same JSON as serializing `diagnostic`'s
/// output, without building thousands of LSP values on every keystroke.
pub fn write_publish<'a>(
    out: &mut Vec<u8>,
    uri: &Uri,
    version: Option<i32>,
    text: &str,
    index: &LineIndex,
    diags: impl IntoIterator<Item = &'a Diagnostic>,
    enc: PositionEncoding,
) {
    fn pos(out: &mut Vec<u8>, lc: LineCol) {
        out.extend_from_slice(b"{\"line\":");
        json(out, &lc.line);
        out.extend_from_slice(b",\"character\":");
        json(out, &lc.col);
        out.push(b'}');
    }
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":");
    string(out, uri.as_str());
    out.extend_from_slice(b",\"diagnostics\":[");
    // Sorted diagnostics: each position is looked up from the one before.
    let mut positions = index.positions(text, enc);
    for (i, d) in diags.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"range\":{\"start\":");
        pos(out, positions.at(d.range.start));
        out.extend_from_slice(b",\"end\":");
        pos(out, positions.at(d.range.end));
        out.extend_from_slice(b"},\"severity\":");
        json(out, &severity(d.severity));
        out.extend_from_slice(b",\"code\":");
        name(out, d.code.as_str());
        out.extend_from_slice(b",\"source\":\"tollgate\",\"message\":");
        string(out, &d.message);
        out.extend_from_slice(b",\"data\":");
        data(out, &d.data);
        out.push(b'}');
    }
    out.push(b']');
    if let Some(v) = version {
        out.extend_from_slice(b",\"version\":");
        json(out, &v);
    }
    out.extend_from_slice(b"}}");
}

fn json(out: &mut Vec<u8>, v: &(impl serde::Serialize + ?Sized)) {
    // Writing into a Vec cannot fail; the types here always serialize.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A JSON string; most need no escape, and are copied as they are.
fn string(out: &mut Vec<u8>, s: &str) {
    if needs_no_escape(s.as_bytes()) {
        quoted(out, s);
    } else {
        json(out, s);
    }
}

fn quoted(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// No control character, quote or backslash: what serde_json would escape.
fn needs_no_escape(bytes: &[u8]) -> bool {
    let plain = |b: u8| (b >= 0x20) & (b != b'"') & (b != b'\\');
    // Whole 16-byte blocks without an early exit inside: vector compares.
    let blocks = bytes.chunks_exact(16);
    let rest = blocks.remainder();
    blocks.into_iter().all(|c| c.iter().fold(true, |ok, &b| ok & plain(b))) && rest.iter().all(|&b| plain(b))
}

/// A string known to need no escape (our own names).
fn name(out: &mut Vec<u8>, s: &'static str) {
    debug_assert!(needs_no_escape(s.as_bytes()));
    quoted(out, s);
}

/// `Data` as its serde derive writes it: the blocker, then the stage and the
/// fixes when present (the fixes, rare, through serde).
fn data(out: &mut Vec<u8>, d: &Data) {
    match d.blocker {
        Some(b) => {
            out.extend_from_slice(b"{\"blocker\":{\"class\":");
            name(out, b.class.as_str());
            out.extend_from_slice(b",\"return_to\":");
            name(out, b.return_to.as_str());
            out.push(b'}');
        }
        None => out.extend_from_slice(b"{\"blocker\":null"),
    }
    if let Some(stage) = &d.stage {
        out.extend_from_slice(b",\"stage\":");
        string(out, stage);
    }
    if !d.fixes.is_empty() {
        out.extend_from_slice(b",\"fixes\":");
        json(out, &d.fixes);
    }
    out.push(b'}');
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

    /// The direct writer gives exactly what serializing the LSP types gives.
    #[test]
    fn write_publish_equals_the_typed_notification() {
        let text = "a: 初始化 x\r\nb: \"quote\\\" 😀\"\n";
        let index = LineIndex::new(text);
        let at = |s: &str| text.find(s).unwrap() as u32;
        let diags = vec![
            Diagnostic::new(
                tollgate_engine::Code::OutOfScope,
                TextRange::new(at("x"), at("x") + 1),
                "m \"q\" \\ \n 初",
            ),
            Diagnostic::new(tollgate_engine::Code::AgentNotFound, TextRange::new(at("b"), at("😀") + 4), "agent")
                .with_stage("s")
                .with_severity(Severity::Hint),
            // Characters to escape in later 16-byte blocks and in the remainder, a
            // fix, a stage with a quote, no blocker, a range past the text's end.
            Diagnostic::new(
                tollgate_engine::Code::MissingOutput,
                TextRange::new(at("b"), at("b")),
                format!("{}\"{}\u{1f}\u{7f}{}\\", "a".repeat(31), "b".repeat(32), "c".repeat(40)),
            )
            .with_stage("st\"a\\ge\t")
            .with_fix(tollgate_engine::diagnostic::Fix::ReturnToBuild { stage: "s\"1".into() })
            .with_fix(tollgate_engine::diagnostic::Fix::Replace {
                title: "t".into(),
                range: TextRange::new(1, 2),
                new_text: "x\n\u{1}".into(),
            }),
            {
                let mut d = Diagnostic::new(tollgate_engine::Code::StageFailed, TextRange::new(0, 2), "a".repeat(64))
                    .with_severity(Severity::Information);
                d.data.blocker = None;
                d
            },
            Diagnostic::new(tollgate_engine::Code::OutOfScope, TextRange::new(at("x") + 1, text.len() as u32 + 5), ""),
        ];
        let uri: Uri = "file:///tmp/a%20b/pipeline.yaml".parse().unwrap();
        for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            for version in [None, Some(7)] {
                let mut out = Vec::new();
                write_publish(&mut out, &uri, version, text, &index, &diags, enc);
                let typed = lsp::PublishDiagnosticsParams {
                    uri: uri.clone(),
                    diagnostics: diags.iter().map(|d| diagnostic(text, &index, d, enc)).collect(),
                    version,
                };
                let want = serde_json::json!({
                    "jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": typed
                });
                let got: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
                assert_eq!(got, want);
            }
        }
    }
}
