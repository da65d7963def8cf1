//! Git and mtime scenarios in temporary directories.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use super::*;

pub(crate) fn sh_git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(st.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&st.stderr));
}

pub(crate) fn commit_all(dir: &Path, msg: &str) {
    sh_git(dir, &["add", "-A"]);
    sh_git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
}

fn head(dir: &Path) -> String {
    let o = Command::new("git").arg("-C").arg(dir).args(["rev-parse", "HEAD"]).output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A worktree whose factory root is `factory/` (a subdirectory).
fn repo() -> (tempfile::TempDir, Root) {
    let t = tempfile::tempdir().unwrap();
    sh_git(t.path(), &["init", "-q"]);
    write(t.path(), "outside.md", "top\n");
    write(t.path(), "factory/pipeline.yaml", "stages: []\n");
    write(t.path(), "factory/policies/capability.matrix.md", "| a | b |\n");
    write(t.path(), "factory/.gitignore", "*.log\nbuild/\n");
    write(t.path(), "factory/artifacts/backend/a.ts", "one\ntwo\nthree\n");
    write(t.path(), "factory/artifacts/prd/prd.md", "# PRD\n");
    write(t.path(), "factory/old name.md", "keep\n");
    commit_all(t.path(), "init");
    let root = Root::at(&t.path().join("factory")).unwrap();
    (t, root)
}

fn ops(changes: &[Change]) -> Vec<(String, Op)> {
    changes.iter().map(|c| (c.path.clone(), c.op)).collect()
}

#[test]
fn git_scan_finds_modify_create_delete_rename_and_honours_ignores() {
    let (t, root) = repo();
    let f = t.path().join("factory");
    write(&f, "artifacts/backend/a.ts", "one\nTWO\nthree\n");
    write(&f, "artifacts/prd/sneaky 文件.md", "hi\nthere\n");
    write(&f, "debug.log", "ignored\n");
    write(&f, "build/out.js", "ignored\n");
    fs::remove_file(f.join("artifacts/prd/prd.md")).unwrap();
    fs::rename(f.join("old name.md"), f.join("新 name.md")).unwrap();
    write(t.path(), "outside.md", "changed outside the root\n");
    let facts = GitFacts::gather(&root, None).unwrap();
    assert_eq!(facts.prefix, "factory/");
    assert!(facts.base_is_head);
    let changes = changed_paths(&root, Some(&facts), None);
    assert_eq!(
        ops(&changes),
        vec![
            ("artifacts/backend/a.ts".into(), Op::Modify),
            ("artifacts/prd/prd.md".into(), Op::Delete),
            ("artifacts/prd/sneaky 文件.md".into(), Op::Create),
            ("old name.md".into(), Op::Delete),
            ("新 name.md".into(), Op::Create),
        ]
    );
    let m = &changes[0];
    assert_eq!((m.first_line, m.line_range), (Some(1), Some(TextRange::new(4, 7))));
    let c = &changes[2];
    assert_eq!((c.first_line, c.line_range), (Some(0), Some(TextRange::new(0, 2))));
    let d = &changes[1];
    assert_eq!((d.first_line, d.line_range), (None, None));
}

#[test]
fn staged_rename_is_delete_plus_create() {
    let (t, root) = repo();
    sh_git(&t.path().join("factory"), &["mv", "old name.md", "artifacts/moved.md"]);
    let facts = GitFacts::gather(&root, None).unwrap();
    assert_eq!(
        ops(&changed_paths(&root, Some(&facts), None)),
        vec![("artifacts/moved.md".into(), Op::Create), ("old name.md".into(), Op::Delete)]
    );
}

#[test]
fn scope_base_commit_is_the_base_and_its_ancestry_is_known() {
    let (t, root) = repo();
    let base = head(t.path());
    let f = t.path().join("factory");
    write(&f, "artifacts/backend/a.ts", "one\ntwo\nthree\nfour\n");
    write(&f, "artifacts/backend/b.ts", "new\n");
    write(&f, "policies/capability.matrix.md", "| a | b | c |\n");
    commit_all(t.path(), "work");
    write(&f, "artifacts/client/c.ts", "untracked\n");

    // HEAD as base: only the untracked file.
    let facts = GitFacts::gather(&root, None).unwrap();
    assert_eq!(ops(&changed_paths(&root, Some(&facts), None)), vec![("artifacts/client/c.ts".into(), Op::Create)]);
    assert_eq!(facts.base_matrix.as_deref(), Some("| a | b | c |\n"));

    let facts = GitFacts::gather(&root, Some(&base[..10])).unwrap();
    assert_eq!(facts.scope_base_is_ancestor, Some(true));
    assert_eq!(facts.scope_base_found, Some(true));
    assert!(!facts.base_is_head);
    assert_eq!(facts.base_matrix.as_deref(), Some("| a | b |\n"));
    assert_eq!(facts.base_pipeline.as_deref(), Some("stages: []\n"));
    let changes = changed_paths(&root, Some(&facts), None);
    assert_eq!(
        ops(&changes),
        vec![
            ("artifacts/backend/a.ts".into(), Op::Modify),
            ("artifacts/backend/b.ts".into(), Op::Create),
            ("artifacts/client/c.ts".into(), Op::Create),
            ("policies/capability.matrix.md".into(), Op::Modify),
        ]
    );
    assert_eq!(changes[0].first_line, Some(3));

    // A base on another branch is not an ancestor; an unknown one is not either.
    sh_git(t.path(), &["checkout", "-q", "-b", "side", &base]);
    commit_all(t.path(), "side");
    let side = head(t.path());
    sh_git(t.path(), &["checkout", "-q", "main"]);
    assert_eq!(GitFacts::gather(&root, Some(&side)).unwrap().scope_base_is_ancestor, Some(false));
    let unknown = GitFacts::gather(&root, Some("0123456789abcdef")).unwrap();
    assert_eq!((unknown.scope_base_is_ancestor, unknown.scope_base_found), (Some(false), Some(false)));
    assert!(unknown.base_is_head);
    assert_eq!(GitFacts::gather(&root, None).unwrap().scope_base_is_ancestor, None);
}

#[test]
fn status_of_rechecks_one_path() {
    let (t, root) = repo();
    let f = t.path().join("factory");
    let facts = GitFacts::gather(&root, None).unwrap();
    assert_eq!(status_of(&root, Some(&facts), None, "artifacts/backend/a.ts"), None);
    write(&f, "artifacts/backend/a.ts", "zero\n");
    let c = status_of(&root, Some(&facts), None, "artifacts/backend/a.ts").unwrap();
    assert_eq!((c.op, c.first_line, c.line_range), (Op::Modify, Some(0), Some(TextRange::new(0, 4))));
    write(&f, "x [1] *.md", "glob chars are literal\n");
    assert_eq!(status_of(&root, Some(&facts), None, "x [1] *.md").unwrap().op, Op::Create);
    write(&f, "trace.log", "ignored\n");
    assert_eq!(status_of(&root, Some(&facts), None, "trace.log"), None);
    fs::remove_dir_all(f.join("artifacts/prd")).unwrap();
    assert_eq!(status_of(&root, Some(&facts), None, "artifacts/prd/prd.md").unwrap().op, Op::Delete);
    assert_eq!(
        ops(&changes_under(&root, Some(&facts), None, "artifacts/prd/")),
        vec![("artifacts/prd/prd.md".into(), Op::Delete)]
    );
}

#[test]
fn unborn_branch_reports_creations() {
    let t = tempfile::tempdir().unwrap();
    sh_git(t.path(), &["init", "-q"]);
    write(t.path(), "pipeline.yaml", "stages: []\n");
    write(t.path(), "artifacts/a.md", "a\n");
    let root = Root::at(t.path()).unwrap();
    let facts = GitFacts::gather(&root, None).unwrap();
    assert_eq!((facts.head.as_deref(), facts.prefix.as_str()), (None, ""));
    assert_eq!(
        ops(&changed_paths(&root, Some(&facts), None)),
        vec![("artifacts/a.md".into(), Op::Create), ("pipeline.yaml".into(), Op::Create)]
    );
}

#[test]
fn outside_git_uses_modification_times() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "pipeline.yaml", "stages: []\n");
    write(t.path(), "artifacts/old.md", "old\n");
    write(t.path(), "artifacts/new 文件.md", "new\n");
    write(t.path(), ".git/config", "not a repo, skipped anyway\n");
    let past = SystemTime::now() - Duration::from_secs(3600);
    for rel in ["pipeline.yaml", "artifacts/old.md"] {
        fs::File::options().write(true).open(t.path().join(rel)).unwrap().set_modified(past).unwrap();
    }
    let root = Root::at(t.path()).unwrap();
    assert!(GitFacts::gather(&root, None).is_none());
    let since = "1970-01-01T00:00:00Z";
    let since_recent = {
        let secs = (past + Duration::from_secs(60)).duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        let (days, rem) = (secs / 86400, secs % 86400);
        // Build an RFC 3339 string by hand from a Unix time (UTC).
        let (y, m, d) = civil(days as i64);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
    };
    assert_eq!(changed_paths(&root, None, Some(since)).len(), 3);
    let changes = changed_paths(&root, None, Some(&since_recent));
    assert_eq!(changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), vec!["artifacts/new 文件.md"]);
    assert_eq!(status_of(&root, None, Some(&since_recent), "artifacts/old.md"), None);
    assert!(status_of(&root, None, Some(&since_recent), "artifacts/new 文件.md").is_some());
    assert!(changed_paths(&root, None, None).is_empty());
    assert!(changed_paths(&root, None, Some("yesterday")).is_empty());
    // One walk, both sides: what changed since, and the rest (what was there before
    // the stage); with no time known, nothing changed and every file was there.
    let sorted = |set: std::collections::HashSet<String>| {
        let mut v: Vec<String> = set.into_iter().collect();
        v.sort();
        v
    };
    let (changed, before) = outside_git(&root, Some(&since_recent));
    assert_eq!(changed, changes);
    assert_eq!(sorted(before), vec!["artifacts/old.md", "pipeline.yaml"]);
    let (changed, before) = outside_git(&root, None);
    assert!(changed.is_empty());
    assert_eq!(sorted(before), vec!["artifacts/new 文件.md", "artifacts/old.md", "pipeline.yaml"]);
}

