//! Hover: what a stage is, where its inputs come from, what it may write, and
//! where the run stands with it.

use std::fmt::Write as _;

use super::{agent_file, fresh, good, hit, norm, producer, Hit};
use crate::analysis::Snapshot;
use crate::model::pipeline::Pipeline;
use crate::model::Spanned;
use crate::permissions::{Origin, WriteSet};
use crate::suggest;
use tollgate_text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// What the hover is about, in the document.
    pub range: TextRange,
    pub markdown: String,
}

/// The hover at `offset` in the document `path` (root-relative).
pub fn hover(snapshot: &Snapshot, path: &str, offset: u32) -> Option<Hover> {
    let (range, markdown) = match hit(snapshot, path, offset)? {
        Hit::Stage { id, range, .. } => (range, stage_markdown(snapshot, id)),
        Hit::Input { stage, input } => {
            let (_, p) = fresh(&snapshot.pipeline)?;
            (input.range, input_markdown(snapshot, p, stage, input))
        }
        Hit::Agent { agent } => (agent.range, agent_markdown(snapshot, &agent.value)),
    };
    Some(Hover { range, markdown })
}

/// The Markdown shown for stage `id` wherever it is named.
pub fn stage_markdown(snapshot: &Snapshot, id: &str) -> String {
    let pipeline_path = &snapshot.root.layout.pipeline;
    let Some(p) = snapshot.pipeline() else {
        return format!("**stage `{id}`**\n\n`{pipeline_path}` cannot be read, so this stage is unknown");
    };
    let Some(index) = p.stage_index(id) else {
        let hint = suggest::hint(id, p.stage_ids());
        return format!("**stage `{id}`**\n\nnot a stage of `{pipeline_path}`{hint}");
    };
    let stage = &p.stages[index];
    let mut md = format!("**stage `{id}`** · {} of {}\n\n", index + 1, p.stages.len());
    if let Some(d) = stage.description.as_ref().map(|d| d.value.trim()).filter(|d| !d.is_empty()) {
        let _ = write!(md, "{d}\n\n");
    }
    match &stage.agent {
        Some(a) => {
            let _ = write!(md, "**agent** `{}`\n\n", a.value);
        }
        None => md.push_str("**agent** none\n\n"),
    }

    md.push_str("**inputs**\n");
    if stage.inputs.is_empty() {
        md.push_str("- none\n");
    }
    for input in &stage.inputs {
        let _ = writeln!(md, "- `{}` {}", input.value, source_of(snapshot, p, index, &input.value));
    }

    let ws = WriteSet::for_stage(good(&snapshot.pipeline), good(&snapshot.matrix), id);
    md.push_str("\n**outputs**\n");
    if stage.outputs.is_empty() {
        md.push_str("- none\n");
    }
    for out in &stage.outputs {
        let outside = ws.as_ref().is_some_and(|w| !w.allows_output(&out.value));
        let _ = writeln!(md, "- `{}`{}", out.value, if outside { " ⚠ outside the write permissions" } else { "" });
    }

    md.push_str("\n**writes** ");
    match &ws {
        Some(w) => {
            let from = match w.origin {
                Origin::Permissions => "`permissions.write`".to_string(),
                Origin::Matrix => format!("matrix row `{id}`"),
            };
            let list: Vec<String> = w.rules.iter().map(|r| format!("`{}`", r.text.trim())).collect();
            let list = if list.is_empty() { "nothing".to_string() } else { list.join(", ") };
            let _ = writeln!(md, "({from}): {list}");
        }
        None => md.push_str("unknown: no `permissions.write` and no matrix row\n"),
    }
    let _ = write!(md, "\n**state** {}", state_line(snapshot, id, p.max_attempts));
    md
}

/// "← stage `prd`", "(on disk)" or "(not produced)".
fn source_of(snapshot: &Snapshot, p: &Pipeline, index: usize, input: &str) -> String {
    match producer(p, index, input) {
        Some((i, out)) => {
            let by = p.stages[i].id.as_ref().map_or_else(|| format!("#{}", i + 1), |s| format!("`{}`", s.value));
            if norm(&out.value) == norm(input) {
                format!("← stage {by}")
            } else {
                format!("← stage {by} (`{}`)", out.value)
            }
        }
        None if on_disk(snapshot, input) => "(on disk)".to_string(),
        None => "⚠ (not produced)".to_string(),
    }
}

fn on_disk(snapshot: &Snapshot, rel: &str) -> bool {
    let rel = norm(rel);
    !rel.is_empty() && !rel.starts_with('/') && snapshot.root.dir.join(rel).exists()
}

fn state_line(snapshot: &Snapshot, id: &str, max: u32) -> String {
    let Some(st) = snapshot.state() else {
        return format!("no run yet (no `{}`)", snapshot.root.layout.state);
    };
    let latest = st.latest(id);
    let status = latest.and_then(|h| h.status.as_ref()).map(|s| s.value.as_str());
    let attempt =
        latest.and_then(|h| h.attempts.as_ref()).map(|a| format!(", attempt {} of {max}", a.value)).unwrap_or_default();
    let failed = st.failed_stages.iter().any(|f| f.value == id) || status == Some("failed");
    let current = st.current_stage.as_ref().is_some_and(|c| c.value == id);
    if current {
        let run = st.status().map_or("unknown", |s| s.as_str());
        let failed = if failed { "; its latest attempt failed" } else { "" };
        format!("current (run `{run}`{attempt}){failed}")
    } else if st.is_completed(id) {
        "completed".to_string()
    } else if failed {
        match attempt.strip_prefix(", ") {
            Some(a) => format!("failed ({a})"),
            None => "failed".to_string(),
        }
    } else if let Some(s) = status {
        format!("not current; latest attempt `{s}`{attempt}")
    } else {
        "not started".to_string()
    }
}

fn input_markdown(snapshot: &Snapshot, p: &Pipeline, index: usize, input: &Spanned<String>) -> String {
    let stage = p.stages[index].id.as_ref().map_or("?", |s| s.value.as_str());
    let mut md = format!("**input** `{}` of stage `{stage}`\n\n", input.value);
    match producer(p, index, &input.value) {
        Some((i, out)) => {
            let by = p.stages[i].id.as_ref().map_or("?", |s| s.value.as_str());
            let _ = write!(md, "← output `{}` of stage `{by}` ({} of {})", out.value, i + 1, p.stages.len());
        }
        None if on_disk(snapshot, &input.value) => md.push_str("not produced by an earlier stage; on disk"),
        None => md.push_str("⚠ not produced by any earlier stage and not on disk"),
    }
    md
}

fn agent_markdown(snapshot: &Snapshot, agent: &str) -> String {
    match agent_file(snapshot, agent) {
        Some(f) => format!("**agent** `{agent}`\n\nfile: `{f}`"),
        None => format!("**agent** `{agent}`\n\n⚠ not found under `.factory/` or the factory root"),
    }
}
