//! `tollgate gate`, `recover rollback` and `recover resume` through the built
//! binary, on a committed copy of the real fixture, in both state spellings,
//! asserting exit codes and the bytes on disk.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{copy_dir, fixtures, git_commit, write};

/// Stage `code` running after `tech` completed, as the orchestrator spells a state
/// (camelCase); one file for the policy, recovery and gate tests.
const CAMEL: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/states/code-running.json"));

/// The same run as `factory init`'s snake_case spelling writes it.
fn snake(camel: &str) -> String {
    [
        ("currentStage", "current_stage"),
        ("completedStages", "completed_stages"),
        ("failedStages", "failed_stages"),
        ("stageHistory", "stage_history"),
        ("stageId", "stage_id"),
        ("startTime", "start_time"),
        ("endTime", "end_time"),
        ("lastCheckpoint", "last_checkpoint"),
        ("createdAt", "started_at"),
        ("updatedAt", "last_updated"),
    ]
    .iter()
    .fold(camel.to_string(), |s, (c, k)| s.replace(&format!("\"{c}\""), &format!("\"{k}\"")))
}

const OUTPUTS: &[(&str, &str)] = &[
    ("input/idea.md", "# idea\n"),
    ("artifacts/prd/prd.md", "# PRD\n"),
    ("artifacts/ui/ui.schema.yaml", "pages: []\n"),
    ("artifacts/ui/preview.web/index.html", "<html></html>\n"),
    ("artifacts/tech/tech.md", "# tech\n"),
    ("artifacts/backend/prisma/schema.prisma", "model User { id Int @id }\n"),
    ("artifacts/backend/src/server.ts", "listen();\n"),
];

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Project {
    /// The real fixture's pipeline and matrix, agent files, the outputs up to `code`
    /// (without `artifacts/client/` unless `client`), `state`, all committed to git.
    fn new(state: &str, client: bool) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        copy_dir(&fixtures().join("agent-app-factory/policies"), &root.join("policies"));
        std::fs::copy(fixtures().join("agent-app-factory/pipeline.yaml"), root.join("pipeline.yaml")).unwrap();
        copy_dir(&fixtures().join("example/agents"), &root.join("agents"));
        for (f, t) in OUTPUTS {
            write(&root, f, t);
        }
        if client {
            write(&root, "artifacts/client/src/App.tsx", "App();\n");
        }
        write(&root, ".factory/state.json", state);
        git_commit(&root);
        Project { _dir: dir, root }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(args).current_dir(&self.root).output().unwrap();
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code().unwrap_or(-1), s(&out.stdout), s(&out.stderr))
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.root.join(rel)).is_ok()
    }

    /// Every file and directory but `.git/`, with its bytes.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if rel == ".git" {
            continue;
        }
        if p.is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
            walk(root, &p, out);
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

/// Files only, under `prefix`, keyed by the rest of their path.
fn files_under(snap: &BTreeMap<String, Vec<u8>>, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    snap.iter()
        .filter(|(k, _)| !k.ends_with('/'))
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|r| (r.to_string(), v.clone())))
        .collect()
}

fn with_attempts(state: &str, n: u32) -> String {
    state.replace("\"attempts\": 1\n    }\n  ]", &format!("\"attempts\": {n}\n    }}\n  ]"))
}

