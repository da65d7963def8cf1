//! Tests of the state checks.

use crate::checks::pipeline::tests::FakeFs;
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Fix, Severity};
use crate::fs_view::FsView;
use crate::model::{pipeline, state};

const PIPELINE: &str = "pipeline:\n  max_attempts: 2\nstages:\n  - id: bootstrap\n    agent: a.md\n    outputs: [input/idea.md]\n  - id: prd\n    agent: a.md\n    outputs: [artifacts/prd/prd.md]\n  - id: code\n    agent: a.md\n    outputs: [artifacts/backend/, artifacts/client/]\n  - id: validation\n    agent: a.md\n    outputs: [artifacts/validation/report.md]\n";

/// (code, ranged text, severity, message, range start) of each finding.
fn run(state_text: &str, fs: &dyn FsView) -> Vec<(Code, String, Severity, String, usize)> {
    let p = pipeline::load("pipeline.yaml", PIPELINE.into());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let s = state::load(".factory/state.json", state_text.into());
    let ctx = Context { pipeline: Some(&p), state: Some(&s), ..Context::bare(fs) };
    let mut sink = Sink::default();
    super::run(&ctx, &mut sink);
    sink.findings
        .into_iter()
        .map(|f| {
            assert_eq!(&*f.path, ".factory/state.json");
            let d = f.diagnostic;
            let (start, end) = (d.range.start as usize, d.range.end as usize);
            (d.code, state_text[start..end].to_string(), d.severity, d.message, start)
        })
        .collect()
}

fn all_outputs() -> FakeFs {
    FakeFs(vec![
        "input/idea.md",
        "artifacts/prd/prd.md",
        "artifacts/backend/a.ts",
        "artifacts/client/b.ts",
        "artifacts/validation/report.md",
    ])
}

#[test]
fn a_consistent_run_is_clean() {
    let text = r#"{"status": "running", "currentStage": "code", "completedStages": ["bootstrap", "prd"], "lastCheckpoint": "prd",
 "stageHistory": [{"stageId": "code", "status": "running", "attempts": 1}]}"#;
    assert_eq!(run(text, &all_outputs()), []);
}

#[test]
fn unknown_stages_with_did_you_mean() {
    let text = r#"{"status": "running", "currentStage": "cdoe", "completed_stages": ["bootstrap", "zzzzzzz"]}"#;
    let found = run(text, &all_outputs());
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1.as_str()), (Code::StateUnknownStage, "\"cdoe\""));
    assert!(
        found[0].3.contains("`currentStage` names stage `cdoe`") && found[0].3.contains("did you mean `code`"),
        "{}",
        found[0].3
    );
    assert_eq!((found[1].0, found[1].1.as_str()), (Code::StateUnknownStage, "\"zzzzzzz\""));
    assert!(!found[1].3.contains("did you mean"));
}

