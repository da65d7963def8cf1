//! Reading a root's files from disk, within the limits of what tollgate reads and parses.

use std::path::Path;
use std::sync::Arc;

use tollgate_text::TextRange;

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub path: String,
    pub message: String,
}

/// Largest file tollgate reads at all (a changed file's text for its
/// diagnostics' positions, an open document's copy on disk); a larger one is
/// reported, not read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Largest file tollgate parses: the files it models (pipeline, matrix, state,
/// scope, evidence, on disk or in an open buffer) and the other YAML and JSON
/// buffers it checks. Parsing costs tens of times the text in memory (a 50 MB
/// pipeline took GBs in a debug build); a larger file gets one finding that
/// names its size and this limit, and its last good model keeps serving.
pub const MAX_MODELLED_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file of `size` bytes is not parsed.
pub fn too_large_message(size: u64) -> String {
    format!("{size} bytes is over tollgate's limit of {MAX_MODELLED_BYTES} bytes (8 MiB) for the files it parses")
}

/// Where the finding on a file too large to parse sits: its first line's content
/// (its line ending when the first line is empty), at most 256 bytes, within the
/// part of `head` that is valid UTF-8. Returns the range and the text it lies in
/// (a prefix of the file, for positions).
pub(super) fn head_range(head: &[u8]) -> (TextRange, Arc<str>) {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let line_end = valid.find(['\n', '\r']).unwrap_or(valid.len());
    let (start, mut end) = (0, line_end);
    if end == start {
        // An empty first line: mark its line ending.
        end = if valid[start..].starts_with("\r\n") { 2 } else { valid.len().min(1) };
    }
    let mut end = end.min(256);
    while !valid.is_char_boundary(end) {
        end -= 1;
    }
    let range = TextRange::new(start as u32, end as u32);
    let text_end = if valid[end..].starts_with("\r\n") { end + 2 } else { end };
    (range, Arc::from(&valid[..text_end]))
}

/// Reads a root-relative file: Ok(None) when absent, Err when unreadable.
pub fn read_text(root: &Path, rel: &str) -> Result<Option<Arc<str>>, String> {
    let path = root.join(rel);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
        Ok(m) if !m.is_file() => return Ok(None),
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return Err(format!("{} bytes is over tollgate's limit of {MAX_FILE_BYTES} bytes", m.len()))
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(Arc::from(s))),
        Err(_) => Err("the file is not valid UTF-8".to_string()),
    }
}
