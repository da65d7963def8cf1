//! Edit checks (SPEC 3.2): while a run is active, every changed path is checked
//! against the current stage's write permissions and the retained scope.
//! Control and governance files are never edit findings.

mod deleted_output;
mod out_of_scope;
mod stage_summary;
mod unauthorized_write;

#[cfg(test)]
pub(crate) mod tests;

use super::{Context, Sink};
use crate::changes::{mark_range, read_head, read_small, Change};
use crate::model::scope::{Op, Scope, ScopeEntry};
use crate::pattern::Pattern;
use crate::permissions::WriteSet;
use crate::root::{is_control, is_governance};
use std::time::SystemTime;
use tollgate_text::TextRange;

pub fn run(ctx: &Context, sink: &mut Sink) {
    let Some(live) = Live::of(ctx) else { return };
    unauthorized_write::check(ctx, &live, sink);
    out_of_scope::check(ctx, &live, sink);
    deleted_output::check(ctx, sink);
    stage_summary::check(ctx, &live, sink);
}

/// The two checks that judge one written path on its own (`unauthorized-write`,
/// `out-of-scope`): what the agent guard asks of a proposed write, through the
/// very code that judges it after the fact.
pub fn run_path_checks(ctx: &Context, sink: &mut Sink) {
    let Some(live) = Live::of(ctx) else { return };
    unauthorized_write::check(ctx, &live, sink);
    out_of_scope::check(ctx, &live, sink);
}

/// The current stage of an active run and the rules its changed paths are held to.
pub(crate) struct Live<'a> {
    pub stage: &'a str,
    /// Its write permissions, when it has any.
    pub writes: Option<WriteSet>,
    /// The retained scope that binds it, when one does.
    pub scope: Option<BoundScope<'a>>,
    /// Since when the run has waited for a person (`State::waiting_since`).
    pub waiting_since: Option<SystemTime>,
}

impl<'a> Live<'a> {
    /// The rules of an active run's current stage. What every changed path is
    /// measured against, built once per analysis: with 100,000 changed paths,
    /// compiling (or even copying) a matcher per path costs far more than the matching.
    fn of(ctx: &Context<'a>) -> Option<Live<'a>> {
        let stage = current_stage(ctx)?;
        Some(Live {
            stage,
            writes: write_set(ctx, stage),
            scope: binding_scope(ctx, stage).map(BoundScope::new),
            waiting_since: waiting_since(ctx),
        })
    }
}

impl Live<'_> {
    /// The changes blamed on the stage: [`edits`] less the person's. While the run
    /// waits for a person, an edit made after the stage's attempt ended (a file
    /// modified since, an unsaved buffer) is the person's (the factory's "edit the
    /// artifacts, then re-run"), never the stage's. A deletion cannot be dated: it stays.
    pub(crate) fn stage_edits<'c>(&self, ctx: &Context<'c>) -> impl Iterator<Item = &'c Change> {
        let since = self.waiting_since;
        let root = ctx.root;
        edits(ctx).filter(move |c| match since {
            None => true,
            Some(_) if c.op == Op::Delete => true,
            Some(_) if c.in_editor => false,
            Some(t) => !std::fs::metadata(root.join(&c.path)).and_then(|m| m.modified()).is_ok_and(|m| m > t),
        })
    }
}

/// Since when the run has waited for a person, with the state file's mtime as its last mark.
fn waiting_since(ctx: &Context) -> Option<SystemTime> {
    let (loaded, state) = ctx.state()?;
    let mtime = || std::fs::metadata(ctx.root.join(&loaded.path)).and_then(|m| m.modified()).ok();
    state.waiting_since(if state.status()?.waits_for_person() { mtime() } else { None })
}

/// The current stage, while the run is active.
pub(crate) fn current_stage<'a>(ctx: &Context<'a>) -> Option<&'a str> {
    let (_, state) = ctx.state()?;
    if !state.is_active() {
        return None;
    }
    state.current_stage.as_ref().map(|s| s.value.as_str())
}

/// Changes that edit checks look at: not control, not governance.
pub(crate) fn edits<'a>(ctx: &Context<'a>) -> impl Iterator<Item = &'a Change> {
    ctx.changes.iter().filter(|c| !is_control(&c.path) && !is_governance(&c.path))
}

