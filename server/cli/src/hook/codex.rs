//! Codex's hook contract, as the real CLI (0.171.0) sends it (recorded in
//! `tests/hook_events/codex/`, driven by `tests/e2e/codex/`): `PreToolUse` on
//! `apply_patch`, whose `tool_input.command` is the patch text: the files come
//! from its `*** Add File:` / `*** Update File:` (+ `*** Move to:`) / `*** Delete
//! File:` headers, relative to `cwd`. A shell command (`Bash`) that is an
//! `apply_patch` heredoc is applied by Codex itself, with no `PostToolUse`
//! after: its patch is judged before, like the tool's. Refused with
//! `permissionDecision: "deny"`; `PostToolUse` and `Stop` / `SubagentStop`
//! answer `{"decision": "block", "reason"}`.

use serde_json::Value;

use super::claude_code;
use super::patch::{self, FileOp};
use super::{cwd_of, resolve, text, AfterSpec, Answer, Events, Format, Phase, Request, WriteReq};

pub struct Codex;

pub const PATCH_TOOLS: &[&str] = &["apply_patch", "Edit", "Write"];
/// Codex's name for its shell tools in hook events.
pub const SHELL_TOOLS: &[&str] = &["Bash"];

/// Named as Claude Code names them (Codex has no event for a failed tool).
const EVENTS: Events = Events { after: &["PostToolUse"], stop: &["Stop", "SubagentStop"] };

impl Format for Codex {
    fn phase(event: &Value) -> Phase {
        EVENTS.phase(event)
    }

    fn parse(event: &Value) -> Result<Request, String> {
        let name = text(event, "hook_event_name").ok_or("the event has no `hook_event_name`")?;
        let tool = text(event, "tool_name");
        match name {
            "PreToolUse" => {
                let tool = tool.ok_or("a PreToolUse event without `tool_name`")?;
                let (patch_text, cwd) = if PATCH_TOOLS.contains(&tool) {
                    let input = event.get("tool_input").ok_or("no `tool_input`")?;
                    let patch_text =
                        text(input, "command").or(input.as_str()).ok_or("apply_patch without `command`")?;
                    (patch_text.to_string(), cwd_of(event)?)
                } else if SHELL_TOOLS.contains(&tool) {
                    // Any other command runs as a program: looked at after (PostToolUse).
                    let command = event.get("tool_input").and_then(|i| text(i, "command")).unwrap_or_default();
                    let Some((patch_text, dir)) = patch::shell_invocation(command) else {
                        return Ok(Request::Nothing);
                    };
                    let cwd = cwd_of(event)?;
                    (patch_text, dir.map_or(cwd.clone(), |d| resolve(&d, &cwd)))
                } else {
                    return Ok(Request::Nothing);
                };
                let mut writes = Vec::new();
                for op in patch::parse(&patch_text)? {
                    match op {
                        FileOp::Add { path, text } => writes.push(WriteReq {
                            path: resolve(&path, &cwd),
                            delete: false,
                            after: AfterSpec::Text(text),
                        }),
                        FileOp::Delete { path } => {
                            let after = AfterSpec::Unknown("deleted".into());
                            writes.push(WriteReq { path: resolve(&path, &cwd), delete: true, after })
                        }
                        FileOp::Update { path, move_to: None, hunks } => writes.push(WriteReq {
                            path: resolve(&path, &cwd),
                            delete: false,
                            after: AfterSpec::Patch(hunks),
                        }),
                        FileOp::Update { path, move_to: Some(to), hunks } => {
                            // The source goes, the destination gets the updated text.
                            let src = resolve(&path, &cwd);
                            let gone = AfterSpec::Unknown("moved away".into());
                            writes.push(WriteReq { path: src.clone(), delete: true, after: gone });
                            writes.push(WriteReq {
                                path: resolve(&to, &cwd),
                                delete: false,
                                after: AfterSpec::Moved { from: src, hunks },
                            });
                        }
                    }
                }
                Ok(Request::Write { writes, cwd: Some(cwd) })
            }
            _ => EVENTS.after_or_stop(name, tool, event, PATCH_TOOLS),
        }
    }

    fn render(answer: &Answer) -> Option<Value> {
        match answer {
            // Codex shows the model "Command blocked by PreToolUse hook: <reason>. Command: <patch>".
            Answer::Deny(reason) => claude_code::render(&Answer::Deny(reason.trim_end_matches('.').to_string())),
            _ => claude_code::render(answer),
        }
    }
}
