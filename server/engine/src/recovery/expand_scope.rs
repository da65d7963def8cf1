//! Expand scope: a new allow entry with the user's approval on record (SPEC 4, 5).

use std::sync::Arc;

use tollgate_text::TextRange;
use tollgate_yaml::{Limits, Node};

use super::json::Json;
use super::plan::{apply_edits, refuse, sha256_hex, ActionKind, Env, Plan, Refusal, Step, TextEdit};
use super::time::rfc3339;
use crate::model::scope::Op;

pub struct ScopeRequest<'a> {
    pub path: &'a str,
    /// Empty: the default `[modify, create]`.
    pub ops: Vec<Op>,
    pub reason: Option<&'a str>,
}

pub fn plan_expand_scope(env: &Env, req: &ScopeRequest) -> Result<Plan, Refusal> {
    let pattern = req.path.trim();
    if pattern.starts_with('/') {
        return refuse(format!(
            "`{pattern}` is absolute; scope patterns are relative to the factory root (and anchored there already)"
        ));
    }
    crate::pattern::validate(pattern).map_err(|e| Refusal(format!("`{pattern}`: {e}")))?;
    if pattern.contains(['\n', '\r', '\0']) {
        return refuse("the pattern must be one line");
    }
    let mut ops: Vec<Op> = Vec::new();
    for op in if req.ops.is_empty() { vec![Op::Modify, Op::Create] } else { req.ops.clone() } {
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    let reason = req.reason.map(|r| r.split(['\n', '\r']).map(str::trim).collect::<Vec<_>>().join(" "));

    let mut reads = Vec::new();
    let scope_path = env.root.layout.scope.clone();
    let ev_path = env.root.layout.evidence.clone();
    let scope_text = env.read(&scope_path, &mut reads)?;
    let ev_text = env.read(&ev_path, &mut reads)?;
    if let Some(text) = &scope_text {
        already_allowed(&scope_path, text, pattern, &ops)?;
    }
    let ev_id = next_evidence_id(&ev_path, ev_text.as_deref().unwrap_or(""));
    let entry = Entry { pattern, ops: &ops, reason: reason.as_deref(), evidence: &ev_id };

    let (scope_step, new_scope, revision) = match &scope_text {
        None => {
            let text = format!(
                "# Retained scope (SPEC section 4), created by tollgate when the user expanded it.\nversion: 1\nid: user-scope\nrevision: 1\nallow:\n{}",
                entry.block("  - ", "    ", "\n")
            );
            (Step::CreateFile { path: scope_path.clone(), text: text.clone() }, text, 1)
        }
        Some(text) => {
            let (edits, revision) = scope_edits(text, &entry)?;
            let new = apply_edits(text, &edits);
            check_result(&new, pattern)?;
            (Step::Edit(TextEdit { path: scope_path.clone(), edits }), new, revision)
        }
    };

    let record = Json::Obj(vec![
        ("id".into(), Json::str(&ev_id)),
        ("kind".into(), Json::str("scope_expansion")),
        ("actor".into(), Json::str("user")),
        ("at".into(), Json::str(&rfc3339(env.now))),
        ("subject".into(), Json::str(pattern)),
        ("sha256".into(), Json::str(&sha256_hex(new_scope.as_bytes()))),
    ]);
    let line = serde_json::to_string(&record).map_err(|e| Refusal(e.to_string()))? + "\n";
    let ev_step = match &ev_text {
        None => Step::CreateFile { path: ev_path.clone(), text: line },
        Some(t) => {
            let sep = if t.is_empty() || t.ends_with('\n') { "" } else { "\n" };
            Step::Edit(TextEdit {
                path: ev_path.clone(),
                edits: vec![(TextRange::empty(t.len() as u32), format!("{sep}{line}"))],
            })
        }
    };
    let ops_text = ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ");
    let description = vec![
        format!(
            "{} {scope_path}: allow `{pattern}` for [{ops_text}] (source: user, evidence: {ev_id}), revision {revision}{}",
            if scope_text.is_some() { "edit" } else { "create" },
            if revision > 1 { format!(", supersedes {}", revision - 1) } else { String::new() }
        ),
        format!("append evidence record {ev_id} (scope_expansion by user) to {ev_path}"),
    ];
    let title = format!("Expand scope to include `{pattern}` (revision {revision}, evidence {ev_id})");
    Ok(Plan { kind: ActionKind::ExpandScope, title, description, steps: vec![scope_step, ev_step], reads })
}

/// Refuses when, for every requested operation, an allow entry already covers the
/// pattern: a new entry would change nothing but the record.
fn already_allowed(scope_path: &str, text: &str, pattern: &str, ops: &[Op]) -> Result<(), Refusal> {
    let Some(scope) = crate::model::scope::load(scope_path, Arc::from(text)).model else { return Ok(()) };
    let Ok(wanted) = crate::pattern::Pattern::compile(pattern) else { return Ok(()) };
    let covering = |op: Op| {
        scope.allow.iter().find(|e| {
            e.ops.has(op) && crate::pattern::Pattern::compile(e.path.value.trim()).is_ok_and(|p| p.covers(&wanted))
        })
    };
    let found: Vec<_> = ops.iter().map(|op| covering(*op)).collect();
    if let Some(Some(first)) = found.first() {
        if found.iter().all(Option::is_some) {
            let ops_text = ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ");
            return refuse(format!(
                "the scope already allows `{pattern}` for [{ops_text}] (allow entry `{}` in {scope_path}): nothing to expand",
                first.path.value
            ));
        }
    }
    Ok(())
}

/// `ev-NNNN`: one above the highest number on record.
fn next_evidence_id(path: &str, text: &str) -> String {
    let loaded = crate::model::evidence::load(path, Arc::from(text));
    let max = loaded
        .model
        .map(|e| {
            e.records
                .iter()
                .filter_map(|r| r.id.strip_prefix("ev-").and_then(|n| n.parse::<u64>().ok()))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    format!("ev-{:04}", max + 1)
}

struct Entry<'a> {
    pattern: &'a str,
    ops: &'a [Op],
    reason: Option<&'a str>,
    evidence: &'a str,
}

fn quote(s: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

impl Entry<'_> {
    fn ops(&self) -> String {
        format!("[{}]", self.ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", "))
    }

    /// A block item: `dash` before `path:`, `key` before every other key.
    fn block(&self, dash: &str, key: &str, nl: &str) -> String {
        let mut s = format!("{dash}path: {}{nl}{key}ops: {}{nl}", quote(self.pattern), self.ops());
        if let Some(r) = self.reason {
            s.push_str(&format!("{key}reason: {}{nl}", quote(r)));
        }
        s.push_str(&format!("{key}source: user{nl}{key}evidence: {}{nl}", self.evidence));
        s
    }

    fn flow(&self) -> String {
        let reason = self.reason.map(|r| format!(", reason: {}", quote(r))).unwrap_or_default();
        format!(
            "{{path: {}, ops: {}{reason}, source: user, evidence: {}}}",
            quote(self.pattern),
            self.ops(),
            self.evidence
        )
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just past the line holding `at` (its newline included), and whether it had one.
fn after_line(text: &str, at: usize) -> (usize, bool) {
    match text[at..].find('\n') {
        Some(i) => (at + i + 1, true),
        None => (text.len(), false),
    }
}

/// Minimal edits to an existing scope file: bump `revision`, set `supersedes`, append the entry.
fn scope_edits(text: &str, entry: &Entry) -> Result<(Vec<(TextRange, String)>, i64), Refusal> {
    let parsed = tollgate_yaml::parse(text, &Limits::default());
    if let Some(e) = parsed.errors.first() {
        let line = text[..(e.range.start as usize).min(text.len())].matches('\n').count() + 1;
        return refuse(format!(".factory/scope.yaml has a syntax error on line {line} ({}); fix it first", e.message));
    }
    let root = match &parsed.root {
        Some(r) if r.as_map().is_some() => r,
        Some(r) if r.is_null() => {
            return refuse(".factory/scope.yaml is empty; fill in version, id and revision first")
        }
        _ => return refuse(".factory/scope.yaml is not a mapping"),
    };
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut edits = Vec::new();
    let at = |n: &Node| (n.range.start as usize, n.range.end as usize);

    let old = match root.get_entry("revision") {
        Some((k, v)) => {
            let Some(old) = v.as_i64() else {
                return refuse(format!(
                    "`revision` in .factory/scope.yaml is {}, not a number; fix it first",
                    v.kind_name()
                ));
            };
            edits.push((v.range, (old + 1).to_string()));
            match root.get("supersedes") {
                Some(s) => edits.push((s.range, old.to_string())),
                None => {
                    let indent = &text[line_start(text, at(k).0)..at(k).0];
                    let (pos, had_nl) = after_line(text, at(v).1);
                    let lead = if had_nl { "" } else { nl };
                    edits.push((TextRange::empty(pos as u32), format!("{lead}{indent}supersedes: {old}{nl}")));
                }
            }
            old
        }
        None => {
            // No revision yet: it was implicitly 1.
            let pos = root.as_map().and_then(|m| m.first()).map_or(0, |(k, _)| line_start(text, at(k).0));
            edits.push((TextRange::empty(pos as u32), format!("revision: 2{nl}supersedes: 1{nl}")));
            1
        }
    };

    match root.get_entry("allow") {
        None => {
            let lead = if text.is_empty() || text.ends_with('\n') { "" } else { nl };
            let block = entry.block("  - ", "    ", nl);
            edits.push((TextRange::empty(text.len() as u32), format!("{lead}allow:{nl}{block}")));
        }
        Some((k, v)) => {
            let key_col = at(k).0 - line_start(text, at(k).0);
            match v.as_seq() {
                Some(items) if text[at(v).0..].starts_with('[') => {
                    let close = at(v).1.saturating_sub(1);
                    let sep = if items.is_empty() { "" } else { ", " };
                    edits.push((TextRange::empty(close as u32), format!("{sep}{}", entry.flow())));
                }
                Some(items) if !items.is_empty() => {
                    let first = at(&items[0]).0;
                    let prefix = &text[line_start(text, first)..first];
                    let (dash, key) = if prefix.trim() == "-" {
                        (prefix.to_string(), " ".repeat(prefix.chars().count()))
                    } else {
                        (format!("{}- ", " ".repeat(key_col + 2)), " ".repeat(key_col + 4))
                    };
                    let last_end = items.iter().map(|i| at(i).1).max().unwrap_or(first);
                    let (pos, had_nl) = after_line(text, last_end);
                    let lead = if had_nl { "" } else { nl };
                    edits.push((TextRange::empty(pos as u32), format!("{lead}{}", entry.block(&dash, &key, nl))));
                }
                _ if v.is_null() => {
                    if !v.range.is_empty() {
                        edits.push((v.range, String::new()));
                    }
                    let (pos, had_nl) = after_line(text, at(k).1);
                    let lead = if had_nl { "" } else { nl };
                    let (dash, key) = (format!("{}- ", " ".repeat(key_col + 2)), " ".repeat(key_col + 4));
                    edits.push((TextRange::empty(pos as u32), format!("{lead}{}", entry.block(&dash, &key, nl))));
                }
                _ => {
                    return refuse(format!(
                        "`allow` in .factory/scope.yaml is {}, not a list; fix it first",
                        v.kind_name()
                    ))
                }
            }
        }
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    Ok((edits, old + 1))
}

/// The edited file must still parse and hold the new entry, or nothing is written.
fn check_result(new: &str, pattern: &str) -> Result<(), Refusal> {
    let parsed = tollgate_yaml::parse(new, &Limits::default());
    let ok = parsed.errors.is_empty()
        && parsed
            .root
            .as_ref()
            .and_then(|r| r.get("allow"))
            .and_then(Node::as_seq)
            .is_some_and(|items| items.iter().any(|i| i.get("path").and_then(Node::as_str) == Some(pattern)));
    if ok {
        Ok(())
    } else {
        refuse("could not add the entry to .factory/scope.yaml without breaking its layout; add it by hand")
    }
}
