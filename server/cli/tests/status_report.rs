//! `tollgate status [DIR] [--format text|json]` (SPEC sections 1 and 3.3):
//! stage, status, attempts against the limit, each blocker with its class,
//! subject and return point, warnings apart, and the next valid step; exit 0
//! when nothing blocks, 1 when blocked, 2 on error.

mod common;
use common::{copy_dir, edit, fixtures, git_commit, write};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// A copy of the bundled example (an active run of `code`, attempt 1 of 2),
/// `clean` making its definition faultless; then `state` (if any) replaces
/// the run state, and all is committed: only what a test writes later is a
/// change.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn project(clean: bool, state: Option<&str>) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(&fixtures().join("example"), &root);
    if clean {
        let matrix = "policies/capability.matrix.md";
        edit(
            &root,
            matrix,
            "| `artifacts/validation/` |",
            "| `artifacts/validation/`, `artifacts/backend/`, `artifacts/client/` |",
        );
        edit(
            &root,
            matrix,
            "| `artifacts/preview/` |",
            "| `artifacts/preview/`, `artifacts/backend/`, `artifacts/client/` |",
        );
        edit(&root, ".factory/scope.yaml", "\"*.md\"", "\"/*.md\"");
    }
    if let Some(state) = state {
        write(&root, ".factory/state.json", state);
    }
    git_commit(&root);
    Project { _dir: dir, root }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn status(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("status")
        .args(args)
        .current_dir(root)
        .output()
        .expect("tollgate runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn status_json(root: &Path) -> (i32, Value) {
    let run = status(root, &["--format", "json"]);
    assert_eq!(run.stderr, "");
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    // The document is printed whole, pretty, with a final newline.
    assert_eq!(run.stdout, format!("{}\n", serde_json::to_string_pretty(&v).unwrap()));
    (run.code, v)
}

const COMPLETED: [&str; 4] = ["bootstrap", "prd", "ui", "tech"];
const STAGES: [&str; 7] = ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"];

/// One entry of `stages` with nothing archived or quarantined.
fn stage(id: &str, state: &str, attempts: Option<u32>, blockers: &[usize]) -> Value {
    json!({
        "id": id, "state": state, "in_pipeline": true, "attempts": attempts, "blockers": blockers,
        "archived": [], "quarantined": null,
    })
}

// ---------------------------------------------------------------------------
// Nothing blocks
// ---------------------------------------------------------------------------

#[test]
fn an_idle_run_has_nothing_blocking() {
    // `factory init`'s snake_case spelling; an idle run has no edit findings
    // even with a stray file on disk.
    let p = project(
        true,
        Some(
            r#"{"version": "1.0", "status": "idle", "current_stage": null, "completed_stages": [], "started_at": "2026-01-29T09:00:00Z", "last_updated": "2026-01-29T09:00:00Z"}"#,
        ),
    );
    write(&p.root, "artifacts/prd/sneaky.md", "x\n");
    let run = status(&p.root, &[]);
    let expected = format!(
        "\
root:      {}
pipeline:  pipeline.yaml
stage:     -
status:    idle
blockers:  none
next:      nothing blocks the run
",
        p.root.display()
    );
    assert_eq!((run.code, run.stdout, run.stderr), (0, expected, String::new()));
    let (code, v) = status_json(&p.root);
    assert_eq!(
        (code, v),
        (
            0,
            json!({
                "root": p.root.display().to_string(),
                "pipeline": "pipeline.yaml",
                "stage": null,
                "status": "idle",
                "active": false,
                "attempts": null,
                "max_attempts": 2,
                "completed": [],
                "blockers": [],
                "warnings": [],
                "next": null,
                "stages": STAGES.map(|id| stage(id, "not_reached", None, &[])),
            })
        )
    );
}

#[test]
fn a_running_stage_with_clean_writes_has_nothing_blocking() {
    let p = project(true, None);
    write(&p.root, "artifacts/backend/src/routes.ts", "export {};\n"); // inside permissions and scope
    let run = status(&p.root, &[]);
    let expected = format!(
        "\
root:      {}
pipeline:  pipeline.yaml
stage:     code (attempt 1 of 2)
status:    running
blockers:  none
next:      nothing blocks the run
",
        p.root.display()
    );
    assert_eq!((run.code, run.stdout, run.stderr), (0, expected, String::new()));
    let (code, v) = status_json(&p.root);
    assert_eq!(
        (code, &v["active"], &v["attempts"], &v["completed"], &v["next"]),
        (0, &json!(true), &json!(1), &json!(COMPLETED), &Value::Null)
    );
}

#[test]
fn warnings_are_listed_apart_and_do_not_block() {
    let p = project(true, None);
    edit(&p.root, ".factory/scope.yaml", "\"/*.md\"", "\"*.md\""); // a change of a control file: no edit finding
    let run = status(&p.root, &[]);
    let expected = format!(
        "\
root:      {}
pipeline:  pipeline.yaml
stage:     code (attempt 1 of 2)
status:    running
blockers:  none
warnings:  1
  - ambiguous-pattern (.factory/scope.yaml:15) {AMBIGUOUS}
next:      nothing blocks the run
",
        p.root.display()
    );
    assert_eq!((run.code, run.stdout, run.stderr), (0, expected, String::new()));
    let (code, v) = status_json(&p.root);
    assert_eq!(code, 0);
    assert_eq!(v["blockers"], json!([]));
    assert_eq!(
        v["warnings"],
        json!([{
            "code": "ambiguous-pattern",
            "severity": "warning",
            "class": "definition",
            "return_to": "user",
            "subject": "*.md",
            "path": ".factory/scope.yaml",
            "line": 15,
            "message": AMBIGUOUS,
            "next": "Match `*.md` at any depth: `**/*.md` (.factory/scope.yaml:15)",
        }])
    );
}

const AMBIGUOUS: &str = "allow pattern `*.md` has no `/`: it matches at the factory root only \
(in gitignore it would match at any depth); write `**/*.md` or `/*.md` to say which";

// ---------------------------------------------------------------------------
// An unauthorized write
// ---------------------------------------------------------------------------

const SNEAKY_MSG: &str = "stage `code` created `artifacts/prd/sneaky.md` outside its write permissions: \
matrix row `code` allows only `artifacts/backend/`, `artifacts/client/` (policies/capability.matrix.md). \
Return point: user (quarantine the file, or a person grants write access)";
const SNEAKY_SCOPE_MSG: &str = "stage `code` created `artifacts/prd/sneaky.md`, which no allow entry of scope \
`habit-tracker-mvp` (revision 1) covers. Return point: exploration (expand or revise the scope)";

#[test]
fn an_unauthorized_write_names_its_blocker_and_the_quarantine_command() {
    let p = project(true, None);
    write(&p.root, "artifacts/prd/sneaky.md", "# not the stage's to write\n");
    let run = status(&p.root, &[]);
    let expected = format!(
        "\
root:      {}
pipeline:  pipeline.yaml
stage:     code (attempt 1 of 2)
status:    running
blockers:  1
  - [policy] unauthorized-write `artifacts/prd/sneaky.md` -> return to user (artifacts/prd/sneaky.md:1)
      {SNEAKY_MSG}
warnings:  1
  - out-of-scope (artifacts/prd/sneaky.md:1) {SNEAKY_SCOPE_MSG}
next:      tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code
",
        p.root.display()
    );
    assert_eq!((run.code, run.stdout, run.stderr), (1, expected, String::new()));

    let (code, v) = status_json(&p.root);
    assert_eq!(code, 1);
    assert_eq!(
        v,
        json!({
            "root": p.root.display().to_string(),
            "pipeline": "pipeline.yaml",
            "stage": "code",
            "status": "running",
            "active": true,
            "attempts": 1,
            "max_attempts": 2,
            "completed": COMPLETED,
            "blockers": [{
                "code": "unauthorized-write",
                "severity": "error",
                "class": "policy",
                "return_to": "user",
                "subject": "artifacts/prd/sneaky.md",
                "path": "artifacts/prd/sneaky.md",
                "line": 1,
                "message": SNEAKY_MSG,
                "next": "tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code",
            }],
            "warnings": [{
                "code": "out-of-scope",
                "severity": "warning",
                "class": "scope",
                "return_to": "exploration",
                "subject": "artifacts/prd/sneaky.md",
                "path": "artifacts/prd/sneaky.md",
                "line": 1,
                "message": SNEAKY_SCOPE_MSG,
                "next": "tollgate recover expand-scope --path artifacts/prd/sneaky.md",
            }],
            "next": "tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code",
            "stages": [
                stage("bootstrap", "done", Some(1), &[]),
                stage("prd", "done", Some(1), &[]),
                stage("ui", "done", Some(1), &[]),
                stage("tech", "done", Some(1), &[]),
                stage("code", "current", Some(1), &[0]),
                stage("validation", "not_reached", None, &[]),
                stage("preview", "not_reached", None, &[]),
            ],
        })
    );
}

#[test]
fn next_prefers_a_recovery_command_over_a_grant_of_access() {
    // The example as it is: four `output-outside-permissions` (whose only fix
    // is a person granting access) come before a stray write that sorts
    // after `pipeline.yaml`; `next` is still the command that clears one.
    let p = project(false, None);
    write(&p.root, "web/notes 草稿.txt", "x\n");
    let (code, v) = status_json(&p.root);
    assert_eq!(code, 1);
    let brief: Vec<(&str, &str, &str, &str)> = v["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["code"].as_str().unwrap(),
                b["subject"].as_str().unwrap(),
                b["class"].as_str().unwrap(),
                b["next"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            (
                "output-outside-permissions",
                "artifacts/backend/",
                "policy",
                "a person grants stage `validation` write access to `artifacts/backend/`"
            ),
            (
                "output-outside-permissions",
                "artifacts/client/",
                "policy",
                "a person grants stage `validation` write access to `artifacts/client/`"
            ),
            (
                "output-outside-permissions",
                "artifacts/backend/",
                "policy",
                "a person grants stage `preview` write access to `artifacts/backend/`"
            ),
            (
                "output-outside-permissions",
                "artifacts/client/",
                "policy",
                "a person grants stage `preview` write access to `artifacts/client/`"
            ),
            (
                "unauthorized-write",
                "web/notes 草稿.txt",
                "policy",
                "tollgate recover quarantine --path 'web/notes 草稿.txt' --stage code"
            ),
        ]
    );
    // Shell-quoted: the command runs as printed.
    assert_eq!(v["next"], "tollgate recover quarantine --path 'web/notes 草稿.txt' --stage code");
    let run = status(&p.root, &[]);
    assert!(
        run.stdout.ends_with("\nnext:      tollgate recover quarantine --path 'web/notes 草稿.txt' --stage code\n"),
        "{}",
        run.stdout
    );
    let warnings: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(warnings, ["ambiguous-pattern", "out-of-scope"]);
}

#[test]
fn without_a_recovery_command_next_is_the_first_blocker_to_fix() {
    // The real fixture as it is (no run): 7 `agent-not-found`, 4 `output-outside-permissions`.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &root);
    let (code, v) = status_json(&root);
    assert_eq!((code, &v["stage"], &v["status"], &v["active"]), (1, &Value::Null, &Value::Null, &json!(false)));
    let blockers = v["blockers"].as_array().unwrap();
    let count = |c: &str| blockers.iter().filter(|b| b["code"] == c).count();
    assert_eq!((blockers.len(), count("agent-not-found"), count("output-outside-permissions")), (11, 7, 4));
    assert_eq!(
        (&blockers[0]["class"], &blockers[0]["return_to"], &blockers[0]["subject"], &blockers[0]["next"]),
        (
            &json!("definition"),
            &json!("user"),
            &json!("agents/bootstrap.agent.md"),
            &json!("fix pipeline.yaml:11 (agent-not-found)")
        )
    );
    assert_eq!(v["next"], "fix pipeline.yaml:11 (agent-not-found)");
    let run = status(&root, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("\nstage:     -\nstatus:    -\nblockers:  11\n  - [definition] agent-not-found `agents/bootstrap.agent.md` -> return to user (pipeline.yaml:11)\n"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------
// A failed stage, the retry limit
// ---------------------------------------------------------------------------

fn state(status: &str, failed: &str, code_entry: &str) -> String {
    format!(
        r#"{{
  "version": 1,
  "status": "{status}",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": [{failed}],
  "stageHistory": [
    {{"stageId": "tech", "status": "completed", "startTime": "2026-01-29T09:40:00Z", "endTime": "2026-01-29T10:00:00Z", "attempts": 1}},
    {code_entry}
  ],
  "lastCheckpoint": "tech"
}}
"#
    )
}

const FAILED_MSG: &str = "stage `code` is in `failedStages` while the run is `failed`; \
a failed stage blocks the run until it returns to Build or its attempt is archived";

#[test]
fn a_failed_stage_returns_to_build() {
    let p = project(
        true,
        Some(&state(
            "failed",
            r#""code""#,
            r#"{"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z", "attempts": 1}"#,
        )),
    );
    let run = status(&p.root, &[]);
    let expected = format!(
        "\
root:      {}
pipeline:  pipeline.yaml
stage:     code (attempt 1 of 2)
status:    failed
blockers:  1
  - [build] stage-failed `code` -> return to build (.factory/state.json:6)
      {FAILED_MSG}
next:      tollgate recover return-to-build --stage code
",
        p.root.display()
    );
    assert_eq!((run.code, run.stdout, run.stderr), (1, expected, String::new()));
    let (code, v) = status_json(&p.root);
    assert_eq!(code, 1);
    assert_eq!((&v["status"], &v["active"], &v["attempts"]), (&json!("failed"), &json!(true), &json!(1)));
    assert_eq!(
        v["blockers"],
        json!([{
            "code": "stage-failed",
            "severity": "error",
            "class": "build",
            "return_to": "build",
            "subject": "code",
            "path": ".factory/state.json",
            "line": 6,
            "message": FAILED_MSG,
            "next": "tollgate recover return-to-build --stage code",
        }])
    );
    assert_eq!(v["next"], "tollgate recover return-to-build --stage code");
}

#[test]
fn the_retry_limit_asks_a_person() {
    let p = project(
        true,
        Some(&state(
            "running",
            "",
            r#"{"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z", "attempts": 2}"#,
        )),
    );
    let (code, v) = status_json(&p.root);
    assert_eq!((code, &v["status"], &v["attempts"], &v["max_attempts"]), (1, &json!("running"), &json!(2), &json!(2)));
    let decide = "a person decides whether stage `code` gets another attempt \
(`tollgate recover return-to-build --stage code` overrides the retry limit) \
or sets it aside (`tollgate recover archive-attempt --stage code`)";
    let blockers = v["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 2, "{v:#}");
    assert_eq!(
        (&blockers[0]["code"], &blockers[0]["class"], &blockers[0]["return_to"], &blockers[0]["next"]),
        (
            &json!("stage-failed"),
            &json!("build"),
            &json!("build"),
            &json!("tollgate recover return-to-build --stage code")
        )
    );
    assert_eq!(
        blockers[1],
        json!({
            "code": "retry-limit",
            "severity": "error",
            "class": "intervention",
            "return_to": "user",
            "subject": "code",
            "path": ".factory/state.json",
            "line": 9,
            "message": "stage `code` failed attempt 2 of 2 (`max_attempts`) and the run is `running`, not paused; \
        the failure policy requires a person to decide now",
            "next": decide,
        })
    );
    // The failure policy stops the automation: the person's decision comes first.
    assert_eq!(v["next"], decide);
    let run = status(&p.root, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("\nstage:     code (attempt 2 of 2)\nstatus:    running\nblockers:  2\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\n  - [intervention] retry-limit `code` -> return to user (.factory/state.json:9)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with(&format!("\nnext:      {decide}\n")), "{}", run.stdout);

    // Paused, the run already waits for a person: no retry-limit, only the failure;
    // the next step says so and names return-to-build (SPEC 9).
    let p = project(
        true,
        Some(&state(
            "paused",
            r#""code""#,
            r#"{"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z", "attempts": 2}"#,
        )),
    );
    let (code, v) = status_json(&p.root);
    let codes: Vec<&str> = v["blockers"].as_array().unwrap().iter().map(|b| b["code"].as_str().unwrap()).collect();
    assert_eq!(
        (code, codes, &v["next"]),
        (
            1,
            vec!["stage-failed"],
            &json!(
                "the run waits for a person: `tollgate recover return-to-build --stage code` opens a new attempt \
                 (or `tollgate recover resume` goes on in the same one)"
            )
        )
    );
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let run = status(&root, &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr),
        (
            2,
            "",
            format!(
                "tollgate: {}: no factory root here or above (no pipeline.yaml or .factory/pipeline.yaml)\n",
                root.display()
            )
        )
    );

    let p = project(true, None);
    // `status` speaks text or JSON; SARIF and GitHub annotations are `check`'s.
    for format in ["sarif", "github", "xml"] {
        let run = status(&p.root, &["--format", format]);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{format}");
        assert!(run.stderr.contains(&format!("invalid value '{format}' for '--format <FORMAT>'")), "{}", run.stderr);
    }
    // A run state that cannot be decoded.
    write(&p.root, ".factory/state.json", b"{\"status\": \"\xff\"}");
    let run = status(&p.root, &["--format", "json"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr),
        (
            2,
            "",
            format!(
                "tollgate: {}: cannot read: the file is not valid UTF-8\n",
                p.root.join(".factory/state.json").display()
            )
        )
    );
    // A corrupt (but readable) one is a finding, not an error.
    write(&p.root, ".factory/state.json", "{\"status\": ");
    let (code, v) = status_json(&p.root);
    assert_eq!(
        (code, &v["blockers"][0]["code"], &v["blockers"][0]["class"], &v["active"]),
        (1, &json!("yaml-syntax"), &json!("definition"), &json!(false))
    );
}

#[test]
fn dir_below_the_root_and_the_current_directory() {
    let p = project(true, None);
    write(&p.root, "artifacts/prd/sneaky.md", "x\n");
    let at_root = status(&p.root, &["--format", "json"]);
    let below = status(&p.root.join("artifacts/backend"), &["--format", "json"]);
    let by_dir = status(Path::new("/"), &[p.root.join("artifacts/backend/src").to_str().unwrap(), "--format", "json"]);
    assert_eq!((at_root.code, below.code, by_dir.code), (1, 1, 1));
    assert_eq!((&below.stdout, &by_dir.stdout), (&at_root.stdout, &at_root.stdout));
}

#[test]
fn severity_overrides_decide_what_blocks() {
    let p = project(true, None);
    write(&p.root, "artifacts/prd/sneaky.md", "# not the stage's to write\n");
    // Made a warning, the write no longer blocks: exit 0, listed with the warnings.
    let run = status(&p.root, &["--severity", "unauthorized-write=warning", "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["blockers"], json!([]));
    let warned: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(warned, ["unauthorized-write", "out-of-scope"]);
    assert_eq!(v["next"], Value::Null);
    // Switched off, it is gone; a warning made an error blocks.
    let run = status(
        &p.root,
        &["--severity", "unauthorized-write=off", "--severity", "out-of-scope=error", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let blocking: Vec<&str> = v["blockers"].as_array().unwrap().iter().map(|b| b["code"].as_str().unwrap()).collect();
    assert_eq!((blocking, &v["warnings"]), (vec!["out-of-scope"], &json!([])));
    // A bad override is a usage error, named.
    let run = status(&p.root, &["--severity", "no-such-code=off"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (2, "", "tollgate: --severity `no-such-code=off`: unknown code `no-such-code`\n")
    );
    let run = status(&p.root, &["--severity", "unauthorized-write=loud"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("tollgate: --severity `unauthorized-write=loud`: "), "{}", run.stderr);
}

#[test]
fn text_paths_are_relative_to_the_current_directory() {
    let p = project(true, None);
    write(&p.root, "artifacts/prd/sneaky.md", "# not the stage's to write\n");
    let parent = p.root.parent().unwrap();
    let name = p.root.file_name().unwrap().to_str().unwrap();
    let run = status(parent, &[name]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[1], format!("pipeline:  {name}/pipeline.yaml"));
    assert!(
        lines.contains(
            &format!("  - [policy] unauthorized-write `artifacts/prd/sneaky.md` -> return to user ({name}/artifacts/prd/sneaky.md:1)")
                .as_str()
        ),
        "{}",
        run.stdout
    );
    // The next step stays a command to run with the root's own paths (`--path` is root-relative).
    assert_eq!(
        lines.last(),
        Some(&"next:      tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code")
    );
    // JSON keeps root-relative paths whatever the current directory.
    let json = status(parent, &[name, "--format", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (&v["pipeline"], &v["blockers"][0]["path"]),
        (&json!("pipeline.yaml"), &json!("artifacts/prd/sneaky.md"))
    );
}
