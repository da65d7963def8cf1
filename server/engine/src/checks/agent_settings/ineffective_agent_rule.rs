//! `ineffective-agent-rule`: a path rule written for a file-writing tool other
//! than `Edit` (`Write(project/**)`, `MultiEdit(...)`, `NotebookEdit(...)`).
//! Claude Code checks every file write (its `Write`, `Edit` and `NotebookEdit`
//! tools) against `Edit(...)` path rules only; the real CLI (2.1.197) let a
//! `Write` through a `Write(x/**)` deny rule and stopped it with `Edit(x/**)`
//! (`tests/e2e/claude-code/`); likewise in `ask` and `allow`. A tool rule
//! without a path (`"Write"`) is effective and is not reported.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::agent_settings::RuleList;

/// The tools whose path rules Claude Code does not consult: it consults `Edit(...)` instead.
const NOT_CONSULTED: [&str; 3] = ["Write", "MultiEdit", "NotebookEdit"];

pub fn check(ctx: &Context, sink: &mut Sink) {
    for loaded in ctx.agent_settings.iter().flatten() {
        let Some(settings) = &loaded.model else { continue };
        for rule in &settings.rules {
            let (tool, Some(spec)) = rule.parts() else { continue };
            // `Write(*)` names the whole tool (the real CLI took `Write` away under it in `deny`).
            // `Write()` does nothing there either, but no form known to work replaces it: left alone.
            if !NOT_CONSULTED.contains(&tool) || spec.is_empty() || spec == "*" {
                continue;
            }
            let list = rule.list.key();
            let effect = match rule.list {
                RuleList::Deny => "does not stop a write",
                RuleList::Ask => "does not make Claude Code ask before a write",
                RuleList::Allow => "does not allow a write",
            };
            let edit = format!("Edit({spec})");
            let message = format!(
                "`{}` in `permissions.{list}` {effect} to `{spec}`: Claude Code consults `Edit(...)` rules for \
                 every file write (Write, Edit, NotebookEdit) and never `{tool}(...)` path rules; write `{edit}`",
                rule.rule.value
            );
            let fix = Fix::Replace {
                title: format!("Replace with `{edit}`"),
                range: rule.rule.range,
                new_text: serde_json::to_string(&edit).unwrap_or_default(),
            };
            sink.push(
                &loaded.path,
                Diagnostic::new(Code::IneffectiveAgentRule, rule.rule.range, message).with_fix(fix),
            );
        }
    }
}
