//! The current stage's write rules, and only those: what the path checks read of
//! the pipeline and the matrix. A hook is a new process per tool call; parsing a
//! 5,000-stage pipeline (about 3 MB) on each would cost far more than judging the
//! write, so the stage's item and matrix row are kept in a small cache file,
//! valid while both files keep their identity, size and times.
//!
//! The checks then run on a pipeline of that one stage and a matrix of that one
//! row: `WriteSet::for_stage` takes the first stage with the id (and else its
//! matrix row) either way, so the decision is the same (tested against a full load).

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analysis::{Slot, Snapshot};
use crate::model::matrix::{Matrix, MatrixRow};
use crate::model::pipeline::{Permissions, Pipeline, Stage};
use crate::model::{Loaded, Spanned};
use tollgate_text::TextRange;

/// The current stage's rules as stored.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
struct Rules {
    key: String,
    /// The pipeline parsed (else only the matrix counts, as after a syntax error).
    pipeline_parsed: bool,
    /// The stage is in the pipeline; its `permissions.write` when it has one.
    stage_found: bool,
    permissions_write: Option<Vec<String>>,
    /// The stage's matrix row's write cell, when the matrix parsed and has the row.
    matrix_parsed: bool,
    row_write: Option<Vec<String>>,
}

/// Identity, size and times of a file (empty when absent).
fn stamp(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!(
            "{}:{}:{}:{}.{}:{}.{}",
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ),
        Err(_) => "-".into(),
    }
}

fn cache_file(dir: &Path, root: &Path) -> std::path::PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut h);
    dir.join(format!("rules-{:016x}.json", h.finish()))
}

/// Puts the current stage's pipeline item and matrix row into `snap` (which has
/// neither yet): from the cache in `cache` when it is valid, else by loading both
/// files (and storing what was found). Err when a file cannot be read.
pub fn load_for_stage(snap: &mut Snapshot, stage: &str, cache: Option<&Path>) -> Result<(), String> {
    let l = snap.root.layout.clone();
    let dir = snap.root.dir.clone();
    let (p, m) = (&l.pipeline, &l.matrix);
    let key = format!("{}|{p}|{}|{m}|{}|{stage}", dir.display(), stamp(&dir.join(p)), stamp(&dir.join(m)));
    let file = cache.map(|c| cache_file(c, &dir));
    let cached = file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice::<Rules>(&b).ok())
        .filter(|r| r.key == key);
    let rules = match cached {
        Some(r) => r,
        None => {
            let rules = read_rules(snap, stage, key)?;
            if let (Some(f), Some(c)) = (&file, cache) {
                let tmp = c.join(format!(".rules-{}.tmp", std::process::id()));
                if serde_json::to_vec(&rules).is_ok_and(|b| std::fs::write(&tmp, b).is_ok()) {
                    let _ = std::fs::rename(&tmp, f);
                }
            }
            rules
        }
    };
    install(snap, stage, &rules);
    Ok(())
}

fn read_rules(snap: &Snapshot, stage: &str, key: String) -> Result<Rules, String> {
    let l = &snap.root.layout;
    let mut full = Snapshot::empty(snap.root.clone());
    for rel in [&l.pipeline, &l.matrix] {
        match crate::analysis::read_text(&snap.root.dir, rel) {
            Ok(text) if text.as_ref().is_some_and(|t| t.len() as u64 > crate::analysis::MAX_MODELLED_BYTES) => {
                return Err(format!("{rel} is too large to check"));
            }
            Ok(text) => {
                full.set(rel, text);
            }
            Err(e) => return Err(format!("{} cannot be read: {e}", snap.root.dir.join(rel).display())),
        }
    }
    let p = full.pipeline();
    let found = p.and_then(|p| p.stage(stage));
    let m = full.matrix();
    Ok(Rules {
        key,
        pipeline_parsed: p.is_some(),
        stage_found: found.is_some(),
        permissions_write: found
            .and_then(|s| s.permissions.as_ref())
            .and_then(|p| p.write.as_ref())
            .map(|w| w.iter().map(|e| e.value.clone()).collect()),
        matrix_parsed: m.is_some(),
        row_write: m.and_then(|m| m.row(stage)).map(|r| r.write.iter().map(|e| e.value.clone()).collect()),
    })
}

fn spanned(items: &[String]) -> Vec<Spanned<String>> {
    items.iter().map(|s| Spanned::new(s.clone(), TextRange::default())).collect()
}

fn install(snap: &mut Snapshot, stage: &str, r: &Rules) {
    let l = snap.root.layout.clone();
    let r0 = TextRange::default();
    let id = Spanned::new(stage.to_string(), r0);
    let stages = if r.stage_found {
        let permissions = r.permissions_write.as_ref().map(|w| Permissions {
            key: r0,
            read: Vec::new(),
            write: Some(spanned(w)),
            write_range: Some(r0),
        });
        vec![Stage {
            anchor: r0,
            range: r0,
            id: Some(id.clone()),
            description: None,
            agent: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            exit_criteria: Vec::new(),
            on_failure: None,
            permissions,
        }]
    } else {
        Vec::new()
    };
    let pipeline = r.pipeline_parsed.then_some(Pipeline::new(stages));
    snap.pipeline = Some(slot(&l.pipeline, pipeline));
    let rows = r
        .row_write
        .as_ref()
        .map(|w| vec![MatrixRow { stage: id, read: Vec::new(), write: spanned(w), write_cell: r0, line: r0 }])
        .unwrap_or_default();
    snap.matrix = (r.matrix_parsed || r.row_write.is_some())
        .then(|| slot(&l.matrix, r.matrix_parsed.then_some(Matrix::new(rows))));
}

fn slot<T>(path: &str, model: Option<T>) -> Slot<T> {
    Slot {
        current: Arc::new(Loaded { path: path.to_string(), text: Arc::from(""), model, diagnostics: Vec::new() }),
        last_good: None,
    }
}
