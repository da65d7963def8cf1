use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::analysis::Snapshot;
use crate::diagnostic::SeverityOverrides;
use crate::root::Root;

const STATE: &str = r#"{
  "version": 1,
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}]
}
"#;

const SCOPE: &str = "version: 1\nid: habit\nrevision: 1\nstage: code\nallow:\n  - path: \"artifacts/backend/src/**\"\n    ops: [create, modify]\n  - path: \"artifacts/client/**\"\nexclude:\n  - path: \"artifacts/backend/prisma/**\"\n";

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// The real fixture with stage `code` running (and, when asked, a scope), committed to git.
fn factory(scope: bool) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = std::fs::canonicalize(t.path()).expect("canonical");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
    copy_dir(&src, &dir);
    std::fs::create_dir_all(dir.join(".factory")).unwrap();
    std::fs::write(dir.join(".factory/state.json"), STATE).unwrap();
    if scope {
        std::fs::write(dir.join(".factory/scope.yaml"), SCOPE).unwrap();
    }
    for d in ["artifacts/prd", "artifacts/backend/src", "artifacts/backend/prisma"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("artifacts/prd/prd.md"), "# PRD\n").unwrap();
    std::fs::write(dir.join("artifacts/backend/src/app.ts"), "export {}\n").unwrap();
    std::fs::write(dir.join("artifacts/backend/prisma/schema.prisma"), "model A {}\n").unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base"]);
    (t, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn write_of(path: &Path, content: &str) -> Decision {
    let content = content.to_string();
    let after = move |_: Option<&str>| Ok(content.clone());
    decide(&ProposedWrite { path, delete: false, after: &after, cwd: None, cache: None }).expect("decided")
}

fn deny_code(d: &Decision) -> Option<Code> {
    match d {
        Decision::Deny(d) => Some(d.code),
        Decision::Allow(_) => None,
    }
}

/// What `tollgate check` reports about `rel` (and the rule files) once the write is on disk.
fn check_codes(dir: &Path, rel: &str) -> Vec<Code> {
    let (snap, errors) = Snapshot::load(Root::find(dir).expect("root"));
    assert!(errors.is_empty(), "{errors:?}");
    let (changes, git) = snap.gather_changes();
    let fs = crate::fs_view::DiskFs::new(dir);
    let findings = snap.analyze(&fs, &changes, git.as_ref(), &SeverityOverrides::default());
    let wanted = [Code::UnauthorizedWrite, Code::OutOfScope, Code::PermissionsWidened];
    findings
        .iter()
        .filter(|f| *f.path == *rel && wanted.contains(&f.diagnostic.code))
        .map(|f| f.diagnostic.code)
        .collect()
}

/// For each path, the guard's decision before the write equals the finding
/// `check` reports after it (SPEC 8 "same engine"), and both are the code the
/// rules give (so the two cannot agree by being wrong the same way).
#[test]
fn the_decision_before_equals_the_finding_after() {
    use Code::{OutOfScope as Scope, UnauthorizedWrite as Unauth};
    // Stage `code` writes `artifacts/backend/` and `artifacts/client/`; the scope keeps
    // `artifacts/backend/src/**` and `artifacts/client/**` and excludes the prisma folder.
    // (path, without a scope, with it)
    let cases: [(&str, Option<Code>, Option<Code>); 13] = [
        ("artifacts/prd/sneaky.md", Some(Unauth), Some(Unauth)),
        ("artifacts/prd/prd.md", Some(Unauth), Some(Unauth)),
        ("artifacts/backend/src/new.ts", None, None),
        ("artifacts/backend/src/app.ts", None, None),
        ("artifacts/backend/README.md", None, Some(Scope)),
        ("artifacts/backend/prisma/schema.prisma", None, Some(Scope)),
        ("artifacts/client/src/App.tsx", None, None),
        ("artifacts/clientele/x.ts", Some(Unauth), Some(Unauth)),
        ("README.md", Some(Unauth), Some(Unauth)),
        ("notes/todo.md", Some(Unauth), Some(Unauth)),
        (".factory/state.json", None, None),
        ("pipeline/error.log", None, None),
        // Governance (never an edit finding); only the rule files are judged, by widening.
        ("agents/code.agent.md", None, None),
    ];
    for scope in [false, true] {
        let (_t, dir) = factory(scope);
        for (rel, without, with) in cases {
            let expected = if scope { with } else { without };
            let path = dir.join(rel);
            let decision = write_of(&path, "written\n");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let before = std::fs::read(&path).ok();
            std::fs::write(&path, "written\n").unwrap();
            let after = check_codes(&dir, rel);
            assert_eq!(deny_code(&decision), expected, "{rel} (scope: {scope}): the guard said {decision:?}");
            assert_eq!(after.first().copied(), expected, "{rel} (scope: {scope}): check said {after:?}");
            match before {
                Some(b) => std::fs::write(&path, b).unwrap(),
                None => std::fs::remove_file(&path).unwrap(),
            }
        }
    }
}

#[test]
fn a_refusal_names_the_stage_the_rule_the_return_point_and_a_next_step() {
    let (_t, dir) = factory(true);
    let Decision::Deny(d) = write_of(&dir.join("artifacts/prd/sneaky.md"), "x") else { panic!("allowed") };
    assert_eq!(
        (d.code, d.stage.as_str(), d.path.as_str()),
        (Code::UnauthorizedWrite, "code", "artifacts/prd/sneaky.md")
    );
    assert!(
        d.message.starts_with(
            "stage `code` may not create `artifacts/prd/sneaky.md` outside its write permissions: matrix row `code` \
             allows only `artifacts/backend/`, `artifacts/client/` (policies/capability.matrix.md). Return point: user"
        ),
        "{}",
        d.message
    );
    // Also outside the scope: both findings are named.
    assert!(
        d.message.contains(
            "(quarantine the file, or a person grants write access). Also: stage `code` may not create \
             `artifacts/prd/sneaky.md`, which no allow entry"
        ),
        "{}",
        d.message
    );
    assert_eq!(d.fix, Some(Fix::GrantWrite { stage: "code".into(), path: "artifacts/prd/sneaky.md".into() }));

    let Decision::Deny(d) = write_of(&dir.join("artifacts/backend/prisma/schema.prisma"), "x") else { panic!() };
    assert_eq!(d.code, Code::OutOfScope);
    assert!(
        d.message.contains(
            "may not modify `artifacts/backend/prisma/schema.prisma`, which scope `habit` (revision 1) excludes"
        ),
        "{}",
        d.message
    );
    assert_eq!(d.fix, None, "an exclude cannot be expanded away");

    let Decision::Deny(d) = write_of(&dir.join("artifacts/backend/notes.md"), "x") else { panic!() };
    assert_eq!(d.code, Code::OutOfScope);
    let _ = std::fs::write(dir.join("artifacts/client/a"), "");
    let after = |_: Option<&str>| Ok(String::new());
    let del = decide(&ProposedWrite {
        path: &dir.join("artifacts/client/a"),
        delete: true,
        after: &after,
        cwd: None,
        cache: None,
    });
    let Ok(Decision::Deny(d)) = del else { panic!("{del:?}") };
    assert!(d.message.contains("may not delete `artifacts/client/a`, but scope `habit` (revision 1) allows it only for other operations than delete"), "{}", d.message);
    assert_eq!(d.fix, Some(Fix::ExpandScope { path: "artifacts/client/a".into() }));
}

#[test]
fn no_root_idle_run_and_control_files_are_allowed() {
    let outside = tempfile::tempdir().unwrap();
    assert_eq!(write_of(&outside.path().join("a.md"), "x"), Decision::Allow(Allowed::NoRoot));
    let (_t, dir) = factory(false);
    assert_eq!(write_of(&dir.join(".factory/state.json"), "{}"), Decision::Allow(Allowed::Control));
    assert_eq!(write_of(&dir.join("pipeline/error.log"), "x"), Decision::Allow(Allowed::Control));
    assert_eq!(write_of(&dir.join("artifacts/client/src/a.ts"), "x"), Decision::Allow(Allowed::Inside));
    std::fs::write(
        dir.join(".factory/state.json"),
        STATE.replace("\"running\",\n  \"currentStage\"", "\"idle\",\n  \"currentStage\""),
    )
    .unwrap();
    assert_eq!(write_of(&dir.join("artifacts/prd/x.md"), "x"), Decision::Allow(Allowed::NoActiveRun));
    assert_eq!(write_of(&dir.join(".claude/settings.json"), "{}"), Decision::Allow(Allowed::NoActiveRun));
}

#[test]
fn an_unreadable_state_cannot_be_judged() {
    let (_t, dir) = factory(false);
    std::fs::write(dir.join(".factory/state.json"), b"\xff\xfe").unwrap();
    let after = |_: Option<&str>| Ok(String::new());
    let got = decide(&ProposedWrite {
        path: &dir.join("artifacts/prd/x.md"),
        delete: false,
        after: &after,
        cwd: None,
        cache: None,
    });
    assert!(
        got.as_ref().is_err_and(|e| e.contains("state.json cannot be read: the file is not valid UTF-8")),
        "{got:?}"
    );
}

#[test]
fn the_agents_own_settings_are_refused_even_above_the_root() {
    let (_t, dir) = factory(false);
    for rel in [".claude/settings.json", ".claude/settings.local.json", ".gemini/settings.json", ".codex/config.toml"] {
        assert_eq!(deny_code(&write_of(&dir.join(rel), "{}")), Some(Code::PermissionsWidened), "{rel}");
    }
    // A factory in a subfolder: the settings at the git top level are judged by the cwd's run.
    let top = tempfile::tempdir().unwrap();
    let sub = std::fs::canonicalize(top.path()).unwrap().join("factory");
    copy_dir(&dir, &sub);
    let settings = sub.parent().unwrap().join(".claude/settings.json");
    let after = |_: Option<&str>| Ok(String::new());
    let w = ProposedWrite { path: &settings, delete: false, after: &after, cwd: Some(&sub), cache: None };
    assert_eq!(decide(&w).map(|d| deny_code(&d)), Ok(Some(Code::PermissionsWidened)));
    let w = ProposedWrite { path: &settings, delete: false, after: &after, cwd: None, cache: None };
    assert_eq!(decide(&w), Ok(Decision::Allow(Allowed::NoRoot)));
}

#[test]
fn a_symlink_that_leaves_the_root_is_refused_and_one_into_the_box_is_judged_by_its_target() {
    let (_t, dir) = factory(false);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("artifacts/backend/out")).unwrap();
    let Decision::Deny(d) = write_of(&dir.join("artifacts/backend/out/x.ts"), "x") else { panic!("allowed") };
    assert_eq!((d.code, d.path.as_str()), (Code::UnauthorizedWrite, "artifacts/backend/out/x.ts"));
    assert!(d.message.contains("leads out of the factory root through a symlink"), "{}", d.message);
    // A link inside the box to a file outside it: the write lands on the target.
    std::os::unix::fs::symlink(dir.join("artifacts/prd/prd.md"), dir.join("artifacts/backend/prd-link.md")).unwrap();
    let Decision::Deny(d) = write_of(&dir.join("artifacts/backend/prd-link.md"), "x") else { panic!("allowed") };
    assert_eq!((d.code, d.path.as_str()), (Code::UnauthorizedWrite, "artifacts/prd/prd.md"));
    // `..` is resolved before judging.
    let p = dir.join("artifacts/backend/../prd/y.md");
    assert_eq!(deny_code(&write_of(&p, "x")), Some(Code::UnauthorizedWrite));
}

