//! The failure policy through the server (issue 15): the gate offered on an
//! unauthorized write and on the current stage's id, with titles that say the
//! decision; `tollgate.gate`, `tollgate.rollback` and `tollgate.resume` run with
//! `workspace/executeCommand` (the test client applying `workspace/applyEdit` to
//! the files on disk), and the bytes on disk afterwards.

mod support;

use serde_json::Value;
use support::{action, find, titles, Enc, Project, TestServer, TIMEOUT};

fn state(p: &Project) -> Value {
    serde_json::from_str(&p.read(".factory/state.json")).unwrap()
}

fn stage_actions(s: &mut TestServer, p: &Project, stage: &str) -> Vec<Value> {
    let text = p.read("pipeline.yaml");
    let needle = format!("- id: {stage}\n");
    let (at, _) = find(&text, &needle, 0);
    let r = support::range(&text, (at + 6, at + 6 + stage.len()), s.encoding);
    s.code_actions(&p.uri("pipeline.yaml"), r, Vec::new())
}

#[test]
fn gate_retry_pass_rollback_and_resume_over_json_rpc() {
    let p = Project::example();
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    s.wait_for_watch_registration();
    s.wait_for_diagnostics(&p.uri("pipeline.yaml"), |pb| pb.has("output-outside-permissions"), TIMEOUT);

    // An unauthorized write: the gate is offered on it, and says it will retry.
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "secret\n");
    let uri = p.uri("artifacts/prd/sneaky.md");
    let d = s.wait_for_latest(&uri, |pb| pb.has("unauthorized-write")).one("unauthorized-write").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let retry =
        "Gate of stage `code`: fail, retry (copy attempt 1 to artifacts/_failed/code/attempt-1/, open attempt 2 of 2)";
    assert!(titles(&actions).contains(&retry.to_string()), "{:#?}", titles(&actions));
    let cmd = action(&actions, retry)["command"].clone();
    assert_eq!(cmd["command"], "tollgate.gate");
    assert_eq!(cmd["arguments"][0]["title"], retry);
    let r = s.execute(&cmd).unwrap_or_else(|e| panic!("gate: {e}"));
    assert_eq!(r["done"], retry, "{r}");
    assert!(!p.exists("artifacts/prd/sneaky.md"));
    assert_eq!(p.read("artifacts/_untrusted/code/prd/sneaky.md"), "secret\n");
    // The attempt is copied; the originals stay for attempt 2.
    assert_eq!(p.read("artifacts/_failed/code/attempt-1/client/src/App.tsx"), p.read("artifacts/client/src/App.tsx"));
    let st = state(&p);
    assert_eq!(st["status"], "running");
    let h = st["stageHistory"].as_array().unwrap();
    assert_eq!((h[h.len() - 2]["status"].as_str(), h[h.len() - 2]["attempts"].as_u64()), (Some("failed"), Some(1)));
    assert_eq!((h[h.len() - 1]["status"].as_str(), h[h.len() - 1]["attempts"].as_u64()), (Some("running"), Some(2)));
    assert!(p.read("pipeline/error.log").contains("Stage: code\nAttempt: 1/2\nStatus: RETRYING\n"));
    s.wait_for_latest(&uri, |pb| !pb.has("unauthorized-write"));

    // On the stage's id: the gate now passes. A write after the action was offered
    // changes the decision: the old command refuses and changes nothing.
    s.wait_for_no(&p.uri("artifacts/prd/sneaky.md"), "unauthorized-write");
    let pass = "Gate of stage `code`: pass, record the checkpoint (attempt 2 of 2)";
    let actions = stage_actions(&mut s, &p, "code");
    assert!(titles(&actions).contains(&pass.to_string()), "{:#?}", titles(&actions));
    let pass_cmd = action(&actions, pass)["command"].clone();
    s.write_file(&p.path("artifacts/tech/extra.md"), "x\n");
    s.wait_for_latest(&p.uri("artifacts/tech/extra.md"), |pb| pb.has("unauthorized-write"));
    let before = p.snapshot();
    let e = s.execute(&pass_cmd).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with(&format!("the decision changed since it was offered (\"{pass}\"); now: \"Gate of stage `code`: fail, pause for a person")), "{e}");
    assert_eq!(p.snapshot(), before);
    s.remove_file(&p.path("artifacts/tech/extra.md"));
    s.wait_for_no(&p.uri("artifacts/tech/extra.md"), "unauthorized-write");
    let r = s.execute(&pass_cmd).unwrap_or_else(|e| panic!("pass: {e}"));
    assert_eq!(r["done"], pass);
    let st = state(&p);
    assert_eq!(st["status"], "waiting_for_confirmation");
    assert_eq!(st["lastCheckpoint"], "code");
    assert_eq!(st["completedStages"], serde_json::json!(["bootstrap", "prd", "ui", "tech", "code"]));

    // Roll back to `ui` from its id: ui, tech and code are archived, bootstrap and prd stay.
    let actions = stage_actions(&mut s, &p, "ui");
    let back = "Roll back to `ui`: archive the outputs of `ui`, `tech`, `code`, re-execute from there (attempt 2 of 2)";
    assert!(titles(&actions).contains(&back.to_string()), "{:#?}", titles(&actions));
    assert_eq!(action(&actions, back)["command"]["command"], "tollgate.rollback");
    let schema = p.read("artifacts/backend/prisma/schema.prisma");
    s.execute(&action(&actions, back)["command"]).unwrap_or_else(|e| panic!("rollback: {e}"));
    for gone in ["artifacts/ui/ui.schema.yaml", "artifacts/tech/tech.md", "artifacts/backend", "artifacts/client"] {
        assert!(!p.exists(gone), "{gone}");
    }
    assert_eq!(p.read("artifacts/_failed/tech/attempt-1/backend/prisma/schema.prisma"), schema);
    assert!(p.exists("artifacts/prd/prd.md") && p.exists("input/idea.md"));
    let st = state(&p);
    assert_eq!((st["currentStage"].as_str(), st["status"].as_str()), (Some("ui"), Some("running")));
    assert_eq!(st["completedStages"], serde_json::json!(["bootstrap", "prd"]));
    assert!(p.read("pipeline/error.log").contains("Status: ROLLED BACK\n"));

    // Paused with an unauthorized write in place: resume is shown greyed, with the list.
    let mut paused = state(&p);
    paused["status"] = "paused".into();
    s.write_file(&p.path(".factory/state.json"), serde_json::to_string_pretty(&paused).unwrap() + "\n");
    s.write_file(&p.path("artifacts/prd/late.md"), "late\n");
    s.wait_for_latest(&p.uri("artifacts/prd/late.md"), |pb| pb.has("unauthorized-write"));
    let actions = stage_actions(&mut s, &p, "ui");
    let resume = action(&actions, "Resume the paused run");
    let reason = resume["disabled"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("a person must clear this blocker first:\n  - unauthorized-write artifacts/prd/late.md: "),
        "{reason}"
    );
    s.remove_file(&p.path("artifacts/prd/late.md"));
    s.wait_for_no(&p.uri("artifacts/prd/late.md"), "unauthorized-write");
    let actions = stage_actions(&mut s, &p, "ui");
    let title = "Resume stage `ui` in attempt 2 of 2 (no attempt spent)";
    let r = s.execute(&action(&actions, title)["command"]).unwrap_or_else(|e| panic!("resume: {e}"));
    assert_eq!(r["done"], title);
    assert_eq!(state(&p)["status"], "running");
    s.shutdown_and_exit();
}

