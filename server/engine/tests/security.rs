//! Security review (issue 7, item 4): every path the engine writes or moves, and
//! every `git` it runs. Nothing is written outside the factory root, symlinks are
//! never followed out of it, and nothing a workspace file says is executed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use tollgate_engine::recovery::{
    apply_to_disk, plan_archive_attempt, plan_expand_scope, plan_quarantine, plan_return_to_build, DiskFiles, Env,
    Plan, ScopeRequest, Step,
};
use tollgate_engine::root::Root;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// A temp dir holding `ws/` (the example project) and `outside/` (must stay untouched).
fn setup() -> (tempfile::TempDir, Root, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let ws = t.path().join("ws");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example"), &ws);
    let outside = t.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "outside\n").unwrap();
    (t, Root::at(&ws).unwrap(), outside)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let bytes = std::fs::read(&e).unwrap_or_default();
        out.push(format!("{} {}", e.strip_prefix(dir).unwrap().display(), bytes.len()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        v.push(p.clone());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            v.extend(walk(&p));
        }
    }
    v
}

fn env(root: &Root) -> (DiskFiles<'_>, SystemTime) {
    (DiskFiles { root: &root.dir }, SystemTime::now())
}

/// Every path a plan names is relative, clean and inside the root.
fn assert_plan_paths_inside(plan: &Plan) {
    for s in &plan.steps {
        let paths: Vec<&str> = match s {
            Step::CreateDir { path } | Step::CreateFile { path, .. } => vec![path],
            Step::Move { from, to } | Step::Copy { from, to } => vec![from, to],
            Step::Edit(e) => vec![&e.path],
        };
        for p in paths {
            assert!(!p.starts_with('/') && !p.split('/').any(|s| s == ".."), "{p} in {plan:?}");
        }
    }
}

