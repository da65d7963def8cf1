//! `tollgate/status` and `tollgate/statusChanged` over real JSON-RPC (SPEC
//! section 10): the answer is the `tollgate status --format json` object, for a
//! root or a document in it; a notification follows a change of the run, and
//! none follows an analysis that leaves the object as it was.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use support::{Enc, Project, TestServer, TIMEOUT};

fn cli_status(p: &Project) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["status", "--format", "json"])
        .current_dir(&p.root)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn status_answers_with_the_cli_object_and_follows_the_run() {
    let p = Project::example();
    p.git_init();
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    s.wait_for_watch_registration();
    s.wait_for_diagnostics(&p.uri("pipeline.yaml"), |pb| pb.has("output-outside-permissions"), TIMEOUT);

    let by_root = s.request("tollgate/status", json!({"root": p.root.display().to_string()})).unwrap();
    assert_eq!(by_root, cli_status(&p));
    assert_eq!((&by_root["stage"], &by_root["status"]), (&json!("code"), &json!("running")));
    let by_uri = s.request("tollgate/status", json!({"uri": p.uri("pipeline.yaml")})).unwrap();
    assert_eq!(by_uri, by_root);

    // An agent writes outside its permissions: the object changes, and is sent.
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "not yours\n");
    let changed = s.wait_for_notification("tollgate/statusChanged", 0, TIMEOUT);
    assert_eq!(changed["blockers"][0]["code"], "unauthorized-write", "{changed}");
    assert_eq!(changed["stages"][4]["blockers"], json!([0]));
    assert_eq!(changed, cli_status(&p));

    // A write that changes no finding: analysed, but nothing new to tell.
    // (Unchanged diagnostics are not published again, so there is no publish to wait
    // for: the write is analysed well within the wait; changes are sent once analyses
    // settle for 150 ms.)
    s.write_file(&p.path("artifacts/backend/src/routes.ts"), "export {};\n");
    std::thread::sleep(Duration::from_millis(800));
    let now = s.request("tollgate/status", json!({"root": p.root.display().to_string()})).unwrap();
    assert_eq!(now, changed, "the run's picture did not change");
    assert_eq!(s.notifications("tollgate/statusChanged").len(), 1);
}

#[test]
fn bad_params_get_an_invalid_params_error() {
    let p = Project::example();
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    let none = s.request("tollgate/status", json!({})).unwrap_err();
    assert_eq!(none["code"], -32602, "{none}");
    let elsewhere = tempfile::tempdir().unwrap();
    let nowhere = s.request("tollgate/status", json!({"root": elsewhere.path().display().to_string()})).unwrap_err();
    assert_eq!(nowhere["code"], -32602, "{nowhere}");
    assert!(nowhere["message"].as_str().unwrap().ends_with("no factory root here or above"), "{nowhere}");
    let not_file = s.request("tollgate/status", json!({"uri": "untitled:Untitled-1"})).unwrap_err();
    assert_eq!(not_file["code"], -32602, "{not_file}");
}

#[test]
fn a_burst_of_writes_is_told_once_it_settles() {
    let p = Project::example();
    p.git_init();
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).start();
    s.wait_for_watch_registration();
    s.wait_for_diagnostics(&p.uri("pipeline.yaml"), |pb| pb.has("output-outside-permissions"), TIMEOUT);
    s.request("tollgate/status", json!({"root": p.root.display().to_string()})).unwrap();
    // Six writes outside the stage's permissions, one analysis each.
    for i in 0..6 {
        s.write_file(&p.path(&format!("artifacts/prd/stray-{i}.md")), "x\n");
    }
    s.wait_for_latest(&p.uri("artifacts/prd/stray-5.md"), |pb| pb.has("unauthorized-write"));
    let deadline = std::time::Instant::now() + TIMEOUT;
    // The last notification carries all six; fewer notifications than analyses were sent.
    loop {
        let sent = s.notifications("tollgate/statusChanged");
        let last = sent.last().cloned().unwrap_or(Value::Null);
        let n =
            last["blockers"].as_array().map_or(0, |b| b.iter().filter(|b| b["code"] == "unauthorized-write").count());
        if n == 6 {
            assert!(sent.len() < 6, "{} notifications for 6 analyses", sent.len());
            assert_eq!(last, cli_status(&p));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no notification with the six writes: {sent:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
