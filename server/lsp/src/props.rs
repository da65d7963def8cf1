//! Property tests of document sync and diagnostics (issue 7, item 2):
//! (a) random streams of incremental edits, in UTF-8 and UTF-16 positions, over
//!     CJK, emoji, CRLF and lone CR text, edits at line ends and across lines, leave the
//!     server's `Document` identical to the client's text (a plain `String` here);
//! (b) the diagnostics after any edit stream equal those of a fresh open of the
//!     final text (on a temp copy of `tests/fixtures/example`).
//!
//! Fast by default; more cases: `PROPTEST_CASES=2000 cargo test -p tollgate-lsp props`.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use tollgate_engine::PositionEncoding;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

use crate::document::Document;
use crate::session::Session;

// ----- the client's side -------------------------------------------------------

/// The client's position of byte `offset`, computed the plain way (lines end at
/// `\n`, `\r\n` or a lone `\r`, as LSP says; the column counts the line's
/// characters before it in `enc`).
fn client_position(text: &str, offset: usize, enc: PositionEncoding) -> Position {
    let b = text.as_bytes();
    let (mut line, mut line_start) = (0u32, 0usize);
    for i in 0..offset {
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = text[line_start..offset]
        .chars()
        .map(|c| match enc {
            PositionEncoding::Utf8 => c.len_utf8() as u32,
            PositionEncoding::Utf16 => c.len_utf16() as u32,
        })
        .sum();
    Position { line, character: col }
}

/// Offsets a client can name: character boundaries, never between `\r` and `\n`.
fn cursor_offsets(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i) && !(i > 0 && b[i - 1] == b'\r' && b.get(i) == Some(&b'\n')))
        .collect()
}

/// One edit as generated: where (two picks among the cursor offsets) and what.
#[derive(Clone, Debug)]
enum Edit {
    Replace {
        a: usize,
        b: usize,
        text: String,
    },
    /// Jump to the end of the line holding pick `a` (edits at line ends).
    AtLineEnd {
        a: usize,
        text: String,
    },
    Full(String),
}

/// Applies `edit` to the client's text and returns the change event it sends.
fn client_apply(text: &mut String, edit: &Edit, enc: PositionEncoding) -> TextDocumentContentChangeEvent {
    let offsets = cursor_offsets(text);
    let pick = |k: usize| offsets[k % offsets.len()];
    let (start, end, new) = match edit {
        Edit::Full(t) => {
            *text = t.clone();
            return TextDocumentContentChangeEvent { range: None, range_length: None, text: t.clone() };
        }
        Edit::Replace { a, b, text } => {
            let (x, y) = (pick(*a), pick(*b));
            (x.min(y), x.max(y), text.clone())
        }
        Edit::AtLineEnd { a, text: t } => {
            let from = pick(*a);
            let end = text[from..].find(['\r', '\n']).map_or(text.len(), |i| from + i);
            (end, end, t.clone())
        }
    };
    let range = Range { start: client_position(text, start, enc), end: client_position(text, end, enc) };
    text.replace_range(start..end, &new);
    TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: new }
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("a\rb".to_string()),
        Just("初始化".to_string()),
        Just("😀".to_string()),
        Just("é".to_string()),
        Just("- id: x\n".to_string()),
        Just("key: 值\r\n".to_string()),
        "[a-c😀初\n]{0,6}",
    ]
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..12).prop_map(|v| v.concat())
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<usize>(), any::<usize>(), piece()).prop_map(|(a, b, text)| Edit::Replace { a, b, text }),
        2 => (any::<usize>(), piece()).prop_map(|(a, text)| Edit::AtLineEnd { a, text }),
        1 => text_strategy().prop_map(Edit::Full),
    ]
}

fn encoding() -> impl Strategy<Value = PositionEncoding> {
    prop_oneof![Just(PositionEncoding::Utf8), Just(PositionEncoding::Utf16)]
}

