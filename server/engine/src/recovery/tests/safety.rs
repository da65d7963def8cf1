//! Fails whole or succeeds whole; hostile arguments change nothing.

use super::*;

fn failing_at(n: usize) -> impl FnMut(usize, &Step) -> std::io::Result<()> {
    move |i, _| if i == n { Err(std::io::Error::other("injected fault")) } else { Ok(()) }
}

#[test]
fn a_fault_part_way_undoes_every_completed_move() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let before = fx.snapshot();
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    assert_eq!(plan.fs_steps().count(), 5);
    for n in 1..5 {
        let e = apply_fs_ops_with(&fx.root.dir, &plan, &mut failing_at(n)).err().unwrap();
        assert!(e.undone && e.message.contains("injected fault") && e.message.contains("nothing changed"), "{e}");
        assert_eq!(fx.snapshot(), before, "after a fault at step {n}");
    }
}

#[test]
fn a_file_that_vanishes_mid_plan_fails_the_action_whole() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    // Someone moves the client away between planning and carrying out.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(fx.path("artifacts/client"), elsewhere.path().join("client")).unwrap();
    let before = fx.snapshot();
    let e = fx.apply(&plan).unwrap_err();
    assert!(e.message.contains("could not move artifacts/client") && e.undone, "{e}");
    assert_eq!(fx.snapshot(), before);
    assert_eq!(fx.read(".factory/state.json"), STATE_CODE_RUNNING);
    assert!(!fx.exists("pipeline/error.log"));
}

#[test]
fn a_destination_taken_after_planning_is_never_overwritten() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("artifacts/prd/sneaky.md", "mine\n");
    let plan = fx.plan(|env| plan_quarantine(env, "artifacts/prd/sneaky.md", None)).unwrap();
    fx.write("artifacts/_untrusted/code/prd/sneaky.md", "already here\n");
    let before = fx.snapshot();
    let e = fx.apply(&plan).unwrap_err();
    assert!(e.message.contains("already exists"), "{e}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn a_failing_text_edit_moves_everything_back() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let before = fx.snapshot();
    let plan = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap();
    let files = DiskFiles { root: &fx.root.dir };
    let e = apply_with(&fx.root.dir, &plan, &files, &mut |_| Err("the client rejected the edit".into())).unwrap_err();
    assert!(e.message.starts_with("the client rejected the edit; every move was undone"), "{e}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn a_stale_view_is_refused() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let plan = fx.plan(|env| plan_return_to_build(env, "code")).unwrap();
    // The server's check against the hash it saw when it computed the diagnostic.
    assert!(plan.expect(".factory/state.json", &sha256_hex(STATE_CODE_RUNNING.as_bytes())).is_ok());
    let e = plan.expect(".factory/state.json", &sha256_hex(b"older")).unwrap_err();
    assert!(e.0.contains("changed since the diagnostic was computed"), "{e}");
    let changed = STATE_CODE_RUNNING.replace("\"running\",\n  \"currentStage\"", "\"paused\",\n  \"currentStage\"");
    fx.write(".factory/state.json", &changed);
    let e = fx.apply(&plan).unwrap_err();
    assert!(e.message.starts_with(".factory/state.json changed since the action was planned"), "{e}");
    assert_eq!(fx.read(".factory/state.json"), changed);
    // A buffer view: the server passes its own `Files` over open documents.
    assert_eq!(plan.stale(&DiskFiles { root: &fx.root.dir }), [".factory/state.json"]);
}

#[test]
fn a_destination_that_is_a_file_is_refused_before_anything_moves() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("artifacts/_failed/code", "not a folder\n");
    let before = fx.snapshot();
    let e = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap_err();
    assert!(e.0.contains("artifacts/_failed/code exists and is not a directory"), "{e}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn hostile_arguments_change_nothing() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write("artifacts/prd/sneaky.md", "x\n");
    let before = fx.snapshot();
    let cases: Vec<(Result<Plan, Refusal>, &str)> = vec![
        (fx.plan(|env| plan_quarantine(env, "../outside.md", None)), "`..`"),
        (fx.plan(|env| plan_quarantine(env, "artifacts/../../x", None)), "`..`"),
        (fx.plan(|env| plan_quarantine(env, "/etc/passwd", None)), "absolute"),
        (fx.plan(|env| plan_quarantine(env, "artifacts/prd/sneaky.md", Some("deploy"))), "no stage `deploy`"),
        (fx.plan(|env| plan_archive_attempt(env, "deploy")), "no stage `deploy`"),
        (fx.plan(|env| plan_archive_attempt(env, "../code")), "no stage"),
        (fx.plan(|env| plan_return_to_build(env, "")), "no stage"),
    ];
    for (r, want) in cases {
        let e = r.unwrap_err();
        assert!(e.0.contains(want), "{e} lacks {want}");
    }
    assert_eq!(fx.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_artifacts_folder_pointing_outside_is_refused() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("prd")).unwrap();
    std::fs::write(outside.path().join("prd/sneaky.md"), "x\n").unwrap();
    let real = fx.path("artifacts");
    let kept = tempfile::tempdir().unwrap();
    std::fs::rename(&real, kept.path().join("artifacts")).unwrap();
    std::os::unix::fs::symlink(outside.path(), &real).unwrap();
    let before = fx.snapshot();
    let e = fx.plan(|env| plan_quarantine(env, "artifacts/prd/sneaky.md", None)).unwrap_err();
    assert!(e.0.contains("outside the factory root"), "{e}");
    let e = fx.plan(|env| plan_archive_attempt(env, "code")).unwrap_err();
    assert!(e.0.contains("outside the factory root"), "{e}");
    assert_eq!(fx.snapshot(), before);
    assert_eq!(std::fs::read_to_string(outside.path().join("prd/sneaky.md")).unwrap(), "x\n");
}
