//! Completion in `pipeline.yaml` and `scope.yaml`, from the lines around the cursor.

use std::collections::HashSet;

use super::{item, range, stage_ids, values, Item, ItemKind};
use crate::analysis::Snapshot;
use crate::model::pipeline::ON_FAILURE_ACTIONS;
use crate::model::scope::{OPS, SOURCES};
use tollgate_text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    Pipeline,
    Scope,
}

/// (key, detail, holds a block: inserted as `key:` rather than `key: `).
type Key = (&'static str, &'static str, bool);

const PIPELINE_TOP: &[Key] = &[
    ("version", "format version", false),
    ("pipeline", "name, mode, max_attempts", true),
    ("stages", "the stages, in order", true),
];
const PIPELINE_META: &[Key] = &[
    ("name", "pipeline name", false),
    ("mode", "e.g. checkpoint", false),
    ("max_attempts", "attempts per stage before a person decides (default 2)", false),
];
const STAGE: &[Key] = &[
    ("id", "the stage's id (required)", false),
    ("description", "what the stage does", false),
    ("agent", "the agent file, under .factory/ or the root (required)", false),
    ("inputs", "paths earlier stages produce", true),
    ("outputs", "paths this stage writes (required)", true),
    ("exit_criteria", "what must hold when the stage ends", true),
    ("on_failure", "action: pause|retry|rollback, message", true),
    ("permissions", "read/write paths; write overrides the matrix row", true),
];
const ON_FAILURE: &[Key] = &[("action", "pause | retry | rollback", false), ("message", "shown on failure", false)];
const PERMISSIONS: &[Key] =
    &[("read", "readable paths", true), ("write", "writable paths (overrides the matrix row)", true)];
const SCOPE_TOP: &[Key] = &[
    ("version", "1", false),
    ("id", "the work item (required)", false),
    ("revision", "bump on every change (required)", false),
    ("supersedes", "the previous revision (required when revision > 1)", false),
    ("request", "what was asked", false),
    ("stage", "the stage this scope binds (default: the current stage)", false),
    ("base", "commit: what Exploration looked at", true),
    ("allow", "entries: path, ops, reason, source, evidence", true),
    ("exclude", "entries that always win", true),
];
const ALLOW: &[Key] = &[
    ("path", "a pattern anchored at the root", false),
    ("ops", "create | modify | delete (default [modify, create])", false),
    ("reason", "why this is in scope", false),
    ("source", "exploration | user | policy", false),
    ("evidence", "an id in .factory/evidence.jsonl (source: user)", false),
];
const EXCLUDE: &[Key] = &[
    ("path", "a pattern anchored at the root", false),
    ("ops", "create | modify | delete (default all)", false),
    ("reason", "why this is out of scope", false),
];
const BASE: &[Key] = &[("commit", "the commit Exploration looked at", false)];

/// One line, read as YAML block structure.
struct Line<'t> {
    /// Column of the key, after indentation and any `- `.
    keycol: usize,
    dash: bool,
    key: Option<&'t str>,
    /// The text after `key:` (or after the dashes), trimmed.
    value: &'t str,
}

/// None for blank and comment-only lines.
fn read_line(line: &str) -> Option<Line<'_>> {
    let line = line.trim_end_matches('\r');
    let mut rest = line.trim_start_matches(' ');
    let mut keycol = line.len() - rest.len();
    let mut dash = false;
    while rest == "-" || rest.starts_with("- ") {
        dash = true;
        let after = rest[1..].trim_start_matches(' ');
        keycol += rest.len() - after.len();
        rest = after;
    }
    if rest.is_empty() && !dash {
        return None;
    }
    if rest.starts_with('#') {
        return dash.then_some(Line { keycol, dash, key: None, value: "" });
    }
    match split_key(rest) {
        Some((key, value)) => Some(Line { keycol, dash, key: Some(key), value: value.trim() }),
        None => Some(Line { keycol, dash, key: None, value: rest.trim() }),
    }
}

/// `key: value` -> (key, value). Keys are plain words or quoted; a scalar with a
/// space before its colon (`PRD: x` in a sentence) is not a key.
fn split_key(rest: &str) -> Option<(&str, &str)> {
    let (key, after) = if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = rest[1..].find(q)? + 1;
        (&rest[1..close], &rest[close + 1..])
    } else {
        let colon = rest.find(':')?;
        (&rest[..colon], &rest[colon..])
    };
    let value = after.strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with([' ', '\t'])) || key.is_empty() || key.contains([' ', '\t']) {
        return None;
    }
    Some((key, value))
}

