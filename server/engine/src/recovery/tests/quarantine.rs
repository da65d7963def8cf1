use super::*;

#[test]
fn quarantines_to_the_stage_folder_never_overwriting() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("artifacts/prd/sneaky.md", "one\n");
    let plan = fx.plan(|env| plan_quarantine(env, "artifacts/prd/sneaky.md", None)).unwrap();
    assert_eq!(plan.title, "Quarantine artifacts/prd/sneaky.md to artifacts/_untrusted/code/prd/sneaky.md");
    fx.apply(&plan).unwrap();
    assert_eq!(fx.read("artifacts/_untrusted/code/prd/sneaky.md"), "one\n");
    assert!(!fx.exists("artifacts/prd/sneaky.md"));
    let v: serde_json::Value = serde_json::from_str(&fx.read(".factory/state.json")).unwrap();
    assert_eq!(v["status"], "paused");
    assert_eq!(v["currentStage"], "code");
    let first = "============================================
ERROR REPORT
============================================
Timestamp: 2026-01-29T10:30:00Z
Stage: code
Attempt: 1/2
Status: PAUSED

Error Type: Unauthorized Write
Error Message: artifacts/prd/sneaky.md was written outside the write permissions of stage code

Failed Artifacts Moved To:
  artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.md

Recommended Action:
  1. A person decides: keep artifacts/prd/sneaky.md out, grant stage code write access, or change the agent's instructions
  2. Then resume stage code
============================================
";
    assert_eq!(fx.read("pipeline/error.log"), first);

    for (text, place) in [("two\n", "sneaky.2.md"), ("three\n", "sneaky.3.md")] {
        fx.write("artifacts/prd/sneaky.md", text);
        let plan = fx.plan(|env| plan_quarantine(env, "./artifacts/prd/sneaky.md", Some("code"))).unwrap();
        fx.apply(&plan).unwrap();
        assert_eq!(fx.read(&format!("artifacts/_untrusted/code/prd/{place}")), text);
    }
    assert_eq!(fx.read("artifacts/_untrusted/code/prd/sneaky.md"), "one\n");
    let log = fx.read("pipeline/error.log");
    let blocks = parse_error_log(&log);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[2].paths[1].range.slice(&log), "artifacts/_untrusted/code/prd/sneaky.3.md");
}

#[test]
fn paths_outside_artifacts_keep_their_whole_path() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("notes/Makefile", "all:\n");
    let plan = fx.plan(|env| plan_quarantine(env, "notes/Makefile", Some("prd"))).unwrap();
    fx.apply(&plan).unwrap();
    assert_eq!(fx.read("artifacts/_untrusted/prd/notes/Makefile"), "all:\n");
    fx.write("notes/Makefile", "again:\n");
    let plan = fx.plan(|env| plan_quarantine(env, "notes/Makefile", Some("prd"))).unwrap();
    fx.apply(&plan).unwrap();
    assert_eq!(fx.read("artifacts/_untrusted/prd/notes/Makefile.2"), "again:\n");
}

#[test]
fn refuses_governance_files_directories_and_missing_files() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let before = fx.snapshot();
    for (path, why) in [
        ("pipeline.yaml", "governance"),
        (".factory/state.json", "governance"),
        ("artifacts/client", "directory"),
        ("artifacts/nope.md", "does not exist"),
    ] {
        let e = fx.plan(|env| plan_quarantine(env, path, None)).unwrap_err();
        assert!(e.0.contains(why), "{path}: {e}");
    }
    assert_eq!(fx.snapshot(), before);
}
