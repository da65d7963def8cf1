//! Recovery through the server (issue 5): the code actions offered on the
//! findings they repair and on the `code` stage's id, their commands run with
//! `workspace/executeCommand` (the test client applying `workspace/applyEdit` to
//! the files on disk), and the bytes on disk afterwards. Hostile arguments, a
//! stale view and a client that refuses the edit change nothing.

mod support;

use serde_json::{json, Value};
use support::{action, find, titles, Enc, Project, TestServer, TIMEOUT};

fn start(p: &Project) -> TestServer {
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    s.wait_for_watch_registration();
    s.wait_for_diagnostics(&p.uri("pipeline.yaml"), |pb| pb.has("output-outside-permissions"), TIMEOUT);
    s
}

fn state(p: &Project) -> Value {
    serde_json::from_str(&p.read(".factory/state.json")).unwrap()
}

fn is_rfc3339_utc(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

/// The code actions on the `code` stage's id in pipeline.yaml.
fn stage_actions(s: &mut TestServer, p: &Project) -> Vec<Value> {
    let text = p.read("pipeline.yaml");
    let (at, _) = find(&text, "- id: code", 0);
    let r = support::range(&text, (at + 6, at + 10), s.encoding);
    s.code_actions(&p.uri("pipeline.yaml"), r, Vec::new())
}

#[test]
fn quarantine_and_grant_write_on_an_unauthorized_write() {
    let p = Project::example();
    let mut s = start(&p);
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "secret\n");
    let uri = p.uri("artifacts/prd/sneaky.md");
    let pb = s.wait_for_latest(&uri, |pb| pb.has("unauthorized-write"));
    let d = pb.one("unauthorized-write").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d.clone()]);
    let quarantine = "Quarantine artifacts/prd/sneaky.md to artifacts/_untrusted/code/prd/sneaky.md";
    let grant = "Grant stage `code` write access to `artifacts/prd/sneaky.md` in its matrix row (policies/capability.matrix.md)";
    let t = titles(&actions);
    assert!(t.contains(&quarantine.to_string()) && t.contains(&grant.to_string()), "{t:#?}");
    assert_eq!(action(&actions, quarantine)["kind"], "quickfix");
    assert_eq!(action(&actions, quarantine)["command"]["command"], "tollgate.quarantine");

    let before_matrix = p.read("policies/capability.matrix.md");
    let r = s.execute(&action(&actions, quarantine)["command"]).unwrap_or_else(|e| panic!("quarantine: {e}"));
    assert_eq!(r["done"], quarantine, "{r}");
    // Moved, every byte at its new place.
    assert!(!p.exists("artifacts/prd/sneaky.md"));
    assert_eq!(p.read("artifacts/_untrusted/code/prd/sneaky.md"), "secret\n");
    // Text files through applyEdit: state.json paused, error.log created with the block.
    assert!(!s.apply_edits().is_empty());
    let st = state(&p);
    assert_eq!(st["status"], "paused");
    assert_eq!(st["currentStage"], "code");
    let log = p.read("pipeline/error.log");
    assert!(log.starts_with("============================================\nERROR REPORT\n"), "{log}");
    assert!(log.contains("Stage: code\nAttempt: 1/2\nStatus: PAUSED\n\nError Type: Unauthorized Write\n"), "{log}");
    assert!(
        log.contains(
            "Failed Artifacts Moved To:\n  artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.md\n"
        ),
        "{log}"
    );
    assert_eq!(p.read("policies/capability.matrix.md"), before_matrix);
    // Findings refresh: the file is gone from the changes.
    s.wait_for_latest(&uri, |pb| !pb.has("unauthorized-write"));

    // Grant write access on another one: the action's edit changes the matrix row.
    s.write_file(&p.path("artifacts/prd/extra.md"), "x\n");
    let uri = p.uri("artifacts/prd/extra.md");
    let pb = s.wait_for_latest(&uri, |pb| pb.has("unauthorized-write"));
    let d = pb.one("unauthorized-write").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let grant =
        "Grant stage `code` write access to `artifacts/prd/extra.md` in its matrix row (policies/capability.matrix.md)";
    let edit = action(&actions, grant)["edit"].clone();
    s.apply_edit(&edit).unwrap();
    let matrix = p.read("policies/capability.matrix.md");
    assert!(
        matrix.contains("| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/extra.md` |"),
        "{}",
        matrix.lines().find(|l| l.contains("**code**")).unwrap_or_default()
    );
    s.wait_for_latest(&uri, |pb| !pb.has("unauthorized-write"));
    s.shutdown_and_exit();
}

