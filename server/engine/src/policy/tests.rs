//! The policy's plans on a copy of the real fixture, bytes on disk asserted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::diagnostic::{Code, Diagnostic, Finding};
use crate::recovery::{apply_fs_ops_with, apply_to_disk, DiskFiles, Env, Plan, Step};
use crate::root::Root;
use tollgate_text::TextRange;

const NOW: &str = "2026-01-29T10:30:00Z";

/// Stage `code` running after `tech` completed, as the orchestrator spells a state
/// (camelCase); one file for the policy, recovery and gate tests.
const STATE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/states/code-running.json"));

const FILES: &[(&str, &str)] = &[
    ("input/idea.md", "# idea\n"),
    ("artifacts/prd/prd.md", "# PRD\n"),
    ("artifacts/ui/ui.schema.yaml", "pages: []\n"),
    ("artifacts/ui/preview.web/index.html", "<html></html>\n"),
    ("artifacts/tech/tech.md", "# tech\n"),
    ("artifacts/backend/prisma/schema.prisma", "model User { id Int @id }\n"),
    ("artifacts/backend/src/server.ts", "console.log('up');\n"),
    ("artifacts/client/src/App.tsx", "export const App = () => null;\n"),
];

struct Fx {
    _dir: tempfile::TempDir,
    root: Root,
}

impl Fx {
    fn new(state: &str) -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
        std::fs::create_dir_all(base.join("policies")).unwrap();
        std::fs::copy(fixture.join("pipeline.yaml"), base.join("pipeline.yaml")).unwrap();
        std::fs::copy(fixture.join("policies/capability.matrix.md"), base.join("policies/capability.matrix.md"))
            .unwrap();
        let fx = Fx { root: Root::at(&base).unwrap(), _dir: dir };
        for (p, t) in FILES {
            fx.write(p, t);
        }
        fx.write(".factory/state.json", state);
        fx
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.dir.join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.path(rel)).is_ok()
    }

    fn env<T>(&self, f: impl FnOnce(&Env) -> T) -> T {
        let files = DiskFiles { root: &self.root.dir };
        f(&Env { root: &self.root, files: &files, now: UNIX_EPOCH + Duration::from_secs(1_769_682_600) })
    }

    fn gate(&self, findings: &[Finding]) -> Gate {
        self.env(|env| plan_gate(env, None, findings)).unwrap()
    }

    fn apply(&self, plan: &Plan) {
        apply_to_disk(&self.root.dir, plan).unwrap();
    }

    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.root.dir, &self.root.dir, &mut out);
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
            walk(root, &p, out);
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

fn unauthorized(path: &str) -> Finding {
    let d =
        Diagnostic::new(Code::UnauthorizedWrite, TextRange::new(0, 1), format!("{path} is outside code's permissions"))
            .with_stage("code");
    Finding { path: Arc::from(path), diagnostic: d }
}

/// The files under `prefix`, with their bytes, keys relative to `prefix`.
fn under(snap: &BTreeMap<String, Vec<u8>>, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    snap.iter()
        .filter(|(k, _)| !k.ends_with('/'))
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|r| (r.to_string(), v.clone())))
        .collect()
}

#[test]
fn a_pass_records_the_checkpoint() {
    let fx = Fx::new(STATE);
    let g = fx.gate(&[]);
    assert_eq!(g.outcome, Outcome::Pass);
    assert_eq!((g.attempt, g.max_attempts, g.next_stage.as_deref()), (1, 2, Some("validation")));
    assert_eq!(g.plan.title, "Gate of stage `code`: pass, record the checkpoint (attempt 1 of 2)");
    let before = fx.snapshot();
    fx.apply(&g.plan);
    let want = STATE
        .replace("\"running\",\n  \"currentStage\"", "\"waiting_for_confirmation\",\n  \"currentStage\"")
        .replace("    \"tech\"\n  ],", "    \"tech\",\n    \"code\"\n  ],")
        .replace(
            "\"status\": \"running\",\n      \"startTime\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 1\n",
            &format!("\"status\": \"completed\",\n      \"startTime\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 1,\n      \"endTime\": \"{NOW}\"\n"),
        )
        .replace("\"lastCheckpoint\": \"tech\"", "\"lastCheckpoint\": \"code\"")
        .replace("\"updatedAt\": \"2026-01-29T09:00:00Z\"", &format!("\"updatedAt\": \"{NOW}\""));
    assert_eq!(fx.read(".factory/state.json"), want);
    // Nothing else changed: no report for a pass.
    let mut after = fx.snapshot();
    after.remove(".factory/state.json");
    let mut b = before;
    b.remove(".factory/state.json");
    assert_eq!(after, b);
}

