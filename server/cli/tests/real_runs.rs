//! Real runs (issue 12, points 1-7 and 11): the real fixture with the states
//! the factory's CLI writes (`factory init`/`run`/`reset`: snake_case,
//! `JSON.stringify(state, null, 2)`) and those its orchestrator is told to write
//! (camelCase, one-line arrays), checked through the `tollgate` binary: the
//! finding or refusal a user expects, and none of the false ones.

mod common;
use common::{copy_dir, fixtures, git_commit, write};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

const AGENTS: [&str; 7] = ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"];

/// 2026-01-29T10:00:00Z.
const T10: u64 = 1_769_680_800;

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// The real fixture, its agents, the outputs of `bootstrap`, `prd` and `ui`, and `state`.
fn project(state: &str, git: bool) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &root);
    for a in AGENTS {
        write(&root, &format!("agents/{a}.agent.md"), format!("# {a}\n"));
    }
    write(&root, "input/idea.md", "# 想法\n");
    write(&root, "artifacts/prd/prd.md", "# PRD\n");
    write(&root, "artifacts/ui/ui.schema.yaml", "pages: []\n");
    write(&root, "artifacts/ui/preview.web/index.html", "<title>ui</title>\n");
    write(&root, ".factory/state.json", state);
    if git {
        git_commit(&root);
    }
    Project { _dir: dir, root }
}

/// Sets a file's modification time (seconds since the epoch).
fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
}