#[test]
fn expand_scope_to_the_file_and_to_its_folder() {
    let p = Project::example();
    let mut s = start(&p);
    s.write_file(&p.path("artifacts/backend/notes.txt"), "n\n");
    let uri = p.uri("artifacts/backend/notes.txt");
    let pb = s.wait_for_latest(&uri, |pb| pb.has("out-of-scope"));
    let d = pb.one("out-of-scope").clone();
    assert_eq!(d["severity"], 2);
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let file = "Expand scope to include `artifacts/backend/notes.txt` (revision 2, evidence ev-0001)";
    let dir = "Expand scope to include `artifacts/backend/**` (revision 2, evidence ev-0001)";
    let t = titles(&actions);
    assert!(t.contains(&file.to_string()) && t.contains(&dir.to_string()), "{t:#?}");
    let scope_before = p.read(".factory/scope.yaml");
    s.execute(&action(&actions, file)["command"]).unwrap_or_else(|e| panic!("expand: {e}"));
    let scope = p.read(".factory/scope.yaml");
    // Comments and layout kept; revision bumped, supersedes set, the entry appended to allow.
    assert!(scope.starts_with("# The retained scope of the current work (SPEC section 4).\nversion: 1\n"), "{scope}");
    assert!(scope.contains("revision: 2\n"), "{scope}");
    assert!(scope.contains("supersedes: 1\n"), "{scope}");
    assert!(
        scope.contains(
            "  - path: \"artifacts/backend/notes.txt\"\n    ops: [modify, create]\n    source: user\n    evidence: ev-0001\nexclude:\n"
        ),
        "{scope}"
    );
    assert_eq!(scope.lines().count(), scope_before.lines().count() + 5, "{scope}");
    let ev = p.read(".factory/evidence.jsonl");
    assert_eq!(ev.lines().count(), 1);
    let rec: Value = serde_json::from_str(ev.trim_end()).unwrap();
    assert_eq!(rec["id"], "ev-0001");
    assert_eq!(rec["kind"], "scope_expansion");
    assert_eq!(rec["actor"], "user");
    assert_eq!(rec["subject"], "artifacts/backend/notes.txt");
    assert!(is_rfc3339_utc(rec["at"].as_str().unwrap()), "{rec}");
    assert_eq!(rec["sha256"].as_str().unwrap(), tollgate_engine::recovery::sha256_hex(scope.as_bytes()));
    // Findings refresh.
    s.wait_for_latest(&uri, |pb| !pb.has("out-of-scope"));

    // The folder variant, on another file: revision 3, ev-0002.
    s.write_file(&p.path("artifacts/client/public/icon.svg"), "<svg/>\n");
    let uri = p.uri("artifacts/client/public/icon.svg");
    let pb = s.wait_for_latest(&uri, |pb| pb.has("out-of-scope"));
    let d = pb.one("out-of-scope").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let dir = "Expand scope to include `artifacts/client/public/**` (revision 3, evidence ev-0002)";
    s.execute(&action(&actions, dir)["command"]).unwrap_or_else(|e| panic!("expand dir: {e}"));
    let scope = p.read(".factory/scope.yaml");
    assert!(scope.contains("revision: 3\n") && scope.contains("supersedes: 2\n"), "{scope}");
    assert!(scope.contains("  - path: \"artifacts/client/public/**\"\n"), "{scope}");
    assert_eq!(p.read(".factory/evidence.jsonl").lines().count(), 2);
    s.wait_for_latest(&uri, |pb| !pb.has("out-of-scope"));
    s.shutdown_and_exit();
}