#[test]
fn a_failed_first_attempt_is_copied_and_attempt_two_opens() {
    let fx = Fx::new(STATE);
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    let before = fx.snapshot();
    let g = fx.gate(&[]);
    assert_eq!(g.outcome, Outcome::Retry);
    assert_eq!(g.archive.as_deref(), Some("artifacts/_failed/code/attempt-1"));
    assert_eq!(
        g.plan.title,
        "Gate of stage `code`: fail, retry (copy attempt 1 to artifacts/_failed/code/attempt-1/, open attempt 2 of 2)"
    );
    assert_eq!(g.exit.task(), ["declared output `artifacts/client/` does not exist: produce it"]);
    fx.apply(&g.plan);
    let after = fx.snapshot();
    // The originals are byte-identical and the copy holds the same bytes.
    for (k, v) in &before {
        if k != ".factory/state.json" {
            assert_eq!(after.get(k), Some(v), "{k}");
        }
    }
    let backend = under(&before, "artifacts/").into_iter().filter(|(k, _)| k.starts_with("backend/")).collect();
    assert_eq!(under(&after, "artifacts/_failed/code/attempt-1/"), backend);
    let state = fx.read(".factory/state.json");
    assert!(state.contains(&format!("\"status\": \"failed\",\n      \"startTime\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 1,\n      \"endTime\": \"{NOW}\",\n      \"error\": \"artifacts/client/ does not exist\"\n")), "{state}");
    assert!(state.contains(&format!("{{\n      \"stageId\": \"code\",\n      \"status\": \"running\",\n      \"startTime\": \"{NOW}\",\n      \"attempts\": 2\n    }}")), "{state}");
    assert!(state.contains("\"status\": \"running\",\n  \"currentStage\": \"code\""));
    let log = fx.read("pipeline/error.log");
    assert!(log.contains("Stage: code\nAttempt: 1/2\nStatus: RETRYING\n\nError Type: Missing Output\nError Message: artifacts/client/ does not exist\n"), "{log}");
    assert!(log.contains("Failed Artifacts Moved To:\n  artifacts/_failed/code/attempt-1/\n"), "{log}");
    assert!(log.contains("  1. Retry: attempt 2 of 2 of stage code is open; fix on top of the existing artifacts (artifacts/backend/); attempt 1 is kept in artifacts/_failed/code/attempt-1/\n  2. declared output `artifacts/client/` does not exist: produce it\n"), "{log}");
}

#[test]
fn a_failed_last_attempt_is_moved_and_the_run_pauses() {
    let fx = Fx::new(&STATE.replace("\"attempts\": 1\n    }\n  ]", "\"attempts\": 2\n    }\n  ]"));
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    let before = fx.snapshot();
    let g = fx.gate(&[]);
    assert_eq!((g.outcome, g.attempt), (Outcome::Pause, 2));
    assert_eq!(g.archive.as_deref(), Some("artifacts/_failed/code/attempt-2"));
    fx.apply(&g.plan);
    let after = fx.snapshot();
    // Every byte accounted for: backend moved whole except tech's schema, which is copied.
    let moved = under(&after, "artifacts/_failed/code/attempt-2/");
    assert_eq!(moved, under(&before, "artifacts/").into_iter().filter(|(k, _)| k.starts_with("backend/")).collect());
    assert!(!fx.exists("artifacts/backend/src/server.ts"));
    assert_eq!(fx.read("artifacts/backend/prisma/schema.prisma"), "model User { id Int @id }\n");
    let state = fx.read(".factory/state.json");
    assert!(state.contains("\"status\": \"paused\""), "{state}");
    assert!(
        state.contains("\"failedStages\": [\n    \"code\"\n  ]") || state.contains("\"failedStages\": [\"code\"]"),
        "{state}"
    );
    let log = fx.read("pipeline/error.log");
    assert!(log.contains("Attempt: 2/2\nStatus: FAILED\n"), "{log}");
    assert!(log.contains("  1. Produce artifacts/client/ (a declared output of stage code)\n  2. Then return to Build (the retry limit is reached (2/2)): `tollgate recover return-to-build --stage code` opens attempt 3, overriding the retry limit of 2\n"), "{log}");
}

