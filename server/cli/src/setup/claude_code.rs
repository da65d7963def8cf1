//! Claude Code: `.claude/settings.json`. Writes go through `PreToolUse` on the
//! file tools; commands and other non-file tools (subagents, MCP tools) are
//! reported after through `PostToolUse`, and `PostToolUseFailure` when they fail; `Stop` and `SubagentStop` hold the turn
//! while the stage's exit gate would not pass. The timeout is in seconds.

use super::sandbox::{self, Writer};
use super::{num, obj, AgentSettings, Entry};
use crate::hook::claude_code::FILE_TOOLS;
use tollgate_engine::recovery::json::Json;

/// The project settings file: the one `ineffective-agent-rule` reads first.
const FILE: &str = tollgate_engine::model::agent_settings::FILES[0];

pub const SETTINGS: AgentSettings = AgentSettings {
    file: FILE,
    name: "claude-code",
    entries,
    sandbox: Some(Writer {
        file: FILE,
        merge: sandbox::claude_code,
        limits: "Claude Code's sandbox closes paths that exist: a file or folder made later beside the closed ones \
                 (a new top-level folder) is not closed; the hook still reports it after the command",
    }),
};

/// Seconds: far above the hook's own bound on reading stdin (5 s), so Claude
/// Code never lets a write through because the hook was slow.
const TIMEOUT: u64 = 30;

/// The tools that may write without a file tool: commands, subagents, MCP tools.
const AFTER: &str = "^(Bash|PowerShell|Agent|Task|mcp__.*)$";

fn entries(command: &str) -> Vec<Entry> {
    let handler =
        || obj(vec![("type", Json::str("command")), ("command", Json::str(command)), ("timeout", num(TIMEOUT))]);
    vec![
        Entry { event: "PreToolUse", matcher: Some(FILE_TOOLS.join("|")), handler: handler() },
        Entry { event: "PostToolUse", matcher: Some(AFTER.into()), handler: handler() },
        Entry { event: "PostToolUseFailure", matcher: Some(AFTER.into()), handler: handler() },
        Entry { event: "Stop", matcher: None, handler: handler() },
        Entry { event: "SubagentStop", matcher: None, handler: handler() },
    ]
}
