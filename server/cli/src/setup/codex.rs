//! Codex: `.codex/hooks.json` (the project layer; Codex runs project hooks once
//! the user trusts them in `/hooks`). `PreToolUse` on `apply_patch`,
//! `PostToolUse` after shell commands, `Stop` and `SubagentStop`. Timeout in seconds.

use super::{num, obj, AgentSettings, Entry};
use tollgate_engine::recovery::json::Json;

pub const SETTINGS: AgentSettings = AgentSettings { file: ".codex/hooks.json", name: "codex", entries };

fn entries(command: &str) -> Vec<Entry> {
    let handler = || {
        obj(vec![
            ("type", Json::str("command")),
            ("command", Json::str(command)),
            ("timeout", num(30)),
            ("statusMessage", Json::str("tollgate: checking the stage's box")),
        ])
    };
    vec![
        Entry { event: "PreToolUse", matcher: Some("^apply_patch$"), handler: handler() },
        Entry { event: "PostToolUse", matcher: Some("^Bash$"), handler: handler() },
        Entry { event: "Stop", matcher: None, handler: handler() },
        Entry { event: "SubagentStop", matcher: None, handler: handler() },
    ]
}
