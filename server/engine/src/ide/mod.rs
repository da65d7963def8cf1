//! Editor features over a `Snapshot`: hover, go to definition, document symbols
//! and completion. Plain data in, plain data out (byte offsets, root-relative
//! paths, Markdown); the language server converts at its edge.
//!
//! Every request is cheap: the models are already parsed, so a request is at
//! most a linear scan of them (a binary search to find a stage).

pub mod completion;
pub mod definition;
pub mod hover;
pub mod symbols;

#[cfg(test)]
mod tests;

pub use completion::{completion, Item, ItemKind};
pub use definition::{definition, Target};
pub use hover::{hover, Hover};
pub use symbols::{symbols, Symbol, SymbolKind};

use crate::analysis::{FileKind, Slot, Snapshot};
use crate::model::pipeline::Pipeline;
use crate::model::{Loaded, Spanned};
use tollgate_text::TextRange;

/// The file's current version when it parsed: only its ranges fit the document.
pub(crate) fn fresh<T>(slot: &Option<Slot<T>>) -> Option<(&Loaded<T>, &T)> {
    let l = &slot.as_ref()?.current;
    l.model.as_ref().map(|m| (&**l, m))
}

/// The current version, else the last good one (for content, not ranges).
pub(crate) fn good<T>(slot: &Option<Slot<T>>) -> Option<&Loaded<T>> {
    let s = slot.as_ref()?;
    match &s.last_good {
        Some(g) if s.current.model.is_none() => Some(g),
        _ => Some(&s.current),
    }
}

/// Root-relative spelling of a path from a pipeline file (`./x` is `x`).
pub(crate) fn norm(path: &str) -> &str {
    path.trim().trim_start_matches("./")
}

/// Does output `out` provide input `input`? A directory output provides
/// everything under it; an input directory is provided by any output inside it
/// (the same rule as `input-not-produced`).
pub(crate) fn provides(out: &str, input: &str) -> bool {
    let (o, i) = (norm(out).trim_end_matches('/'), norm(input).trim_end_matches('/'));
    if o.is_empty() || i.is_empty() {
        return false;
    }
    o == i
        || i.strip_prefix(o).is_some_and(|r| r.starts_with('/'))
        || o.strip_prefix(i).is_some_and(|r| r.starts_with('/'))
}

/// The latest stage before `before` with an output providing `input`.
pub(crate) fn producer<'p>(p: &'p Pipeline, before: usize, input: &str) -> Option<(usize, &'p Spanned<String>)> {
    let end = before.min(p.stages.len());
    p.stages[..end]
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, s)| s.outputs.iter().find(|o| provides(&o.value, input)).map(|o| (i, o)))
}

/// What the cursor is on.
#[derive(Clone, Debug)]
pub(crate) enum Hit<'s> {
    /// A stage named in the document: a pipeline `id`, a matrix stage cell, a
    /// stage value in state.json or scope.yaml. `range` is what to highlight.
    Stage { id: &'s str, range: TextRange, in_pipeline: bool },
    /// An input of pipeline stage `stage`.
    Input { stage: usize, input: &'s Spanned<String> },
    /// The `agent:` value of a pipeline stage.
    Agent { agent: &'s Spanned<String> },
}

/// Finds what is at `offset` in the document `path`. Offsets anywhere (past the
/// end, inside a character) are fine: only ranges are compared.
pub(crate) fn hit<'s>(snapshot: &'s Snapshot, path: &str, offset: u32) -> Option<Hit<'s>> {
    match snapshot.root.kind_of(path) {
        FileKind::Pipeline => pipeline_hit(snapshot, offset),
        FileKind::Matrix => {
            let (_, m) = fresh(&snapshot.matrix)?;
            let row = m.rows.iter().find(|r| r.stage.range.touches(offset))?;
            Some(Hit::Stage { id: &row.stage.value, range: row.stage.range, in_pipeline: false })
        }
        FileKind::State => {
            let (_, st) = fresh(&snapshot.state)?;
            let ids = st
                .current_stage
                .iter()
                .chain(&st.completed_stages)
                .chain(&st.failed_stages)
                .chain(st.history.iter().filter_map(|h| h.stage_id.as_ref()))
                .chain(&st.last_checkpoint);
            stage_in(ids, offset)
        }
        FileKind::Scope => {
            let (_, sc) = fresh(&snapshot.scope)?;
            stage_in(sc.stage.iter(), offset)
        }
        _ => None,
    }
}

fn stage_in<'s>(mut ids: impl Iterator<Item = &'s Spanned<String>>, offset: u32) -> Option<Hit<'s>> {
    let s = ids.find(|s| s.range.touches(offset))?;
    Some(Hit::Stage { id: &s.value, range: s.range, in_pipeline: false })
}

/// The index of the stage whose item holds `offset` (stages are in document order).
pub(crate) fn stage_at(p: &Pipeline, offset: u32) -> Option<usize> {
    let i = p.stages.partition_point(|s| s.range.start <= offset).checked_sub(1)?;
    p.stages[i].range.touches(offset).then_some(i)
}

fn pipeline_hit(snapshot: &Snapshot, offset: u32) -> Option<Hit<'_>> {
    let (loaded, p) = fresh(&snapshot.pipeline)?;
    let index = stage_at(p, offset)?;
    let stage = &p.stages[index];
    if let Some(id) = &stage.id {
        // `- id: prd`: the dash and key count too when they share the id's line.
        let lead = if stage.range.start <= id.range.start {
            TextRange::new(stage.range.start, id.range.end)
        } else {
            id.range
        };
        let on_line = !lead.slice(&loaded.text).contains('\n');
        if id.range.touches(offset) || (on_line && lead.touches(offset)) {
            let range = if on_line { lead } else { id.range };
            return Some(Hit::Stage { id: &id.value, range, in_pipeline: true });
        }
    }
    if let Some(input) = stage.inputs.iter().find(|i| i.range.touches(offset)) {
        return Some(Hit::Input { stage: index, input });
    }
    match &stage.agent {
        Some(agent) if agent.range.touches(offset) => Some(Hit::Agent { agent }),
        _ => None,
    }
}

/// The agent file of `agent`: `.factory/<agent>`, else `<agent>` at the root.
pub(crate) fn agent_file(snapshot: &Snapshot, agent: &str) -> Option<String> {
    let rel = norm(agent);
    if rel.is_empty() || rel.starts_with(['/', '\\']) || rel.contains(':') || rel.split('/').any(|s| s == "..") {
        return None;
    }
    [format!(".factory/{rel}"), rel.to_string()].into_iter().find(|c| snapshot.root.dir.join(c).is_file())
}
