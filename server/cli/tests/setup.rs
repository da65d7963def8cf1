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
            "PostToolUseFailure": [{"matcher": "^(Bash|PowerShell|Agent|Task|mcp__.*)$", "hooks": [h]}],
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
            "PreToolUse": [{"matcher": "^(apply_patch|Edit|Write|Bash)$", "hooks": [h]}],
            "PostToolUse": [{"matcher": "^(Bash)$", "hooks": [h]}],
            "Stop": [{"hooks": [h]}],
            "SubagentStop": [{"hooks": [h]}],
        }})
    );
    assert_eq!(setup(&["codex", "--remove"], &root).0, 0);
    assert_eq!(std::fs::read_to_string(root.join(".codex/hooks.json")).unwrap(), "{}\n");
}

// ---- `--sandbox`: the running stage's box in the agent's OS sandbox ----

const RUNNING: &str =
    r#"{"status": "running", "currentStage": "code", "completedStages": ["bootstrap", "prd", "ui", "tech"]}"#;

/// The fixture with stage `code` running and an upstream artifact on disk.
fn running() -> (tempfile::TempDir, PathBuf) {
    let (t, root) = root();
    write(&root, ".factory/state.json", RUNNING);
    write(&root, "artifacts/prd/prd.md", "# PRD\n");
    write(&root, "artifacts/backend/src/app.ts", "export {}\n");
    (t, root)
}

fn deny_write(root: &Path) -> Vec<String> {
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".claude/settings.json")).unwrap()).unwrap();
    serde_json::from_value(v["sandbox"]["filesystem"]["denyWrite"].clone()).unwrap_or_default()
}

fn abs(root: &Path, rels: &[&str]) -> Vec<String> {
    rels.iter().map(|r| format!("/{}", root.join(r).display())).collect()
}

#[test]
fn claude_code_sandbox_closes_what_lies_outside_the_running_stage_and_follows_a_rerun() {
    let (_t, root) = running();
    let theirs = json!({"sandbox": {"filesystem": {"denyWrite": ["~/.aws", "//etc/hosts"]}}, "model": "opus"});
    write(&root, ".claude/settings.json", format!("{}\n", serde_json::to_string_pretty(&theirs).unwrap()));
    let before = std::fs::read(root.join(".claude/settings.json")).unwrap();
    let (code, out, err) = setup(&["claude-code", "--sandbox"], &root);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shell commands of stage `code` may write `artifacts/backend`, `artifacts/client`"), "{out}");
    assert!(out.contains("when the run moves to another stage, run `tollgate setup claude-code --sandbox` again"));
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".claude/settings.json")).unwrap()).unwrap();
    assert_eq!(v["sandbox"]["enabled"], json!(true));
    assert_eq!(v["model"], json!("opus"));
    assert!(v["hooks"]["PreToolUse"].is_array(), "the hooks come with it");
    let mut want = vec!["~/.aws".to_string(), "//etc/hosts".to_string()];
    want.extend(abs(
        &root,
        &[".codex", ".factory/scope.yaml", ".gemini", "README.md", "artifacts/prd", "pipeline.yaml", "policies"],
    ));
    assert_eq!(deny_write(&root), want, "theirs first, then what is outside `code`'s box");

    // A second run changes no byte.
    let first = std::fs::read(root.join(".claude/settings.json")).unwrap();
    let (_, out, _) = setup(&["claude-code", "--sandbox"], &root);
    assert!(out.starts_with("tollgate: ") && out.contains("nothing changed"), "{out}");
    assert_eq!(std::fs::read(root.join(".claude/settings.json")).unwrap(), first);

    // The run moves to `validation` (matrix: `artifacts/validation/` only): the box moves with a rerun.
    write(&root, ".factory/state.json", RUNNING.replace("\"code\"", "\"validation\""));
    assert_eq!(setup(&["claude-code", "--sandbox"], &root).0, 0);
    let now = deny_write(&root);
    assert!(now.contains(&abs(&root, &["artifacts/backend"])[0]), "{now:?}");
    assert!(!now.iter().any(|p| p.ends_with("/artifacts/validation")), "{now:?}");

    // `--remove` takes out tollgate's hooks and lists; `enabled` stays, as their
    // own sandbox settings may need it, and the person is told.
    let (code, out, _) = setup(&["claude-code", "--remove"], &root);
    assert_eq!(code, 0);
    assert!(out.contains("`sandbox.enabled` stays true"), "{out}");
    let mut theirs_enabled = theirs.clone();
    theirs_enabled["sandbox"]["enabled"] = json!(true);
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".claude/settings.json")).unwrap()).unwrap();
    assert_eq!(v, theirs_enabled);
    assert_ne!(std::fs::read(root.join(".claude/settings.json")).unwrap(), before);
}

