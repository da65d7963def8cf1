//! Does a write to a rule file grow a box? The matrix and `permissions.write`
//! are compared stage by stage (`WriteSet::widened_rules`, as
//! `permissions-widened` compares with the git base); the retained scope that
//! binds the current stage, operation by operation. Only growth is refused: a
//! write that narrows or keeps a box goes through.

use std::sync::Arc;

use crate::analysis::{FileKind, Snapshot};
use crate::model::pipeline::Pipeline;
use crate::model::scope::{Op, Scope, ScopeEntry};
use crate::model::{matrix, pipeline, scope, Loaded, Spanned};
use crate::permissions::{Origin, WriteSet};

const RETURN: &str = "Return point: user (a person changes the rules, or approves the change)";

/// Why the write would widen a box; None when it would not.
pub fn judge(snap: &Snapshot, rel: &str, kind: FileKind, after: Option<&str>, stage: &str) -> Option<String> {
    match kind {
        FileKind::Scope => scope_grows(snap, rel, after, stage),
        _ => writes_grow(snap, rel, kind, after, stage),
    }
}

fn what(rel: &str, after: Option<&str>) -> String {
    match after {
        None => format!("deleting `{rel}`"),
        Some(_) => format!("this write to `{rel}`"),
    }
}

fn writes_grow(snap: &Snapshot, rel: &str, kind: FileKind, after: Option<&str>, stage: &str) -> Option<String> {
    let p_now = snap.pipeline.as_ref().map(|s| s.current.clone());
    let m_now = snap.matrix.as_ref().map(|s| s.current.clone());
    let (mut p_after, mut m_after) = (p_now.clone(), m_now.clone());
    let what = what(rel, after);
    match kind {
        FileKind::Pipeline => p_after = after.map(|t| Arc::new(pipeline::load(rel, Arc::from(t)))),
        _ => m_after = after.map(|t| Arc::new(matrix::load(rel, Arc::from(t)))),
    }
    let (before, later) = match kind {
        FileKind::Pipeline => (p_now.as_deref(), p_after.as_deref()),
        _ => (None, None),
    };
    if kind == FileKind::Pipeline {
        if before.is_some_and(|b| b.model.is_some()) && later.is_none_or(|l| l.model.is_none()) {
            return Some(format!(
                "stage `{stage}` may not break the pipeline: after {what} no stage's write permissions could be read, \
                 which lifts them all. {RETURN}"
            ));
        }
    } else {
        let had_rows = m_now.as_ref().and_then(|m| m.model.as_ref()).is_some_and(|m| !m.rows.is_empty());
        if had_rows && m_after.as_ref().is_none_or(|m| m.model.is_none()) {
            return Some(format!(
                "stage `{stage}` may not break the capability matrix: after {what} its rows could not be read, \
                 which lifts their write permissions. {RETURN}"
            ));
        }
    }
    if kind == FileKind::Matrix && same_boxes(m_now.as_deref(), m_after.as_deref()) {
        // Every row keeps its stage and writable paths, in order (an edit of the
        // header, the notes, the readable paths or the prose): no box changes, and
        // the stages of a 5,000-row matrix need no comparing one by one.
        return None;
    }
    let sides = [(p_now.as_deref(), m_now.as_deref()), (p_after.as_deref(), m_after.as_deref())];
    stage_by_stage(sides, stage, &what)
}

/// The first stage whose box grows from the first side to the second, phrased.
fn stage_by_stage(sides: [Files; 2], stage: &str, what: &str) -> Option<String> {
    let ids = stage_ids(&sides);
    let [b, a] = sides.map(|(p, m)| Side { p, m });
    for id in ids {
        if b.rule_texts(id) == a.rule_texts(id) {
            continue;
        }
        let Some(was) = b.write_set(id) else { continue };
        let Some(now) = a.write_set(id) else {
            return Some(format!(
                "stage `{stage}` may not widen write permissions: after {what} stage `{id}` would have no write rule \
                 at all ({} is gone), so it could write anywhere. {RETURN}",
                was.rule_name()
            ));
        };
        let widened = now.widened_rules(&was);
        if !widened.is_empty() {
            let list: Vec<String> = widened.iter().map(|r| format!("`{}`", r.text)).collect();
            return Some(format!(
                "stage `{stage}` may not widen write permissions: after {what} {} would grant {}, which {} does not \
                 now. {RETURN}",
                now.rule_name(),
                list.join(", "),
                was.rule_name()
            ));
        }
    }
    None
}