#[test]
fn rule_files_are_judged_by_the_box_they_leave() {
    let (_t, dir) = factory(true);
    let matrix = std::fs::read_to_string(dir.join("policies/capability.matrix.md")).unwrap();
    let row = "| `artifacts/backend/`, `artifacts/client/` | 根据";
    assert!(matrix.contains(row));
    let wider = matrix.replace(row, "| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据");
    let Decision::Deny(d) = write_of(&dir.join("policies/capability.matrix.md"), &wider) else { panic!("allowed") };
    assert_eq!(d.code, Code::PermissionsWidened);
    assert!(
        d.message.contains("matrix row `code` would grant `artifacts/prd/`, which matrix row `code` does not now"),
        "{}",
        d.message
    );
    // The same write on disk: `check` reports it too.
    std::fs::write(dir.join("policies/capability.matrix.md"), &wider).unwrap();
    assert_eq!(check_codes(&dir, "policies/capability.matrix.md"), [Code::PermissionsWidened]);
    std::fs::write(dir.join("policies/capability.matrix.md"), &matrix).unwrap();

    let narrower = matrix.replace(row, "| `artifacts/backend/` | 根据");
    assert_eq!(
        write_of(&dir.join("policies/capability.matrix.md"), &narrower),
        Decision::Allow(Allowed::RulesNotWidened)
    );
    let notes = matrix.replace("越权处理", "越权处理 (notes)");
    assert_eq!(write_of(&dir.join("policies/capability.matrix.md"), &notes), Decision::Allow(Allowed::RulesNotWidened));
    let after = |_: Option<&str>| Ok(String::new());
    let del = decide(&ProposedWrite {
        path: &dir.join("policies/capability.matrix.md"),
        delete: true,
        after: &after,
        cwd: None,
        cache: None,
    });
    assert_eq!(del.map(|d| deny_code(&d)), Ok(Some(Code::PermissionsWidened)));

    // permissions.write in pipeline.yaml: a new rule for `code` that is wider than its row.
    let pipeline = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    let anchor = "    agent: agents/code.agent.md\n";
    let add = |w: &str| pipeline.replace(anchor, &format!("{anchor}    permissions:\n      write: [{w}]\n"));
    assert_eq!(deny_code(&write_of(&dir.join("pipeline.yaml"), &add("artifacts/"))), Some(Code::PermissionsWidened));
    assert_eq!(
        write_of(&dir.join("pipeline.yaml"), &add("artifacts/backend/src/")),
        Decision::Allow(Allowed::RulesNotWidened)
    );
    assert_eq!(deny_code(&write_of(&dir.join("pipeline.yaml"), "stages: [")), Some(Code::PermissionsWidened));

    // The scope: a wider allow, a dropped exclude, another stage, deletion: refused; a narrower one is not.
    let scope_path = dir.join(".factory/scope.yaml");
    let grow = [
        SCOPE.replace("artifacts/backend/src/**", "artifacts/backend/**"),
        SCOPE.replace("ops: [create, modify]", "ops: [create, modify, delete]"),
        SCOPE.replace("exclude:\n  - path: \"artifacts/backend/prisma/**\"\n", ""),
        SCOPE.replace("stage: code", "stage: ui"),
    ];
    for text in grow {
        assert_eq!(deny_code(&write_of(&scope_path, &text)), Some(Code::PermissionsWidened), "{text}");
    }
    let narrower = SCOPE.replace("artifacts/client/**", "artifacts/client/src/**");
    assert_eq!(write_of(&scope_path, &narrower), Decision::Allow(Allowed::RulesNotWidened));
    let edit = |cur: Option<&str>| {
        apply_replacements(
            cur,
            &[Replacement { old: "artifacts/client/**", new: "artifacts/client/src/**", all: false }],
        )
    };
    assert_eq!(
        decide(&ProposedWrite { path: &scope_path, delete: false, after: &edit, cwd: None, cache: None }),
        Ok(Decision::Allow(Allowed::RulesNotWidened))
    );
    let bad = |cur: Option<&str>| apply_replacements(cur, &[Replacement { old: "nope", new: "x", all: false }]);
    let got = decide(&ProposedWrite { path: &scope_path, delete: false, after: &bad, cwd: None, cache: None });
    assert_eq!(
        got,
        Err("cannot tell what `.factory/scope.yaml` would hold after the write: old_string is not in the file".into())
    );
}

