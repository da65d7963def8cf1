use std::path::{Path, PathBuf};

use super::*;

const RUNNING: &str = r#"{"status": "running", "currentStage": "code", "completedStages": []}"#;

/// The real fixture with stage `code` in the given state, and a few artifacts on disk.
fn factory(state: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = std::fs::canonicalize(t.path()).expect("canonical");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
    for f in ["pipeline.yaml", "policies/capability.matrix.md"] {
        std::fs::create_dir_all(dir.join(f).parent().unwrap()).unwrap();
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    for d in [".factory", ".git", "artifacts/prd", "artifacts/backend/src", "input"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join(".factory/state.json"), state).unwrap();
    std::fs::write(dir.join("artifacts/prd/prd.md"), "# PRD\n").unwrap();
    std::fs::write(dir.join("README.md"), "hi\n").unwrap();
    (t, dir)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_running_stage_box_is_its_matrix_row_and_the_control_folders() {
    let (_t, dir) = factory(RUNNING);
    let b = shell_box(Root::at(&dir).unwrap()).unwrap().expect("a running stage");
    assert_eq!(b.stage, "code");
    assert_eq!(
        b.write,
        strings(&[
            ".factory",
            "artifacts/_failed",
            "artifacts/_untrusted",
            "artifacts/backend",
            "artifacts/client",
            "pipeline"
        ])
    );
    assert_eq!(b.read_only, strings(&[".factory/scope.yaml"]));
    assert!(b.widened.is_empty());
}

#[test]
fn closed_is_everything_on_disk_outside_the_box_and_not_on_the_way_to_it() {
    let (_t, dir) = factory(RUNNING);
    let b = shell_box(Root::at(&dir).unwrap()).unwrap().unwrap();
    // `.git` is left to the agent; `artifacts` is on the way to the box, so only
    // its other entries close; `artifacts/client` does not exist and closes nothing.
    assert_eq!(
        b.closed(&dir),
        strings(&[
            ".codex",
            ".factory/scope.yaml",
            ".gemini",
            "README.md",
            "artifacts/prd",
            "input",
            "pipeline.yaml",
            "policies"
        ])
    );
}

#[test]
fn a_symlink_on_the_way_is_closed_not_followed() {
    let (_t, dir) = factory(RUNNING);
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("backend")).unwrap();
    std::fs::remove_dir_all(dir.join("artifacts")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("artifacts")).unwrap();
    let b = shell_box(Root::at(&dir).unwrap()).unwrap().unwrap();
    let closed = b.closed(&dir);
    assert!(closed.contains(&"artifacts".to_string()), "{closed:?}");
    assert!(!closed.iter().any(|c| c.starts_with("artifacts/")), "{closed:?}");
}

#[test]
fn a_wildcard_rule_is_held_as_its_literal_directory_and_said_so() {
    let (_t, dir) = factory(RUNNING);
    let p = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    let code = "  - id: code\n";
    let at = p.find(code).expect("stage code") + code.len();
    let mut p2 = p.clone();
    p2.insert_str(
        at,
        "    permissions:\n      write:\n        - \"artifacts/code/**/*.ts\"\n        - artifacts/notes.md\n",
    );
    std::fs::write(dir.join("pipeline.yaml"), p2).unwrap();
    let b = shell_box(Root::at(&dir).unwrap()).unwrap().unwrap();
    assert!(b.write.contains(&"artifacts/code".to_string()), "{:?}", b.write);
    assert!(b.write.contains(&"artifacts/notes.md".to_string()), "{:?}", b.write);
    assert!(!b.write.contains(&"artifacts/backend".to_string()), "permissions.write replaces the row: {:?}", b.write);
    assert_eq!(b.widened, vec![("artifacts/code/**/*.ts".to_string(), "artifacts/code".to_string())]);
}

#[test]
fn no_box_without_an_active_run_and_an_error_for_a_broken_state() {
    let (_t, dir) = factory(r#"{"status": "completed", "currentStage": "code"}"#);
    assert_eq!(shell_box(Root::at(&dir).unwrap()).unwrap(), None);
    let (_t2, dir2) = factory(RUNNING);
    std::fs::write(dir2.join("policies/capability.matrix.md"), [0xff, 0xfe, 0x00]).unwrap();
    let err = shell_box(Root::at(&dir2).unwrap()).unwrap_err();
    assert!(err.contains("capability.matrix.md cannot be read"), "{err}");
}

#[test]
fn inside_is_by_whole_segments() {
    assert!(inside("artifacts/backend/a.ts", "artifacts/backend"));
    assert!(inside("artifacts/backend", "artifacts/backend"));
    assert!(!inside("artifacts/backend2", "artifacts/backend"));
    assert!(inside("anything", ""));
}
