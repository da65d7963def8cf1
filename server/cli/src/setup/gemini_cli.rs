//! Gemini CLI: `.gemini/settings.json`. `BeforeTool` on its two file tools,
//! `AfterTool` after shell commands, `AfterAgent` at the end of a turn. Its
//! timeout is in milliseconds.

use super::{num, obj, AgentSettings, Entry};
use crate::hook::gemini_cli::FILE_TOOLS;
use tollgate_engine::recovery::json::Json;

/// No sandbox lists: Gemini CLI's sandboxes (a container, a macOS profile) have
/// no per-path write list a project file can set.
pub const SETTINGS: AgentSettings =
    AgentSettings { file: ".gemini/settings.json", name: "gemini-cli", entries, sandbox: None };

fn entries(command: &str) -> Vec<Entry> {
    let handler = || {
        obj(vec![
            ("name", Json::str("tollgate")),
            ("type", Json::str("command")),
            ("command", Json::str(command)),
            ("timeout", num(30_000)),
        ])
    };
    vec![
        Entry { event: "BeforeTool", matcher: Some(FILE_TOOLS.join("|")), handler: handler() },
        Entry { event: "AfterTool", matcher: Some("run_shell_command".into()), handler: handler() },
        Entry { event: "AfterAgent", matcher: None, handler: handler() },
    ]
}