/// With the stage's rules cached between calls, every decision is the one a full
/// load gives; a changed matrix row or `permissions.write` is seen at once.
#[test]
fn cached_rules_decide_as_a_full_load_does() {
    let (_t, dir) = factory(true);
    let cache = tempfile::tempdir().unwrap();
    let paths =
        ["artifacts/prd/x.md", "artifacts/backend/src/a.ts", "artifacts/backend/b.md", "artifacts/client/c.ts", "x.md"];
    let decide_all = |cache: Option<&Path>| -> Vec<Decision> {
        paths
            .iter()
            .map(|rel| {
                let after = |_: Option<&str>| Ok(String::new());
                let w = ProposedWrite { path: &dir.join(rel), delete: false, after: &after, cwd: None, cache };
                decide(&w).unwrap()
            })
            .collect()
    };
    let full = decide_all(None);
    assert_eq!(decide_all(Some(cache.path())), full, "first call: read and stored");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    assert_eq!(decide_all(Some(cache.path())), full, "from the cache");
    // The row of `code` grows to include artifacts/prd/ (a person's edit): seen at once.
    let m = dir.join("policies/capability.matrix.md");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        text.replace(
            "| `artifacts/backend/`, `artifacts/client/` | 根据",
            "| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据",
        ),
    )
    .unwrap();
    let wider = decide_all(None);
    assert_ne!(wider, full);
    assert_eq!(decide_all(Some(cache.path())), wider);
    // permissions.write wins over the row.
    let p = dir.join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    let anchor = "    agent: agents/code.agent.md\n";
    std::fs::write(&p, text.replace(anchor, &format!("{anchor}    permissions:\n      write: [artifacts/client/]\n")))
        .unwrap();
    let narrow = decide_all(None);
    assert_eq!(deny_code(&narrow[1]), Some(Code::UnauthorizedWrite));
    assert_eq!(decide_all(Some(cache.path())), narrow);
    // A pipeline that does not parse: the matrix row holds, cached or not.
    std::fs::write(&p, "stages: [").unwrap();
    assert_eq!(decide_all(Some(cache.path())), decide_all(None));
    // Another stage running.
    std::fs::write(&p, text).unwrap();
    std::fs::write(
        dir.join(".factory/state.json"),
        STATE.replace("\"currentStage\": \"code\"", "\"currentStage\": \"prd\""),
    )
    .unwrap();
    let prd = decide_all(None);
    assert_eq!(prd[0], Decision::Allow(Allowed::Inside), "{prd:?}");
    assert_eq!(decide_all(Some(cache.path())), prd);
}