#[test]
fn unauthorized_writes_are_quarantined_first_and_count_as_the_failure() {
    let fx = Fx::new(STATE);
    fx.write("artifacts/prd/sneaky.md", "mine\n");
    let g = fx.gate(&[unauthorized("artifacts/prd/sneaky.md")]);
    assert_eq!(g.outcome, Outcome::Retry);
    assert_eq!(
        g.quarantined,
        [("artifacts/prd/sneaky.md".to_string(), "artifacts/_untrusted/code/prd/sneaky.md".to_string())]
    );
    assert_eq!(
        g.plan.steps[0],
        Step::Move { from: "artifacts/prd/sneaky.md".into(), to: "artifacts/_untrusted/code/prd/sneaky.md".into() }
    );
    fx.apply(&g.plan);
    assert_eq!(fx.read("artifacts/_untrusted/code/prd/sneaky.md"), "mine\n");
    assert!(!fx.exists("artifacts/prd/sneaky.md"));
    let log = fx.read("pipeline/error.log");
    assert!(log.contains("Error Type: Unauthorized Write\nError Message: artifacts/prd/sneaky.md was written outside the stage's write permissions\n"), "{log}");
    assert!(log.contains("  artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.md\n  artifacts/_failed/code/attempt-1/\n"), "{log}");
    assert!(fx.read(".factory/state.json").contains("\"attempts\": 2"));
}

#[test]
fn on_failure_pause_and_max_attempts_three() {
    let fx = Fx::new(STATE);
    let pipeline = fx.read("pipeline.yaml");
    fx.write("pipeline.yaml", &pipeline.replacen("  mode: checkpoint\n", "  mode: checkpoint\n  max_attempts: 3\n", 1));
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    let two = STATE.replace("\"attempts\": 1\n    }\n  ]", "\"attempts\": 2\n    }\n  ]");
    fx.write(".factory/state.json", &two);
    let g = fx.gate(&[]);
    assert_eq!((g.outcome, g.attempt, g.max_attempts), (Outcome::Retry, 2, 3));
    // validation says `on_failure: action: pause`: its first failure pauses.
    let v = STATE
        .replace("\"currentStage\": \"code\"", "\"currentStage\": \"validation\"")
        .replace("    \"tech\"\n  ],", "    \"tech\",\n    \"code\"\n  ],")
        .replace(
            "\"stageId\": \"code\",\n      \"status\": \"running\"",
            "\"stageId\": \"validation\",\n      \"status\": \"running\"",
        );
    fx.write(".factory/state.json", &v);
    fx.write("artifacts/client/src/App.tsx", "x\n");
    let g = fx.gate(&[]);
    assert_eq!((g.outcome, g.attempt, g.max_attempts), (Outcome::Pause, 1, 3));
    assert!(g.exit.missing.iter().map(|m| m.path.as_str()).eq(["artifacts/validation/report.md"]));
    let last = g.plan.steps.last().unwrap();
    let Step::CreateFile { text, .. } = last else { panic!("{last:?}") };
    assert!(text.contains("Then return to Build (on_failure: pause): `tollgate recover return-to-build --stage validation` opens attempt 2 of 3"), "{text}");
    // Pausing validation moves nothing that code (completed) owns: backend and client are copied.
    assert!(g.plan.steps.iter().all(|s| !matches!(s, Step::Move { .. })), "{:?}", g.plan.steps);
}