/// Where a finding on a changed file sits: its first changed line (else its first
/// line). A deleted file has no text, so its finding sits at 0..0.
pub(crate) fn range_of(ctx: &Context, change: &Change) -> TextRange {
    if let Some(r) = change.line_range {
        return r;
    }
    if change.op == Op::Delete {
        return TextRange::empty(0);
    }
    // Read only what is needed, and only from a regular file: a FIFO an agent
    // left among its outputs would block a plain read forever, and a device never ends.
    let path = ctx.root.join(&change.path);
    let line = change.first_line.unwrap_or(0);
    let text = if line == 0 { read_head(&path) } else { read_small(&path).or_else(|| read_head(&path)) };
    let text = text.unwrap_or_default();
    mark_range(&text, line).or_else(|| mark_range(&text, 0)).unwrap_or_default()
}

pub(crate) fn verb(op: Op) -> &'static str {
    match op {
        Op::Create => "created",
        Op::Modify => "modified",
        Op::Delete => "deleted",
    }
}

/// The current stage's write set, when it has one.
pub(crate) fn write_set(ctx: &Context, stage: &str) -> Option<WriteSet> {
    WriteSet::for_stage(ctx.pipeline, ctx.matrix, stage)
}

/// Is a change outside the stage's write permissions?
pub(crate) fn unauthorized(writes: &WriteSet, change: &Change) -> bool {
    !writes.allows(&change.path)
}

/// How a change stands against the retained scope.
pub(crate) enum Verdict<'s> {
    Inside,
    /// An exclude entry applies (it always wins).
    Excluded(&'s ScopeEntry),
    /// Allow entries match the path but none for this operation.
    WrongOp(Vec<&'s ScopeEntry>),
    /// No allow entry matches the path.
    Outside,
}

/// The scope that binds `stage`: its `stage`, or no `stage` at all.
pub(crate) fn binding_scope<'a>(ctx: &Context<'a>, stage: &str) -> Option<&'a Scope> {
    let (_, scope) = ctx.scope()?;
    match &scope.stage {
        Some(s) if s.value != stage => None,
        _ => Some(scope),
    }
}

/// A scope with its entries' patterns compiled once (an invalid pattern matches
/// nothing; `invalid-pattern` reports it).
pub(crate) struct BoundScope<'s> {
    pub scope: &'s Scope,
    allow: Vec<(&'s ScopeEntry, Option<Pattern>)>,
    exclude: Vec<(&'s ScopeEntry, Option<Pattern>)>,
}

impl<'s> BoundScope<'s> {
    pub(crate) fn new(scope: &'s Scope) -> Self {
        let compile = |entries: &'s [ScopeEntry]| -> Vec<(&'s ScopeEntry, Option<Pattern>)> {
            entries.iter().map(|e| (e, Pattern::compile(e.path.value.trim()).ok())).collect()
        };
        BoundScope { scope, allow: compile(&scope.allow), exclude: compile(&scope.exclude) }
    }

    pub(crate) fn verdict(&self, change: &Change) -> Verdict<'s> {
        let (path, op) = (change.path.as_str(), change.op);
        let hit = |p: &Option<Pattern>| p.as_ref().is_some_and(|p| p.matches(path));
        if let Some((e, _)) = self.exclude.iter().find(|(e, p)| e.ops.has(op) && hit(p)) {
            return Verdict::Excluded(e);
        }
        let matching: Vec<&'s ScopeEntry> = self.allow.iter().filter(|(_, p)| hit(p)).map(|(e, _)| *e).collect();
        if matching.iter().any(|e| e.ops.has(op)) {
            Verdict::Inside
        } else if matching.is_empty() {
            Verdict::Outside
        } else {
            Verdict::WrongOp(matching)
        }
    }
}

/// "scope `passwordless-login` (revision 3)".
pub(crate) fn scope_name(scope: &Scope) -> String {
    let id = scope.id.as_ref().map(|i| format!("scope `{}`", i.value)).unwrap_or_else(|| "the scope".into());
    match &scope.revision {
        Some(r) => format!("{id} (revision {})", r.value),
        None => id,
    }
}