#[test]
fn archive_attempt_1_return_to_build_then_attempt_2_from_the_stage_id() {
    let p = Project::example();
    let mut s = start(&p);
    let actions = stage_actions(&mut s, &p);
    let archive1 = "Archive attempt 1 of stage `code` to artifacts/_failed/code/attempt-1/";
    let back = "Return to Build: re-open stage `code` (attempt 2 of 2)";
    let t = titles(&actions);
    assert!(t.contains(&archive1.to_string()) && t.contains(&back.to_string()), "{t:#?}");
    assert_eq!(action(&actions, archive1)["command"]["command"], "tollgate.archiveAttempt");

    s.execute(&action(&actions, archive1)["command"]).unwrap_or_else(|e| panic!("archive: {e}"));
    assert_eq!(
        p.read("artifacts/_failed/code/attempt-1/backend/src/server.ts"),
        "export const start = () => \"ok\";\n"
    );
    assert!(p.exists("artifacts/_failed/code/attempt-1/client/src/App.tsx"));
    // tech's schema lies inside code's artifacts/backend/: copied, not moved.
    assert!(p.exists("artifacts/_failed/code/attempt-1/backend/prisma/schema.prisma"));
    assert!(p.exists("artifacts/backend/prisma/schema.prisma"));
    assert!(!p.exists("artifacts/backend/src/server.ts") && !p.exists("artifacts/client/src/App.tsx"));
    let st = state(&p);
    assert_eq!(st["status"], "failed");
    assert_eq!(st["failedStages"], json!(["code"]));
    let h = st["stageHistory"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((h["stageId"].as_str(), h["status"].as_str()), (Some("code"), Some("failed")));
    assert!(is_rfc3339_utc(h["endTime"].as_str().unwrap()), "{h}");
    let log = p.read("pipeline/error.log");
    assert!(log.contains("Stage: code\nAttempt: 1/2\nStatus: FAILED\n"), "{log}");
    assert!(log.contains("Exit Criteria Failed:\n  - [ ] 后端可启动且无重大错误\n"), "{log}");
    assert!(log.contains("Failed Artifacts Moved To:\n  artifacts/_failed/code/attempt-1/\n"), "{log}");

    // Return to Build (offered again, now on a failed stage).
    let actions = stage_actions(&mut s, &p);
    s.execute(&action(&actions, back)["command"]).unwrap_or_else(|e| panic!("return: {e}"));
    let st = state(&p);
    assert_eq!(st["status"], "running");
    assert_eq!(st["currentStage"], "code");
    assert_eq!(st["failedStages"], json!([]));
    assert_eq!(st["completedStages"], json!(["bootstrap", "prd", "ui", "tech"]));
    assert_eq!(st["lastCheckpoint"], "tech");
    let h = st["stageHistory"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (h["stageId"].as_str(), h["status"].as_str(), h["attempts"].as_u64()),
        (Some("code"), Some("running"), Some(2))
    );
    assert!(is_rfc3339_utc(h["startTime"].as_str().unwrap()), "{h}");

    // New work, archived as attempt 2; attempt 1 untouched.
    s.write_file(&p.path("artifacts/client/src/App.tsx"), "App2();\n");
    let actions = stage_actions(&mut s, &p);
    let archive2 = "Archive attempt 2 of stage `code` to artifacts/_failed/code/attempt-2/";
    s.execute(&action(&actions, archive2)["command"]).unwrap_or_else(|e| panic!("archive 2: {e}"));
    assert_eq!(p.read("artifacts/_failed/code/attempt-2/client/src/App.tsx"), "App2();\n");
    assert!(p.exists("artifacts/_failed/code/attempt-1/client/src/App.tsx"));
    let log = p.read("pipeline/error.log");
    assert_eq!(log.matches("ERROR REPORT").count(), 2);
    assert!(log.contains("Attempt: 2/2\nStatus: FAILED\n"), "{log}");
    // Over the limit now: the title says a person overrides it.
    let t = titles(&stage_actions(&mut s, &p));
    assert!(
        t.contains(
            &"Return to Build: re-open stage `code` (a person overrides the retry limit: attempt 3 of 2)".to_string()
        ),
        "{t:#?}"
    );
    // The error log's paths link to the archived folders (the log need not be open).
    let links = s
        .request("textDocument/documentLink", json!({"textDocument": {"uri": p.uri("pipeline/error.log")}}))
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default();
    let targets: Vec<_> = links.iter().filter_map(|l| l["target"].as_str()).map(support::uri_path).collect();
    assert!(targets.contains(&p.path("artifacts/_failed/code/attempt-1")), "{targets:?}");
    assert!(targets.contains(&p.path("artifacts/_failed/code/attempt-2")), "{targets:?}");
    s.shutdown_and_exit();
}

#[test]
fn hostile_arguments_get_a_clear_error_and_change_nothing() {
    let p = Project::example();
    let mut s = start(&p);
    p.write("artifacts/prd/sneaky.md", "x\n");
    let root = p.root.to_string_lossy().to_string();
    let before = p.snapshot();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("tollgate.quarantine", json!({"root": root, "path": "../../etc/passwd"}), "`..`"),
        ("tollgate.quarantine", json!({"root": root, "path": "/etc/passwd"}), "absolute"),
        ("tollgate.expandScope", json!({"root": root, "path": "/etc/**"}), "absolute"),
        ("tollgate.expandScope", json!({"root": root, "path": "src/../../x"}), "`..`"),
        ("tollgate.archiveAttempt", json!({"root": root, "stage": "deploy"}), "no stage `deploy`"),
        ("tollgate.returnToBuild", json!({"root": root, "stage": "deploy"}), "no stage `deploy`"),
        (
            "tollgate.quarantine",
            json!({"root": root, "path": "artifacts/prd/sneaky.md", "stage": "deploy"}),
            "no stage `deploy`",
        ),
        ("tollgate.quarantine", json!({"root": root, "path": "pipeline.yaml"}), "governance"),
        ("tollgate.archiveAttempt", json!({"root": "/", "stage": "code"}), "not a factory root"),
        ("tollgate.archiveAttempt", json!({"root": "relative/dir", "stage": "code"}), "absolute"),
    ];
    for (command, args, why) in cases {
        let err = s
            .request("workspace/executeCommand", json!({"command": command, "arguments": [args]}))
            .expect_err(&format!("{command} {args} must be refused"));
        let msg = err["message"].as_str().unwrap_or_default();
        assert!(msg.contains(why), "{command} {args}: {err}");
    }
    // A missing argument: InvalidParams naming it.
    for (command, args, name) in [
        ("tollgate.archiveAttempt", json!({"root": root}), "stage"),
        ("tollgate.returnToBuild", json!({"root": root}), "stage"),
        ("tollgate.quarantine", json!({"root": root}), "path"),
        ("tollgate.expandScope", json!({"root": root}), "path"),
        ("tollgate.expandScope", json!({"path": "a/**"}), "root"),
    ] {
        let err = s.request("workspace/executeCommand", json!({"command": command, "arguments": [args]})).unwrap_err();
        assert_eq!(err["code"], -32602, "{command}: {err}");
        assert!(err["message"].as_str().unwrap().contains(&format!("`{name}`")), "{command}: {err}");
    }
    let err = s.request("workspace/executeCommand", json!({"command": "tollgate.quarantine"})).unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    let err = s
        .request("workspace/executeCommand", json!({"command": "tollgate.teleport", "arguments": [{"root": root}]}))
        .unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("tollgate.teleport"), "{err}");
    assert_eq!(p.snapshot(), before);
    assert!(s.apply_edits().is_empty());
    s.shutdown_and_exit();
}

