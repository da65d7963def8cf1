//! `tollgate setup <agent>`: the hook entries merged into the agent's project
//! settings, idempotent, refused on a broken file, removable (SPEC 8).

mod common;
use common::{copy_dir, fixtures, git_commit, write};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn root() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &root);
    (t, root)
}

fn setup(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).arg("setup").args(args).current_dir(cwd).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn command(agent: &str) -> String {
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_tollgate")).unwrap();
    format!("{} hook {agent}", exe.display())
}

#[test]
fn claude_code_fresh_install_then_a_second_run_changes_no_byte() {
    let (_t, root) = root();
    let (code, out, err) = setup(&["claude-code"], &root);
    assert_eq!(code, 0, "{err}");
    let file = root.join(".claude/settings.json");
    assert_eq!(out, format!("tollgate: installed tollgate's hook entries in {}\n", file.display()));
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let h = json!({"type": "command", "command": command("claude-code"), "timeout": 30});
    assert_eq!(
        v,
        json!({"hooks": {
            "PreToolUse": [{"matcher": "Write|Edit|MultiEdit|NotebookEdit", "hooks": [h]}],
            "PostToolUse": [{"matcher": "^(Bash|PowerShell|Agent|Task|mcp__.*)$", "hooks": [h]}],
            "Stop": [{"hooks": [h]}],
            "SubagentStop": [{"hooks": [h]}],
        }})
    );
    let first = std::fs::read(&file).unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    let (code, out, _) = setup(&["claude-code", "--root", root.to_str().unwrap()], Path::new("/"));
    assert_eq!(code, 0);
    assert!(out.ends_with("already has tollgate's hook entries; nothing changed\n"), "{out}");
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), modified, "not even rewritten");
}

/// serde_json's pretty form with 4 spaces, as a person might keep it.
const THEIRS: &str = r#"{
    "model": "opus",
    "permissions": {
        "allow": [
            "Bash(npm test)"
        ]
    },
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {
                        "type": "command",
                        "command": "echo checked"
                    }
                ]
            }
        ],
        "Notification": [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": "notify-send done"
                    }
                ]
            }
        ]
    },
    "env": {
        "A": "1"
    }
}
"#;

#[test]
fn merged_with_other_keys_and_hooks_and_removed_to_the_byte() {
    let (_t, root) = root();
    write(&root, ".claude/settings.json", THEIRS);
    assert_eq!(setup(&["claude-code"], &root).0, 0);
    let text = std::fs::read_to_string(root.join(".claude/settings.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let theirs: Value = serde_json::from_str(THEIRS).unwrap();
    for key in ["model", "permissions", "env"] {
        assert_eq!(v[key], theirs[key], "{key}");
    }
    assert_eq!(v["hooks"]["Notification"], theirs["hooks"]["Notification"]);
    assert_eq!(v["hooks"]["PreToolUse"][0], theirs["hooks"]["PreToolUse"][0], "their Bash hook first, kept");
    assert_eq!(v["hooks"]["PreToolUse"][1]["hooks"][0]["command"], json!(command("claude-code")));
    // Key order and the 4-space indentation are kept.
    let order: Vec<&str> = ["\"model\"", "\"permissions\"", "\"hooks\"", "\"env\""].to_vec();
    let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.contains("\n    \"model\": \"opus\""));

    let (code, out, _) = setup(&["claude-code", "--remove"], &root);
    assert_eq!(code, 0);
    assert!(out.starts_with("tollgate: removed tollgate's hook entries from "));
    assert_eq!(std::fs::read_to_string(root.join(".claude/settings.json")).unwrap(), THEIRS);
    let (_, out, _) = setup(&["claude-code", "--remove"], &root);
    assert!(out.ends_with("has no tollgate hook entries; nothing changed\n"), "{out}");
}

#[test]
fn an_entry_from_another_install_is_replaced_not_doubled() {
    let (_t, root) = root();
    let old = json!({"hooks": {"PreToolUse": [{"matcher": "Write", "hooks": [
        {"type": "command", "command": "'/old place/tollgate' hook claude-code", "timeout": 5},
        {"type": "command", "command": "mytool hook claude-code"}
    ]}]}});
    write(&root, ".claude/settings.json", serde_json::to_string_pretty(&old).unwrap());
    assert_eq!(setup(&["claude-code"], &root).0, 0);
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".claude/settings.json")).unwrap()).unwrap();
    let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(
        pre[0],
        json!({"matcher": "Write", "hooks": [{"type": "command", "command": "mytool hook claude-code"}]})
    );
    assert_eq!(pre[1]["hooks"][0]["command"], json!(command("claude-code")));
}