#[test]
fn snake_case_stays_snake_case() {
    let snake = STATE
        .replace("currentStage", "current_stage")
        .replace("completedStages", "completed_stages")
        .replace("failedStages", "failed_stages")
        .replace("stageHistory", "stage_history")
        .replace("stageId", "stage_id")
        .replace("startTime", "start_time")
        .replace("endTime", "end_time")
        .replace("lastCheckpoint", "last_checkpoint")
        .replace("createdAt", "started_at")
        .replace("updatedAt", "last_updated");
    let fx = Fx::new(&snake);
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    fx.apply(&fx.gate(&[]).plan);
    let state = fx.read(".factory/state.json");
    for camel in ["stageId", "startTime", "endTime", "updatedAt", "currentStage", "stageHistory"] {
        assert!(!state.contains(camel), "{camel} in {state}");
    }
    assert!(
        state.contains(&format!("\"end_time\": \"{NOW}\"")) && state.contains(&format!("\"last_updated\": \"{NOW}\""))
    );
    assert!(state.contains(&format!("{{\n      \"stage_id\": \"code\",\n      \"status\": \"running\",\n      \"start_time\": \"{NOW}\",\n      \"attempts\": 2\n    }}")), "{state}");
    assert!(state.contains("\"completed_stages\": [\n    \"bootstrap\",\n"), "{state}");
    // Only what changes is rewritten, in the file's own spelling and layout.
    let want = snake
        .replace(
            "\"status\": \"running\",\n      \"start_time\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 1\n    }",
            &format!("\"status\": \"failed\",\n      \"start_time\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 1,\n      \"end_time\": \"{NOW}\",\n      \"error\": \"artifacts/client/ does not exist\"\n    }},\n    {{\n      \"stage_id\": \"code\",\n      \"status\": \"running\",\n      \"start_time\": \"{NOW}\",\n      \"attempts\": 2\n    }}"),
        )
        .replace("\"last_updated\": \"2026-01-29T09:00:00Z\"", &format!("\"last_updated\": \"{NOW}\""));
    assert_eq!(state, want);
}

#[test]
fn rollback_to_the_checkpoint_and_to_an_earlier_stage() {
    let fx = Fx::new(STATE);
    let before = fx.snapshot();
    let plan = fx.env(|env| plan_rollback(env, None)).unwrap();
    assert_eq!(
        plan.title,
        "Roll back to `tech`: archive the outputs of `tech`, `code`, re-execute from there (attempt 2 of 2)"
    );
    fx.apply(&plan);
    let after = fx.snapshot();
    assert_eq!(
        under(&after, "artifacts/_failed/tech/attempt-1/"),
        under(&before, "artifacts/")
            .into_iter()
            .filter(|(k, _)| k.starts_with("tech/") || k == "backend/prisma/schema.prisma")
            .collect()
    );
    assert_eq!(
        under(&after, "artifacts/_failed/code/attempt-1/"),
        under(&before, "artifacts/")
            .into_iter()
            .filter(|(k, _)| k.starts_with("client/") || k == "backend/src/server.ts")
            .collect()
    );
    // Earlier stages stay whole.
    for f in ["input/idea.md", "artifacts/prd/prd.md", "artifacts/ui/ui.schema.yaml"] {
        assert_eq!(after.get(f), before.get(f), "{f}");
    }
    let state = fx.read(".factory/state.json");
    assert!(state.contains("\"currentStage\": \"tech\""), "{state}");
    assert!(state.contains("\"completedStages\": [\n    \"bootstrap\",\n    \"prd\",\n    \"ui\"\n  ],"), "{state}");
    assert!(state.contains("\"lastCheckpoint\": \"ui\""), "{state}");
    assert!(state.contains(&format!("\"stageId\": \"tech\",\n      \"status\": \"running\",\n      \"startTime\": \"{NOW}\",\n      \"attempts\": 2")), "{state}");
    assert!(fx.read("pipeline/error.log").contains("Stage: code\nAttempt: 1/2\nStatus: ROLLED BACK\n"));

    let fx = Fx::new(STATE);
    let plan = fx.env(|env| plan_rollback(env, Some("prd"))).unwrap();
    fx.apply(&plan);
    assert!(fx.exists("input/idea.md"));
    assert_eq!(fx.read("artifacts/_failed/prd/attempt-1/prd/prd.md"), "# PRD\n");
    assert_eq!(fx.read("artifacts/_failed/ui/attempt-1/ui/preview.web/index.html"), "<html></html>\n");
    assert!(fx.read(".factory/state.json").contains("\"completedStages\": [\n    \"bootstrap\"\n  ],"));
}