/// Do both matrices read, with the same rows' stages and writable paths in the
/// same order? Then each stage's first row, the one that gives it its box, is
/// the same on both sides.
fn same_boxes(before: Option<&Loaded<matrix::Matrix>>, after: Option<&Loaded<matrix::Matrix>>) -> bool {
    fn rows(m: Option<&Loaded<matrix::Matrix>>) -> Option<&[matrix::MatrixRow]> {
        m.and_then(|m| m.model.as_ref()).map(|m| m.rows.as_slice())
    }
    let (Some(b), Some(a)) = (rows(before), rows(after)) else { return false };
    b.len() == a.len()
        && b.iter().zip(a).all(|(b, a)| {
            b.stage.value == a.stage.value
                && b.write.len() == a.write.len()
                && b.write.iter().zip(&a.write).all(|(x, y)| x.value == y.value)
        })
}

struct Side<'a> {
    p: Option<&'a Loaded<Pipeline>>,
    m: Option<&'a Loaded<matrix::Matrix>>,
}

impl<'a> Side<'a> {
    /// The texts of the rules that give `id` its box (its `permissions.write`, else
    /// its matrix row's writable paths): when both sides have the same, its box did
    /// not change and needs no comparing (an edit of a 5,000-row matrix's header or
    /// of one row then builds no write set for the others).
    fn rule_texts(&self, id: &str) -> Option<Vec<&'a str>> {
        fn texts(list: &[crate::model::Spanned<String>]) -> Vec<&str> {
            list.iter().map(|r| r.value.as_str()).collect()
        }
        let stage = self.p.and_then(|p| p.model.as_ref()).and_then(|m| m.stage(id));
        if let Some(w) = stage.and_then(|s| s.permissions.as_ref()).and_then(|p| p.write.as_ref()) {
            return Some(texts(w));
        }
        self.m.and_then(|m| m.model.as_ref()).and_then(|m| m.row(id)).map(|row| texts(&row.write))
    }

    fn write_set(&self, id: &str) -> Option<WriteSet> {
        WriteSet::for_stage(self.p, self.m, id)
    }
}

/// The pipeline and the matrix, as one side of the comparison sees them.
type Files<'a> = (Option<&'a Loaded<Pipeline>>, Option<&'a Loaded<matrix::Matrix>>);

