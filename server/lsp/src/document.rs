//! An open document: the client's text, kept identical through incremental edits.

use std::path::PathBuf;
use std::sync::Arc;

use tollgate_engine::{LineIndex, PositionEncoding};
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use crate::proto;

#[derive(Debug)]
pub struct Document {
    pub path: PathBuf,
    pub version: i32,
    pub text: Arc<str>,
    /// Shared with the diagnostics being published for this version.
    pub index: Arc<LineIndex>,
    /// The file's text on disk (None: not on disk), to tell buffer edits apart.
    pub disk: Option<Arc<str>>,
    /// Syntax findings of a YAML or JSON buffer that no model reads, for this
    /// version (computed once, not on every analysis of its root).
    pub yaml_findings: std::sync::OnceLock<Vec<tollgate_engine::Diagnostic>>,
}

impl Document {
    pub fn new(path: PathBuf, version: i32, text: String, disk: Option<Arc<str>>) -> Self {
        let index = Arc::new(LineIndex::new(&text));
        // A buffer opened unchanged shares the disk's text (one copy of megabytes, not two).
        let text = match &disk {
            Some(d) if **d == *text => d.clone(),
            _ => Arc::from(text),
        };
        Document { path, version, text, index, disk, yaml_findings: Default::default() }
    }

    /// Applies the client's changes in order; each range refers to the text as
    /// left by the previous change.
    pub fn apply(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>, enc: PositionEncoding) {
        self.version = version;
        self.yaml_findings = Default::default();
        if let [TextDocumentContentChangeEvent { range: Some(r), text: insert, .. }] = changes.as_slice() {
            // A keystroke: one edit, written straight into the new text's allocation.
            let range = proto::text_range(&self.text, &self.index, *r, enc);
            self.text = splice(&self.text, range.start as usize..range.end as usize, insert);
            Arc::make_mut(&mut self.index).replace(&self.text, range, insert);
            return;
        }
        // Room for every insertion up front: `replace_range` would otherwise double
        // a megabytes-long buffer on the first keystroke.
        let room = self.text.len() + changes.iter().map(|c| c.text.len()).sum::<usize>();
        let mut text = String::with_capacity(room);
        text.push_str(&self.text);
        for change in changes {
            match change.range {
                None => {
                    text = change.text;
                    self.index = Arc::new(LineIndex::new(&text));
                }
                Some(r) => {
                    let range = proto::text_range(&text, &self.index, r, enc);
                    text.replace_range(range.start as usize..range.end as usize, &change.text);
                    Arc::make_mut(&mut self.index).replace(&text, range, &change.text);
                }
            }
        }
        self.text = Arc::from(text);
    }

    /// Does the buffer differ from the file on disk?
    pub fn is_dirty(&self) -> bool {
        self.disk.as_deref() != Some(&*self.text)
    }
}

/// `old` with `range` replaced by `insert`, built in its final allocation: one
/// copy of a megabytes-long text per keystroke, not two (`String`, then `Arc`).
fn splice(old: &str, range: std::ops::Range<usize>, insert: &str) -> Arc<str> {
    assert!(range.start <= range.end && old.is_char_boundary(range.start) && old.is_char_boundary(range.end));
    let b = old.as_bytes();
    let pieces = [&b[..range.start], insert.as_bytes(), &b[range.end..]];
    let mut buf = Arc::<[u8]>::new_uninit_slice(pieces.iter().map(|p| p.len()).sum());
    let dst = Arc::get_mut(&mut buf).expect("a new Arc has no other owner");
    let mut at = 0;
    for p in pieces {
        dst[at..at + p.len()].write_copy_of_slice(p);
        at += p.len();
    }
    // SAFETY: every byte was written just above.
    let bytes = unsafe { buf.assume_init() };
    // SAFETY: valid UTF-8: `old` cut at two of its character boundaries (asserted
    // above) with a whole `&str` between; `str` and `[u8]` have the same layout.
    unsafe { Arc::from_raw(Arc::into_raw(bytes) as *const str) }
}

impl Document {
    /// Syntax and duplicate-key findings of this version (a YAML or JSON buffer).
    pub fn yaml_findings(&self) -> &[tollgate_engine::Diagnostic] {
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.yaml_findings.get_or_init(|| tollgate_engine::analysis::check_other_yaml(&name, &self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn edit(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position { line: l0, character: c0 },
                end: Position { line: l1, character: c1 },
            }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn splice_replaces_one_range() {
        let old = "a: 初始😀z\nb\n";
        let at = old.find('z').unwrap();
        assert_eq!(&*splice(old, at..at + 1, "Z😀"), "a: 初始😀Z😀\nb\n");
        assert_eq!(&*splice(old, 0..0, "x"), "xa: 初始😀z\nb\n");
        assert_eq!(&*splice(old, 0..old.len(), ""), "");
        assert_eq!(&*splice("", 0..0, "初"), "初");
    }

    #[test]
    #[should_panic]
    fn splice_refuses_to_cut_a_character() {
        splice("初", 1..1, "x");
    }

    #[test]
    fn incremental_edits_in_both_encodings() {
        let mut d = Document::new("/x".into(), 1, "a: 初始😀z\nb\n".into(), None);
        // after the emoji: UTF-16 col 7 (3 + 2 CJK + 2 surrogates)
        d.apply(2, vec![edit(0, 7, 0, 8, "Z"), edit(1, 0, 1, 1, "c\r\nd")], PositionEncoding::Utf16);
        assert_eq!(&*d.text, "a: 初始😀Z\nc\r\nd\n");
        let mut d = Document::new("/x".into(), 1, "a: 初始😀z\n".into(), None);
        d.apply(2, vec![edit(0, 13, 0, 14, "Z")], PositionEncoding::Utf8);
        assert_eq!(&*d.text, "a: 初始😀Z\n");
        assert_eq!(d.version, 2);
    }
}