#[test]
fn replacements() {
    let r = |old, new, all| Replacement { old, new, all };
    assert_eq!(apply_replacements(Some("a b a"), &[r("b", "c", false)]), Ok("a c a".into()));
    assert_eq!(apply_replacements(Some("a b a"), &[r("a", "x", true), r("x b", "y", false)]), Ok("y x".into()));
    assert_eq!(
        apply_replacements(Some("a b a"), &[r("a", "x", false)]),
        Err("old_string occurs 2 times and replace_all is not set".into())
    );
    assert_eq!(apply_replacements(None, &[r("", "new", false)]), Ok("new".into()));
}

#[test]
fn stop_asks_the_gates_exit_check_only_while_running() {
    let (_t, dir) = factory(false);
    let task = |dir: &Path| {
        let (snap, _) = Snapshot::load(Root::find(dir).unwrap());
        let (changes, git) = snap.gather_changes();
        let fs = crate::fs_view::DiskFs::new(dir);
        let findings = snap.analyze(&fs, &changes, git.as_ref(), &SeverityOverrides::default());
        stop_check(&snap, &findings).map(|c| c.task())
    };
    // artifacts/backend/ has files; artifacts/client/ does not exist.
    assert_eq!(task(&dir), Some(vec!["declared output `artifacts/client/` does not exist: produce it".to_string()]));
    std::fs::write(dir.join("artifacts/prd/late.md"), "x").unwrap();
    std::fs::create_dir_all(dir.join("artifacts/client")).unwrap();
    std::fs::write(dir.join("artifacts/client/App.tsx"), "x").unwrap();
    let got = task(&dir).unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("unauthorized-write artifacts/prd/late.md: stage `code` created"), "{got:?}");
    std::fs::remove_file(dir.join("artifacts/prd/late.md")).unwrap();
    assert_eq!(task(&dir), Some(vec![]));
    std::fs::write(
        dir.join(".factory/state.json"),
        STATE.replace("\"running\",\n  \"currentStage\"", "\"paused\",\n  \"currentStage\""),
    )
    .unwrap();
    assert_eq!(task(&dir), None, "a paused run is the person's turn");
}