#[cfg(unix)]
#[test]
fn a_symlinked_artifacts_folder_pointing_outside_is_refused() {
    let p = Project::example();
    let outside = Project::empty();
    std::fs::rename(p.path("artifacts"), outside.path("artifacts")).unwrap();
    outside.write("artifacts/prd/sneaky.md", "outside\n");
    std::os::unix::fs::symlink(outside.path("artifacts"), p.path("artifacts")).unwrap();
    let mut s = TestServer::builder().root(&p.root).start();
    s.wait_ready();
    let root = p.root.to_string_lossy().to_string();
    let (before, before_out) = (p.snapshot(), outside.snapshot());
    for (command, args) in [
        ("tollgate.quarantine", json!({"root": root, "path": "artifacts/prd/sneaky.md"})),
        ("tollgate.archiveAttempt", json!({"root": root, "stage": "code"})),
    ] {
        let err = s.request("workspace/executeCommand", json!({"command": command, "arguments": [args]})).unwrap_err();
        assert!(err["message"].as_str().unwrap().contains("outside the factory root"), "{command}: {err}");
    }
    assert_eq!((p.snapshot(), outside.snapshot()), (before, before_out));
    s.shutdown_and_exit();
}

#[test]
fn a_stale_view_is_refused_and_changes_nothing() {
    let p = Project::example();
    let mut s = start(&p);
    let actions = stage_actions(&mut s, &p);
    let archive1 = "Archive attempt 1 of stage `code` to artifacts/_failed/code/attempt-1/";
    let command = action(&actions, archive1)["command"].clone();
    assert!(command["arguments"][0]["expect"].as_array().is_some_and(|e| !e.is_empty()), "{command}");
    // The state changes behind the diagnostic's back.
    let st = p
        .read(".factory/state.json")
        .replace("\"updatedAt\": \"2026-01-29T10:00:00Z\"", "\"updatedAt\": \"2026-01-29T10:05:00Z\"");
    s.write_file(&p.path(".factory/state.json"), st);
    let before = p.snapshot();
    let err = s.execute(&command).expect_err("a stale view is refused");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains(".factory/state.json") && msg.contains("changed since"), "{err}");
    assert_eq!(p.snapshot(), before);
    assert!(s.apply_edits().is_empty());
    s.shutdown_and_exit();
}