fn both() -> [(&'static str, String); 2] {
    [("camelCase", CAMEL.to_string()), ("snake_case", snake(CAMEL))]
}

#[test]
fn a_pass_records_the_checkpoint_in_either_spelling() {
    for (name, state) in both() {
        let p = Project::new(&state, true);
        let before = p.snapshot();
        let (code, out, err) = p.run(&["gate"]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(out.starts_with("gate: stage `code` passes (attempt 1 of 2)\n"), "{name}: {out}");
        assert!(out.ends_with("done\nnext stage: `validation` (a person confirms before it starts)\n"), "{out}");
        let now = p.read(".factory/state.json");
        let stamp = |k: &str| {
            let i = now.find(&format!("\"{k}\": \"")).unwrap_or_else(|| panic!("{k} in {now}")) + k.len() + 5;
            now[i..i + 20].to_string()
        };
        let key = |c: &str| {
            if name == "snake_case" {
                snake(&format!("\"{c}\"")).trim_matches('"').to_string()
            } else {
                c.to_string()
            }
        };
        let end = stamp(&key("updatedAt"));
        let want = state
            .replace("\"running\",\n  \"", "\"waiting_for_confirmation\",\n  \"")
            .replace("    \"tech\"\n  ],", "    \"tech\",\n    \"code\"\n  ],")
            .replace("\"status\": \"running\",\n      ", "\"status\": \"completed\",\n      ")
            .replace(
                "\"attempts\": 1\n    }\n  ]",
                &format!("\"attempts\": 1,\n      \"{}\": \"{end}\"\n    }}\n  ]", key("endTime")),
            )
            .replace(
                &format!("\"{}\": \"tech\"", key("lastCheckpoint")),
                &format!("\"{}\": \"code\"", key("lastCheckpoint")),
            )
            .replace("2026-01-29T09:00:00Z\"\n}", &format!("{end}\"\n}}"));
        assert_eq!(now, want, "{name}");
        let mut after = p.snapshot();
        after.remove(".factory/state.json");
        let mut b = before;
        b.remove(".factory/state.json");
        assert_eq!(after, b, "{name}: only the state changes on a pass");
    }
}

/// A state as `factory init` and a hand or an orchestrator leave it, snake_case with
/// one-line arrays and history entries: a pass rewrites only the lines whose values
/// change, and the arrays stay on one line.
#[test]
fn a_pass_keeps_a_snake_case_one_line_state_as_it_is_laid_out() {
    let state = r#"{
  "version": "1.0",
  "status": "running",
  "current_stage": "code",
  "completed_stages": ["bootstrap", "prd", "ui", "tech"],
  "stage_history": [{"stage_id": "code", "status": "running", "start_time": "2026-01-29T09:00:00Z", "attempts": 1}],
  "last_checkpoint": "tech",
  "started_at": "2026-01-29T07:00:00Z",
  "last_updated": "2026-01-29T09:00:00Z"
}
"#;
    let p = Project::new(state, true);
    let (code, out, err) = p.run(&["gate"]);
    assert_eq!(code, 0, "{out}{err}");
    let now = p.read(".factory/state.json");
    let at = now.find("\"last_updated\": \"").unwrap() + "\"last_updated\": \"".len();
    let end = &now[at..at + 20];
    let want = state
        .replace("\"status\": \"running\",\n  \"current", "\"status\": \"waiting_for_confirmation\",\n  \"current")
        .replace("\"tech\"],", "\"tech\", \"code\"],")
        .replace(
            r#""status": "running", "start_time": "2026-01-29T09:00:00Z", "attempts": 1}"#,
            &format!(
                r#""status": "completed", "start_time": "2026-01-29T09:00:00Z", "attempts": 1, "end_time": "{end}"}}"#
            ),
        )
        .replace("\"last_checkpoint\": \"tech\"", "\"last_checkpoint\": \"code\"")
        .replace("\"last_updated\": \"2026-01-29T09:00:00Z\"", &format!("\"last_updated\": \"{end}\""));
    assert_eq!(now, want);
    assert_eq!(now.lines().count(), state.lines().count(), "no line was added or split");
}

/// A new orchestrator session restarts `attempts` at 1: the history holds a failed
/// attempt and a running one, both "attempt 1". The running one is attempt 2 (as
/// `tollgate status` says), so a failed gate now pauses: the limit does not reset.
#[test]
fn attempts_restarted_by_a_new_session_still_reach_the_limit() {
    let state = CAMEL.replace(
        "    {\n      \"stageId\": \"code\",\n      \"status\": \"running\",",
        "    {\n      \"stageId\": \"code\",\n      \"status\": \"failed\",\n      \"startTime\": \"2026-01-29T08:40:00Z\",\n      \"endTime\": \"2026-01-29T08:50:00Z\",\n      \"attempts\": 1\n    },\n    {\n      \"stageId\": \"code\",\n      \"status\": \"running\",",
    );
    assert_eq!(state.matches("\"stageId\": \"code\"").count(), 2, "{state}");
    let p = Project::new(&state, false);
    let (code, status, _) = p.run(&["status", "--format", "json"]);
    assert_eq!(code, 1);
    assert!(status.contains("\"attempts\": 2"), "{status}");
    let (_, picture, _) = p.run(&["status", "--format", "mermaid"]);
    assert!(picture.contains("<b>code</b><br/>current: running · attempt 2 of 2"), "the picture agrees: {picture}");
    let (code, out, err) = p.run(&["gate"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("gate: stage `code` is blocked (attempt 2 of 2)"), "{out}");
    let st = p.read(".factory/state.json");
    assert!(st.contains("\"status\": \"paused\""), "the gate paused for a person: {st}");
    assert!(
        p.exists("artifacts/_failed/code/attempt-2/backend/server.ts")
            || p.exists("artifacts/_failed/code/attempt-2/backend/src/server.ts"),
        "the attempt moved"
    );
    assert!(!p.exists("artifacts/backend/src/server.ts"), "moved, not copied");
}

#[test]
fn a_failed_first_attempt_is_copied_and_attempt_two_opens() {
    for (name, state) in both() {
        let p = Project::new(&state, false);
        let before = p.snapshot();
        let (code, out, err) = p.run(&["gate"]);
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(out.starts_with("gate: stage `code` is blocked (attempt 1 of 2); what to fix:\n  - declared output `artifacts/client/` does not exist: produce it (pipeline.yaml:73:9)\non top of: artifacts/backend/\n"), "{out}");
        assert!(out.contains("next: attempt 2 of 2 fixes the list above on top of the existing artifacts\n"), "{out}");
        let after = p.snapshot();
        for (k, v) in &before {
            if k != ".factory/state.json" {
                assert_eq!(after.get(k), Some(v), "{name}: {k} must stay byte-identical");
            }
        }
        assert_eq!(
            files_under(&after, "artifacts/_failed/code/attempt-1/backend/"),
            files_under(&before, "artifacts/backend/")
        );
        let st = p.read(".factory/state.json");
        let (id, start) = if name == "snake_case" { ("stage_id", "start_time") } else { ("stageId", "startTime") };
        assert!(
            st.contains(&format!("{{\n      \"{id}\": \"code\",\n      \"status\": \"running\",\n      \"{start}\": ")),
            "{st}"
        );
        assert!(st.contains("\"attempts\": 2\n    }\n  ]"), "{st}");
        assert!(
            st.contains("\"status\": \"failed\",\n      \"")
                && st.contains("\"error\": \"artifacts/client/ does not exist\""),
            "{st}"
        );
        if name == "snake_case" {
            assert!(!st.contains("stageId") && !st.contains("endTime") && !st.contains("updatedAt"), "{st}");
        }
        let log = p.read("pipeline/error.log");
        assert!(log.contains("Stage: code\nAttempt: 1/2\nStatus: RETRYING\n\nError Type: Missing Output\n"), "{log}");
    }
}

#[test]
fn a_failed_last_attempt_is_moved_every_byte_accounted_for_and_the_run_pauses() {
    for (name, state) in both() {
        let p = Project::new(&with_attempts(&state, 2), false);
        let before = p.snapshot();
        let (code, out, _) = p.run(&["gate"]);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains("policy: Gate of stage `code`: fail, pause for a person (move attempt 2 of 2 to artifacts/_failed/code/attempt-2/)\n"), "{out}");
        let after = p.snapshot();
        let archived = files_under(&after, "artifacts/_failed/code/attempt-2/");
        // Every byte of the attempt is in the archive; tech's schema (a completed stage's output) also stays.
        assert_eq!(
            archived,
            files_under(&before, "artifacts/").into_iter().filter(|(k, _)| k.starts_with("backend/")).collect()
        );
        assert!(!p.exists("artifacts/backend/src"));
        assert_eq!(p.read("artifacts/backend/prisma/schema.prisma"), "model User { id Int @id }\n");
        for (k, v) in &before {
            let kept = after.get(k) == Some(v);
            let moved = k.strip_prefix("artifacts/").and_then(|r| archived.get(r)) == Some(v);
            assert!(kept || moved || k == ".factory/state.json" || k.ends_with('/'), "{name}: {k} lost");
        }
        let st = p.read(".factory/state.json");
        assert!(st.contains("\"status\": \"paused\""), "{st}");
        let failed = if name == "snake_case" { "failed_stages" } else { "failedStages" };
        assert!(st.contains(&format!("\"{failed}\": [\n    \"code\"\n  ]")), "{st}");
        let log = p.read("pipeline/error.log");
        assert!(log.contains("Attempt: 2/2\nStatus: FAILED\n"), "{log}");
        assert!(
            log.contains(
                "`tollgate recover return-to-build --stage code` opens attempt 3, overriding the retry limit of 2"
            ),
            "{log}"
        );
        // status: the run waits for a person.
        let (_, out, _) = p.run(&["status"]);
        assert!(out.contains("next:      the run waits for a person: `tollgate recover return-to-build --stage code` opens a new attempt (or `tollgate recover resume` goes on in the same one)\n"), "{out}");
    }
}

#[test]
fn on_failure_pause_and_max_attempts_three() {
    let three = |p: &Project| {
        let text =
            p.read("pipeline.yaml").replacen("  mode: checkpoint\n", "  mode: checkpoint\n  max_attempts: 3\n", 1);
        write(&p.root, "pipeline.yaml", text);
    };
    let p = Project::new(&with_attempts(CAMEL, 2), false);
    three(&p);
    let (code, out, _) = p.run(&["gate"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("fail, retry (copy attempt 2 to artifacts/_failed/code/attempt-2/, open attempt 3 of 3)"),
        "{out}"
    );
    assert!(p.read(".factory/state.json").contains("\"attempts\": 3\n"));

    // validation: `on_failure: action: pause` pauses its first failure.
    let v = CAMEL
        .replace("\"currentStage\": \"code\"", "\"currentStage\": \"validation\"")
        .replace("    \"tech\"\n  ],", "    \"tech\",\n    \"code\"\n  ],")
        .replace("\"stageId\": \"code\"", "\"stageId\": \"validation\"");
    let p = Project::new(&v, true);
    three(&p);
    let (code, out, _) = p.run(&["gate", "--format", "json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (j["outcome"].as_str(), j["attempt"].as_u64(), j["max_attempts"].as_u64()),
        (Some("pause"), Some(1), Some(3))
    );
    assert_eq!(j["missing"][0]["path"], "artifacts/validation/report.md");
    assert_eq!(j["missing"][0]["range"]["start"]["line"], 88, "0-based, after the inserted max_attempts line");
    assert!(p.read(".factory/state.json").contains("\"status\": \"paused\""));
    // code is completed: its folders are copied into validation's archive, never moved.
    assert_eq!(p.read("artifacts/client/src/App.tsx"), "App();\n");
    assert_eq!(p.read("artifacts/_failed/validation/attempt-1/client/src/App.tsx"), "App();\n");
}

#[test]
fn an_unauthorized_write_is_quarantined_and_counted() {
    for (name, state) in both() {
        let p = Project::new(&state, true);
        write(&p.root, "artifacts/prd/sneaky.md", "mine\n");
        let (code, out, _) = p.run(&["gate"]);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains("  - unauthorized-write artifacts/prd/sneaky.md: stage `code` created `artifacts/prd/sneaky.md` outside its write permissions"), "{out}");
        assert!(!p.exists("artifacts/prd/sneaky.md"));
        assert_eq!(p.read("artifacts/_untrusted/code/prd/sneaky.md"), "mine\n");
        assert!(p.read(".factory/state.json").contains("\"attempts\": 2\n"), "{name}");
        let log = p.read("pipeline/error.log");
        assert!(log.contains("Status: RETRYING\n\nError Type: Unauthorized Write\n"), "{log}");
        assert!(log.contains("  artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.md\n"), "{log}");
        // The next gate of attempt 2 passes: the write is gone.
        let (code, out, _) = p.run(&["gate"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("gate: stage `code` passes (attempt 2 of 2)"), "{out}");
    }
}

#[test]
fn dry_run_changes_nothing() {
    for client in [true, false] {
        let p = Project::new(CAMEL, client);
        write(&p.root, "artifacts/prd/sneaky.md", "mine\n");
        let before = p.snapshot();
        let (code, out, _) = p.run(&["gate", "--dry-run"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("dry run: nothing was changed\n"), "{out}");
        assert_eq!(p.snapshot(), before);
        let rollbacks = [
            (&["recover", "rollback", "--dry-run"][..], "Roll back to `tech`: archive the outputs of `tech`, `code`"),
            (
                &["recover", "rollback", "--to", "prd", "--dry-run"],
                "Roll back to `prd`: archive the outputs of `prd`, ",
            ),
        ];
        for (args, plan) in rollbacks {
            let (code, out, _) = p.run(args);
            assert_eq!(code, 0, "{out}");
            assert!(out.starts_with(plan) && out.contains("dry run: nothing was changed"), "the plan, printed: {out}");
            assert_eq!(p.snapshot(), before);
        }
    }
    let p = Project::new(CAMEL, true);
    let before = p.snapshot();
    assert_eq!(p.run(&["gate", "--dry-run"]).0, 0);
    assert_eq!(p.snapshot(), before);
}

#[test]
fn on_failure_rollback_archives_and_returns_to_the_checkpoint_in_either_spelling() {
    for (name, state) in both() {
        let p = Project::new(&state, false);
        let pipeline = p.read("pipeline.yaml");
        let with = pipeline.replacen(
            "\n  - id: validation\n",
            "\n    on_failure:\n      action: rollback\n\n  - id: validation\n",
            1,
        );
        assert_ne!(with, pipeline);
        write(&p.root, "pipeline.yaml", &with);
        let before = p.snapshot();
        let (code, out, err) = p.run(&["gate"]);
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(
            out.starts_with("gate: stage `code` is blocked (attempt 1 of 2); what to fix:\n")
                && out.contains("\npolicy: Gate of stage `code`: fail, roll back to `tech` (on_failure: rollback; attempt 1 of 2)\n")
                && out.ends_with("\ndone\nnext:\n  1. Re-execute from stage tech: attempt 2 of 2 is open\n  2. The outputs of stage tech are kept in artifacts/_failed/tech/attempt-1/ for comparison\n  3. The outputs of stage code are kept in artifacts/_failed/code/attempt-1/ for comparison\n"),
            "{name}: {out}"
        );
        let after = p.snapshot();
        // tech's and code's outputs are moved, byte for byte; nothing earlier is touched.
        assert_eq!(
            files_under(&after, "artifacts/_failed/tech/attempt-1/"),
            files_under(&before, "artifacts/")
                .into_iter()
                .filter(|(k, _)| k.starts_with("tech/") || k.starts_with("backend/prisma/"))
                .collect()
        );
        assert_eq!(
            files_under(&after, "artifacts/_failed/code/attempt-1/"),
            files_under(&before, "artifacts/").into_iter().filter(|(k, _)| k.starts_with("backend/src/")).collect()
        );
        assert!(!p.exists("artifacts/tech/tech.md") && !p.exists("artifacts/backend/src/server.ts"));
        for f in ["input/idea.md", "artifacts/prd/prd.md", "artifacts/ui/ui.schema.yaml"] {
            assert_eq!(after.get(f), before.get(f), "{f}");
        }
        let st = p.read(".factory/state.json");
        let k = |c: &str| if name == "snake_case" { snake(&format!("\"{c}\"")) } else { format!("\"{c}\"") };
        assert!(st.contains(&format!("{}: \"tech\"", k("currentStage"))), "{st}");
        assert!(st.contains(&format!("{}: \"ui\"", k("lastCheckpoint"))), "{st}");
        assert!(st.contains("\"status\": \"running\""), "{st}");
        let log = p.read("pipeline/error.log");
        assert!(
            log.contains("Stage: code\nAttempt: 1/2\nStatus: ROLLED BACK\n\nError Type: Missing Output\n"),
            "{log}"
        );
    }
}

#[test]
fn rollback_to_the_checkpoint_to_an_earlier_stage_refused_for_a_later_one() {
    for (name, state) in both() {
        let p = Project::new(&state, true);
        let before = p.snapshot();
        let (code, out, err) = p.run(&["recover", "rollback", "--to", "validation"]);
        assert_eq!(code, 1, "{out}");
        assert!(err.contains("stage `validation` comes after the current stage `code`"), "{err}");
        assert_eq!(p.snapshot(), before);

        let (code, out, err) = p.run(&["recover", "rollback"]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(
            out.starts_with(
                "Roll back to `tech`: archive the outputs of `tech`, `code`, re-execute from there (attempt 2 of 2)\n"
            ),
            "{out}"
        );
        let after = p.snapshot();
        assert_eq!(
            files_under(&after, "artifacts/_failed/tech/attempt-1/"),
            files_under(&before, "artifacts/")
                .into_iter()
                .filter(|(k, _)| k.starts_with("tech/") || k.starts_with("backend/prisma/"))
                .collect()
        );
        assert_eq!(
            files_under(&after, "artifacts/_failed/code/attempt-1/"),
            files_under(&before, "artifacts/")
                .into_iter()
                .filter(|(k, _)| k.starts_with("client/") || k.starts_with("backend/src/"))
                .collect()
        );
        for f in [
            "input/idea.md",
            "artifacts/prd/prd.md",
            "artifacts/ui/ui.schema.yaml",
            "artifacts/ui/preview.web/index.html",
        ] {
            assert_eq!(after.get(f), before.get(f), "{f}");
        }
        let st = p.read(".factory/state.json");
        let k = |c: &str| if name == "snake_case" { snake(&format!("\"{c}\"")) } else { format!("\"{c}\"") };
        assert!(st.contains(&format!("{}: \"tech\"", k("currentStage"))), "{st}");
        assert!(
            st.contains(&format!("{}: [\n    \"bootstrap\",\n    \"prd\",\n    \"ui\"\n  ],", k("completedStages"))),
            "{st}"
        );
        assert!(st.contains(&format!("{}: \"ui\"", k("lastCheckpoint"))), "{st}");
        assert!(p.read("pipeline/error.log").contains("Stage: code\nAttempt: 1/2\nStatus: ROLLED BACK\n"));

        let p = Project::new(&state, true);
        let (code, out, _) = p.run(&["recover", "rollback", "--to", "prd"]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(p.read("input/idea.md"), "# idea\n");
        assert_eq!(p.read("artifacts/_failed/prd/attempt-1/prd/prd.md"), "# PRD\n");
        assert_eq!(p.read("artifacts/_failed/ui/attempt-1/ui/ui.schema.yaml"), "pages: []\n");
        assert!(p
            .read(".factory/state.json")
            .contains(&format!("{}: [\n    \"bootstrap\"\n  ],", k("completedStages"))));
    }
}

#[test]
fn resume_is_refused_while_an_unauthorized_write_stays() {
    let paused = CAMEL.replacen("\"status\": \"running\"", "\"status\": \"paused\"", 1);
    for (name, state) in [("camelCase", paused.clone()), ("snake_case", snake(&paused))] {
        let p = Project::new(&state, true);
        write(&p.root, "artifacts/prd/sneaky.md", "mine\n");
        let before = p.snapshot();
        let (_, out, _) = p.run(&["status"]);
        assert!(out.contains("next:      the run waits for a person: clear unauthorized-write artifacts/prd/sneaky.md (tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code), then `tollgate recover resume`\n"), "{out}");
        let (code, out, err) = p.run(&["recover", "resume"]);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(err.starts_with("tollgate recover: refused: a person must clear this blocker first:\n  - unauthorized-write artifacts/prd/sneaky.md: "), "{err}");
        assert!(err.ends_with("nothing was changed\n"), "{err}");
        assert_eq!(p.snapshot(), before);

        assert_eq!(p.run(&["recover", "quarantine", "--path", "artifacts/prd/sneaky.md"]).0, 0);
        let (_, out, _) = p.run(&["status"]);
        assert!(out.contains("next:      the run waits for a person: `tollgate recover resume` goes on with stage `code` in the same attempt\n"), "{out}");
        let (code, out, _) = p.run(&["recover", "resume"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("Resume stage `code` in attempt 1 of 2 (no attempt spent)\n"), "{out}");
        let st = p.read(".factory/state.json");
        assert!(st.contains("\"status\": \"running\""), "{st}");
        assert!(st.contains("\"attempts\": 1\n    }\n  ]"), "{st}");
    }
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let no_history = "{\n  \"version\": 1,\n  \"status\": \"running\",\n  \"current_stage\": \"code\",\n  \"completed_stages\": [],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T09:00:00Z\"\n}\n";
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            CAMEL.to_string(),
            vec!["gate", "--stage", "tech"],
            "stage `tech` is not the current stage (the run is at `code`)",
        ),
        (
            CAMEL.to_string(),
            vec!["gate", "--stage", "deploy"],
            "the pipeline has no stage `deploy` (its stages: `bootstrap`",
        ),
        (no_history.to_string(), vec!["gate"], "has no history entry for stage `code`"),
        (CAMEL.replacen("\"running\"", "\"paused\"", 1), vec!["gate"], "the run is `paused`, not `running`"),
        (
            CAMEL.to_string(),
            vec!["recover", "resume"],
            "the run is `running`, not `paused`: there is nothing to resume",
        ),
        (CAMEL.to_string(), vec!["recover", "rollback", "--to", "deploy"], "the pipeline has no stage `deploy`"),
        (
            CAMEL.replace("\"lastCheckpoint\": \"tech\"", "\"lastCheckpoint\": null"),
            vec!["recover", "rollback"],
            "records no checkpoint",
        ),
    ];
    for (state, args, want) in cases {
        let p = Project::new(&state, false);
        let before = p.snapshot();
        let (code, out, err) = p.run(&args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(want) && err.contains("nothing was changed"), "{args:?}: {err}");
        assert_eq!(p.snapshot(), before, "{args:?}");
    }
    // A stage that declares no outputs.
    let p = Project::new(CAMEL, false);
    let text = p.read("pipeline.yaml").replacen(
        "    outputs:\n      - artifacts/backend/\n      - artifacts/client/\n",
        "    outputs: []\n",
        1,
    );
    write(&p.root, "pipeline.yaml", text);
    let before = p.snapshot();
    let (code, _, err) = p.run(&["gate"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("stage `code` declares no outputs in pipeline.yaml: the gate has nothing to check its exit by"),
        "{err}"
    );
    assert_eq!(p.snapshot(), before);
    // No factory root: a usage error.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(["gate"]).current_dir(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
