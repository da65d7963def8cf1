//! Claude Code: `.claude/settings.json`. Writes go through `PreToolUse` on the
//! file tools; commands and other non-file tools (subagents, MCP tools) are
//! reported after through `PostToolUse`; `Stop` and `SubagentStop` hold the turn
//! while the stage's exit gate would not pass. The timeout is in seconds.

use super::{num, obj, AgentSettings, Entry};
use tollgate_engine::recovery::json::Json;

pub const SETTINGS: AgentSettings = AgentSettings { file: ".claude/settings.json", name: "claude-code", entries };

/// Seconds: far above the hook's own bound on reading stdin (5 s), so Claude
/// Code never lets a write through because the hook was slow.
const TIMEOUT: u64 = 30;

fn entries(command: &str) -> Vec<Entry> {
    let handler =
        || obj(vec![("type", Json::str("command")), ("command", Json::str(command)), ("timeout", num(TIMEOUT))]);
    vec![
        Entry { event: "PreToolUse", matcher: Some("Write|Edit|MultiEdit|NotebookEdit"), handler: handler() },
        Entry { event: "PostToolUse", matcher: Some("^(Bash|PowerShell|Agent|Task|mcp__.*)$"), handler: handler() },
        Entry { event: "Stop", matcher: None, handler: handler() },
        Entry { event: "SubagentStop", matcher: None, handler: handler() },
    ]
}
