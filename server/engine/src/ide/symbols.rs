//! Document symbols: the pipeline's stages as an outline (inputs and outputs
//! below each), the matrix's rows, the scope's entries, the run's history.

use super::fresh;
use crate::analysis::{FileKind, Snapshot};
use crate::model::scope::{Ops, ScopeEntry};
use tollgate_text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Stage,
    Input,
    Output,
    /// A matrix row.
    Row,
    /// A scope entry or a history entry.
    Entry,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole thing (a stage's `-` item, a matrix row's line).
    pub range: TextRange,
    /// What to select: the stage's `id` value, the row's stage cell, the entry's path. Inside `range`.
    pub selection_range: TextRange,
    pub children: Vec<Symbol>,
}

/// The symbols of the document `path` (root-relative), from its current text.
/// Empty while that text does not parse (the last good model's ranges would not fit).
pub fn symbols(snapshot: &Snapshot, path: &str) -> Vec<Symbol> {
    match snapshot.root.kind_of(path) {
        FileKind::Pipeline => pipeline(snapshot),
        FileKind::Matrix => matrix(snapshot),
        FileKind::Scope => scope(snapshot),
        FileKind::State => state(snapshot),
        _ => Vec::new(),
    }
}

fn leaf(name: &str, detail: &str, kind: SymbolKind, range: TextRange) -> Symbol {
    Symbol {
        name: name.to_string(),
        detail: Some(detail.to_string()),
        kind,
        range,
        selection_range: range,
        children: Vec::new(),
    }
}

/// The first few words of a description, for a stage without an agent.
fn first_words(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(6).collect();
    let s = words.join(" ");
    if s.chars().count() > 40 {
        s.chars().take(40).chain(['…']).collect()
    } else {
        s
    }
}

fn pipeline(snapshot: &Snapshot) -> Vec<Symbol> {
    let Some((_, p)) = fresh(&snapshot.pipeline) else { return Vec::new() };
    p.stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let detail = s
                .agent
                .as_ref()
                .map(|a| a.value.clone())
                .or_else(|| s.description.as_ref().map(|d| first_words(&d.value)));
            let inputs = s.inputs.iter().map(|x| leaf(&x.value, "input", SymbolKind::Input, x.range));
            let outputs = s.outputs.iter().map(|x| leaf(&x.value, "output", SymbolKind::Output, x.range));
            Symbol {
                name: s.id.as_ref().map_or_else(|| format!("stage #{}", i + 1), |id| id.value.clone()),
                detail,
                kind: SymbolKind::Stage,
                range: s.range,
                selection_range: s.id.as_ref().map_or(s.anchor, |id| id.range),
                children: inputs.chain(outputs).collect(),
            }
        })
        .collect()
}

fn matrix(snapshot: &Snapshot) -> Vec<Symbol> {
    let Some((_, m)) = fresh(&snapshot.matrix) else { return Vec::new() };
    m.rows
        .iter()
        .map(|r| {
            let writes: Vec<&str> = r.write.iter().map(|w| w.value.as_str()).collect();
            let detail =
                if writes.is_empty() { "writes nothing".to_string() } else { format!("writes {}", writes.join(", ")) };
            Symbol {
                name: r.stage.value.clone(),
                detail: Some(detail),
                kind: SymbolKind::Row,
                range: r.line,
                selection_range: r.stage.range,
                children: Vec::new(),
            }
        })
        .collect()
}

fn ops_text(ops: Ops) -> String {
    let names = [(ops.modify, "modify"), (ops.create, "create"), (ops.delete, "delete")];
    names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

fn scope(snapshot: &Snapshot) -> Vec<Symbol> {
    let Some((_, sc)) = fresh(&snapshot.scope) else { return Vec::new() };
    let entry = |e: &ScopeEntry, list: &str| {
        let mut detail = format!("{list}: {}", ops_text(e.ops));
        if let Some(s) = &e.source {
            detail.push_str(&format!(" · {}", s.value));
        }
        Symbol {
            name: e.path.value.clone(),
            detail: Some(detail),
            kind: SymbolKind::Entry,
            range: e.range,
            selection_range: e.path.range,
            children: Vec::new(),
        }
    };
    let allow = sc.allow.iter().map(|e| entry(e, "allow"));
    let exclude = sc.exclude.iter().map(|e| entry(e, "exclude"));
    let mut all: Vec<Symbol> = allow.chain(exclude).collect();
    all.sort_by_key(|s| s.range.start);
    all
}

fn state(snapshot: &Snapshot) -> Vec<Symbol> {
    let Some((_, st)) = fresh(&snapshot.state) else { return Vec::new() };
    st.history
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut detail = h.status.as_ref().map_or_else(|| "no status".to_string(), |s| s.value.clone());
            if let Some(a) = &h.attempts {
                detail.push_str(&format!(" · attempt {}", a.value));
            }
            Symbol {
                name: h.stage_id.as_ref().map_or_else(|| format!("entry #{}", i + 1), |s| s.value.clone()),
                detail: Some(detail),
                kind: SymbolKind::Entry,
                range: h.range,
                selection_range: h.stage_id.as_ref().map_or(h.range, |s| s.range),
                children: Vec::new(),
            }
        })
        .collect()
}