/// The enclosing keys of the cursor's mapping and the keys already in it.
struct Context<'t> {
    /// Outermost first: `["stages", "on_failure"]`.
    parents: Vec<&'t str>,
    /// For each parent, the (key, value) pairs of the mapping under it seen
    /// above the cursor (`levels[i]` is under `parents[i]`).
    levels: Vec<Vec<(&'t str, &'t str)>>,
    siblings: Vec<&'t str>,
}

fn context<'t>(text: &'t str, line_start: usize, cursor_line: &Line) -> Context<'t> {
    let mut want = cursor_line.keycol;
    let mut collecting = !cursor_line.dash;
    let mut entries: Vec<(&str, &str)> = Vec::new();
    let mut chain: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    let above = text[..line_start].split('\n').rev().skip(1);
    for raw in above {
        // Most lines are deeper than the cursor's level: skip them unread.
        let indent = raw.bytes().take_while(|b| *b == b' ').count();
        if indent > want || (indent == want && !collecting) {
            continue;
        }
        let Some(l) = read_line(raw) else { continue };
        if l.keycol > want {
            continue;
        }
        if l.keycol == want {
            if collecting {
                if let Some(k) = l.key {
                    entries.push((k, l.value));
                }
                collecting = !l.dash;
            }
            continue;
        }
        match l.key {
            // A bare `-` opening the item the cursor is in.
            None if l.dash && l.value.is_empty() => collecting = false,
            Some(k) if l.value.is_empty() || l.value.starts_with('#') => {
                chain.push((k, std::mem::take(&mut entries)));
                entries.push((k, ""));
                want = l.keycol;
                collecting = !l.dash;
                if want == 0 {
                    break;
                }
            }
            _ => break,
        }
    }
    let mut siblings: Vec<&str> = chain.first().map_or(&entries, |(_, e)| e).iter().map(|(k, _)| *k).collect();
    // Keys below the cursor, in the same mapping.
    let below_start = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i + 1);
    for raw in text[below_start..].split('\n') {
        let Some(l) = read_line(raw) else { continue };
        if l.keycol < cursor_line.keycol || (l.keycol == cursor_line.keycol && l.dash) {
            break;
        }
        if l.keycol == cursor_line.keycol {
            siblings.extend(l.key);
        }
    }
    chain.reverse();
    Context {
        parents: chain.iter().map(|(k, _)| *k).collect(),
        levels: chain.into_iter().map(|(_, e)| e).collect(),
        siblings,
    }
}

pub fn complete(snapshot: &Snapshot, text: &str, cursor: usize, schema: Schema) -> Vec<Item> {
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..cursor];
    if prefix.starts_with('#') || prefix.contains(" #") {
        return Vec::new();
    }
    // Only spaces so far: a key at the cursor's column.
    let line = read_line(prefix).unwrap_or(Line { keycol: prefix.len(), dash: false, key: None, value: "" });
    let ctx = context(text, line_start, &line);
    let parents: Vec<&str> = ctx.parents.clone();
    match line.key {
        Some(key) => {
            // `key: partial`, or in a flow list `key: [a, parti`.
            let raw = &prefix[prefix.len() - prefix.trim_start().len()..];
            let Some((_, after)) = split_key(raw.trim_start_matches(['-', ' '])) else { return Vec::new() };
            if after.is_empty() {
                return Vec::new(); // `key:|`: a value needs the space first
            }
            let after = after.trim_start();
            let (partial, flow) = match after.rfind(['[', ',']) {
                Some(i) if after.starts_with('[') => (after[i + 1..].trim_start(), true),
                _ => (after, false),
            };
            let partial = partial.trim_start_matches(['"', '\'']);
            let replace = range(cursor - partial.len(), cursor);
            value_items(snapshot, schema, &parents, &ctx, key, flow, replace, cursor)
        }
        None if line.dash => {
            // `- partial`: an item of a list of scalars, or the first key of a new item.
            let partial = line.value.trim_start_matches(['"', '\'']);
            let replace = range(cursor - partial.len(), cursor);
            match parents.last() {
                Some(&list @ ("inputs" | "ops" | "outputs" | "exit_criteria" | "read" | "write")) => {
                    value_items(snapshot, schema, &parents[..parents.len() - 1], &ctx, list, true, replace, cursor)
                }
                _ => key_items(schema, &parents, &ctx.siblings, text, replace),
            }
        }
        None => {
            if line.value.contains([' ', '[', '{', '"', '\'']) {
                return Vec::new();
            }
            key_items(schema, &parents, &ctx.siblings, text, range(cursor - line.value.len(), cursor))
        }
    }
}