/// `PROPTEST_CASES` when set (for long runs), else `default` (fast in CI).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn edit_streams_keep_the_document_identical_to_the_client(
        initial in text_strategy(),
        batches in prop::collection::vec(prop::collection::vec(edit(), 1..4), 1..16),
        enc in encoding(),
    ) {
        let mut client = initial.clone();
        let mut doc = Document::new("/x.yaml".into(), 0, initial, None);
        for (v, batch) in batches.iter().enumerate() {
            // One didChange may carry several changes, each on the text the previous one left.
            let changes: Vec<_> = batch.iter().map(|e| client_apply(&mut client, e, enc)).collect();
            doc.apply(v as i32 + 1, changes, enc);
            prop_assert_eq!(&*doc.text, client.as_str());
            prop_assert_eq!(&*doc.index, &tollgate_engine::LineIndex::new(&client));
        }
    }
}

// ----- (b) diagnostics: an edit stream versus a fresh open ----------------------

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn example() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example"), t.path());
        t
    })
    .path()
}

const EDITABLE: &[&str] = &[
    "pipeline.yaml",
    ".factory/state.json",
    ".factory/scope.yaml",
    "policies/capability.matrix.md",
    "artifacts/prd/prd.md",
    "other.yaml",
];

/// Every URI's diagnostics as the session now has them (after its first scan).
fn diagnostics(s: &mut Session, key: &Path, uri: &Uri) -> BTreeMap<String, String> {
    if let Some(snapshot) = s.scan_input(key) {
        let scan = tollgate_engine::workspace::scan(&snapshot);
        s.scan_done(key, tollgate_engine::workspace::Scan { baseline: None, ..scan });
    }
    let batch = s.analyze(key, Some(uri));
    batch
        .items
        .iter()
        .filter(|p| p.len() > 0)
        .map(|p| (p.uri.as_str().to_string(), serde_json::to_string(&p.to_lsp(batch.encoding)).unwrap()))
        .collect()
}

/// Does the modelled file `rel` have no model now (a syntax error)? Then the
/// session serves the other files' checks from its last good version.
fn unreadable(s: &Session, key: &Path, rel: &str) -> bool {
    let snap = &s.roots[key].ws.snapshot;
    match rel {
        "pipeline.yaml" => snap.pipeline.as_ref().is_some_and(|x| x.current.model.is_none()),
        ".factory/state.json" => snap.state.as_ref().is_some_and(|x| x.current.model.is_none()),
        ".factory/scope.yaml" => snap.scope.as_ref().is_some_and(|x| x.current.model.is_none()),
        "policies/capability.matrix.md" => snap.matrix.as_ref().is_some_and(|x| x.current.model.is_none()),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(24)))]

    #[test]
    fn diagnostics_after_edits_equal_a_fresh_open(
        file in 0..EDITABLE.len(),
        batches in prop::collection::vec(prop::collection::vec(edit(), 1..3), 1..8),
        enc in encoding(),
    ) {
        let root = example();
        let rel = EDITABLE[file];
        let path = root.join(rel);
        let uri = Uri::from_file_path(&path).unwrap();
        let initial = std::fs::read_to_string(&path).unwrap_or_default();

        let mut edited = Session::default();
        edited.encoding = enc;
        let key = edited.open(uri.clone(), 1, initial.clone()).unwrap();
        let _ = diagnostics(&mut edited, &key, &uri);
        let mut client = initial;
        for (v, batch) in batches.iter().enumerate() {
            let changes: Vec<_> = batch.iter().map(|e| client_apply(&mut client, e, enc)).collect();
            edited.change(&uri, v as i32 + 2, changes).unwrap();
            let _ = edited.analyze(&key, Some(&uri));
        }
        prop_assert_eq!(&*edited.docs[&uri].text, client.as_str());
        let after_edits = diagnostics(&mut edited, &key, &uri);

        let mut fresh = Session::default();
        fresh.encoding = enc;
        let fresh_key = fresh.open(uri.clone(), 1, client.clone()).unwrap();
        prop_assert_eq!(&fresh_key, &key);
        let after_open = diagnostics(&mut fresh, &fresh_key, &uri);

        if unreadable(&fresh, &key, rel) {
            // The server keeps the last good model for the other files' checks, and
            // which version was last good depends on the history: only the edited
            // document's own diagnostics must agree then.
            prop_assert_eq!(after_edits.get(uri.as_str()), after_open.get(uri.as_str()));
        } else {
            prop_assert_eq!(after_edits, after_open);
        }
    }
}
