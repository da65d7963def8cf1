//! Completion of keys, enum values, stage ids and input paths.
//!
//! It reads the document's given text around the cursor (indentation, the
//! `key:` before it, the enclosing keys above it), never a parse: mid-typing the
//! text often does not parse. Stage ids and outputs come from the snapshot's
//! models (the last good ones are fine for those).

mod json;
mod yaml;

use super::good;
use crate::analysis::{FileKind, Snapshot};
use tollgate_text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Key,
    Value,
    StageId,
    /// An input path (an output of an earlier stage).
    Path,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub kind: ItemKind,
    pub detail: Option<String>,
    pub insert_text: String,
    /// The text the item replaces: the partial word before the cursor (inside
    /// quotes when the cursor is in a string). Empty at the cursor when nothing is typed.
    pub replace: TextRange,
}

/// Completions at `offset` in `text`, the current text of the document `path`
/// (root-relative; it may be newer than the snapshot's).
pub fn completion(snapshot: &Snapshot, path: &str, text: &str, offset: u32) -> Vec<Item> {
    let cursor = floor_boundary(text, offset as usize);
    match snapshot.root.kind_of(path) {
        FileKind::Pipeline => yaml::complete(snapshot, text, cursor, yaml::Schema::Pipeline),
        FileKind::Scope => yaml::complete(snapshot, text, cursor, yaml::Schema::Scope),
        FileKind::State => json::complete(snapshot, text, cursor),
        FileKind::Matrix => matrix(snapshot, text, cursor),
        _ => Vec::new(),
    }
}

/// The nearest char boundary at or before `at`, within the text.
pub(crate) fn floor_boundary(text: &str, at: usize) -> usize {
    let mut i = at.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(start as u32, end as u32)
}

fn item(label: &str, kind: ItemKind, detail: Option<String>, insert: String, replace: TextRange) -> Item {
    Item { label: label.to_string(), kind, detail, insert_text: insert, replace }
}

/// Every stage id of the pipeline, in order; `quote` wraps the inserted text.
fn stage_ids(snapshot: &Snapshot, replace: TextRange, quote: bool) -> Vec<Item> {
    let Some(p) = snapshot.pipeline() else { return Vec::new() };
    let n = p.stages.len();
    p.stages
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let id = &s.id.as_ref()?.value;
            let mut detail = format!("stage {} of {n}", i + 1);
            if let Some(a) = &s.agent {
                detail.push_str(&format!(" · {}", a.value));
            }
            let insert = if quote { format!("\"{id}\"") } else { id.clone() };
            Some(item(id, ItemKind::StageId, Some(detail), insert, replace))
        })
        .collect()
}

/// Values of a fixed set; `quote` wraps the inserted text.
fn values(set: &[&str], detail: &str, replace: TextRange, quote: bool) -> Vec<Item> {
    set.iter()
        .map(|v| {
            let insert = if quote { format!("\"{v}\"") } else { v.to_string() };
            item(v, ItemKind::Value, Some(detail.to_string()), insert, replace)
        })
        .collect()
}

/// In the matrix, the first cell of a table row takes a stage id.
fn matrix(snapshot: &Snapshot, text: &str, cursor: usize) -> Vec<Item> {
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..cursor];
    let Some(after) = prefix.trim_start().strip_prefix('|') else { return Vec::new() };
    if after.contains('|') {
        return Vec::new();
    }
    let partial = after.trim_start().trim_start_matches(['*', '_', '`']);
    let mut items = stage_ids(snapshot, range(cursor - partial.len(), cursor), false);
    if let Some(m) = good(&snapshot.matrix).and_then(|l| l.model.as_ref()) {
        for it in &mut items {
            if m.row(&it.label).is_none() {
                it.detail = it.detail.take().map(|d| format!("{d} · no row yet"));
            }
        }
    }
    items
}