/// Key items replacing the partial key. When the cursor is inside a key that
/// already has its colon (`inp‸uts: []`), the whole key is replaced, colon kept.
fn key_items(schema: Schema, parents: &[&str], present: &[&str], text: &str, replace: TextRange) -> Vec<Item> {
    let after = &text[replace.end as usize..];
    let rest = after.len() - after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let has_colon = after[rest..].starts_with(':');
    let replace = TextRange::new(replace.start, replace.end + rest as u32);
    let keys: &[Key] = match (schema, parents) {
        (Schema::Pipeline, []) => PIPELINE_TOP,
        (Schema::Pipeline, ["pipeline"]) => PIPELINE_META,
        (Schema::Pipeline, ["stages"]) => STAGE,
        (Schema::Pipeline, ["stages", "on_failure"]) => ON_FAILURE,
        (Schema::Pipeline, ["stages", "permissions"]) => PERMISSIONS,
        (Schema::Scope, []) => SCOPE_TOP,
        (Schema::Scope, ["allow"]) => ALLOW,
        (Schema::Scope, ["exclude"]) => EXCLUDE,
        (Schema::Scope, ["base"]) => BASE,
        _ => &[],
    };
    keys.iter()
        .filter(|(k, _, _)| !present.contains(k))
        .map(|(k, detail, block)| {
            let insert = if has_colon {
                k.to_string()
            } else if *block {
                format!("{k}:")
            } else {
                format!("{k}: ")
            };
            item(k, ItemKind::Key, Some(detail.to_string()), insert, replace)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn value_items(
    snapshot: &Snapshot,
    schema: Schema,
    parents: &[&str],
    ctx: &Context,
    key: &str,
    list: bool,
    replace: TextRange,
    cursor: usize,
) -> Vec<Item> {
    match (schema, parents, key) {
        (Schema::Pipeline, [.., "on_failure"], "action") => {
            values(ON_FAILURE_ACTIONS, "on_failure.action", replace, false)
        }
        (Schema::Pipeline, ["stages"], "inputs") if list => inputs(snapshot, ctx, replace, cursor),
        (Schema::Scope, ["allow" | "exclude"], "ops") if list => values(OPS, "operation", replace, false),
        (Schema::Scope, ["allow"], "source") => values(SOURCES, "where the entry comes from", replace, false),
        (Schema::Scope, [], "stage") => stage_ids(snapshot, replace, false),
        _ => Vec::new(),
    }
}

/// Outputs of the stages before the cursor's stage, each once.
fn inputs(snapshot: &Snapshot, ctx: &Context, replace: TextRange, cursor: usize) -> Vec<Item> {
    let Some(p) = snapshot.pipeline() else { return Vec::new() };
    // The stage's `id` beside its `inputs` key, else the stages that end before the cursor.
    let stage_level = ctx.parents.iter().position(|k| *k == "stages").and_then(|i| ctx.levels.get(i));
    let id = stage_level.and_then(|e| e.iter().find(|(k, _)| *k == "id")).map(|(_, v)| v.trim_matches(['"', '\'']));
    let before = match id.and_then(|id| p.stage_index(id)) {
        Some(i) => i,
        None => p.stages.partition_point(|s| (s.range.end as usize) <= cursor),
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in p.stages[..before.min(p.stages.len())].iter().rev() {
        let by = s.id.as_ref().map_or("?", |i| i.value.as_str());
        for o in s.outputs.iter().rev() {
            if seen.insert(o.value.as_str()) {
                let detail = Some(format!("output of stage `{by}`"));
                out.push(item(&o.value, ItemKind::Path, detail, o.value.clone(), replace));
            }
        }
    }
    out.reverse();
    out
}
