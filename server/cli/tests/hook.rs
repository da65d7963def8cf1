//! `tollgate hook <agent>` as the agents run it: one process, one event on
//! stdin (SPEC 8). The events of all three agents are recorded from their real
//! CLIs (`hook_events/README.md`).

mod common;
use common::{copy_dir, fixtures, git_commit, write};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const STATE: &str = r#"{
  "version": 1,
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}]
}
"#;

/// The real fixture with stage `code` running, some artifacts, committed.
fn factory() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &root);
    write(&root, ".factory/state.json", STATE);
    write(&root, "artifacts/prd/prd.md", "# PRD\n");
    write(&root, "artifacts/backend/src/app.ts", "export {}\n");
    git_commit(&root);
    (t, root)
}

fn set_status(root: &Path, status: &str) {
    write(root, ".factory/state.json", STATE.replace("\"status\": \"running\"", &format!("\"status\": \"{status}\"")));
}

/// A recorded event with the project path filled in.
fn event(agent: &str, name: &str, root: &Path) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hook_events").join(agent).join(format!("{name}.json"));
    std::fs::read_to_string(path)
        .unwrap()
        .replace("__PROJECT__", &root.display().to_string())
        .replace("__HOME__", "/nonexistent")
}

/// A recorded event, changed.
fn event_with(agent: &str, name: &str, root: &Path, change: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(&event(agent, name, root)).unwrap();
    change(&mut v);
    v.to_string()
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

fn hook(agent: &str, stdin: impl AsRef<[u8]>) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["hook", agent])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = stdin.as_ref().to_vec();
    let mut sink = child.stdin.take().unwrap();
    // A hook may answer before it has read everything (a refused oversized event).
    let writer = std::thread::spawn(move || {
        let _ = sink.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Out {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The Claude Code refusal's reason; panics unless the answer is exactly a deny.
fn denied(out: &Out) -> String {
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", out.stdout));
    let reason = v["hookSpecificOutput"]["permissionDecisionReason"].as_str().expect("a reason").to_string();
    assert_eq!(
        v,
        json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": reason}})
    );
    assert!(out.stdout.ends_with("}\n") && out.stdout.lines().count() == 1);
    reason
}

fn quiet(out: &Out) {
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "stderr: {}", out.stderr);
}

#[test]
fn claude_code_write_outside_the_box_is_refused_with_code_stage_rule_return_point_and_next_step() {
    let (_t, root) = factory();
    let reason = denied(&hook("claude-code", event("claude-code", "PreToolUse-Write", &root)));
    assert_eq!(
        reason,
        "unauthorized-write: stage `code` may not create `artifacts/prd/sneaky.md` outside its write permissions: \
         matrix row `code` allows only `artifacts/backend/`, `artifacts/client/` (policies/capability.matrix.md). \
         Return point: user (quarantine the file, or a person grants write access). Next valid step: write only \
         inside the stage's write permissions, or stop and ask a person: a person grants stage `code` write access \
         to `artifacts/prd/sneaky.md`."
    );
    assert!(!root.join("artifacts/prd/sneaky.md").exists());
}

#[test]
fn claude_code_edit_of_an_existing_file_outside_the_box_is_refused_as_a_modify() {
    let (_t, root) = factory();
    write(&root, "artifacts/prd/existing.md", "original line\n");
    let reason = denied(&hook("claude-code", event("claude-code", "PreToolUse-Edit", &root)));
    assert!(
        reason.starts_with("unauthorized-write: stage `code` may not modify `artifacts/prd/existing.md`"),
        "{reason}"
    );
}

#[test]
fn claude_code_writes_inside_the_box_and_to_control_files_get_no_answer() {
    let (_t, root) = factory();
    for rel in ["artifacts/backend/src/new.ts", "artifacts/client/App.tsx", ".factory/state.json", "pipeline/error.log"]
    {
        let e = event_with("claude-code", "PreToolUse-Write", &root, |v| {
            v["tool_input"]["file_path"] = json!(root.join(rel).display().to_string());
        });
        quiet(&hook("claude-code", e));
    }
    // Outside any factory root.
    let elsewhere = tempfile::tempdir().unwrap();
    let e = event_with("claude-code", "PreToolUse-Write", &root, |v| {
        v["tool_input"]["file_path"] = json!(elsewhere.path().join("x.md").display().to_string());
    });
    quiet(&hook("claude-code", e));
}

#[test]
fn claude_code_idle_or_finished_run_allows_everything_and_a_paused_one_does_not() {
    let (_t, root) = factory();
    for status in ["idle", "completed"] {
        set_status(&root, status);
        quiet(&hook("claude-code", event("claude-code", "PreToolUse-Write", &root)));
    }
    // Paused with the stage's attempt still open: the run is active and the write
    // would be the stage's (as `check` would say after it), so it is refused...
    write(&root, ".factory/state.json", STATE.replacen("\"status\": \"running\"", "\"status\": \"paused\"", 1));
    let reason = denied(&hook("claude-code", event("claude-code", "PreToolUse-Write", &root)));
    assert!(reason.starts_with("unauthorized-write: "), "{reason}");
    // ... and once the attempt has ended, the person's turn: a write is theirs.
    set_status(&root, "paused");
    quiet(&hook("claude-code", event("claude-code", "PreToolUse-Write", &root)));
}

#[test]
fn claude_code_edit_that_widens_the_matrix_row_is_refused_and_one_that_narrows_it_is_not() {
    let (_t, root) = factory();
    let edit = |new: &str| {
        event_with("claude-code", "PreToolUse-Edit", &root, |v| {
            v["tool_input"] = json!({
                "file_path": root.join("policies/capability.matrix.md").display().to_string(),
                "old_string": "| `artifacts/backend/`, `artifacts/client/` | 根据",
                "new_string": new,
                "replace_all": false,
            });
        })
    };
    let reason =
        denied(&hook("claude-code", edit("| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据")));
    assert!(
        reason.starts_with(
            "permissions-widened: stage `code` may not widen write permissions: after this write to \
             `policies/capability.matrix.md` matrix row `code` would grant `artifacts/prd/`, which matrix row `code` \
             does not now. Return point: user"
        ),
        "{reason}"
    );
    assert!(reason.ends_with("Next valid step: leave the rules as they are; widening them is a person's decision."));
    quiet(&hook("claude-code", edit("| `artifacts/backend/` | 根据")));
}

#[test]
fn claude_code_edits_of_its_own_settings_are_refused() {
    let (_t, root) = factory();
    let e = event_with("claude-code", "PreToolUse-Write", &root, |v| {
        v["tool_input"]["file_path"] = json!(root.join(".claude/settings.json").display().to_string());
    });
    let reason = denied(&hook("claude-code", e));
    assert!(
        reason.starts_with(
            "permissions-widened: stage `code` may not edit the agent's own settings `.claude/settings.json`"
        ),
        "{reason}"
    );
}

#[test]
fn a_symlink_that_leaves_the_root_is_refused() {
    let (_t, root) = factory();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("artifacts/backend/out")).unwrap();
    let e = event_with("claude-code", "PreToolUse-Write", &root, |v| {
        v["tool_input"]["file_path"] = json!(root.join("artifacts/backend/out/x.ts").display().to_string());
    });
    let reason = denied(&hook("claude-code", e));
    assert!(reason.starts_with("unauthorized-write: stage `code` may not write `artifacts/backend/out/x.ts`: it leads out of the factory root through a symlink"), "{reason}");
}

#[test]
fn fail_closed_before_a_write() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("the hook event on stdin is empty", Vec::new()),
        ("the hook event on stdin is empty", b"  \n".to_vec()),
        ("the hook event is not UTF-8 text", vec![0xff, 0xfe, 0x00, 0x80, 0x13]),
        ("the hook event is not valid JSON", b"{\"hook_event_name\": \"PreToolUse\"".to_vec()),
        ("the event has no `hook_event_name`", b"{}".to_vec()),
        ("the event has no `hook_event_name`", b"[1, 2]".to_vec()),
        ("no `tool_input` object", br#"{"hook_event_name": "PreToolUse", "tool_name": "Write"}"#.to_vec()),
        (
            "Write without `file_path`",
            br#"{"hook_event_name": "PreToolUse", "tool_name": "Write", "cwd": "/", "tool_input": {"content": "x"}}"#
                .to_vec(),
        ),
        ("the hook event is over 8388608 bytes (8 MiB)", {
            let big = "x".repeat(10 * 1024 * 1024);
            json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/tmp/a", "content": big}})
                .to_string()
                .into_bytes()
        }),
    ];
    for (why, stdin) in cases {
        let reason = denied(&hook("claude-code", &stdin));
        assert!(reason.starts_with(&format!("tollgate could not decide: {why}")), "{why}: {reason}");
    }
}

