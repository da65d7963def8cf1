//! "Grant write access": one text edit that adds a path to the stage's write
//! permissions, in the matrix row or in `permissions.write`, whichever applies.

use tollgate_text::TextRange;

use crate::analysis::Snapshot;
use crate::permissions::{Origin, WriteSet};

/// An edit to one file of the root, with a title saying what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub title: String,
    pub file: String,
    pub range: TextRange,
    pub new_text: String,
}

const NONE_MARKERS: &[&str] = &["无", "none", "-", "—", "–"];

pub fn grant_write(snapshot: &Snapshot, stage: &str, path: &str) -> Option<Grant> {
    let pipeline = snapshot.pipeline.as_ref().map(|s| &*s.current);
    let matrix = snapshot.matrix.as_ref().map(|s| &*s.current);
    let set = WriteSet::for_stage(pipeline, matrix, stage)?;
    let text = snapshot.text(&set.file)?;
    let (range, new_text) = match set.origin {
        Origin::Matrix => {
            let row = snapshot.matrix()?.row(stage)?;
            let cell = row.write_cell;
            if NONE_MARKERS.contains(&cell.slice(&text).trim()) || cell.is_empty() {
                (cell, format!("`{path}`"))
            } else {
                (TextRange::empty(cell.end), format!(", `{path}`"))
            }
        }
        Origin::Permissions => {
            let perms = snapshot.pipeline()?.stage(stage)?.permissions.as_ref()?;
            let list = perms.write_range?;
            let items = perms.write.as_ref()?;
            let src = list.slice(&text);
            if src.starts_with('[') {
                let close = list.start + src.rfind(']')? as u32;
                let sep = if items.is_empty() { "" } else { ", " };
                (TextRange::empty(close), format!("{sep}{path}"))
            } else {
                let last = items.last()?;
                let line_start = text[..last.range.start as usize].rfind('\n').map(|i| i + 1).unwrap_or(0);
                let prefix = &text[line_start..last.range.start as usize];
                (TextRange::empty(last.range.end), format!("\n{prefix}{path}"))
            }
        }
    };
    let place = match set.origin {
        Origin::Matrix => format!("its matrix row ({})", set.file),
        Origin::Permissions => "its `permissions.write`".to_string(),
    };
    Some(Grant {
        title: format!("Grant stage `{stage}` write access to `{path}` in {place}"),
        file: set.file.clone(),
        range,
        new_text,
    })
}
