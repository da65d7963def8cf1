//! Gemini CLI: `.gemini/settings.json`. `BeforeTool` on its two file tools,
//! `AfterTool` after shell commands, `AfterAgent` at the end of a turn. Its
//! timeout is in milliseconds.

use super::{num, obj, AgentSettings, Entry};
use tollgate_engine::recovery::json::Json;

pub const SETTINGS: AgentSettings = AgentSettings { file: ".gemini/settings.json", name: "gemini-cli", entries };

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
        Entry { event: "BeforeTool", matcher: Some("write_file|replace"), handler: handler() },
        Entry { event: "AfterTool", matcher: Some("run_shell_command"), handler: handler() },
        Entry { event: "AfterAgent", matcher: None, handler: handler() },
    ]
}