#[test]
fn inconsistencies() {
    let text = r#"{"status": "running", "currentStage": "prd", "completedStages": ["prd", "bootstrap", "prd"], "lastCheckpoint": "code"}"#;
    let found = run(text, &all_outputs());
    let brief: Vec<(Code, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    assert_eq!(
        brief,
        [
            (Code::StateInconsistent, "\"bootstrap\""),
            (Code::StateInconsistent, "\"prd\""),
            (Code::StateInconsistent, "\"code\""),
        ]
    );
    assert!(found[0].3.contains("lists stage `bootstrap` after `prd`") && found[0].3.contains("pipeline order"));
    // The repeat, not the first `prd`.
    assert_eq!(Some(found[1].4), text.find("\"prd\"]"));
    assert!(found[1].3.contains("twice"));
    assert!(found.iter().all(|f| f.2 == Severity::Error));
    assert!(found[2].3.contains("`lastCheckpoint` is stage `code`") && found[2].3.contains("not in `completedStages`"));
    // `prd` is running and completed: a re-run from its checkpoint, not an inconsistency.
    assert_eq!(found.len(), 3);
}

#[test]
fn missing_outputs_carry_their_repairs() {
    let text = "{\n  \"status\": \"running\",\n  \"current_stage\": \"validation\",\n  \"completed_stages\": [\"bootstrap\", \"prd\", \"code\"]\n}";
    let p = pipeline::load("pipeline.yaml", PIPELINE.into());
    let s = state::load(".factory/state.json", text.into());
    let fs = FakeFs(vec!["input/idea.md", "artifacts/backend/a.ts"]);
    let ctx = Context { pipeline: Some(&p), state: Some(&s), ..Context::bare(&fs) };
    let mut sink = Sink::default();
    super::run(&ctx, &mut sink);
    let found: Vec<_> = sink.findings.iter().map(|f| &f.diagnostic).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    let at = |r: tollgate_text::TextRange| &text[r.start as usize..r.end as usize];
    assert_eq!((found[0].code, at(found[0].range)), (Code::MissingOutput, "\"prd\""));
    assert!(found[0].message.contains("stage `prd`") && found[0].message.contains("`artifacts/prd/prd.md` is missing"));
    assert_eq!((found[1].code, at(found[1].range)), (Code::MissingOutput, "\"code\""));
    assert!(
        found[1].message.contains("outputs `artifacts/client/` are missing")
            || found[1].message.contains("output `artifacts/client/` is missing"),
        "{}",
        found[1].message
    );
    assert_eq!(found[1].data.stage.as_deref(), Some("code"));
    assert_eq!(
        found[1].data.fixes,
        [Fix::ReturnToBuild { stage: "code".into() }, Fix::ArchiveAttempt { stage: "code".into() }]
    );
}

#[test]
fn failed_stage_and_retry_limit() {
    let text = r#"{"status": "running", "currentStage": "code", "completedStages": ["bootstrap", "prd"],
 "stageHistory": [
  {"stageId": "code", "status": "failed", "attempts": 1},
  {"stageId": "code", "status": "failed", "attempts": 2}
 ]}"#;
    let found = run(text, &all_outputs());
    let brief: Vec<(Code, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    assert_eq!(brief, [(Code::StageFailed, "\"code\""), (Code::RetryLimit, "2")]);
    // On the latest entry's stageId (no failedStages entry).
    let latest = text.rfind("\"stageId\": \"code\"").map(|i| i + "\"stageId\": ".len());
    assert_eq!(Some(found[0].4), latest);
    assert_eq!(Some(found[1].4), text.rfind("2}"));
    assert!(found[0].3.contains("stage `code` failed in its latest attempt") && found[0].3.contains("`running`"));
    assert!(found[1].3.contains("attempt 2 of 2") && found[1].3.contains("person"), "{}", found[1].3);
}

#[test]
fn failed_stages_entry_wins_and_pause_silences_retry_limit() {
    let text = r#"{"status": "paused", "currentStage": "code", "completedStages": ["bootstrap", "prd"], "failedStages": ["code"],
 "stageHistory": [{"stageId": "code", "status": "failed", "attempts": 2}]}"#;
    let found = run(text, &all_outputs());
    let brief: Vec<(Code, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    assert_eq!(brief, [(Code::StageFailed, "\"code\"")]);
    assert_eq!(Some(found[0].4), text.find("[\"code\"]").map(|i| i + 1));
    assert!(found[0].3.contains("is in `failedStages`"));
    assert_eq!(found[0].2, Severity::Error);
}

#[test]
fn idle_runs_report_no_failed_stage() {
    let text = r#"{"status": "idle", "failedStages": ["code"], "stageHistory": [{"stageId": "code", "status": "failed", "attempts": 2}]}"#;
    let found = run(text, &all_outputs());
    let brief: Vec<(Code, &str)> = found.iter().map(|f| (f.0, f.1.as_str())).collect();
    // Idle is neither paused nor failed: the retry limit still needs a person.
    assert_eq!(brief, [(Code::RetryLimit, "2")]);
}
