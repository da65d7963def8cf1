//! The live picture of one root (`Workspace`): what the language server feeds it
//! and what `check` asks of it, on a copy of the bundled example (stage `code`
//! running) in a git repository.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::root::Root;
use tollgate_engine::workspace::{scan, Buffer, Workspace};
use tollgate_engine::{Code, Finding};

struct Fx {
    _t: tempfile::TempDir,
    dir: PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
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

impl Fx {
    /// The example, committed, so every later write is a change against HEAD.
    fn new() -> Fx {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().to_path_buf();
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example"), &dir);
        git(&dir, &["init", "-q"]);
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-qm", "base"]);
        Fx { _t: t, dir }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn load(&self) -> Workspace {
        let (ws, errors) = Workspace::load(Root::at(&self.dir).unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        ws
    }
}

/// `(path, code)` of the findings with one of `codes`.
fn of(findings: &[Finding], codes: &[Code]) -> Vec<(String, Code)> {
    findings
        .iter()
        .filter(|f| codes.contains(&f.diagnostic.code))
        .map(|f| (f.path.to_string(), f.diagnostic.code))
        .collect()
}

const NONE: &[Buffer] = &[];

#[test]
fn a_file_event_after_the_scan_is_read_alone_and_gives_its_finding() {
    let fx = Fx::new();
    let mut ws = fx.load();
    assert!(ws.needs_scan());
    let s = scan(&ws.snapshot);
    ws.scan_done(s);
    assert!(!ws.needs_scan());
    let overrides = SeverityOverrides::default();
    assert!(of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]).is_empty());

    let p = fx.write("artifacts/prd/sneaky.md", "not yours\n");
    ws.file_changed(&p, &Ok(Some(Arc::from("not yours\n"))), false);
    assert!(!ws.needs_scan(), "one file event does not need a full scan");
    let got = ws.analyze(NONE, &overrides);
    assert_eq!(
        of(&got, &[Code::UnauthorizedWrite]),
        [("artifacts/prd/sneaky.md".to_string(), Code::UnauthorizedWrite)]
    );

    // Removed again: the finding goes with it.
    std::fs::remove_file(&p).unwrap();
    ws.file_changed(&p, &Ok(None), false);
    assert!(of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]).is_empty());
}

#[test]
fn the_server_and_check_reach_the_same_findings() {
    let fx = Fx::new();
    fx.write("artifacts/prd/sneaky.md", "x\n");
    fx.write("artifacts/backend/src/new.ts", "export {}\n");
    let overrides = SeverityOverrides::default();
    // `check`: load and scan at once.
    let (once, errors) = Workspace::load_scanned(Root::at(&fx.dir).unwrap());
    assert!(errors.is_empty());
    let (_, checked) = once.into_findings(&overrides);
    // The server: load, scan off the lock, then events and analyses.
    let mut live = fx.load();
    let s = scan(&live.snapshot);
    live.scan_done(s);
    let served = live.analyze(NONE, &overrides);
    assert_eq!(*served, checked);
    assert_eq!(of(&checked, &[Code::UnauthorizedWrite]).len(), 1, "{checked:?}");
}

#[test]
fn an_edited_buffer_is_a_change_and_a_new_file_stays_a_creation() {
    let fx = Fx::new();
    let mut ws = fx.load();
    let s = scan(&ws.snapshot);
    ws.scan_done(s);
    let overrides = SeverityOverrides::default();
    // An open, unsaved buffer of a committed file outside the box.
    let disk = std::fs::read_to_string(fx.dir.join("input/idea.md")).unwrap();
    let text = format!("{disk}one more line\n");
    let buffers = [Buffer { rel: "input/idea.md".into(), disk: Some(&disk), text: &text }];
    let got = ws.analyze(&buffers, &overrides);
    let f = got.iter().find(|f| f.diagnostic.code == Code::UnauthorizedWrite).expect("the buffer's finding");
    assert_eq!(&*f.path, "input/idea.md");
    // Its first changed line, 0-based, is the appended one.
    let line = disk.lines().count() as u32;
    let start = tollgate_engine::LineIndex::new(&text).line_of(f.diagnostic.range.start);
    assert_eq!(start, line);
    // Unchanged again: no finding.
    let same = [Buffer { rel: "input/idea.md".into(), disk: Some(&disk), text: &disk }];
    assert!(of(&ws.analyze(&same, &overrides), &[Code::UnauthorizedWrite]).is_empty());
}

#[test]
fn a_run_that_starts_or_ends_asks_for_a_new_scan() {
    let fx = Fx::new();
    let mut ws = fx.load();
    let s = scan(&ws.snapshot);
    ws.scan_done(s);
    let rel = ".factory/state.json";
    let running = std::fs::read_to_string(fx.dir.join(rel)).unwrap();
    // A prose-only change of the state keeps the picture.
    ws.set(rel, Some(Arc::from(running.replace("\"version\": 1", "\"version\": 2"))));
    assert!(!ws.needs_scan());
    // The run ends (an open buffer of the state says so): the picture is read again.
    ws.set(rel, Some(Arc::from(running.replace("\"running\"", "\"idle\""))));
    assert!(ws.needs_scan());
    let s = scan(&ws.snapshot);
    ws.scan_done(s);
    let p = fx.write("artifacts/prd/sneaky.md", "x\n");
    ws.file_changed(&p, &Ok(Some(Arc::from("x\n"))), false);
    let overrides = SeverityOverrides::default();
    assert!(of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]).is_empty(), "idle: nothing is blamed");
    // Running again: the same write is the stage's (the idle answer above is not a blind one).
    ws.set(rel, Some(Arc::from(running.as_str())));
    assert!(ws.needs_scan());
    let s = scan(&ws.snapshot);
    ws.scan_done(s);
    assert_eq!(of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]).len(), 1);
    // The stage moves on: again.
    ws.set(rel, Some(Arc::from(running.replace("\"currentStage\": \"code\"", "\"currentStage\": \"validation\""))));
    assert!(ws.needs_scan());
}

#[test]
fn a_head_move_or_a_gitignore_change_asks_for_a_new_scan() {
    let fx = Fx::new();
    let mut ws = fx.load();
    for (rel, needs) in [(".git/HEAD", true), (".git/index", false), (".gitignore", true), ("sub/.gitignore", true)] {
        let s = scan(&ws.snapshot);
        ws.scan_done(s);
        let p = fx.dir.join(rel);
        ws.file_changed(&p, &Ok(None), false);
        assert_eq!(ws.needs_scan(), needs, "{rel}");
    }
}

#[test]
fn an_event_during_a_scan_is_read_again_once_the_scan_is_in() {
    let fx = Fx::new();
    let mut ws = fx.load();
    let overrides = SeverityOverrides::default();
    // The scan reads the disk first (off the server's lock), then a file appears
    // and its event arrives before the scan's result: the result is older.
    let stale = scan(&ws.snapshot);
    let p = fx.write("artifacts/prd/late.md", "late\n");
    ws.file_changed(&p, &Ok(Some(Arc::from("late\n"))), false);
    ws.scan_done(stale);
    assert_eq!(
        of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]),
        [("artifacts/prd/late.md".to_string(), Code::UnauthorizedWrite)]
    );
    // And the other way: present when the scan read the disk, gone before its result.
    ws.mark_unscanned();
    let stale = scan(&ws.snapshot);
    std::fs::remove_file(&p).unwrap();
    ws.file_changed(&p, &Ok(None), false);
    ws.scan_done(stale);
    assert!(of(&ws.analyze(NONE, &overrides), &[Code::UnauthorizedWrite]).is_empty(), "the removal was lost");
}