/// Every file under `dir` (`.git` aside) made older than `secs`.
fn age_all(dir: &Path, secs: u64) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if !p.ends_with(".git") {
                age_all(&p, secs);
            }
        } else {
            set_mtime(&p, secs);
        }
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tollgate(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(args).current_dir(root).output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// (code, path, 0-based line) of each finding of `check --format json`.
fn findings(root: &Path) -> Vec<(String, String, u64)> {
    let run = tollgate(root, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The findings less the real fixture's four `output-outside-permissions` (validation
/// and preview list code folders as outputs): what the run itself gives.
fn run_findings(root: &Path) -> Vec<(String, String, u64)> {
    findings(root).into_iter().filter(|f| f.0 != "output-outside-permissions").collect()
}

fn status_json(root: &Path) -> Value {
    let run = tollgate(root, &["status", "--format", "json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The codes of a status report's blockers, less the fixture's own four.
fn run_blockers(v: &Value) -> Vec<&str> {
    v["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["code"].as_str())
        .filter(|c| *c != "output-outside-permissions")
        .collect()
}

fn f(code: &str, path: &str, line: u64) -> (String, String, u64) {
    (code.to_string(), path.to_string(), line)
}

/// What `factory run prd` leaves after `init` (JSON.stringify, two spaces).
const FACTORY_RUN_PRD: &str = "{\n  \"version\": 1,\n  \"status\": \"running\",\n  \"current_stage\": \"prd\",\n  \"completed_stages\": [\n    \"bootstrap\"\n  ],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T10:00:00.000Z\"\n}";

// ---------------------------------------------------------------------------
// 1. The factory CLI rewrites `.claude/settings.local.json` mid-run
// ---------------------------------------------------------------------------

#[test]
fn agents_settings_folders_are_governance_files() {
    let p = project(FACTORY_RUN_PRD, true);
    // `factory continue` regenerates the settings; other agents keep theirs alike.
    write(&p.root, ".claude/settings.local.json", "{\"permissions\": {\"allow\": [\"Bash(*)\"]}}\n");
    write(&p.root, ".codex/config.toml", "model = \"x\"\n");
    write(&p.root, ".gemini/settings.json", "{}\n");
    write(&p.root, ".opencode/opencode.json", "{}\n");
    // A real write outside prd's box is still reported.
    write(&p.root, "artifacts/ui/sneaky.md", "not prd's\n");
    assert_eq!(
        run_findings(&p.root),
        [f("unauthorized-write", "artifacts/ui/sneaky.md", 0), f("stage-summary", "pipeline.yaml", 19)]
    );
}

// ---------------------------------------------------------------------------
// 2. A person's edit at a checkpoint
// ---------------------------------------------------------------------------

fn waiting(status: &str) -> String {
    format!(
        r#"{{
  "version": "1.0",
  "status": "{status}",
  "currentStage": "prd",
  "completedStages": ["bootstrap", "prd"],
  "stageHistory": [
    {{"stageId": "bootstrap", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:10:00Z", "attempts": 1}},
    {{"stageId": "prd", "status": "completed", "startTime": "2026-01-29T09:10:00Z", "endTime": "2026-01-29T10:00:00Z", "attempts": 1}}
  ],
  "lastCheckpoint": "prd",
  "updatedAt": "2026-01-29T10:00:00Z"
}}
"#
    )
}

#[test]
fn a_persons_edit_at_a_checkpoint_is_not_the_stages_write() {
    for status in ["waiting_for_confirmation", "paused"] {
        let p = project(&waiting(status), true);
        // The stage wrote outside its box while it ran (before its entry ended at 10:00)...
        write(&p.root, "artifacts/tech/early.md", "prd wrote this\n");
        set_mtime(&p.root.join("artifacts/tech/early.md"), T10 - 1800);
        // ... and the person edits the idea at the checkpoint, now, then will re-run.
        write(&p.root, "input/idea.md", "# 想法 (edited by me)\n");
        assert_eq!(
            run_findings(&p.root),
            [f("unauthorized-write", "artifacts/tech/early.md", 0), f("stage-summary", "pipeline.yaml", 19)],
            "{status}"
        );
        let v = status_json(&p.root);
        let next = v["next"].as_str().unwrap();
        let quarantine = "tollgate recover quarantine --path artifacts/tech/early.md --stage prd";
        if status == "paused" {
            // A paused run waits for a person (SPEC 9): clear the stage's write, then resume.
            let want = format!(
                "the run waits for a person: clear unauthorized-write artifacts/tech/early.md ({quarantine}), then `tollgate recover resume`"
            );
            assert_eq!(next, want, "{status}");
        } else {
            assert_eq!(next, quarantine, "{status}");
        }
        let text = serde_json::to_string(&v).unwrap();
        assert!(!text.contains("input/idea.md"), "the person's edit is nobody's blocker: {text}");
    }
    // While the stage runs, the same edit is the stage's.
    let p = project(
        &waiting("running").replace("\"prd\", \"status\": \"completed\"", "\"prd\", \"status\": \"running\""),
        true,
    );
    write(&p.root, "input/idea.md", "# 想法 (edited)\n");
    assert!(run_findings(&p.root).contains(&f("unauthorized-write", "input/idea.md", 0)));
}

// ---------------------------------------------------------------------------
// 3. No start time, outside git
// ---------------------------------------------------------------------------

#[test]
fn outside_git_the_stage_starts_at_the_states_time_marks() {
    // `factory run` records `last_updated` and no start time; the orchestrator has written no history yet.
    let p = project(FACTORY_RUN_PRD, false);
    age_all(&p.root, T10 - 3600);
    write(&p.root, "artifacts/prd/prd.md", "# PRD v2\n");
    write(&p.root, "artifacts/ui/sneaky.md", "not prd's\n");
    assert_eq!(
        run_findings(&p.root),
        [f("unauthorized-write", "artifacts/ui/sneaky.md", 0), f("stage-summary", "pipeline.yaml", 19)]
    );
    // No `last_updated` either: the state file's modification time.
    let p = project(&FACTORY_RUN_PRD.replace("\"2026-01-29T10:00:00.000Z\"", "null"), false);
    age_all(&p.root, T10 - 3600);
    set_mtime(&p.root.join(".factory/state.json"), T10);
    write(&p.root, "artifacts/ui/sneaky.md", "not prd's\n");
    assert_eq!(
        run_findings(&p.root),
        [f("unauthorized-write", "artifacts/ui/sneaky.md", 0), f("stage-summary", "pipeline.yaml", 19)]
    );
    // Written before the run started: not the stage's.
    set_mtime(&p.root.join("artifacts/ui/sneaky.md"), T10 - 60);
    assert_eq!(run_findings(&p.root), []);
}

// ---------------------------------------------------------------------------
// 4. The automatic retry; attempts restarting in each session
// ---------------------------------------------------------------------------

fn code_state(history: &str, failed: &str) -> String {
    format!(
        r#"{{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": [{failed}],
  "stageHistory": [
    {{"stageId": "tech", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:30:00Z", "attempts": 1}},
    {history}
  ],
  "lastCheckpoint": "tech",
  "updatedAt": "2026-01-29T10:00:00Z"
}}
"#
    )
}

fn with_tech_outputs(p: &Project) {
    write(&p.root, "artifacts/tech/tech.md", "# tech\n");
    write(&p.root, "artifacts/backend/prisma/schema.prisma", "model A {}\n");
    git_commit(&p.root);
}

#[test]
fn the_automatic_retry_is_attempt_2_and_no_blocker() {
    let attempt1 = r#"{"stageId": "code", "status": "failed", "startTime": "2026-01-29T09:30:00Z", "endTime": "2026-01-29T10:00:00Z", "attempts": 1, "error": "client missing"}"#;
    for failed in ["", "\"code\""] {
        let p = project(&code_state(attempt1, failed), false);
        with_tech_outputs(&p);
        assert_eq!(run_findings(&p.root), [], "failedStages [{failed}]");
        let v = status_json(&p.root);
        assert_eq!((&v["attempts"], &v["max_attempts"], run_blockers(&v)), (&Value::from(2), &Value::from(2), vec![]));
        assert!(tollgate(&p.root, &["status"]).stdout.contains("\nstage:     code (attempt 2 of 2)\n"));
    }
}

#[test]
fn attempts_restarting_at_1_in_each_session_cannot_reset_the_retry_limit() {
    // Session 1 failed attempt 1; session 2 (a new orchestrator) records its failure as attempt 1 again.
    let history = r#"{"stageId": "code", "status": "failed", "startTime": "2026-01-29T09:30:00Z", "endTime": "2026-01-29T10:00:00Z", "attempts": 1},
    {"stageId": "code", "status": "failed", "startTime": "2026-01-29T11:00:00Z", "endTime": "2026-01-29T11:30:00Z", "attempts": 1}"#;
    let p = project(&code_state(history, ""), false);
    with_tech_outputs(&p);
    // On the second failure: its stageId (no failedStages entry) and its `attempts` value.
    assert_eq!(
        run_findings(&p.root),
        [f("stage-failed", ".factory/state.json", 9), f("retry-limit", ".factory/state.json", 9)]
    );
    let v = status_json(&p.root);
    assert_eq!(v["attempts"], 2);
    let limit = v["blockers"].as_array().unwrap().iter().find(|b| b["code"] == "retry-limit").unwrap();
    assert!(limit["message"].as_str().unwrap().contains("failed attempt 2 of 2"), "{limit}");
}

// ---------------------------------------------------------------------------
// 5. States the factory writes
// ---------------------------------------------------------------------------

#[test]
fn status_completed_is_a_finished_idle_run() {
    let state = "{\n  \"version\": 1,\n  \"status\": \"completed\",\n  \"current_stage\": \"preview\",\n  \"completed_stages\": [\n    \"bootstrap\"\n  ],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T10:00:00.000Z\"\n}";
    let p = project(state, true);
    write(&p.root, "artifacts/ui/later.md", "a person's file after the run\n");
    assert_eq!(run_findings(&p.root), []);
    let v = status_json(&p.root);
    assert_eq!(
        (&v["status"], &v["active"], run_blockers(&v)),
        (&Value::from("completed"), &Value::from(false), vec![])
    );
}

#[test]
fn a_stage_rerun_from_its_checkpoint_is_not_inconsistent() {
    // `factory run prd` after prd and ui completed: prd stays in completed_stages while it runs.
    let state = "{\n  \"version\": 1,\n  \"status\": \"running\",\n  \"current_stage\": \"prd\",\n  \"completed_stages\": [\n    \"bootstrap\",\n    \"prd\",\n    \"ui\"\n  ],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T10:00:00.000Z\"\n}";
    let p = project(state, true);
    // The re-run is remaking its output.
    std::fs::remove_file(p.root.join("artifacts/prd/prd.md")).unwrap();
    assert_eq!(run_findings(&p.root), [f("deleted-output", "pipeline.yaml", 26)]);
    // Once it is no longer running, a completed stage without its output is reported again.
    write(&p.root, ".factory/state.json", state.replace("\"running\"", "\"waiting_for_confirmation\""));
    assert!(run_findings(&p.root).contains(&f("missing-output", ".factory/state.json", 6)));
}

#[test]
fn both_spellings_of_one_field_are_reported_with_both_keys() {
    // An orchestrator session's file, then `factory run ui` added its own keys.
    let state = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "prd",
  "completedStages": ["bootstrap"],
  "updatedAt": "2026-01-29T09:00:00Z",
  "current_stage": "ui",
  "completed_stages": ["bootstrap"],
  "last_updated": "2026-01-29T10:00:00.000Z"
}
"#;
    let p = project(state, true);
    let run = tollgate(&p.root, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let state_findings: Vec<&Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["path"] == ".factory/state.json").collect();
    assert_eq!(state_findings.len(), 1, "{state_findings:?}");
    let d = state_findings[0];
    assert_eq!((d["code"].as_str(), d["severity"].as_str()), (Some("state-inconsistent"), Some("error")));
    assert_eq!(
        d["range"],
        serde_json::json!({"start": {"line": 6, "character": 2}, "end": {"line": 6, "character": 17}})
    );
    let msg = d["message"].as_str().unwrap();
    assert!(
        msg.contains("`currentStage` and `current_stage`") && msg.contains("reads the later, `current_stage`"),
        "{msg}"
    );
    // A repair writes both spellings, so it holds whichever one a reader takes.
    let run = tollgate(&p.root, &["recover", "return-to-build", "--stage", "ui"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(p.root.join(".factory/state.json")).unwrap();
    assert!(after.contains("\"currentStage\": \"ui\",") && after.contains("\"current_stage\": \"ui\","), "{after}");
    assert!(!run_findings(&p.root).iter().any(|f| f.0 == "state-inconsistent"), "{after}");
    write(&p.root, ".factory/state.json", state);
    // The same value in both spellings is no conflict.
    write(&p.root, ".factory/state.json", state.replace("\"current_stage\": \"ui\"", "\"current_stage\": \"prd\""));
    assert_eq!(run_findings(&p.root), []);
}

// ---------------------------------------------------------------------------
// 6. Recovery with nothing true to do refuses
// ---------------------------------------------------------------------------

/// Every file under `root` (`.git` aside) and its bytes.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.ends_with(".git") {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

fn refused(p: &Project, args: &[&str], why: &str) {
    let before = tree(&p.root);
    let run = tollgate(&p.root, args);
    assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("refused: ") && run.stderr.contains(why), "{args:?}: {}", run.stderr);
    assert!(run.stderr.ends_with("nothing was changed\n"), "{}", run.stderr);
    assert_eq!(tree(&p.root), before, "{args:?} changed nothing");
}

#[test]
fn recovery_refuses_when_it_has_nothing_true_to_do() {
    let p = project(FACTORY_RUN_PRD, true);
    write(
        &p.root,
        ".factory/scope.yaml",
        "version: 1\nid: prd-scope\nrevision: 1\nallow:\n  - path: artifacts/prd/\n    ops: [create, modify]\n",
    );
    refused(&p, &["recover", "archive-attempt", "--stage", "preview"], "never reached stage `preview`");
    // `code` is reached (it is current) but none of its outputs exists: no empty attempt-1, no "Attempt: 1/2".
    let code = project(&FACTORY_RUN_PRD.replace("\"prd\"", "\"code\""), true);
    refused(&code, &["recover", "archive-attempt", "--stage", "code"], "none of the outputs of stage `code` exists");
    refused(
        &p,
        &["recover", "quarantine", "--path", "artifacts/prd/prd.md"],
        "stage `prd` may write artifacts/prd/prd.md",
    );
    assert!(!p.root.join("pipeline/error.log").exists(), "no false Unauthorized Write on record");
    refused(
        &p,
        &["recover", "expand-scope", "--path", "artifacts/prd/notes.md"],
        "already allows `artifacts/prd/notes.md`",
    );
    refused(
        &p,
        &["recover", "expand-scope", "--path", "artifacts/prd/**", "--ops", "create"],
        "allow entry `artifacts/prd/`",
    );
    // What the scope does not allow yet is still granted.
    let run =
        tollgate(&p.root, &["recover", "expand-scope", "--path", "artifacts/prd/**", "--ops", "delete", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// 7. state.json keeps its layout
// ---------------------------------------------------------------------------

#[test]
fn a_repair_rewrites_only_the_lines_whose_values_change() {
    // The orchestrator's one-line arrays and entries.
    let state = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "prd",
  "completedStages": ["bootstrap"],
  "failedStages": [],
  "stageHistory": [
    {"stageId": "bootstrap", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:10:00Z", "attempts": 1},
    {"stageId": "prd", "status": "running", "startTime": "2026-01-29T09:10:00Z", "attempts": 1}
  ],
  "lastCheckpoint": "bootstrap",
  "updatedAt": "2026-01-29T09:10:00Z"
}
"#;
    let p = project(state, true);
    let run = tollgate(&p.root, &["recover", "archive-attempt", "--stage", "prd"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(p.root.join(".factory/state.json")).unwrap();
    let (old, new): (Vec<&str>, Vec<&str>) = (state.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), new.len(), "{after}");
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    assert_eq!(changed, [2, 5, 8, 11], "{after}");
    assert_eq!(new[2], "  \"status\": \"failed\",");
    assert_eq!(new[5], "  \"failedStages\": [\"prd\"],");
    assert!(new[8].starts_with("    {\"stageId\": \"prd\", \"status\": \"failed\", \"startTime\": \"2026-01-29T09:10:00Z\", \"attempts\": 1, \"endTime\": \""), "{}", new[8]);
    assert!(after.contains("\"completedStages\": [\"bootstrap\"],\n"));

    // `factory run`'s JSON.stringify layout: quarantine changes the status line and the time mark only.
    let p = project(FACTORY_RUN_PRD, true);
    write(&p.root, "artifacts/ui/sneaky.md", "x\n");
    let run = tollgate(&p.root, &["recover", "quarantine", "--path", "artifacts/ui/sneaky.md"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(p.root.join(".factory/state.json")).unwrap();
    let (old, new): (Vec<&str>, Vec<&str>) = (FACTORY_RUN_PRD.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), new.len(), "{after}");
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    assert_eq!(changed, [2, 8], "{after}");
    assert_eq!(new[2], "  \"status\": \"paused\",");
}

// ---------------------------------------------------------------------------
// 11. Messages that lead
// ---------------------------------------------------------------------------

#[test]
fn a_misspelt_stages_key_is_one_finding() {
    let p = project(FACTORY_RUN_PRD, true);
    let text = std::fs::read_to_string(p.root.join("pipeline.yaml")).unwrap();
    assert!(text.contains("\nstages:\n"));
    write(&p.root, "pipeline.yaml", text.replace("\nstages:\n", "\nstage:\n"));
    let run = tollgate(&p.root, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let all = v["findings"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0]["code"].as_str(), all[0]["path"].as_str()), (Some("unknown-key"), Some("pipeline.yaml")));
    assert!(all[0]["message"].as_str().unwrap().contains("did you mean `stages`"), "{}", all[0]["message"]);
    assert_eq!(run.code, 0, "a warning alone");
}

#[test]
fn a_broken_state_is_a_json_syntax_error() {
    let p =
        project("{\n  \"status\": \"running\",\n  \"current_stage\": \"prd\"\n  \"completed_stages\": []\n}\n", true);
    let run = tollgate(&p.root, &["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let state: Vec<&Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["path"] == ".factory/state.json").collect();
    assert_eq!(state.len(), 1, "{state:?}");
    assert_eq!(state[0]["code"], "yaml-syntax");
    assert_eq!(state[0]["message"], "JSON syntax error in `state.json`: expected `,` or `}`");
    assert_eq!(
        state[0]["range"],
        serde_json::json!({"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 3}})
    );
}