#[test]
fn an_invalid_file_is_refused_and_left_as_it_was() {
    let (_t, root) = root();
    for (text, why) in [
        ("{\"hooks\": ", "not valid JSON"),
        ("[1]", "not a JSON object"),
        ("{\"hooks\": []}", "`hooks` is not an object"),
        ("{\"hooks\": {\"Stop\": {}}}", "`hooks.Stop` is not a list"),
    ] {
        write(&root, ".claude/settings.json", text);
        let (code, out, err) = setup(&["claude-code"], &root);
        assert_eq!((code, out.as_str()), (1, ""), "{text}");
        assert!(err.contains(why) && err.trim_end().ends_with("; nothing changed"), "{err}");
        assert_eq!(std::fs::read_to_string(root.join(".claude/settings.json")).unwrap(), text);
    }
    let entries: Vec<_> = std::fs::read_dir(root.join(".claude")).unwrap().collect();
    assert_eq!(entries.len(), 1, "no temp file left behind");
}

#[test]
fn dry_run_prints_and_changes_nothing() {
    let (_t, root) = root();
    let (code, out, _) = setup(&["claude-code", "--dry-run"], &root);
    assert_eq!(code, 0);
    assert!(out.starts_with("tollgate: would write ") && out.contains("\"Stop\": ["), "{out}");
    assert!(!root.join(".claude").exists());
}

#[test]
fn a_factory_in_a_subfolder_gets_the_settings_at_the_git_top_level() {
    let t = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(t.path()).unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &top.join("factory"));
    git_commit(&top);
    assert_eq!(setup(&["claude-code", "--root", "factory"], &top).0, 0);
    assert!(top.join(".claude/settings.json").is_file());
    assert!(!top.join("factory/.claude").exists());
    let (code, _, err) = setup(&["claude-code"], Path::new("/"));
    assert_eq!(code, 2, "no factory root: {err}");
}

#[test]
fn gemini_cli_and_codex_settings() {
    let (_t, root) = root();
    assert_eq!(setup(&["gemini-cli"], &root).0, 0);
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".gemini/settings.json")).unwrap()).unwrap();
    let h = json!({"name": "tollgate", "type": "command", "command": command("gemini-cli"), "timeout": 30000});
    assert_eq!(
        v,
        json!({"hooks": {
            "BeforeTool": [{"matcher": "write_file|replace", "hooks": [h]}],
            "AfterTool": [{"matcher": "run_shell_command", "hooks": [h]}],
            "AfterAgent": [{"hooks": [h]}],
        }})
    );
    assert_eq!(setup(&["codex"], &root).0, 0);
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".codex/hooks.json")).unwrap()).unwrap();
    let h = json!({"type": "command", "command": command("codex"), "timeout": 30, "statusMessage": "tollgate: checking the stage's box"});
    assert_eq!(
        v,
        json!({"hooks": {
            "PreToolUse": [{"matcher": "^apply_patch$", "hooks": [h]}],
            "PostToolUse": [{"matcher": "^Bash$", "hooks": [h]}],
            "Stop": [{"hooks": [h]}],
            "SubagentStop": [{"hooks": [h]}],
        }})
    );
    assert_eq!(setup(&["codex", "--remove"], &root).0, 0);
    assert_eq!(std::fs::read_to_string(root.join(".codex/hooks.json")).unwrap(), "{}\n");
}
