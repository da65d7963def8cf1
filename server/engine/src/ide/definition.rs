//! Go to definition: an input to the output that produces it, `agent:` to the
//! agent file, a stage named anywhere to its `id` in the pipeline (and a
//! pipeline `id` to its matrix row).

use super::{agent_file, fresh, hit, norm, producer, Hit};
use crate::analysis::Snapshot;
use tollgate_text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Root-relative, `/`-separated.
    pub path: String,
    /// Empty at 0 for a whole file.
    pub range: TextRange,
}

/// The definitions of what is at `offset` in the document `path` (root-relative).
pub fn definition(snapshot: &Snapshot, path: &str, offset: u32) -> Vec<Target> {
    let Some(h) = hit(snapshot, path, offset) else { return Vec::new() };
    match h {
        Hit::Stage { id, in_pipeline: false, .. } => {
            // Ranges into the pipeline only when its current text parsed.
            let Some((loaded, p)) = fresh(&snapshot.pipeline) else { return Vec::new() };
            p.stages
                .iter()
                .filter_map(|s| s.id.as_ref().filter(|i| i.value == id))
                .map(|i| Target { path: loaded.path.clone(), range: i.range })
                .collect()
        }
        Hit::Stage { id, in_pipeline: true, .. } => {
            let Some((loaded, m)) = fresh(&snapshot.matrix) else { return Vec::new() };
            m.row(id).map(|r| Target { path: loaded.path.clone(), range: r.stage.range }).into_iter().collect()
        }
        Hit::Input { stage, input } => {
            let Some((loaded, p)) = fresh(&snapshot.pipeline) else { return Vec::new() };
            if let Some((_, out)) = producer(p, stage, &input.value) {
                return vec![Target { path: loaded.path.clone(), range: out.range }];
            }
            // Not produced by the pipeline: the file itself, when it is one.
            let rel = norm(&input.value);
            let safe = !rel.is_empty() && !rel.starts_with('/') && !rel.split('/').any(|s| s == "..");
            if safe && snapshot.root.dir.join(rel).is_file() {
                return vec![Target { path: rel.to_string(), range: TextRange::empty(0) }];
            }
            Vec::new()
        }
        Hit::Agent { agent } => agent_file(snapshot, &agent.value)
            .map(|f| Target { path: f, range: TextRange::empty(0) })
            .into_iter()
            .collect(),
    }
}