#[test]
fn a_client_that_refuses_the_edit_gets_every_move_undone() {
    let p = Project::example();
    let mut s = start(&p);
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "secret\n");
    let uri = p.uri("artifacts/prd/sneaky.md");
    let pb = s.wait_for_latest(&uri, |pb| pb.has("unauthorized-write"));
    let d = pb.one("unauthorized-write").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let quarantine = "Quarantine artifacts/prd/sneaky.md to artifacts/_untrusted/code/prd/sneaky.md";
    let before = p.snapshot();
    s.set_refuse_apply_edit(true);
    let err = s.execute(&action(&actions, quarantine)["command"]).expect_err("refused");
    let msg = err["message"].as_str().unwrap();
    assert!(msg.contains("refused by the test client") && msg.contains("undone"), "{err}");
    assert_eq!(s.apply_edits().len(), 1);
    assert_eq!(p.snapshot(), before, "every move undone");
    // Archive too (many moves).
    let actions = stage_actions(&mut s, &p);
    let archive1 = "Archive attempt 1 of stage `code` to artifacts/_failed/code/attempt-1/";
    s.execute(&action(&actions, archive1)["command"]).expect_err("refused");
    assert_eq!(p.snapshot(), before, "every move undone");
    s.shutdown_and_exit();
}
