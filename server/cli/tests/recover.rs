//! `tollgate recover` through the built binary, asserting the bytes on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STATE: &str = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": [
    "bootstrap",
    "prd",
    "ui",
    "tech"
  ],
  "failedStages": [],
  "stageHistory": [
    {
      "stageId": "code",
      "status": "running",
      "startTime": "2026-01-29T09:00:00Z",
      "attempts": 1
    }
  ],
  "lastCheckpoint": "tech",
  "updatedAt": "2026-01-29T09:00:00Z"
}
"#;

const SCOPE: &str = "version: 1
id: login          # the work item
revision: 3        # bump on every change
supersedes: 2
allow:
  - path: \"artifacts/backend/src/auth/**\"
    source: exploration   # found while exploring
exclude: []
";

/// A copy of the real fixture with outputs up to `code`, removed on drop.
struct Project(PathBuf);

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("tollgate-recover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
        let p = Project(dir);
        p.write("pipeline.yaml", &std::fs::read_to_string(fixture.join("pipeline.yaml")).unwrap());
        p.write(
            "policies/capability.matrix.md",
            &std::fs::read_to_string(fixture.join("policies/capability.matrix.md")).unwrap(),
        );
        for (f, t) in [
            ("input/idea.md", "# idea\n"),
            ("artifacts/prd/prd.md", "# PRD\n"),
            ("artifacts/tech/tech.md", "# tech\n"),
            ("artifacts/backend/prisma/schema.prisma", "model User { id Int @id }\n"),
            ("artifacts/backend/src/server.ts", "listen();\n"),
            ("artifacts/client/src/App.tsx", "App();\n"),
            (".factory/state.json", STATE),
            (".factory/scope.yaml", SCOPE),
        ] {
            p.write(f, t);
        }
        p
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.0.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.0.join(rel)).is_ok()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .arg("recover")
            .arg("--root")
            .arg(&self.0)
            .args(args)
            .output()
            .unwrap()
    }

    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.0, &self.0, &mut out);
        out
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.file_type().is_symlink() {
            out.insert(rel, std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec());
        } else if m.is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
            walk(root, &p, out);
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

