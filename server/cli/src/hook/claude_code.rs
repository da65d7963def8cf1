//! Claude Code's hook contract (verified against the real CLI 2.1.197; see
//! tests/e2e/claude-code/): `PreToolUse` on `Write`, `Edit`, `MultiEdit`,
//! `NotebookEdit` (`tool_input.file_path` / `notebook_path`, absolute);
//! `PostToolUse` and `PostToolUseFailure` after other tools; `Stop` /
//! `SubagentStop` with `stop_hook_active`.
//! A refusal is exit 0 with `permissionDecision: "deny"` (the model receives
//! exactly the reason); the others are `{"decision": "block", "reason"}`.

use serde_json::{json, Value};

use super::{cwd_of, resolve, text, AfterSpec, Answer, Events, Format, Phase, Request, WriteReq};

pub struct ClaudeCode;

pub const FILE_TOOLS: &[&str] = &["Write", "Edit", "MultiEdit", "NotebookEdit"];

impl Format for ClaudeCode {
    fn phase(event: &Value) -> Phase {
        EVENTS.phase(event)
    }

    fn parse(event: &Value) -> Result<Request, String> {
        let name = text(event, "hook_event_name").ok_or("the event has no `hook_event_name`")?;
        let tool = text(event, "tool_name");
        match name {
            "PreToolUse" => {
                let tool = tool.ok_or("a PreToolUse event without `tool_name`")?;
                if !FILE_TOOLS.contains(&tool) {
                    return Ok(Request::Nothing);
                }
                let cwd = cwd_of(event)?;
                let input = event.get("tool_input").filter(|v| v.is_object()).ok_or("no `tool_input` object")?;
                let key = if tool == "NotebookEdit" { "notebook_path" } else { "file_path" };
                let path = text(input, key).filter(|p| !p.is_empty()).ok_or(format!("{tool} without `{key}`"))?;
                let after = match tool {
                    "Write" => AfterSpec::Text(text(input, "content").ok_or("Write without `content`")?.to_string()),
                    "Edit" => AfterSpec::Replace(vec![replacement(input)?]),
                    "MultiEdit" => {
                        let edits = input.get("edits").and_then(Value::as_array).ok_or("MultiEdit without `edits`")?;
                        AfterSpec::Replace(edits.iter().map(replacement).collect::<Result<_, _>>()?)
                    }
                    _ => AfterSpec::Unknown("a notebook edit's text is not known before it runs".into()),
                };
                let write = WriteReq { path: resolve(path, &cwd), delete: false, after };
                Ok(Request::Write { writes: vec![write], cwd: Some(cwd) })
            }
            _ => EVENTS.after_or_stop(name, tool, event, FILE_TOOLS),
        }
    }

    fn render(answer: &Answer) -> Option<Value> {
        render(answer)
    }
}

/// After a tool (also a failed one: a command that wrote outside the box and
/// then failed, or was stopped halfway by the sandbox) and at a stop.
pub const EVENTS: Events = Events { after: &["PostToolUse", "PostToolUseFailure"], stop: &["Stop", "SubagentStop"] };

/// A refusal as `permissionDecision: "deny"`, a report or a block as `{"decision": "block"}`.
pub fn render(answer: &Answer) -> Option<Value> {
    match answer {
        Answer::Deny(reason) => Some(json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }})),
        Answer::Report(reason) | Answer::Block(reason) => Some(json!({"decision": "block", "reason": reason})),
        Answer::Quiet | Answer::Warn(_) => None,
    }
}

fn replacement(v: &Value) -> Result<(String, String, bool), String> {
    let old = text(v, "old_string").ok_or("an edit without `old_string`")?;
    let new = text(v, "new_string").ok_or("an edit without `new_string`")?;
    Ok((old.to_string(), new.to_string(), v.get("replace_all").and_then(Value::as_bool).unwrap_or(false)))
}