#[test]
fn claude_code_sandbox_without_an_active_run_takes_the_lists_out() {
    let (_t, root) = running();
    assert_eq!(setup(&["claude-code", "--sandbox"], &root).0, 0);
    assert!(!deny_write(&root).is_empty());
    write(&root, ".factory/state.json", r#"{"status": "completed", "currentStage": "code"}"#);
    let (code, out, _) = setup(&["claude-code", "--sandbox"], &root);
    assert_eq!(code, 0);
    assert!(out.contains("no run is active, so there is no stage box to hold"), "{out}");
    let v: Value = serde_json::from_slice(&std::fs::read(root.join(".claude/settings.json")).unwrap()).unwrap();
    assert_eq!(v.get("sandbox"), None, "the sandbox only tollgate needed is gone: {v}");
    assert!(v["hooks"]["Stop"].is_array());
}

const CODEX_THEIRS: &str =
    "# my Codex settings\nmodel = \"o3\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\" # local\n";

#[test]
fn codex_sandbox_is_a_default_permission_profile_merged_into_their_config() {
    let (_t, root) = running();
    write(&root, ".codex/config.toml", CODEX_THEIRS);
    let (code, out, err) = setup(&["codex", "--sandbox"], &root);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("installed tollgate's sandbox profile in"), "{out}");
    let text = std::fs::read_to_string(root.join(".codex/config.toml")).unwrap();
    assert_eq!(
        text,
        "# my Codex settings\nmodel = \"o3\"\ndefault_permissions = \"tollgate\"\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\" # local\n\
         \n[permissions.tollgate]\nextends = \":workspace\"\n\n[permissions.tollgate.filesystem]\n\":minimal\" = \"read\"\n\
         \n[permissions.tollgate.filesystem.\":workspace_roots\"]\n\".\" = \"read\"\n\".factory\" = \"write\"\n\
         \"artifacts/_failed\" = \"write\"\n\"artifacts/_untrusted\" = \"write\"\n\"artifacts/backend\" = \"write\"\n\
         \"artifacts/client\" = \"write\"\npipeline = \"write\"\n\".factory/scope.yaml\" = \"read\"\n"
    );
    let (_, out, _) = setup(&["codex", "--sandbox"], &root);
    assert!(out.contains("config.toml already has tollgate's sandbox profile; nothing changed"), "{out}");
    assert_eq!(setup(&["codex", "--remove"], &root).0, 0);
    assert_eq!(std::fs::read_to_string(root.join(".codex/config.toml")).unwrap(), CODEX_THEIRS);
}

#[test]
fn codex_sandbox_refuses_another_default_profile_and_warns_about_sandbox_mode() {
    let (_t, root) = running();
    let other = "default_permissions = \"mine\"\n";
    write(&root, ".codex/config.toml", other);
    let (code, out, err) = setup(&["codex", "--sandbox"], &root);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("`default_permissions` is `mine`") && err.trim_end().ends_with("nothing changed"), "{err}");
    assert_eq!(std::fs::read_to_string(root.join(".codex/config.toml")).unwrap(), other);
    assert!(!root.join(".codex/hooks.json").exists(), "no file is written when one is refused");

    write(&root, ".codex/config.toml", "sandbox_mode = \"workspace-write\"\n");
    let (code, out, _) = setup(&["codex", "--sandbox"], &root);
    assert_eq!(code, 0);
    assert!(
        out.contains("`sandbox_mode` is set in .codex/config.toml, and Codex then ignores permission profiles"),
        "{out}"
    );
}

#[test]
fn sandbox_is_refused_for_gemini_cli_and_for_unreadable_rules_with_nothing_changed() {
    let (_t, root) = running();
    let (code, _, err) = setup(&["gemini-cli", "--sandbox"], &root);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("gemini-cli has no per-path write list"), "{err}");
    assert!(!root.join(".gemini").exists());
    write(&root, "policies/capability.matrix.md", [0xffu8, 0xfe, 0]);
    let (code, _, err) = setup(&["claude-code", "--sandbox"], &root);
    assert_eq!(code, 1);
    assert!(
        err.contains("capability.matrix.md cannot be read") && err.trim_end().ends_with("nothing changed"),
        "{err}"
    );
    assert!(!root.join(".claude").exists());
}