/// The `Timestamp:` of the last error block (times are real here).
fn is_rfc3339_utc(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

#[test]
fn archive_attempt_1_then_2_and_return_to_build() {
    let p = Project::new("archive");
    let o = p.run(&["archive-attempt", "--stage", "code"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("Archive attempt 1 of stage `code` to artifacts/_failed/code/attempt-1/\n"));
    assert_eq!(p.read("artifacts/_failed/code/attempt-1/backend/src/server.ts"), "listen();\n");
    assert_eq!(p.read("artifacts/_failed/code/attempt-1/client/src/App.tsx"), "App();\n");
    // tech's schema lies inside code's artifacts/backend/: copied, not moved.
    assert_eq!(p.read("artifacts/_failed/code/attempt-1/backend/prisma/schema.prisma"), "model User { id Int @id }\n");
    assert_eq!(p.read("artifacts/backend/prisma/schema.prisma"), "model User { id Int @id }\n");
    assert!(!p.exists("artifacts/backend/src") && !p.exists("artifacts/client"));
    let s = json(&p.read(".factory/state.json"));
    assert_eq!(s["status"], "failed");
    assert_eq!(s["failedStages"], serde_json::json!(["code"]));
    assert_eq!(s["stageHistory"][0]["status"], "failed");
    assert!(is_rfc3339_utc(s["stageHistory"][0]["endTime"].as_str().unwrap()));
    let log = p.read("pipeline/error.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        &lines[..3],
        [
            "============================================",
            "ERROR REPORT",
            "============================================"
        ]
    );
    assert!(is_rfc3339_utc(lines[3].strip_prefix("Timestamp: ").unwrap()));
    assert_eq!(
        &lines[4..],
        [
            "Stage: code",
            "Attempt: 1/2",
            "Status: FAILED",
            "",
            "Error Type: Stage Failed",
            "Error Message: attempt 1 of stage code was archived before it met its exit criteria",
            "",
            "Exit Criteria Failed:",
            "  - [ ] 后端可启动且无重大错误",
            "  - [ ] 客户端可渲染并访问",
            "  - [ ] 未引入额外的认证或无关功能",
            "",
            "Failed Artifacts Moved To:",
            "  artifacts/_failed/code/attempt-1/",
            "",
            "Recommended Action:",
            "  1. Return to Build: re-open stage code and fix on top of the archived attempt",
            "============================================",
        ]
    );

    let o = p.run(&["return-to-build", "--stage", "code"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("Return to Build: re-open stage `code` (attempt 2 of 2)\n"));
    let s = json(&p.read(".factory/state.json"));
    assert_eq!(s["status"], "running");
    assert_eq!(s["currentStage"], "code");
    assert_eq!(s["failedStages"], serde_json::json!([]));
    assert_eq!(s["completedStages"], serde_json::json!(["bootstrap", "prd", "ui", "tech"]));
    assert_eq!(s["lastCheckpoint"], "tech");
    let h = &s["stageHistory"][1];
    assert_eq!(
        (h["stageId"].as_str(), h["status"].as_str(), h["attempts"].as_u64()),
        (Some("code"), Some("running"), Some(2))
    );

    p.write("artifacts/client/src/App.tsx", "App2();\n");
    let o = p.run(&["archive-attempt", "--stage", "code"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(p.read("artifacts/_failed/code/attempt-2/client/src/App.tsx"), "App2();\n");
    assert_eq!(p.read("artifacts/_failed/code/attempt-1/client/src/App.tsx"), "App();\n");
    let log = p.read("pipeline/error.log");
    assert_eq!(log.matches("ERROR REPORT").count(), 2);
    assert!(log.contains("Attempt: 2/2\nStatus: FAILED\n"), "{log}");
    assert!(log.contains("Failed Artifacts Moved To:\n  artifacts/_failed/code/attempt-2/\n"), "{log}");
    assert!(log.contains("  2. The retry limit is reached (2/2): a person decides before another attempt\n"), "{log}");

    // Over the limit, the title says a person overrides it.
    let o = p.run(&["return-to-build", "--stage", "code", "--dry-run"]);
    assert!(text(&o.stdout).contains("(a person overrides the retry limit: attempt 3 of 2)"), "{}", text(&o.stdout));
}

#[test]
fn expand_scope_bumps_the_revision_and_records_evidence() {
    let p = Project::new("scope");
    let o = p.run(&[
        "expand-scope",
        "--path",
        "artifacts/client/src/login/**",
        "--ops",
        "modify",
        "--reason",
        "login page",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let scope = p.read(".factory/scope.yaml");
    assert_eq!(
        scope,
        "version: 1
id: login          # the work item
revision: 4        # bump on every change
supersedes: 3
allow:
  - path: \"artifacts/backend/src/auth/**\"
    source: exploration   # found while exploring
  - path: \"artifacts/client/src/login/**\"
    ops: [modify]
    reason: \"login page\"
    source: user
    evidence: ev-0001
exclude: []
"
    );
    let ev = p.read(".factory/evidence.jsonl");
    let rec = json(ev.trim_end());
    assert_eq!(rec["id"], "ev-0001");
    assert_eq!(rec["kind"], "scope_expansion");
    assert_eq!(rec["actor"], "user");
    assert_eq!(rec["subject"], "artifacts/client/src/login/**");
    assert!(is_rfc3339_utc(rec["at"].as_str().unwrap()));
    assert_eq!(rec["sha256"].as_str().unwrap(), tollgate_engine::recovery::sha256_hex(scope.as_bytes()));

    let o = p.run(&["expand-scope", "--path", "docs/"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(p.read(".factory/scope.yaml").contains("revision: 5        # bump on every change\nsupersedes: 4\n"));
    assert!(p.read(".factory/scope.yaml").ends_with(
        "  - path: \"docs/\"\n    ops: [modify, create]\n    source: user\n    evidence: ev-0002\nexclude: []\n"
    ));
    assert_eq!(p.read(".factory/evidence.jsonl").lines().count(), 2);
}

#[test]
fn quarantine_never_overwrites_and_pauses_the_run() {
    let p = Project::new("quarantine");
    for (n, place) in [(1, "sneaky.md"), (2, "sneaky.2.md"), (3, "sneaky.3.md")] {
        p.write("artifacts/prd/sneaky.md", &format!("{n}\n"));
        let o = p.run(&["quarantine", "--path", "artifacts/prd/sneaky.md"]);
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
        assert_eq!(p.read(&format!("artifacts/_untrusted/code/prd/{place}")), format!("{n}\n"));
    }
    assert!(!p.exists("artifacts/prd/sneaky.md"));
    assert_eq!(json(&p.read(".factory/state.json"))["status"], "paused");
    let log = p.read("pipeline/error.log");
    assert_eq!(log.matches("Status: PAUSED\n\nError Type: Unauthorized Write\n").count(), 3);
    assert!(log.contains(
        "Failed Artifacts Moved To:\n  artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.3.md\n"
    ));
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let p = Project::new("dry");
    p.write("artifacts/prd/sneaky.md", "x\n");
    let before = p.snapshot();
    for args in [
        &["archive-attempt", "--stage", "code", "--dry-run"][..],
        &["--dry-run", "return-to-build", "--stage", "tech"],
        &["expand-scope", "--path", "a/**", "--dry-run"],
        &["quarantine", "--path", "artifacts/prd/sneaky.md", "--dry-run"],
    ] {
        let o = p.run(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(out.ends_with("dry run: nothing was changed\n") && out.lines().count() > 2, "{out}");
    }
    assert_eq!(p.snapshot(), before);
}

#[test]
fn hostile_arguments_are_refused_and_change_nothing() {
    let p = Project::new("hostile");
    p.write("artifacts/prd/sneaky.md", "x\n");
    let before = p.snapshot();
    for (args, why) in [
        (&["quarantine", "--path", "../../etc/passwd"][..], "`..`"),
        (&["quarantine", "--path", "/etc/passwd"], "absolute"),
        (&["expand-scope", "--path", "/etc/**"], "absolute"),
        (&["expand-scope", "--path", "src/../../x"], "`..`"),
        (&["archive-attempt", "--stage", "deploy"], "no stage `deploy`"),
        (&["return-to-build", "--stage", "deploy"], "no stage `deploy`"),
        (&["quarantine", "--path", "artifacts/prd/sneaky.md", "--stage", "deploy"], "no stage `deploy`"),
        (&["quarantine", "--path", "pipeline.yaml"], "governance"),
    ] {
        let o = p.run(args);
        assert_eq!(code(&o), 1, "{args:?}");
        let err = text(&o.stderr);
        assert!(err.contains("refused") && err.contains(why) && err.contains("nothing was changed"), "{args:?}: {err}");
    }
    assert_eq!(p.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_artifacts_folder_pointing_outside_is_refused() {
    let p = Project::new("symlink");
    let outside = Project::new("symlink-outside");
    outside.write("prd/sneaky.md", "outside\n");
    std::fs::rename(p.0.join("artifacts"), outside.0.join("moved-artifacts")).unwrap();
    std::os::unix::fs::symlink(&outside.0, p.0.join("artifacts")).unwrap();
    let (before, before_out) = (p.snapshot(), outside.snapshot());
    for args in [&["quarantine", "--path", "artifacts/prd/sneaky.md"][..], &["archive-attempt", "--stage", "code"]] {
        let o = p.run(args);
        assert_eq!(code(&o), 1, "{args:?}");
        assert!(text(&o.stderr).contains("outside the factory root"), "{}", text(&o.stderr));
    }
    assert_eq!((p.snapshot(), outside.snapshot()), (before, before_out));
}

#[test]
fn an_unwritable_destination_fails_whole() {
    let p = Project::new("unwritable");
    // A file where the archive and quarantine folders must go.
    p.write("artifacts/_failed/code", "a file, not a folder\n");
    p.write("artifacts/_untrusted/code/prd", "a file, not a folder\n");
    p.write("artifacts/prd/sneaky.md", "x\n");
    let before = p.snapshot();
    for args in [&["archive-attempt", "--stage", "code"][..], &["quarantine", "--path", "artifacts/prd/sneaky.md"]] {
        let o = p.run(args);
        assert_eq!(code(&o), 1, "{args:?}");
        assert!(text(&o.stderr).contains("is not a directory"), "{}", text(&o.stderr));
    }
    assert_eq!(p.snapshot(), before);
    assert_eq!(p.read(".factory/state.json"), STATE);
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new("usage");
    for args in [&["expand-scope", "--path", "a", "--ops", "rename"][..], &["archive-attempt"], &["teleport"]] {
        assert_eq!(code(&p.run(args)), 2, "{args:?}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["recover", "--root", "/", "archive-attempt", "--stage", "code"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
}
