use super::*;

const STATE_CODE_FAILED: &str = r#"{
  "version": "1.0",
  "status": "failed",
  "currentStage": "code",
  "completedStages": [
    "bootstrap",
    "prd",
    "ui",
    "tech"
  ],
  "failedStages": [
    "code"
  ],
  "stageHistory": [
    {
      "stageId": "code",
      "status": "failed",
      "startTime": "2026-01-29T09:00:00Z",
      "endTime": "2026-01-29T09:30:00Z",
      "attempts": 2,
      "error": "client missing"
    }
  ],
  "lastCheckpoint": "tech",
  "createdAt": "2026-01-29T07:00:00Z",
  "updatedAt": "2026-01-29T09:30:00Z"
}
"#;

#[test]
fn reopens_a_failed_stage_past_the_retry_limit() {
    let fx = Fx::new(STATE_CODE_FAILED);
    let plan = fx.plan(|env| plan_return_to_build(env, "code")).unwrap();
    assert_eq!(
        plan.title,
        "Return to Build: re-open stage `code` (a person overrides the retry limit: attempt 3 of 2)"
    );
    assert_eq!(plan.steps.len(), 1);
    let before = fx.snapshot();
    fx.apply(&plan).unwrap();
    let expected = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": [
    "bootstrap",
    "prd",
    "ui",
    "tech"
  ],
  "failedStages": [],
  "stageHistory": [
    {
      "stageId": "code",
      "status": "failed",
      "startTime": "2026-01-29T09:00:00Z",
      "endTime": "2026-01-29T09:30:00Z",
      "attempts": 2,
      "error": "client missing"
    },
    {
      "stageId": "code",
      "status": "running",
      "startTime": "2026-01-29T10:30:00Z",
      "attempts": 3
    }
  ],
  "lastCheckpoint": "tech",
  "createdAt": "2026-01-29T07:00:00Z",
  "updatedAt": "2026-01-29T10:30:00Z"
}
"#;
    assert_eq!(fx.read(".factory/state.json"), expected);
    // Only state.json changed; the artifacts are kept (fix on top of what exists).
    let after = fx.snapshot();
    let changed: Vec<_> = after.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
    assert_eq!(changed, [".factory/state.json"]);
}

#[test]
fn returning_to_an_earlier_stage_reopens_it_and_drops_later_ones() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let plan = fx.plan(|env| plan_return_to_build(env, "ui")).unwrap();
    assert_eq!(plan.title, "Return to Build: re-open stage `ui` (attempt 1 of 2)");
    fx.apply(&plan).unwrap();
    let v: serde_json::Value = serde_json::from_str(&fx.read(".factory/state.json")).unwrap();
    assert_eq!(v["status"], "running");
    assert_eq!(v["currentStage"], "ui");
    assert_eq!(v["completedStages"], serde_json::json!(["bootstrap", "prd"]));
    assert_eq!(v["lastCheckpoint"], "prd");
    let last = v["stageHistory"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last, serde_json::json!({"stageId": "ui", "status": "running", "startTime": NOW, "attempts": 1}));
}

#[test]
fn keeps_the_snake_case_spelling_of_factory_init() {
    let state = r#"{
  "version": 1,
  "status": "failed",
  "current_stage": "prd",
  "completed_stages": ["bootstrap"],
  "failed_stages": ["prd"],
  "stage_history": [{"stage_id": "prd", "status": "failed", "start_time": "2026-01-29T09:00:00Z", "attempts": 1}],
  "started_at": "2026-01-29T07:00:00Z",
  "last_updated": "2026-01-29T09:30:00Z"
}"#;
    let fx = Fx::new(state);
    let plan = fx.plan(|env| plan_return_to_build(env, "bootstrap")).unwrap();
    fx.apply(&plan).unwrap();
    let expected = r#"{
  "version": 1,
  "status": "running",
  "current_stage": "bootstrap",
  "completed_stages": [],
  "failed_stages": [],
  "stage_history": [{"stage_id": "prd", "status": "failed", "start_time": "2026-01-29T09:00:00Z", "attempts": 1}, {"stage_id": "bootstrap", "status": "running", "start_time": "2026-01-29T10:30:00Z", "attempts": 1}],
  "started_at": "2026-01-29T07:00:00Z",
  "last_updated": "2026-01-29T10:30:00Z",
  "last_checkpoint": null
}"#;
    assert_eq!(fx.read(".factory/state.json"), expected);
}

#[test]
fn refuses_unknown_and_unreached_stages() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let before = fx.snapshot();
    let e = fx.plan(|env| plan_return_to_build(env, "deploy")).unwrap_err();
    assert!(e.0.contains("no stage `deploy`") && e.0.contains("`code`"), "{e}");
    let e = fx.plan(|env| plan_return_to_build(env, "preview")).unwrap_err();
    assert!(e.0.contains("not been reached"), "{e}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn the_state_edit_touches_only_what_differs() {
    let fx = Fx::new(STATE_CODE_FAILED);
    let plan = fx.plan(|env| plan_return_to_build(env, "code")).unwrap();
    let Step::Edit(e) = &plan.steps[0] else { panic!("{:?}", plan.steps) };
    assert_eq!(e.path, ".factory/state.json");
    // Only the values that change are rewritten, in place: the lines around them are untouched.
    let text = STATE_CODE_FAILED;
    assert!(e.edits.iter().all(|(r, _)| r.start > 20), "the unchanged head is kept: {:?}", e.edits);
    let after = crate::recovery::apply_edits(text, &e.edits);
    let expected = text
        .replace("\"status\": \"failed\",\n  \"current", "\"status\": \"running\",\n  \"current")
        .replace("\"failedStages\": [\n    \"code\"\n  ],", "\"failedStages\": [],")
        .replace(
            "\"client missing\"\n    }\n",
            "\"client missing\"\n    },\n    {\n      \"stageId\": \"code\",\n      \"status\": \"running\",\n      \"startTime\": \"2026-01-29T10:30:00Z\",\n      \"attempts\": 3\n    }\n",
        )
        .replace("\"updatedAt\": \"2026-01-29T09:30:00Z\"", "\"updatedAt\": \"2026-01-29T10:30:00Z\"");
    assert_eq!(after, expected);
    assert_eq!(
        plan.reads.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["pipeline.yaml", ".factory/state.json"]
    );
}

#[test]
fn attempts_counted_across_orchestrator_sessions() {
    // Two sessions, each recording its failed attempt as attempt 1.
    let state = r#"{
  "status": "failed",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": ["code"],
  "stageHistory": [
    {"stageId": "code", "status": "failed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:30:00Z", "attempts": 1},
    {"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:10:00Z", "attempts": 1}
  ]
}
"#;
    let fx = Fx::new(state);
    let plan = fx.plan(|env| plan_return_to_build(env, "code")).unwrap();
    assert_eq!(
        plan.title,
        "Return to Build: re-open stage `code` (a person overrides the retry limit: attempt 3 of 2)"
    );
    fx.apply(&plan).unwrap();
    assert!(
        fx.read(".factory/state.json").contains(
            "\"attempts\": 1},\n    {\"stageId\": \"code\", \"status\": \"running\", \"startTime\": \"2026-01-29T10:30:00Z\", \"attempts\": 3}\n  ]"
        ),
        "{}",
        fx.read(".factory/state.json")
    );
}