/// A row that grows for a stage whose `permissions.write` replaces its row
/// leaves that stage's box as it was: allowed (the rows-only shortcut is not the
/// last word).
#[test]
fn a_wider_row_under_permissions_write_is_no_widening() {
    let (_t, dir) = factory(false);
    let p = dir.join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    let anchor = "    agent: agents/code.agent.md\n";
    std::fs::write(&p, text.replace(anchor, &format!("{anchor}    permissions:\n      write: [artifacts/backend/]\n")))
        .unwrap();
    let m = dir.join("policies/capability.matrix.md");
    let wider = std::fs::read_to_string(&m)
        .unwrap()
        .replace("| `artifacts/backend/`, `artifacts/client/` | 根据", "| `artifacts/` | 根据");
    assert_eq!(write_of(&m, &wider), Decision::Allow(Allowed::RulesNotWidened));
    let prd_wider = std::fs::read_to_string(&m).unwrap().replace("| `artifacts/prd/` |", "| `artifacts/` |");
    assert_eq!(deny_code(&write_of(&m, &prd_wider)), Some(Code::PermissionsWidened));
}

/// A command's findings on the cached rules equal a full analysis's edit findings.
#[test]
fn command_findings_equal_a_full_analysis() {
    let (_t, dir) = factory(true);
    let cache = tempfile::tempdir().unwrap();
    let full = |dir: &Path| {
        let (snap, _) = Snapshot::load(Root::find(dir).unwrap());
        let (changes, git) = snap.gather_changes();
        let fs = crate::fs_view::DiskFs::new(dir);
        let codes = [Code::UnauthorizedWrite, Code::OutOfScope, Code::DeletedOutput, Code::PermissionsWidened];
        let mut f: Vec<_> = snap
            .analyze(&fs, &changes, git.as_ref(), &SeverityOverrides::default())
            .into_iter()
            .filter(|f| codes.contains(&f.diagnostic.code))
            .collect();
        f.sort_by(|a, b| {
            (&a.path, a.diagnostic.code, &a.diagnostic.message).cmp(&(
                &b.path,
                b.diagnostic.code,
                &b.diagnostic.message,
            ))
        });
        f
    };
    let cmd = |dir: &Path| {
        let mut f = command_findings(dir, Some(cache.path())).unwrap().unwrap().1;
        f.sort_by(|a, b| {
            (&a.path, a.diagnostic.code, &a.diagnostic.message).cmp(&(
                &b.path,
                b.diagnostic.code,
                &b.diagnostic.message,
            ))
        });
        f
    };
    assert_eq!(cmd(&dir), []);
    std::fs::write(dir.join("artifacts/prd/b.md"), "x").unwrap();
    std::fs::write(dir.join("artifacts/backend/notes.md"), "x").unwrap();
    std::fs::write(dir.join("artifacts/backend/prisma/schema.prisma"), "changed").unwrap();
    let want = full(&dir);
    assert_eq!(want.len(), 4, "{want:?}");
    assert_eq!(cmd(&dir), want);
    // A deletion and a widened matrix take the full analysis.
    std::fs::remove_file(dir.join("artifacts/prd/prd.md")).unwrap();
    let m = dir.join("policies/capability.matrix.md");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("| `artifacts/backend/`, `artifacts/client/` | 根据", "| `artifacts/` | 根据"))
        .unwrap();
    let want = full(&dir);
    assert!(want.iter().any(|f| f.diagnostic.code == Code::PermissionsWidened), "{want:?}");
    assert_eq!(cmd(&dir), want);
    std::fs::write(
        dir.join(".factory/state.json"),
        STATE.replace("\"running\",\n  \"currentStage\"", "\"idle\",\n  \"currentStage\""),
    )
    .unwrap();
    assert!(command_findings(&dir, None).unwrap().is_none());
}

