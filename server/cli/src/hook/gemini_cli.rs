//! Gemini CLI's hook contract (proven against the real Gemini CLI 0.61.0 by
//! tests/e2e/gemini-cli; the events in tests/hook_events/gemini-cli are recorded there):
//! `BeforeTool` on `write_file` / `replace` (`tool_input.file_path`, which may be
//! relative: resolved against `cwd`), refused with `{"decision": "deny",
//! "reason"}`; `AfterTool` after `run_shell_command`, told through
//! `hookSpecificOutput.additionalContext` (the command's own output stays);
//! `AfterAgent`, held with `{"decision": "deny", "reason"}` (a retry prompt).

use serde_json::{json, Value};

use super::{cwd_of, resolve, text, AfterSpec, Answer, Events, Format, Phase, Request, WriteReq};

pub struct GeminiCli;

pub const FILE_TOOLS: &[&str] = &["write_file", "replace"];

const EVENTS: Events = Events { after: &["AfterTool"], stop: &["AfterAgent"] };

impl Format for GeminiCli {
    fn phase(event: &Value) -> Phase {
        EVENTS.phase(event)
    }

    fn parse(event: &Value) -> Result<Request, String> {
        let name = text(event, "hook_event_name").ok_or("the event has no `hook_event_name`")?;
        let tool = text(event, "tool_name");
        match name {
            "BeforeTool" => {
                let tool = tool.ok_or("a BeforeTool event without `tool_name`")?;
                if !FILE_TOOLS.contains(&tool) {
                    return Ok(Request::Nothing);
                }
                let cwd = cwd_of(event)?;
                let input = event.get("tool_input").filter(|v| v.is_object()).ok_or("no `tool_input` object")?;
                let path =
                    text(input, "file_path").filter(|p| !p.is_empty()).ok_or(format!("{tool} without `file_path`"))?;
                let after = if tool == "write_file" {
                    AfterSpec::Text(text(input, "content").ok_or("write_file without `content`")?.to_string())
                } else {
                    let old = text(input, "old_string").ok_or("replace without `old_string`")?;
                    let new = text(input, "new_string").ok_or("replace without `new_string`")?;
                    let all = input.get("allow_multiple").and_then(Value::as_bool).unwrap_or(false)
                        || input.get("expected_replacements").and_then(Value::as_u64).is_some_and(|n| n > 1);
                    AfterSpec::Replace(vec![(old.to_string(), new.to_string(), all)])
                };
                let write = WriteReq { path: resolve(path, &cwd), delete: false, after };
                Ok(Request::Write { writes: vec![write], cwd: Some(cwd) })
            }
            _ => EVENTS.after_or_stop(name, tool, event, FILE_TOOLS),
        }
    }

    fn render(answer: &Answer) -> Option<Value> {
        match answer {
            Answer::Deny(reason) | Answer::Block(reason) => Some(json!({"decision": "deny", "reason": reason})),
            Answer::Report(reason) => Some(json!({"hookSpecificOutput": {
                "hookEventName": "AfterTool",
                "additionalContext": reason,
            }})),
            Answer::Quiet | Answer::Warn(_) => None,
        }
    }
}
