//! Edit checks on a copy of the real fixture, in a git repository (the factory
//! root is a subdirectory of the worktree) with an active run on stage `code`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::analysis::Snapshot;
use crate::changes;
use crate::changes::tests::{commit_all, sh_git};
use crate::diagnostic::{Code, Finding, Fix, Severity};
use crate::fs_view::DiskFs;
use crate::root::Root;
use tollgate_text::TextRange;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/agent-app-factory");

pub(crate) fn state(status: &str) -> String {
    format!(
        r#"{{"version": "1.0", "status": "{status}", "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"], "failedStages": [],
  "stageHistory": [{{"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}}],
  "lastCheckpoint": "tech"}}
"#
    )
}

pub(crate) struct Fx {
    pub t: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Fx {
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    pub fn root(&self) -> Root {
        Root::at(&self.dir).unwrap()
    }

    pub fn commit(&self) {
        commit_all(self.t.path(), "work");
    }

    /// Every finding of the given codes, after a full gather + analysis.
    pub fn findings(&self, codes: &[Code]) -> Vec<Finding> {
        let (snap, errors) = Snapshot::load(self.root());
        assert!(errors.is_empty(), "{errors:?}");
        let (changes, git) = snap.gather_changes();
        let all = snap.analyze(&DiskFs::new(&self.dir), &changes, git.as_ref(), &Default::default());
        all.into_iter().filter(|f| codes.contains(&f.diagnostic.code)).collect()
    }

    pub fn text(&self, rel: &str) -> String {
        fs::read_to_string(self.dir.join(rel)).unwrap_or_default()
    }
}

/// The real fixture at `<tmp>/app/`, committed, with a run in `status`; `git`
/// false leaves it outside any repository.
pub(crate) fn fixture(status: &str, git: bool) -> Fx {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("app");
    copy_dir(Path::new(FIXTURE), &dir);
    let fx = Fx { t, dir };
    fx.write(".factory/state.json", &state(status));
    fx.write(".gitignore", "*.log\nnode_modules/\n");
    fx.write("input/idea.md", "# Idea\n");
    fx.write("artifacts/prd/prd.md", "# PRD\n\n目标用户\nMVP\n");
    fx.write("artifacts/backend/prisma/schema.prisma", "model User {}\n");
    if git {
        sh_git(fx.t.path(), &["init", "-q"]);
        fx.commit();
    }
    fx
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            // Copy the bytes, not the read-only permission bits.
            fs::write(&dest, fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

const EDIT_CODES: &[Code] = &[Code::UnauthorizedWrite, Code::OutOfScope, Code::DeletedOutput, Code::StageSummary];

/// (code, path, ranged text) of each finding.
fn brief(fx: &Fx, found: &[Finding]) -> Vec<(&'static str, String, String)> {
    found
        .iter()
        .map(|f| {
            let text = fx.text(&f.path);
            (f.diagnostic.code.as_str(), f.path.to_string(), f.diagnostic.range.slice(&text).to_string())
        })
        .collect()
}

fn s(a: &str, b: &str, c: &str) -> (&'static str, String, String) {
    let code: Code = a.parse().unwrap();
    (code.as_str(), b.to_string(), c.to_string())
}

const CODE_RULE: &str =
    "matrix row `code` allows only `artifacts/backend/`, `artifacts/client/` (policies/capability.matrix.md)";

#[test]
fn write_in_prd_is_unauthorized_and_backend_is_not() {
    let fx = fixture("running", true);
    fx.write("artifacts/prd/sneaky.md", "# sneaky\nmore\n");
    fx.write("artifacts/backend/src/app.ts", "export {}\n");
    let found = fx.findings(EDIT_CODES);
    assert_eq!(
        brief(&fx, &found),
        vec![
            s("unauthorized-write", "artifacts/prd/sneaky.md", "# sneaky"),
            s("stage-summary", "pipeline.yaml", "code"),
        ]
    );
    let summary = &found[1].diagnostic;
    assert_eq!(summary.message, "stage `code` wrote 1 file outside its permissions");
    assert_eq!(summary.severity, Severity::Information);
    let d = &found[0].diagnostic;
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        format!(
            "stage `code` created `artifacts/prd/sneaky.md` outside its write permissions: {CODE_RULE}. \
             Return point: user (quarantine the file, or a person grants write access)"
        )
    );
    assert_eq!(d.data.stage.as_deref(), Some("code"));
    assert_eq!(
        d.data.fixes,
        vec![
            Fix::Quarantine { path: "artifacts/prd/sneaky.md".into(), stage: "code".into() },
            Fix::GrantWrite { stage: "code".into(), path: "artifacts/prd/sneaky.md".into() },
        ]
    );
    let json = serde_json::to_value(&d.data).unwrap();
    assert_eq!(json["blocker"], serde_json::json!({"class": "policy", "return_to": "user"}));
}

#[test]
fn modification_sits_on_the_first_changed_line() {
    let fx = fixture("running", true);
    fx.write("artifacts/prd/prd.md", "# PRD\n\n目标用户 🚀 changed\nMVP\n");
    fx.write("input/idea.md", "# Idea\n\n");
    let found = fx.findings(&[Code::UnauthorizedWrite]);
    assert_eq!(
        brief(&fx, &found),
        vec![
            s("unauthorized-write", "artifacts/prd/prd.md", "目标用户 🚀 changed"),
            // An added empty line: its line ending is marked (never zero-width).
            s("unauthorized-write", "input/idea.md", "\n"),
        ]
    );
    assert_eq!(found[0].diagnostic.range, TextRange::new(7, 32));
    assert!(found[0].diagnostic.message.starts_with("stage `code` modified `artifacts/prd/prd.md` outside"));
}

#[test]
fn deletion_of_a_completed_output() {
    let fx = fixture("running", true);
    fs::remove_file(fx.dir.join("artifacts/prd/prd.md")).unwrap();
    let found = fx.findings(EDIT_CODES);
    assert_eq!(
        brief(&fx, &found),
        vec![
            s("unauthorized-write", "artifacts/prd/prd.md", ""),
            s("deleted-output", "pipeline.yaml", "artifacts/prd/prd.md"),
            s("stage-summary", "pipeline.yaml", "code"),
        ]
    );
    // A deleted file has no text: 0..0, and nothing to quarantine.
    let u = &found[0].diagnostic;
    assert_eq!(u.range, TextRange::empty(0));
    assert_eq!(u.data.fixes, vec![Fix::GrantWrite { stage: "code".into(), path: "artifacts/prd/prd.md".into() }]);
    assert!(u.message.starts_with("stage `code` deleted `artifacts/prd/prd.md` outside its write permissions"));
    let d = &found[1].diagnostic;
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        "output `artifacts/prd/prd.md` of completed stage `prd` was deleted. Return point: build (return to Build \
         to restore it, or archive the attempt)"
    );
    assert_eq!(d.data.stage.as_deref(), Some("prd"));
    assert_eq!(
        d.data.fixes,
        vec![Fix::ReturnToBuild { stage: "prd".into() }, Fix::ArchiveAttempt { stage: "prd".into() }]
    );
}

#[test]
fn deleted_files_under_a_directory_output() {
    let fx = fixture("running", true);
    fx.write("artifacts/ui/ui.schema.yaml", "pages: []\n");
    fx.write("artifacts/ui/preview.web/index.html", "<html>\n");
    fx.commit();
    fs::remove_dir_all(fx.dir.join("artifacts/ui")).unwrap();
    let found = fx.findings(&[Code::DeletedOutput]);
    assert_eq!(
        brief(&fx, &found),
        vec![
            s("deleted-output", "pipeline.yaml", "artifacts/ui/ui.schema.yaml"),
            s("deleted-output", "pipeline.yaml", "artifacts/ui/preview.web/index.html"),
        ]
    );
}

#[test]
fn rename_is_a_delete_and_a_create() {
    let fx = fixture("running", true);
    fs::rename(fx.dir.join("artifacts/prd/prd.md"), fx.dir.join("artifacts/backend/prd.md")).unwrap();
    let found = fx.findings(&[Code::UnauthorizedWrite]);
    assert_eq!(brief(&fx, &found), vec![s("unauthorized-write", "artifacts/prd/prd.md", "")]);
    assert!(found[0].diagnostic.message.contains("deleted"));
}

#[test]
fn untracked_ignored_spaces_and_chinese() {
    let fx = fixture("running", true);
    fx.write("artifacts/prd/debug.log", "ignored\n");
    fx.write("artifacts/prd/node_modules/x.js", "ignored\n");
    fx.write("artifacts/prd/新 文件.md", "第一行\n");
    let found = fx.findings(&[Code::UnauthorizedWrite]);
    assert_eq!(brief(&fx, &found), vec![s("unauthorized-write", "artifacts/prd/新 文件.md", "第一行")]);
}

#[test]
fn idle_run_gives_no_edit_findings() {
    for status in ["idle", "garbage"] {
        let fx = fixture(status, true);
        fx.write("artifacts/prd/sneaky.md", "x\n");
        fs::remove_file(fx.dir.join("artifacts/prd/prd.md")).unwrap();
        assert_eq!(fx.findings(EDIT_CODES), vec![], "{status}");
    }
}

#[test]
fn control_and_governance_files_are_never_edit_findings() {
    let fx = fixture("running", true);
    fx.write(".factory/notes.md", "x\n");
    fx.write("pipeline/error.log.txt", "x\n");
    fx.write("artifacts/_untrusted/code/prd/a.md", "x\n");
    fx.write("artifacts/_failed/code/attempt-1/a.md", "x\n");
    fx.write("agents/code.agent.md", "x\n");
    fx.write("skills/s.md", "x\n");
    fx.write("policies/extra.md", "x\n");
    let p = fx.text("pipeline.yaml");
    fx.write("pipeline.yaml", &format!("{p}\n# edited\n"));
    assert_eq!(fx.findings(EDIT_CODES), vec![]);
}

#[test]
fn outside_git_the_stage_start_time_decides() {
    let fx = fixture("running", false);
    // Everything so far was written before the stage started.
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_769_680_000);
    for c in changes::changed_paths(&fx.root(), None, Some("1970-01-01T00:00:00Z")) {
        fs::File::options().write(true).open(fx.dir.join(&c.path)).unwrap().set_modified(past).unwrap();
    }
    fx.write("artifacts/prd/late.md", "late\n");
    fx.write("artifacts/client/ok.ts", "ok\n");
    let found = fx.findings(EDIT_CODES);
    assert_eq!(
        brief(&fx, &found),
        vec![s("unauthorized-write", "artifacts/prd/late.md", "late"), s("stage-summary", "pipeline.yaml", "code")]
    );
}

const SCOPE: &str = "version: 1
id: passwordless-login
revision: 3
supersedes: 2
stage: code
allow:
  - path: \"artifacts/backend/src/auth/**\"
    ops: [modify, create]
    source: exploration
  - path: \"artifacts/backend/prisma/schema.prisma\"
    ops: [modify]
    source: exploration
exclude:
  - path: \"artifacts/backend/src/auth/jwt/**\"
    reason: \"no JWT refresh tokens in this change\"
";

#[test]
fn out_of_scope_warns_and_excludes_are_errors() {
    let fx = fixture("running", true);
    fx.write(".factory/scope.yaml", SCOPE);
    fx.write("artifacts/backend/src/auth/magic.ts", "in scope\n");
    fx.write("artifacts/backend/src/auth/jwt/refresh.ts", "excluded\n");
    fx.write("artifacts/backend/src/users.ts", "outside\n");
    fs::remove_file(fx.dir.join("artifacts/backend/prisma/schema.prisma")).unwrap();
    fx.write("artifacts/prd/x.md", "both\n");
    let found = fx.findings(EDIT_CODES);
    assert_eq!(
        brief(&fx, &found),
        vec![
            s("out-of-scope", "artifacts/backend/prisma/schema.prisma", ""),
            s("out-of-scope", "artifacts/backend/src/auth/jwt/refresh.ts", "excluded"),
            s("out-of-scope", "artifacts/backend/src/users.ts", "outside"),
            s("unauthorized-write", "artifacts/prd/x.md", "both"),
            s("out-of-scope", "artifacts/prd/x.md", "both"),
            s("deleted-output", "pipeline.yaml", "artifacts/backend/prisma/schema.prisma"),
            s("stage-summary", "pipeline.yaml", "code"),
        ]
    );
    let d = |i: usize| &found[i].diagnostic;
    assert_eq!(
        d(0).message,
        "stage `code` deleted `artifacts/backend/prisma/schema.prisma`, but scope `passwordless-login` (revision 3) \
         allows it only for other operations than delete: allow entry `artifacts/backend/prisma/schema.prisma`. \
         Return point: exploration (expand or revise the scope)"
    );
    assert_eq!(d(1).severity, Severity::Error);
    assert_eq!(
        d(1).message,
        "stage `code` created `artifacts/backend/src/auth/jwt/refresh.ts`, which scope `passwordless-login` \
         (revision 3) excludes: exclude entry `artifacts/backend/src/auth/jwt/**` (no JWT refresh tokens in this \
         change). Return point: exploration (expand or revise the scope)"
    );
    assert!(d(1).data.fixes.is_empty());
    assert_eq!(d(2).severity, Severity::Warning);
    assert_eq!(
        d(2).message,
        "stage `code` created `artifacts/backend/src/users.ts`, which no allow entry of scope `passwordless-login` \
         (revision 3) covers. Return point: exploration (expand or revise the scope)"
    );
    assert_eq!(
        d(2).data.fixes,
        vec![
            Fix::ExpandScope { path: "artifacts/backend/src/users.ts".into() },
            Fix::ExpandScope { path: "artifacts/backend/src/**".into() },
        ]
    );
    let json = serde_json::to_value(&d(2).data).unwrap();
    assert_eq!(json["blocker"], serde_json::json!({"class": "scope", "return_to": "exploration"}));
    assert_eq!(d(6).message, "stage `code` wrote 1 file outside its permissions, 4 outside the scope");
}

#[test]
fn a_scope_for_another_stage_checks_nothing() {
    let fx = fixture("running", true);
    fx.write(".factory/scope.yaml", &SCOPE.replace("stage: code", "stage: ui"));
    fx.write("artifacts/backend/src/users.ts", "outside\n");
    assert_eq!(fx.findings(EDIT_CODES), vec![]);
    // No `stage`: it binds the current stage.
    fx.write(".factory/scope.yaml", &SCOPE.replace("stage: code\n", ""));
    assert_eq!(
        brief(&fx, &fx.findings(&[Code::OutOfScope])),
        vec![s("out-of-scope", "artifacts/backend/src/users.ts", "outside")]
    );
}

/// While the run waits for a person after the attempt ended, the person's edits
/// (a file modified since, an unsaved buffer) are nobody's blocker; the stage's
/// own earlier write keeps its finding, and a deletion (undated) stays the stage's.
#[test]
fn a_persons_edits_while_the_run_waits_are_not_the_stages() {
    let waiting = r#"{"version": "1.0", "status": "waiting_for_confirmation", "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech", "code"],
  "stageHistory": [{"stageId": "code", "status": "completed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z", "attempts": 1}],
  "lastCheckpoint": "code"}
"#;
    let fx = fixture("running", true);
    fx.write(".factory/state.json", waiting);
    fx.write("artifacts/client/app.ts", "app\n");
    fx.commit();
    // The stage's write, while it ran (10:15).
    fx.write("artifacts/prd/by-stage.md", "stage\n");
    let during = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_769_681_700);
    fs::File::options()
        .write(true)
        .open(fx.dir.join("artifacts/prd/by-stage.md"))
        .unwrap()
        .set_modified(during)
        .unwrap();
    // The person's, now: one saved, one in an unsaved buffer, one deletion.
    fx.write("artifacts/prd/prd.md", "# PRD, sharper\n");
    fs::remove_file(fx.dir.join("input/idea.md")).unwrap();
    let (snap, _) = Snapshot::load(fx.root());
    let (mut changes, git) = snap.gather_changes();
    changes.push(changes::Change::of_buffer("artifacts/tech/notes.md", None, "typed, not saved\n").unwrap());
    let all = snap.analyze(&DiskFs::new(&fx.dir), &changes, git.as_ref(), &Default::default());
    let found: Vec<Finding> =
        all.into_iter().filter(|f| [Code::UnauthorizedWrite, Code::OutOfScope].contains(&f.diagnostic.code)).collect();
    let paths: Vec<(&str, &str)> = found.iter().map(|f| (f.diagnostic.code.as_str(), &*f.path)).collect();
    assert_eq!(paths, [("unauthorized-write", "artifacts/prd/by-stage.md"), ("unauthorized-write", "input/idea.md"),]);
    // The stage's write still offers quarantine; nothing offers it for the person's edits.
    assert!(found[0].diagnostic.data.fixes.iter().any(|f| matches!(f, Fix::Quarantine { .. })));
    // The same picture while the stage runs blames every change on it.
    fx.write(".factory/state.json", &state("running"));
    let (snap, _) = Snapshot::load(fx.root());
    let all = snap.analyze(&DiskFs::new(&fx.dir), &changes, git.as_ref(), &Default::default());
    let n = all.iter().filter(|f| f.diagnostic.code == Code::UnauthorizedWrite).count();
    assert_eq!(n, 4);
}