#[test]
fn fail_closed_when_the_state_cannot_be_read() {
    let (_t, root) = factory();
    write(&root, ".factory/state.json", [0xffu8, 0xfe]);
    let reason = denied(&hook("claude-code", event("claude-code", "PreToolUse-Write", &root)));
    assert!(
        reason.starts_with("tollgate could not decide: ") && reason.contains("state.json cannot be read"),
        "{reason}"
    );
}

#[test]
fn stdin_held_open_is_answered_after_five_seconds() {
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["hook", "claude-code"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"hook_event_name\": ").unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(5) && took < Duration::from_secs(15), "{took:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["hookSpecificOutput"]["permissionDecisionReason"].as_str().unwrap().split(". ").next(),
        Some("tollgate could not decide: the hook event did not end within 5 s")
    );
}

#[test]
fn post_tool_use_reports_a_commands_new_findings_once_per_session() {
    let (_t, root) = factory();
    let post =
        |session: &str| event_with("claude-code", "PostToolUse-Bash", &root, |v| v["session_id"] = json!(session));
    quiet(&hook("claude-code", post("s-1")));
    write(&root, "artifacts/prd/b.md", "x\n");
    let out = hook("claude-code", post("s-1"));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let reason = v["reason"].as_str().unwrap();
    assert_eq!(v, json!({"decision": "block", "reason": reason}));
    assert!(
        reason.starts_with("tollgate: after this command, stage `code` has 1 new finding outside its box"),
        "{reason}"
    );
    assert!(
        reason.contains(
            "\n- unauthorized-write: `artifacts/prd/b.md`: stage `code` created `artifacts/prd/b.md` outside its write \
             permissions"
        ),
        "{reason}"
    );
    assert!(reason.contains("Next: tollgate recover quarantine --path artifacts/prd/b.md --stage code."), "{reason}");
    // Told once: the same session hears nothing more, another session hears it.
    quiet(&hook("claude-code", post("s-1")));
    write(&root, "input/idea2.md", "y\n");
    let again = hook("claude-code", post("s-1"));
    assert!(
        again.stdout.contains("has 1 new finding")
            && again.stdout.contains("input/idea2.md")
            && !again.stdout.contains("b.md")
    );
    assert!(hook("claude-code", post("s-2")).stdout.contains("has 2 new findings"));
    // A file tool's PostToolUse was judged before it ran.
    let after_write =
        event_with("claude-code", "PreToolUse-Write", &root, |v| v["hook_event_name"] = json!("PostToolUse"));
    quiet(&hook("claude-code", after_write));
}