fn set_outputs(root: &Root, stage: &str, outputs: &[&str]) {
    let path = root.dir.join("pipeline.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find(&format!("id: {stage}\n")).expect("stage");
    let rest = &text[at..];
    let o = at + rest.find("outputs:").expect("outputs");
    let line_end = o + text[o..].find('\n').unwrap();
    // Replace the outputs list: a flow list on the `outputs:` line, the old items left as a comment-free block removed.
    let mut end = line_end + 1;
    while text[end..].starts_with("      - ") {
        end += text[end..].find('\n').unwrap() + 1;
    }
    let list = outputs.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(", ");
    let new = format!("{}outputs: [{list}]\n{}", &text[..o], &text[end..]);
    std::fs::write(&path, new).unwrap();
}

#[test]
fn pipeline_outputs_leading_out_are_refused_by_archive() {
    for bad in ["../../etc/passwd", "/etc/passwd", "artifacts/../../x", "C:/x", "~/x"] {
        let (_t, root, outside) = setup();
        set_outputs(&root, "code", &[bad]);
        let before = listing(&outside);
        let (files, now) = env(&root);
        let e = Env { root: &root, files: &files, now };
        let r = plan_archive_attempt(&e, "code");
        assert!(r.is_err(), "{bad}: planned {r:?}");
        assert_eq!(listing(&outside), before);
    }
}

#[test]
fn hostile_stage_ids_and_quarantine_paths_are_refused() {
    let (_t, root, _) = setup();
    let (files, now) = env(&root);
    let e = Env { root: &root, files: &files, now };
    for bad in [
        "../outside/keep.txt",
        "/etc/passwd",
        "artifacts/../../outside/keep.txt",
        "a\\..\\b",
        "~/x",
        ".factory/state.json",
        "pipeline.yaml",
    ] {
        assert!(plan_quarantine(&e, bad, None).is_err(), "{bad}");
    }
    for stage in ["../x", "a/b", "..", "", "code\0"] {
        assert!(plan_archive_attempt(&e, stage).is_err(), "{stage:?}");
        assert!(plan_return_to_build(&e, stage).is_err(), "{stage:?}");
    }
    for pat in ["../x", "/etc/**", "~/x", "C:/x", "!x", "a\\b", "a/\n/b"] {
        let req = ScopeRequest { path: pat, ops: vec![], reason: None };
        assert!(plan_expand_scope(&e, &req).is_err(), "{pat:?}");
    }
}

#[test]
fn state_json_paths_never_become_places_to_write() {
    // stageHistory outputs with absolute and `..` paths, a hostile currentStage: the
    // plans still only name paths inside the root.
    let (_t, root, outside) = setup();
    let state = root.dir.join(".factory/state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    let text = text.replacen(
        "\"attempts\": 1}\n  ]",
        "\"attempts\": 1, \"outputs\": [\"/etc/passwd\", \"../../outside/keep.txt\"]}\n  ]",
        1,
    );
    std::fs::write(&state, text.replace("\"currentStage\": \"code\"", "\"currentStage\": \"../../outside\"")).unwrap();
    let before = listing(&outside);
    let (files, now) = env(&root);
    let e = Env { root: &root, files: &files, now };
    assert!(
        plan_quarantine(&e, "artifacts/prd/prd.md", None).is_err(),
        "the current stage is no stage of the pipeline"
    );
    let plan = plan_archive_attempt(&e, "code").unwrap();
    assert_plan_paths_inside(&plan);
    apply_to_disk(&root.dir, &plan).unwrap();
    let plan = plan_return_to_build(&e, "code").unwrap();
    assert_plan_paths_inside(&plan);
    apply_to_disk(&root.dir, &plan).unwrap();
    assert_eq!(listing(&outside), before);
}

#[test]
fn matrix_paths_leading_out_are_findings() {
    let (_t, root, _) = setup();
    let path = root.dir.join("policies/capability.matrix.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let row = text.lines().find(|l| l.contains("code")).expect("code row").to_string();
    let cells: Vec<&str> = row.split('|').collect();
    let mut hostile = cells.clone();
    hostile[3] = " `/etc`, `../outside/` ";
    std::fs::write(&path, text.replace(&row, &hostile.join("|"))).unwrap();
    let (snap, _) = tollgate_engine::analysis::Snapshot::load(root.clone());
    let findings = snap.analyze(&tollgate_engine::fs_view::DiskFs::new(&root.dir), &[], None, &Default::default());
    let bad: Vec<_> = findings.iter().filter(|f| f.diagnostic.code.as_str() == "matrix-malformed").collect();
    assert!(bad.len() >= 2, "{findings:?}");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_never_followed_by_moves() {
    use std::os::unix::fs::symlink;
    let (_t, root, outside) = setup();
    // artifacts/_failed leads outside: archive must refuse, not write there.
    std::fs::create_dir_all(root.dir.join("artifacts")).unwrap();
    symlink(&outside, root.dir.join("artifacts/_failed")).unwrap();
    symlink(&outside, root.dir.join("artifacts/_untrusted")).unwrap();
    std::fs::write(root.dir.join("artifacts/sneaky.md"), "x").unwrap();
    let before = listing(&outside);
    let (files, now) = env(&root);
    let e = Env { root: &root, files: &files, now };
    assert!(plan_archive_attempt(&e, "code").is_err());
    assert!(plan_quarantine(&e, "artifacts/sneaky.md", None).is_err());
    // A file reached through a link that leads out is never moved.
    symlink(&outside, root.dir.join("artifacts/link")).unwrap();
    assert!(plan_quarantine(&e, "artifacts/link/keep.txt", None).is_err());
    assert_eq!(listing(&outside), before);
}

#[cfg(unix)]
#[test]
fn text_files_under_a_directory_linked_out_are_never_written() {
    use std::os::unix::fs::symlink;
    // `pipeline/` (where error.log is created) and `.factory/` (state.json, scope.yaml,
    // evidence.jsonl) as links to a folder outside the root.
    for linked in ["pipeline", ".factory"] {
        let (_t, root, outside) = setup();
        let real = root.dir.join(linked);
        if real.exists() {
            copy_tree(&real, &outside);
            std::fs::remove_dir_all(&real).unwrap();
        }
        symlink(&outside, &real).unwrap();
        std::fs::write(root.dir.join("artifacts/sneaky.md"), "x").unwrap();
        let before = listing(&outside);
        let (files, now) = env(&root);
        let e = Env { root: &root, files: &files, now };
        let plans = [
            plan_quarantine(&e, "artifacts/sneaky.md", Some("code")),
            plan_archive_attempt(&e, "code"),
            plan_return_to_build(&e, "code"),
            plan_expand_scope(&e, &ScopeRequest { path: "artifacts/x/**", ops: vec![], reason: None }),
        ];
        for plan in plans.into_iter().flatten() {
            let touches = plan.steps.iter().any(|s| match s {
                Step::Edit(e) => e.path.starts_with(linked),
                Step::CreateFile { path, .. } => path.starts_with(linked),
                _ => false,
            });
            let r = apply_to_disk(&root.dir, &plan);
            assert!(!touches || r.is_err(), "{linked}: `{}` wrote through the link", plan.title);
        }
        assert_eq!(listing(&outside), before, "{linked}: something was written outside the root");
        assert!(root.dir.join("artifacts/sneaky.md").exists());
    }
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git_repo() -> Option<(tempfile::TempDir, Root, PathBuf)> {
    let (t, root, outside) = setup();
    if !git(&root.dir, &["init", "-q"]) {
        return None; // no git here
    }
    git(&root.dir, &["add", "-A"]);
    git(&root.dir, &["commit", "-q", "-m", "base"]);
    Some((t, root, outside))
}

#[test]
fn a_scope_base_commit_never_becomes_a_git_option() {
    let Some((_t, root, outside)) = git_repo() else { return };
    let marker = outside.join("x");
    for base in [format!("--output={}", marker.display()), "-h".into(), "--exec-path".into(), "HEAD --output=/x".into()]
    {
        let scope = format!("version: 1\nid: s\nrevision: 1\nbase: {{commit: \"{base}\"}}\nallow: []\n");
        std::fs::write(root.dir.join(".factory/scope.yaml"), scope).unwrap();
        let facts = tollgate_engine::changes::GitFacts::gather(&root, Some(&base)).expect("git facts");
        assert_eq!(facts.scope_base_found, Some(false), "{base}");
        let _ = tollgate_engine::changes::changed_paths(&root, Some(&facts), None);
        assert!(!marker.exists(), "{base} was taken as an option");
    }
}

#[test]
fn repository_config_never_runs_a_command() {
    // core.fsmonitor and filter drivers are commands in .git/config (a workspace file an
    // agent can write); `git status` would run them.
    let Some((_t, root, outside)) = git_repo() else { return };
    let fsmonitor = outside.join("fsmonitor-ran");
    let clean = outside.join("clean-ran");
    let script = outside.join("hook.sh");
    std::fs::write(&script, "#!/bin/sh\ntouch \"$1\"\ncat\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    git(&root.dir, &["config", "core.fsmonitor", &format!("{} {}", script.display(), fsmonitor.display())]);
    git(&root.dir, &["config", "filter.evil.clean", &format!("{} {}", script.display(), clean.display())]);
    std::fs::write(root.dir.join(".gitattributes"), "* filter=evil\n").unwrap();
    // Same size, new contents and time: git must read the file to know whether it changed.
    std::fs::write(root.dir.join("artifacts/prd/prd.md"), "# PRX\n").unwrap();
    let facts = tollgate_engine::changes::GitFacts::gather(&root, None).expect("git facts");
    let found = tollgate_engine::changes::changed_paths(&root, Some(&facts), None);
    let _ = tollgate_engine::changes::status_of(&root, Some(&facts), None, "artifacts/prd/prd.md");
    assert!(!found.is_empty());
    assert!(!fsmonitor.exists(), "core.fsmonitor from .git/config was executed");
    assert!(!clean.exists(), "a clean filter from .git/config was executed");
}
