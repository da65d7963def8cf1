use super::*;

fn error_block(attempt: &str, error_type: &str, message: &str, folder: &str, extra: &str) -> String {
    format!(
        "============================================
ERROR REPORT
============================================
Timestamp: 2026-01-29T10:30:00Z
Stage: code
Attempt: {attempt}
Status: FAILED

Error Type: {error_type}
Error Message: {message}

Exit Criteria Failed:
  - [ ] 后端可启动且无重大错误
  - [ ] 客户端可渲染并访问
  - [ ] 未引入额外的认证或无关功能

Failed Artifacts Moved To:
  {folder}

Recommended Action:
  1. Return to Build: re-open stage code and fix on top of the archived attempt
{extra}============================================
"
    )
}

#[test]
fn archives_attempt_1_then_attempt_2_copying_the_shared_schema() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    assert_eq!(plan.title, "Archive attempt 1 of stage `code` to artifacts/_failed/code/attempt-1/");
    let a1 = "artifacts/_failed/code/attempt-1";
    let fs: Vec<_> = plan.fs_steps().cloned().collect();
    assert_eq!(
        fs,
        [
            Step::CreateDir { path: a1.into() },
            Step::Move { from: "artifacts/backend/package.json".into(), to: format!("{a1}/backend/package.json") },
            Step::Copy {
                from: "artifacts/backend/prisma/schema.prisma".into(),
                to: format!("{a1}/backend/prisma/schema.prisma"),
            },
            Step::Move { from: "artifacts/backend/src".into(), to: format!("{a1}/backend/src") },
            Step::Move { from: "artifacts/client".into(), to: format!("{a1}/client") },
        ]
    );
    fx.apply(&plan).unwrap();

    // Moved with their relative paths; tech's schema copied and still in place.
    assert_eq!(fx.read(&format!("{a1}/backend/src/server.ts")), "console.log('up');\n");
    assert_eq!(fx.read(&format!("{a1}/backend/package.json")), "{}\n");
    assert_eq!(fx.read(&format!("{a1}/client/src/App.tsx")), "export const App = () => null;\n");
    assert_eq!(fx.read(&format!("{a1}/backend/prisma/schema.prisma")), "model User { id Int @id }\n");
    assert_eq!(fx.read("artifacts/backend/prisma/schema.prisma"), "model User { id Int @id }\n");
    assert!(!fx.exists("artifacts/backend/src") && !fx.exists("artifacts/client"));

    let v: serde_json::Value = serde_json::from_str(&fx.read(".factory/state.json")).unwrap();
    assert_eq!(v["status"], "failed");
    assert_eq!(v["currentStage"], "code");
    assert_eq!(v["failedStages"], serde_json::json!(["code"]));
    assert_eq!(v["completedStages"], serde_json::json!(["bootstrap", "prd", "ui", "tech"]));
    assert_eq!(
        v["stageHistory"][1],
        serde_json::json!({"stageId": "code", "status": "failed", "startTime": "2026-01-29T09:00:00Z", "attempts": 1, "endTime": NOW})
    );
    assert_eq!(v["updatedAt"], NOW);
    let msg = "attempt 1 of stage code was archived before it met its exit criteria";
    let first = error_block("1/2", "Stage Failed", msg, "artifacts/_failed/code/attempt-1/", "");
    assert_eq!(fx.read("pipeline/error.log"), first);

    // The agent tries again and fails: attempt-2, with the client missing this time.
    fx.write("artifacts/backend/src/server.ts", "console.log('up again');\n");
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    assert_eq!(plan.title, "Archive attempt 2 of stage `code` to artifacts/_failed/code/attempt-2/");
    fx.apply(&plan).unwrap();
    assert_eq!(fx.read("artifacts/_failed/code/attempt-2/backend/src/server.ts"), "console.log('up again');\n");
    assert_eq!(fx.read("artifacts/_failed/code/attempt-1/backend/src/server.ts"), "console.log('up');\n");
    let second = error_block(
        "2/2",
        "Missing Output",
        "artifacts/client/ does not exist",
        "artifacts/_failed/code/attempt-2/",
        "  2. The retry limit is reached (2/2): a person decides before another attempt\n",
    );
    assert_eq!(fx.read("pipeline/error.log"), format!("{first}\n{second}"));
    let v: serde_json::Value = serde_json::from_str(&fx.read(".factory/state.json")).unwrap();
    assert_eq!(v["failedStages"], serde_json::json!(["code"]));

    // The log's paths link to the archive folders.
    let log = fx.read("pipeline/error.log");
    let blocks = parse_error_log(&log);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[1].paths[0].range.slice(&log), "artifacts/_failed/code/attempt-2/");
}

#[test]
fn a_later_stage_copies_what_code_owns_and_moves_its_own() {
    let mut state: serde_json::Value = serde_json::from_str(STATE_CODE_RUNNING).unwrap();
    state["completedStages"] = serde_json::json!(["bootstrap", "prd", "ui", "tech", "code"]);
    state["currentStage"] = "validation".into();
    let fx = Fx::new(&serde_json::to_string_pretty(&state).unwrap());
    fx.write("artifacts/validation/report.md", "# report\n");
    let plan = fx.plan(|env| plan_archive_attempt(env, "validation")).unwrap();
    fx.apply(&plan).unwrap();
    let a = "artifacts/_failed/validation/attempt-1";
    assert_eq!(fx.read(&format!("{a}/validation/report.md")), "# report\n");
    assert!(!fx.exists("artifacts/validation/report.md"));
    assert_eq!(fx.read(&format!("{a}/backend/src/server.ts")), fx.read("artifacts/backend/src/server.ts"));
    assert_eq!(fx.read(&format!("{a}/client/src/App.tsx")), fx.read("artifacts/client/src/App.tsx"));
    let v: serde_json::Value = serde_json::from_str(&fx.read(".factory/state.json")).unwrap();
    assert_eq!(v["failedStages"], serde_json::json!(["validation"]));
    let h = v["stageHistory"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        h,
        serde_json::json!({"stageId": "validation", "status": "failed", "startTime": NOW, "endTime": NOW, "attempts": 1})
    );
}

#[test]
fn attempt_numbers_go_up_past_existing_folders() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("artifacts/_failed/code/attempt-7/old.txt", "old\n");
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    assert!(plan.title.contains("attempt-8/"), "{}", plan.title);
    fx.apply(&plan).unwrap();
    assert_eq!(fx.read("artifacts/_failed/code/attempt-7/old.txt"), "old\n");
    assert!(fx.exists("artifacts/_failed/code/attempt-8/client/src/App.tsx"));
}