/// Planning reads through `Files` (no way to write), so a refusal cannot change
/// anything here; the bytes on disk after a refusal are checked through the CLI
/// (`server/cli/tests/gate.rs`). These are the refusals' texts.
#[test]
fn refusals_say_why() {
    let fx = Fx::new(STATE);
    let e = fx.env(|env| plan_rollback(env, Some("preview"))).unwrap_err();
    assert!(e.0.contains("comes after the current stage `code`"), "{e}");
    let e = fx.env(|env| plan_gate(env, Some("tech"), &[])).unwrap_err();
    assert!(e.0.starts_with("stage `tech` is not the current stage (the run is at `code`)"), "{e}");
    let e = fx.env(|env| plan_gate(env, Some("deploy"), &[])).unwrap_err();
    assert!(e.0.contains("no stage `deploy`"), "{e}");
    let e = fx.env(|env| plan_resume(env, &[])).unwrap_err();
    assert_eq!(e.0, "the run is `running`, not `paused`: there is nothing to resume");
}

#[test]
fn resume_reopens_the_same_attempt_and_refuses_while_a_write_stays() {
    let fx = Fx::new(
        &STATE.replace("\"status\": \"running\",\n  \"currentStage\"", "\"status\": \"paused\",\n  \"currentStage\""),
    );
    let e = fx.env(|env| plan_resume(env, &[unauthorized("artifacts/prd/sneaky.md")])).unwrap_err();
    assert_eq!(e.0, "a person must clear this blocker first:\n  - unauthorized-write artifacts/prd/sneaky.md: artifacts/prd/sneaky.md is outside code's permissions");
    let plan = fx.env(|env| plan_resume(env, &[])).unwrap();
    assert_eq!(plan.title, "Resume stage `code` in attempt 1 of 2 (no attempt spent)");
    fx.apply(&plan);
    assert_eq!(
        fx.read(".factory/state.json"),
        STATE.replace("\"updatedAt\": \"2026-01-29T09:00:00Z\"", &format!("\"updatedAt\": \"{NOW}\""))
    );
}

#[test]
fn after_a_gate_pause_resume_reopens_the_closed_attempt() {
    let fx = Fx::new(&STATE.replace("\"attempts\": 1\n    }\n  ]", "\"attempts\": 2\n    }\n  ]"));
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    fx.apply(&fx.gate(&[]).plan);
    fx.apply(&fx.env(|env| plan_resume(env, &[])).unwrap());
    let state = fx.read(".factory/state.json");
    assert!(state.contains("\"status\": \"running\",\n  \"currentStage\""), "{state}");
    assert!(state.contains("\"failedStages\": []"), "{state}");
    assert!(state.contains("\"status\": \"running\",\n      \"startTime\": \"2026-01-29T09:00:00Z\",\n      \"attempts\": 2,\n      \"error\""), "{state}");
    assert!(!state.contains("\"endTime\": \"2026-01-29T10:30:00Z\""), "{state}");
}

/// Each command fails whole at every step, or succeeds whole.
#[test]
fn a_fault_at_every_step_changes_nothing() {
    type MakePlan = Box<dyn Fn(&Fx) -> Plan>;
    let plans: Vec<(&str, MakePlan)> = vec![
        ("retry", Box::new(|fx: &Fx| fx.gate(&[unauthorized("artifacts/prd/sneaky.md")]).plan)),
        (
            "pause",
            Box::new(|fx: &Fx| {
                fx.write(
                    ".factory/state.json",
                    &STATE.replace("\"attempts\": 1\n    }\n  ]", "\"attempts\": 2\n    }\n  ]"),
                );
                fx.gate(&[unauthorized("artifacts/prd/sneaky.md")]).plan
            }),
        ),
        ("rollback", Box::new(|fx: &Fx| fx.env(|env| plan_rollback(env, Some("prd"))).unwrap())),
    ];
    for (name, make) in plans {
        let fx = Fx::new(STATE);
        fx.write("artifacts/prd/sneaky.md", "mine\n");
        let plan = make(&fx);
        let before = fx.snapshot();
        let n = plan.fs_steps().count();
        assert!(n >= 3, "{name}: {:?}", plan.steps);
        for k in 0..n {
            let mut fail =
                |i: usize, _: &Step| if i == k { Err(std::io::Error::other("injected fault")) } else { Ok(()) };
            let e = apply_fs_ops_with(&fx.root.dir, &plan, &mut fail).err().unwrap();
            assert!(e.undone && e.message.contains("injected fault"), "{name} at {k}: {e}");
            assert_eq!(fx.snapshot(), before, "{name}: after a fault at step {k}");
        }
        // A text write refused after the moves: everything moves back.
        let files = DiskFiles { root: &fx.root.dir };
        let e = crate::recovery::apply_with(&fx.root.dir, &plan, &files, &mut |_| Err("refused".into())).unwrap_err();
        assert!(e.undone, "{name}: {e}");
        assert_eq!(fx.snapshot(), before, "{name}");
    }
}

