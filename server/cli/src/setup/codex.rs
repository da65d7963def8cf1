//! Codex: `.codex/hooks.json` (the project layer; Codex runs project hooks once
//! the user trusts them in `/hooks`). `PreToolUse` on `apply_patch` and shell
//! commands (an `apply_patch` heredoc is a patch), `PostToolUse` after shell
//! commands, `Stop` and `SubagentStop`. Timeout in seconds.

use super::sandbox::{self, Writer};
use super::{num, obj, AgentSettings, Entry};
use crate::hook::codex::{PATCH_TOOLS, SHELL_TOOLS};
use tollgate_engine::recovery::json::Json;

pub const SETTINGS: AgentSettings = AgentSettings {
    file: ".codex/hooks.json",
    name: "codex",
    entries,
    sandbox: Some(Writer {
        file: ".codex/config.toml",
        merge: sandbox::codex,
        limits: "Codex holds the profile for shell commands and patches alike; its own deny text, not tollgate's, \
                 reaches the model when the sandbox refuses",
    }),
};

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
        // Before a shell command too: Codex applies an `apply_patch` heredoc itself, with no PostToolUse.
        Entry {
            event: "PreToolUse",
            matcher: Some(format!("^({}|{})$", PATCH_TOOLS.join("|"), SHELL_TOOLS.join("|"))),
            handler: handler(),
        },
        Entry { event: "PostToolUse", matcher: Some(format!("^({})$", SHELL_TOOLS.join("|"))), handler: handler() },
        Entry { event: "Stop", matcher: None, handler: handler() },
        Entry { event: "SubagentStop", matcher: None, handler: handler() },
    ]
}