/// An `Edit` of the matrix: the text it is made from is the one read for its
/// rows (read once); a notes edit goes through, one that grows another stage's
/// row does not, and an edit that cannot apply is not judged.
#[test]
fn a_matrix_edit_is_judged_on_the_text_it_applies_to() {
    let (_t, dir) = factory(true);
    let m = dir.join("policies/capability.matrix.md");
    let edit = |old: &'static str, new: &'static str| {
        move |cur: Option<&str>| apply_replacements(cur, &[Replacement { old, new, all: false }])
    };
    let decide_edit = |after: &dyn Fn(Option<&str>) -> Result<String, String>| {
        decide(&ProposedWrite { path: &m, delete: false, after, cwd: None, cache: None })
    };
    assert_eq!(decide_edit(&edit("越权处理", "越权处理 (notes)")), Ok(Decision::Allow(Allowed::RulesNotWidened)));
    let grow =
        decide_edit(&edit("| `input/` | `artifacts/prd/` |", "| `input/` | `artifacts/prd/`, `artifacts/ui/` |"));
    let Ok(Decision::Deny(d)) = grow else { panic!("{grow:?}") };
    assert_eq!(d.code, Code::PermissionsWidened);
    assert!(d.message.contains("matrix row `prd` would grant `artifacts/ui/`"), "{}", d.message);
    assert_eq!(
        decide_edit(&edit("not in the matrix", "x")),
        Err("cannot tell what `policies/capability.matrix.md` would hold after the write: old_string is not in the file"
            .into())
    );
    // The matrix changed on disk since: the edit applies to the new text, and the rows judged are those.
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        text.replace("| `input/` | `artifacts/prd/` |", "| `input/` | `artifacts/prd/`, `artifacts/ui/` |"),
    )
    .unwrap();
    assert_eq!(decide_edit(&edit("越权处理", "越权处理 (notes)")), Ok(Decision::Allow(Allowed::RulesNotWidened)));
}