#[test]
fn resume_and_a_pass_fail_whole_when_the_text_write_fails() {
    let paused =
        STATE.replace("\"status\": \"running\",\n  \"currentStage\"", "\"status\": \"paused\",\n  \"currentStage\"");
    for (state, resume) in [(paused.as_str(), true), (STATE, false)] {
        let fx = Fx::new(state);
        let plan = if resume { fx.env(|env| plan_resume(env, &[])).unwrap() } else { fx.gate(&[]).plan };
        assert_eq!(plan.fs_steps().count(), 0);
        let before = fx.snapshot();
        let files = DiskFiles { root: &fx.root.dir };
        let e = crate::recovery::apply_with(&fx.root.dir, &plan, &files, &mut |_| Err("disk full".into())).unwrap_err();
        assert!(e.undone && e.message.starts_with("disk full"), "{e}");
        assert_eq!(fx.snapshot(), before);
    }
}

#[test]
fn a_vanished_file_or_a_taken_destination_fails_whole() {
    let fx = Fx::new(STATE);
    fx.write("artifacts/prd/sneaky.md", "mine\n");
    let plan = fx.gate(&[unauthorized("artifacts/prd/sneaky.md")]).plan;
    fx.write("artifacts/_failed/code/attempt-1/backend/package.json", "taken\n");
    let before = fx.snapshot();
    let e = apply_to_disk(&fx.root.dir, &plan).unwrap_err();
    assert!(e.undone && e.message.contains("attempt-1"), "{e}");
    assert_eq!(fx.snapshot(), before);

    let fx = Fx::new(STATE);
    let plan = fx.env(|env| plan_rollback(env, None)).unwrap();
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    let before = fx.snapshot();
    let e = apply_to_disk(&fx.root.dir, &plan).unwrap_err();
    assert!(e.undone && e.message.contains("could not move artifacts/client"), "{e}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn on_failure_rollback_returns_to_the_checkpoint_or_pauses_without_one() {
    let fx = Fx::new(STATE);
    let pipeline = fx.read("pipeline.yaml");
    let with = pipeline.replacen(
        "\n  - id: validation\n",
        "\n    on_failure:\n      action: rollback\n\n  - id: validation\n",
        1,
    );
    assert_ne!(with, pipeline);
    fx.write("pipeline.yaml", &with);
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    let g = fx.gate(&[]);
    assert_eq!((g.outcome, g.next_stage.as_deref()), (Outcome::Rollback, Some("tech")));
    assert_eq!(g.plan.title, "Gate of stage `code`: fail, roll back to `tech` (on_failure: rollback; attempt 1 of 2)");
    fx.apply(&g.plan);
    assert_eq!(fx.read("artifacts/_failed/tech/attempt-1/tech/tech.md"), "# tech\n");
    assert_eq!(fx.read("artifacts/_failed/code/attempt-1/backend/src/server.ts"), "console.log('up');\n");
    let state = fx.read(".factory/state.json");
    assert!(state.contains("\"currentStage\": \"tech\"") && state.contains("\"lastCheckpoint\": \"ui\""), "{state}");
    let log = fx.read("pipeline/error.log");
    assert!(log.contains("Stage: code\nAttempt: 1/2\nStatus: ROLLED BACK\n\nError Type: Missing Output\n"), "{log}");

    let fx = Fx::new(&STATE.replace("\"lastCheckpoint\": \"tech\"", "\"lastCheckpoint\": null"));
    fx.write("pipeline.yaml", &with);
    std::fs::remove_dir_all(fx.path("artifacts/client")).unwrap();
    assert_eq!(fx.gate(&[]).outcome, Outcome::Pause);
}