#[cfg(unix)]
#[test]
fn walk_survives_symlink_loops_and_never_leaves_the_root() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.md", "outside\n");
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "pipeline.yaml", "stages: []\n");
    write(t.path(), "a/f.md", "f\n");
    std::os::unix::fs::symlink(t.path().join("a"), t.path().join("a/loop")).unwrap();
    std::os::unix::fs::symlink(t.path(), t.path().join("a/up")).unwrap();
    std::os::unix::fs::symlink(outside.path(), t.path().join("out")).unwrap();
    let root = Root::at(t.path()).unwrap();
    let paths: Vec<String> =
        changed_paths(&root, None, Some("1970-01-01T00:00:00Z")).into_iter().map(|c| c.path).collect();
    assert_eq!(paths, vec!["a/f.md", "pipeline.yaml"]);
}

fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn buffer_changes() {
    let c = Change::of_buffer("a.md", Some("a\nb\n"), "a\nβ\n").unwrap();
    assert_eq!((c.op, c.first_line, c.line_range), (Op::Modify, Some(1), Some(TextRange::new(2, 4))));
    assert_eq!(Change::of_buffer("a.md", Some("same"), "same"), None);
    assert_eq!(Change::of_buffer("n.md", None, "x").unwrap().op, Op::Create);
}