fn stage_ids<'a>(sides: &[Files<'a>]) -> Vec<&'a str> {
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (p, m) in sides {
        let from_p = p.and_then(|p| p.model.as_ref()).into_iter().flat_map(|m| m.stage_ids());
        let from_m =
            m.and_then(|m| m.model.as_ref()).into_iter().flat_map(|m| m.rows.iter().map(|r| r.stage.value.as_str()));
        for id in from_p.chain(from_m) {
            if seen.insert(id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The scope binding `stage`: its `stage`, or none.
fn binding<'s>(s: Option<&'s Scope>, stage: &str) -> Option<&'s Scope> {
    s.filter(|s| s.stage.as_ref().is_none_or(|b| b.value == stage))
}

fn scope_grows(snap: &Snapshot, rel: &str, after: Option<&str>, stage: &str) -> Option<String> {
    // No scope binds the stage now: it is not held to one, and a new one only narrows.
    let was = binding(snap.scope(), stage)?;
    let what = what(rel, after);
    let loaded = after.map(|t| scope::load(rel, Arc::from(t)));
    let Some(now) = binding(loaded.as_ref().and_then(|l| l.model.as_ref()), stage) else {
        let how = match (&loaded, after) {
            (None, _) => "there would be no scope",
            (Some(l), _) if l.model.is_none() => "the scope could not be read",
            _ => "the scope would no longer bind it",
        };
        return Some(format!(
            "stage `{stage}` may not widen the retained scope: after {what} {how}, so nothing would hold the stage to \
             its scope. {RETURN}"
        ));
    };
    for op in [Op::Create, Op::Modify, Op::Delete] {
        let allow = |s: &Scope| set(stage, &s.allow, op);
        let widened: Vec<String> =
            allow(now).widened_rules(&allow(was)).iter().map(|r| format!("`{}`", r.text)).collect();
        if !widened.is_empty() {
            return Some(format!(
                "stage `{stage}` may not widen the retained scope: after {what} it would allow {} for {}, which it \
                 does not now. {RETURN}",
                widened.join(", "),
                op.as_str()
            ));
        }
        let exclude = |s: &Scope| set(stage, &s.exclude, op);
        let dropped: Vec<String> =
            exclude(was).widened_rules(&exclude(now)).iter().map(|r| format!("`{}`", r.text)).collect();
        if !dropped.is_empty() {
            return Some(format!(
                "stage `{stage}` may not widen the retained scope: after {what} it would no longer exclude {} for {}. \
                 {RETURN}",
                dropped.join(", "),
                op.as_str()
            ));
        }
    }
    None
}

/// A scope's entries for one operation, as a set of patterns to compare.
fn set(stage: &str, entries: &[ScopeEntry], op: Op) -> WriteSet {
    let paths: Vec<Spanned<String>> = entries.iter().filter(|e| e.ops.has(op)).map(|e| e.path.clone()).collect();
    let r = Default::default();
    WriteSet::new(stage, Origin::Permissions, ".factory/scope.yaml", r, r, &paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MATRIX: &str = "# Matrix\n\n| Agent | 可读取目录 | 可写入目录 | 说明 |\n| --- | --- | --- | --- |\n\
        | **prd** | `input/` | `artifacts/prd/` | a |\n\
        | **code** | `artifacts/prd/` | `artifacts/backend/`, `artifacts/client/` | b |\n\
        | **code** | none | `artifacts/` | a second row, never read |\n";

    fn load(text: &str) -> Loaded<matrix::Matrix> {
        matrix::load("policies/capability.matrix.md", Arc::from(text))
    }

    /// The shortcut holds exactly when every row keeps its stage and writable
    /// paths in order; whenever it holds, comparing stage by stage finds no growth.
    #[test]
    fn rows_with_the_same_boxes_skip_the_stage_by_stage_comparison() {
        let before = load(MATRIX);
        let same = [
            MATRIX.replace("| 说明 |", "| notes |"),
            MATRIX.replace("| a |", "| other notes |"),
            MATRIX.replace("| `input/` |", "| `input/`, `docs/` |"),
            MATRIX.replace("# Matrix", "# The matrix\n\nSome prose."),
            MATRIX.replace("| `artifacts/` |", "|   `artifacts/`   |"),
            MATRIX.replace("**code**", "code"),
        ];
        let different = [
            MATRIX.replace("`artifacts/prd/` | a |", "`artifacts/prd/`, `artifacts/ui/` | a |"),
            MATRIX.replace("`artifacts/backend/`, `artifacts/client/`", "`artifacts/client/`, `artifacts/backend/`"),
            MATRIX.replace("`artifacts/backend/`, `artifacts/client/`", "`artifacts/backend/`"),
            MATRIX.replace("| `artifacts/` |", "| `artifacts/x/` |"),
            MATRIX.replace("**prd**", "**ui**"),
            format!("{MATRIX}| **ui** | none | `artifacts/ui/` | new |\n"),
            MATRIX.replace("| **code** | none | `artifacts/` | a second row, never read |\n", ""),
        ];
        for text in &same {
            let after = load(text);
            assert!(same_boxes(Some(&before), Some(&after)), "{text}");
            assert_eq!(stage_by_stage([(None, Some(&before)), (None, Some(&after))], "code", "this write"), None);
        }
        for text in &different {
            assert!(!same_boxes(Some(&before), Some(&load(text))), "{text}");
        }
        // Growth is still found stage by stage (the shortcut does not hold for it).
        let wider = load(&different[0]);
        let found = stage_by_stage([(None, Some(&before)), (None, Some(&wider))], "code", "this write");
        assert!(found.is_some_and(|m| m.contains("matrix row `prd` would grant `artifacts/ui/`")));
        // A matrix that does not read, on either side, takes no shortcut.
        let broken = load("no table here\n");
        assert!(!same_boxes(Some(&before), Some(&broken)) && !same_boxes(Some(&broken), Some(&broken)));
        assert!(!same_boxes(None, Some(&before)));
    }
}