#[test]
fn resume_and_rollback_are_offered_on_a_failed_stage() {
    let p = Project::example();
    let paused = r#"{
  "version": 1,
  "status": "paused",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": ["code"],
  "stageHistory": [
    {"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z", "attempts": 2}
  ],
  "lastCheckpoint": "tech"
}
"#;
    p.write(".factory/state.json", paused);
    support::set_old_mtime(&p.path(".factory/state.json"));
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    let uri = p.uri(".factory/state.json");
    let d = s.wait_for_diagnostics(&uri, |pb| pb.has("stage-failed"), TIMEOUT).one("stage-failed").clone();
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d]);
    let resume = "Resume stage `code` in attempt 2 of 2 (no attempt spent)";
    let back = "Roll back to `tech`: archive the outputs of `tech`, `code`, re-execute from there (attempt 1 of 2)";
    let t = titles(&actions);
    assert!(t.contains(&resume.to_string()) && t.contains(&back.to_string()), "{t:#?}");
    assert_eq!(action(&actions, resume)["diagnostics"][0]["code"], "stage-failed");
    let r = s.execute(&action(&actions, resume)["command"]).unwrap_or_else(|e| panic!("resume: {e}"));
    assert_eq!(r["done"], resume);
    let st = state(&p);
    assert_eq!((st["status"].as_str(), st["failedStages"].clone()), (Some("running"), serde_json::json!([])));
    let h = &st["stageHistory"][0];
    assert_eq!((h["status"].as_str(), h["attempts"].as_u64(), h.get("endTime")), (Some("running"), Some(2), None));
    s.shutdown_and_exit();
}