#[test]
fn a_failed_command_reports_its_writes_too() {
    let (_t, root) = factory();
    write(&root, "artifacts/prd/c.md", "x\n");
    let out = hook("claude-code", event("claude-code", "PostToolUseFailure-Bash", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let reason = v["reason"].as_str().unwrap();
    assert_eq!(v, json!({"decision": "block", "reason": reason}));
    assert!(
        reason.contains("\n- unauthorized-write: `artifacts/prd/c.md`: stage `code` created `artifacts/prd/c.md`"),
        "{reason}"
    );
}

#[test]
fn stop_blocks_once_while_an_output_is_missing_and_never_loops() {
    let (_t, root) = factory();
    let out = hook("claude-code", event("claude-code", "Stop-first", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v,
        json!({"decision": "block", "reason": "tollgate: stage `code` cannot end its turn yet; its exit gate would not pass:\n\
- missing-output: `artifacts/client/`: declared by stage `code` in pipeline.yaml; produce it.\n\
Fix these on top of the existing artifacts (do not start over), inside the stage's box; then finish. Return point: build."})
    );
    quiet(&hook("claude-code", event("claude-code", "Stop-second", &root)));
    let sub = event_with("claude-code", "Stop-first", &root, |v| v["hook_event_name"] = json!("SubagentStop"));
    assert!(hook("claude-code", sub).stdout.contains("\"decision\":\"block\""));
    write(&root, "artifacts/client/App.tsx", "x\n");
    quiet(&hook("claude-code", event("claude-code", "Stop-first", &root)));
    std::fs::remove_file(root.join("artifacts/client/App.tsx")).unwrap();
    set_status(&root, "paused");
    quiet(&hook("claude-code", event("claude-code", "Stop-first", &root)));
}

#[test]
fn a_stop_that_cannot_be_judged_lets_the_agent_stop_and_says_why() {
    let (_t, root) = factory();
    write(&root, ".factory/state.json", [0xffu8, 0xfe]);
    let out = hook("claude-code", event("claude-code", "Stop-first", &root));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(
        out.stderr.starts_with("tollgate: could not check the stage's exit, letting the agent stop: "),
        "{}",
        out.stderr
    );
    // And a broken Stop event, too (its name is enough to know it is no write).
    let out = hook("claude-code", r#"{"hook_event_name": "Stop", "cwd": 5}"#);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
}

#[test]
fn gemini_cli_events() {
    let (_t, root) = factory();
    let out = hook("gemini-cli", event("gemini-cli", "BeforeTool-write_file", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let reason = v["reason"].as_str().unwrap();
    assert_eq!(v, json!({"decision": "deny", "reason": reason}));
    assert!(
        reason.starts_with("unauthorized-write: stage `code` may not create `artifacts/prd/sneaky.md`"),
        "relative path resolved: {reason}"
    );
    let out = hook("gemini-cli", event("gemini-cli", "BeforeTool-replace", &root));
    assert!(out.stdout.contains("\"reason\":\"permissions-widened: "), "{}", out.stdout);
    let inside = event_with("gemini-cli", "BeforeTool-write_file", &root, |v| {
        v["tool_input"]["file_path"] = json!("artifacts/backend/x.ts")
    });
    quiet(&hook("gemini-cli", inside));
    write(&root, "artifacts/prd/b.md", "x\n");
    let out = hook("gemini-cli", event("gemini-cli", "AfterTool-run_shell_command", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "AfterTool");
    assert!(v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap()
        .contains("unauthorized-write: `artifacts/prd/b.md`"));
    // A command that failed after writing is reported all the same (Gemini CLI sends AfterTool
    // for it too, with `Exit Code: 1` in the tool's output).
    let out = hook("gemini-cli", event("gemini-cli", "AfterTool-run_shell_command-failed", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap()
        .contains("unauthorized-write: `artifacts/prd/b.md`"));
    let out = hook("gemini-cli", event("gemini-cli", "AfterAgent", &root));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["decision"], "deny");
    assert!(v["reason"].as_str().unwrap().contains("missing-output: `artifacts/client/`"));
    let stopping = event_with("gemini-cli", "AfterAgent", &root, |v| v["stop_hook_active"] = json!(true));
    quiet(&hook("gemini-cli", stopping));
    let reason =
        serde_json::from_str::<Value>(&hook("gemini-cli", "").stdout).unwrap()["reason"].as_str().unwrap().to_string();
    assert!(reason.starts_with("tollgate could not decide: the hook event on stdin is empty"));
}

#[test]
fn codex_apply_patch_is_judged_file_by_file() {
    let (_t, root) = factory();
    let reason = denied(&hook("codex", event("codex", "PreToolUse-apply_patch", &root)));
    assert!(
        reason.starts_with("unauthorized-write: stage `code` may not create `artifacts/prd/sneaky.md`"),
        "{reason}"
    );
    let patch =
        |p: &str| event_with("codex", "PreToolUse-apply_patch", &root, |v| v["tool_input"]["command"] = json!(p));
    quiet(&hook(
        "codex",
        patch(
            "*** Begin Patch\n*** Add File: artifacts/backend/src/health.ts\n+export const ok = true\n*** End Patch\n",
        ),
    ));
    let moved = hook("codex", patch("*** Begin Patch\n*** Update File: artifacts/backend/src/app.ts\n*** Move to: artifacts/prd/app.ts\n@@\n-export {}\n+export {ok}\n*** End Patch\n"));
    assert!(denied(&moved).starts_with("unauthorized-write: stage `code` may not create `artifacts/prd/app.ts`"));
    // A move's text is read only when the destination is a rule file: a binary file moved
    // inside the box is not read at all; a file moved onto the matrix is judged by what it holds.
    write(&root, "artifacts/backend/blob.bin", [0xffu8, 0xfe, 0, 1]);
    quiet(&hook(
        "codex",
        patch("*** Begin Patch\n*** Update File: artifacts/backend/blob.bin\n*** Move to: artifacts/backend/blob2.bin\n*** End Patch\n"),
    ));
    let matrix = std::fs::read_to_string(root.join("policies/capability.matrix.md")).unwrap();
    write(&root, "artifacts/backend/m.md", &matrix);
    let onto = hook("codex", patch("*** Begin Patch\n*** Update File: artifacts/backend/m.md\n*** Move to: policies/capability.matrix.md\n@@\n-| **code** | `artifacts/ui/`, `artifacts/tech/`, `artifacts/backend/prisma/` | `artifacts/backend/`, `artifacts/client/` | 根据 UI 和技术设计生成后端和客户端代码；不得修改上游产物 |\n+| **code** | `artifacts/ui/` | `artifacts/` | x |\n*** End Patch\n"));
    assert!(denied(&onto).starts_with("permissions-widened: "), "{}", onto.stdout);
    let deleted = hook("codex", patch("*** Begin Patch\n*** Delete File: artifacts/prd/prd.md\n*** End Patch\n"));
    assert!(denied(&deleted).starts_with("unauthorized-write: stage `code` may not delete `artifacts/prd/prd.md`"));
    let widen = hook(
        "codex",
        patch("*** Begin Patch\n*** Update File: policies/capability.matrix.md\n@@\n-| **code** | `artifacts/ui/`, `artifacts/tech/`, `artifacts/backend/prisma/` | `artifacts/backend/`, `artifacts/client/` | 根据 UI 和技术设计生成后端和客户端代码；不得修改上游产物 |\n+| **code** | `artifacts/ui/` | `artifacts/` | x |\n*** End Patch\n"),
    );
    assert!(denied(&widen).starts_with("permissions-widened: "), "{}", widen.stdout);
    let unreadable = hook("codex", patch("echo not a patch"));
    assert!(denied(&unreadable).starts_with("tollgate could not decide: the patch names no file"));
    write(&root, "artifacts/prd/b.md", "x\n");
    let out = hook("codex", event("codex", "PostToolUse-Bash", &root));
    assert!(
        out.stdout.starts_with("{\"decision\":\"block\",\"reason\":\"tollgate: after this command"),
        "{}",
        out.stdout
    );
    let out = hook("codex", event("codex", "Stop", &root));
    assert!(out.stdout.contains("missing-output: `artifacts/client/`"), "{}", out.stdout);
}

#[test]
fn codex_shell_apply_patch_heredoc_is_judged_as_a_patch() {
    // Codex applies `[cd <dir> &&] apply_patch <<'EOF'` itself: no PostToolUse follows, so it is judged before.
    let (_t, root) = factory();
    let reason = denied(&hook("codex", event("codex", "PreToolUse-Bash-apply_patch", &root)));
    assert!(
        reason.starts_with(
            "unauthorized-write: stage `code` may not create `artifacts/prd/cd.md` outside its write permissions"
        ),
        "{reason}"
    );
    // Codex adds ". Command: <patch>" after the reason: no period of our own before it.
    assert!(reason.ends_with("write access to `artifacts/prd/cd.md`"), "{reason}");
    let command =
        |c: &str| event_with("codex", "PreToolUse-Bash-apply_patch", &root, |v| v["tool_input"]["command"] = json!(c));
    quiet(&hook(
        "codex",
        command("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: artifacts/backend/b.ts\n+x\n*** End Patch\nEOF\n"),
    ));
    // Any other command runs as a program: nothing before, looked at after.
    quiet(&hook("codex", command("echo x > artifacts/prd/b.md")));
    quiet(&hook(
        "codex",
        command("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: artifacts/prd/x.md\n+x\n*** End Patch\nEOF\necho done\n"),
    ));
    assert!(!root.join("artifacts/prd/cd.md").exists());
}
