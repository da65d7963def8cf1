//! Hostile workspaces (issue 7, item 3). Each test runs in a child process of
//! this test binary (so its memory high-water mark is its own), under a wall-clock
//! limit and a peak-RSS limit (VmHWM from /proc/self/status). The limits the
//! engine relies on are listed in `LIMITS.md` beside this file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tollgate_engine::analysis::{read_text, ReadError, Snapshot, MAX_FILE_BYTES, MAX_MODELLED_BYTES};
use tollgate_engine::changes;
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::fs_view::DiskFs;
use tollgate_engine::model::pipeline;
use tollgate_engine::root::Root;
use tollgate_yaml::Limits;

const CHILD: &str = "TOLLGATE_HOSTILE_CHILD";

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Runs `body` in a child process; fails when it panics, takes longer than
/// `secs` or peaks above `rss_mib`.
fn isolated(name: &str, secs: u64, rss_mib: u64, body: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        println!(); // libtest's "test <name> ... " has no line end yet
        let started = Instant::now();
        body();
        let (took, peak) = (started.elapsed(), peak_rss_mib());
        println!("HOSTILE {name}: {:.2}s, peak RSS {peak} MiB (limits {secs}s, {rss_mib} MiB)", took.as_secs_f64());
        assert!(peak <= rss_mib, "{name}: peak RSS {peak} MiB is over {rss_mib} MiB");
        return;
    }
    if std::env::var(CHILD).is_ok() {
        return; // another test's child
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: still running after {secs}s (a hang, or far too slow)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The result line, and the details a body prints indented (on lines of their own).
    println!();
    for line in stdout.lines().filter(|l| l.starts_with("HOSTILE") || l.starts_with("  ")) {
        println!("{line}");
    }
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("HOSTILE {name}:")), "{name}: the child did not run the body:\n{stdout}");
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example")
}

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

/// A temp copy of the example project (a run of stage `code` is active), outside git.
fn example() -> (tempfile::TempDir, Root) {
    let t = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), t.path());
    let root = Root::at(t.path()).expect("root");
    (t, root)
}

fn analyze(root: &Root) -> Vec<tollgate_engine::Finding> {
    let (snap, _) = Snapshot::load(root.clone());
    let (changes, git) = snap.gather_changes();
    snap.analyze(&DiskFs::new(&root.dir), &changes, git.as_ref(), &SeverityOverrides::default())
}

/// A pipeline of `stages` stages, each with a few outputs and criteria.
fn big_pipeline(target_bytes: usize) -> String {
    let mut s = String::from("pipeline:\n  max_attempts: 2\nstages:\n");
    let mut i = 0;
    while s.len() < target_bytes {
        s.push_str(&format!(
            "  - id: stage{i}\n    description: \"第 {i} 步 😀\"\n    agent: agents/code.agent.md\n    inputs: [artifacts/s{i}/in.md]\n    outputs:\n      - artifacts/s{i}/out.md\n      - artifacts/s{i}/more/\n    exit_criteria:\n      - criterion {i}\n    on_failure: {{action: retry, message: again}}\n"
        ));
        i += 1;
    }
    s
}

#[test]
fn yaml_of_5_mb_is_parsed_in_bounded_time_and_memory() {
    isolated("yaml_of_5_mb_is_parsed_in_bounded_time_and_memory", 120, 400, || {
        let text = big_pipeline(5 << 20);
        let want = text.matches("\n  - id: ").count();
        let started = Instant::now();
        let l = pipeline::load("pipeline.yaml", Arc::from(text.as_str()));
        let stages = l.model.expect("a 5 MB pipeline is read").stages.len();
        assert_eq!(stages, want);
        println!("  5 MB: {stages} stages loaded in {:.2}s", started.elapsed().as_secs_f64());
        // Under MAX_MODELLED_BYTES: a root's snapshot parses and checks it whole.
        assert!((text.len() as u64) < MAX_MODELLED_BYTES);
        let (mut snap, _) = Snapshot::load(Root::at(&fixture()).unwrap());
        snap.set("pipeline.yaml", Some(Arc::from(text.as_str())));
        assert_eq!(snap.pipeline().map(|p| p.stages.len()), Some(want));
        let findings = snap.analyze(&DiskFs::new(fixture()), &[], None, &SeverityOverrides::default());
        // Every stage's agent exists; none has a matrix row: one finding per stage, checked.
        let missing = findings.iter().filter(|f| f.diagnostic.code.as_str() == "matrix-missing-stage").count();
        assert_eq!(missing, want);
    });
}

#[test]
fn yaml_of_50_mb_is_refused_with_a_finding_naming_its_size_and_the_limit() {
    // Over MAX_MODELLED_BYTES (8 MiB): only the first line is read, on disk and in a buffer.
    isolated("yaml_of_50_mb_is_refused_with_a_finding_naming_its_size_and_the_limit", 60, 300, || {
        let (_t, root) = example();
        let text = big_pipeline(50 << 20);
        let size = text.len() as u64;
        std::fs::write(root.dir.join("pipeline.yaml"), &text).unwrap();
        let started = Instant::now();
        let (snap, errors) = Snapshot::load(root.clone());
        let message = format!("{size} bytes is over tollgate's limit of 8388608 bytes (8 MiB) for the files it parses");
        assert_eq!(errors, vec![ReadError { path: "pipeline.yaml".into(), message: message.clone() }]);
        assert_eq!(snap.text("pipeline.yaml").as_deref(), Some("pipeline:"), "only the first line is held");
        let findings = snap.analyze(&DiskFs::new(&root.dir), &[], None, &SeverityOverrides::default());
        let on_pipeline: Vec<_> = findings.iter().filter(|f| &*f.path == "pipeline.yaml").collect();
        assert_eq!(on_pipeline.len(), 1, "{on_pipeline:?}");
        let d = &on_pipeline[0].diagnostic;
        assert_eq!(d.code.as_str(), "yaml-syntax");
        assert_eq!((d.range.start, d.range.end), (0, 9), "`pipeline:`, the first line");
        assert_eq!(d.message, format!("pipeline.yaml is too large to check: {message}"));
        println!("  50 MB on disk: refused in {:.3}s", started.elapsed().as_secs_f64());

        // The same text as an open buffer: refused without parsing; the last good model keeps serving.
        let (mut snap, errors) = Snapshot::load(Root::at(&fixture()).unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        let started = Instant::now();
        snap.set("pipeline.yaml", Some(Arc::from(text.as_str())));
        assert_eq!(snap.pipeline().map(|p| p.stages.len()), Some(7), "the last good model: the fixture's 7 stages");
        let findings = snap.analyze(&DiskFs::new(fixture()), &[], None, &SeverityOverrides::default());
        let d = &findings.iter().find(|f| &*f.path == "pipeline.yaml").expect("a finding").diagnostic;
        assert_eq!((d.code.as_str(), d.range.start, d.range.end), ("yaml-syntax", 0, 9));
        assert_eq!(d.message, format!("pipeline.yaml is too large to check: {message}"));
        assert!(findings.iter().all(|f| &*f.path != "pipeline.yaml" || f.diagnostic == *d));
        // Other YAML and JSON buffers: the same limit.
        let other = tollgate_engine::analysis::check_other_yaml("data/huge.yaml", &text);
        assert_eq!(other.len(), 1);
        assert_eq!((other[0].range.start, other[0].range.end), (0, 9));
        assert_eq!(other[0].message, format!("data/huge.yaml is too large to check: {message}"));
        println!("  50 MB buffer: refused in {:.3}s", started.elapsed().as_secs_f64());

        // Over 64 MiB (MAX_FILE_BYTES), a file is not read at all.
        let f = std::fs::File::create(root.dir.join("artifacts/huge.bin")).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_text(&root.dir, "artifacts/huge.bin").unwrap_err();
        assert_eq!(err, format!("{} bytes is over tollgate's limit of {MAX_FILE_BYTES} bytes", MAX_FILE_BYTES + 1));
    });
}

#[test]
fn the_modelled_file_limit_is_exact() {
    isolated("the_modelled_file_limit_is_exact", 60, 300, || {
        let (_t, root) = example();
        let base = std::fs::read_to_string(root.dir.join("pipeline.yaml")).unwrap();
        // Comments are cheap to parse: exactly MAX_MODELLED_BYTES is parsed and checked, one byte more is not.
        let line = "# padding: a long comment line that makes the pipeline large, 0123456789\n";
        let mut text = base.clone();
        while text.len() + line.len() <= MAX_MODELLED_BYTES as usize {
            text.push_str(line);
        }
        text.push_str(&"#".repeat(MAX_MODELLED_BYTES as usize - text.len()));
        assert_eq!(text.len() as u64, MAX_MODELLED_BYTES);
        std::fs::write(root.dir.join("pipeline.yaml"), &text).unwrap();
        let (snap, errors) = Snapshot::load(root.clone());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(snap.pipeline().map(|p| p.stages.len()), Some(7));
        text.push('#');
        std::fs::write(root.dir.join("pipeline.yaml"), &text).unwrap();
        let (snap, errors) = Snapshot::load(root.clone());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.starts_with("8388609 bytes is over"), "{errors:?}");
        assert!(snap.pipeline().is_none());
        // The first line is `version: 1`.
        let findings = snap.analyze(&DiskFs::new(&root.dir), &[], None, &SeverityOverrides::default());
        let d = &findings.iter().find(|f| &*f.path == "pipeline.yaml").expect("a finding").diagnostic;
        assert_eq!((d.code.as_str(), d.range.start, d.range.end), ("yaml-syntax", 0, 10));
        // The matrix (Markdown) and state (JSON) too, each with its own code.
        let mut matrix = std::fs::read_to_string(root.dir.join("policies/capability.matrix.md")).unwrap();
        matrix.push_str(&"\n".repeat(MAX_MODELLED_BYTES as usize));
        std::fs::write(root.dir.join("policies/capability.matrix.md"), &matrix).unwrap();
        let mut state = std::fs::read_to_string(root.dir.join(".factory/state.json")).unwrap();
        state.push_str(&" ".repeat(MAX_MODELLED_BYTES as usize));
        std::fs::write(root.dir.join(".factory/state.json"), &state).unwrap();
        std::fs::write(root.dir.join("pipeline.yaml"), &base).unwrap();
        let (snap, errors) = Snapshot::load(root.clone());
        let mut paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, [".factory/state.json", "policies/capability.matrix.md"]);
        let findings = snap.analyze(&DiskFs::new(&root.dir), &[], None, &SeverityOverrides::default());
        let of = |path: &str| {
            let d = &findings
                .iter()
                .find(|f| *f.path == *path)
                .unwrap_or_else(|| panic!("{path}: {findings:?}"))
                .diagnostic;
            (d.code.as_str(), d.range.start, d.range.end)
        };
        let title = "# Agent 能力边界矩阵".len() as u32;
        assert_eq!(of("policies/capability.matrix.md"), ("matrix-malformed", 0, title), "the title line");
        assert_eq!(of(".factory/state.json"), ("yaml-syntax", 0, 1), "the opening brace");
    });
}

#[test]
fn ten_thousand_levels_of_nesting_are_a_syntax_error() {
    isolated("ten_thousand_levels_of_nesting_are_a_syntax_error", 30, 100, || {
        let limits = Limits::default();
        for text in [
            format!("{}x\n", "- ".repeat(10_000)),
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000)),
            (0..10_000).map(|i| format!("{}k{i}:\n", " ".repeat(i % 200))).collect::<String>(),
        ] {
            let parsed = tollgate_yaml::parse(&text, &limits);
            if let Some(e) = parsed.errors.first() {
                assert!(e.message.contains("nesting") || e.message.contains("syntax"), "{}", e.message);
                assert!(!e.range.is_empty());
            }
            let l = pipeline::load("pipeline.yaml", Arc::from(text.as_str()));
            assert!(!l.diagnostics.is_empty());
        }
        let deep = format!("{}x\n", "- ".repeat(10_000));
        let e = &tollgate_yaml::parse(&deep, &limits).errors[0];
        assert!(e.message.contains("deeper than 256"), "{}", e.message);
    });
}

#[test]
fn a_billion_laughs_stops_at_the_alias_limit() {
    isolated("a_billion_laughs_stops_at_the_alias_limit", 30, 150, || {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text.push_str("stages: *a9\n");
        let parsed = tollgate_yaml::parse(&text, &Limits::default());
        let e = parsed.errors.first().expect("refused");
        assert!(e.message.contains("aliases expand to more than 100000 nodes"), "{}", e.message);
        let l = pipeline::load("pipeline.yaml", Arc::from(text.as_str()));
        assert!(l.model.is_none() && l.diagnostics.iter().any(|d| d.message.contains("aliases expand")));
    });
}

#[test]
fn binary_and_invalid_utf8_files_are_findings_not_crashes() {
    isolated("binary_and_invalid_utf8_files_are_findings_not_crashes", 60, 200, || {
        let (_t, root) = example();
        // Invalid UTF-8 in a modelled file: a read error naming it.
        std::fs::write(root.dir.join(".factory/scope.yaml"), b"version: 1\nid: \xff\xfe\x00bad\n").unwrap();
        let (snap, errors) = Snapshot::load(root.clone());
        assert!(errors.iter().any(|e| e.path == ".factory/scope.yaml" && e.message.contains("UTF-8")), "{errors:?}");
        // Its finding sits on the part of its first line that can be read: `version: 1`.
        let findings = snap.analyze(&DiskFs::new(&root.dir), &[], None, &SeverityOverrides::default());
        let d = &findings.iter().find(|f| &*f.path == ".factory/scope.yaml").expect("a finding").diagnostic;
        assert_eq!((d.code.as_str(), d.range.start, d.range.end), ("yaml-syntax", 0, 10));
        assert_eq!(d.message, ".factory/scope.yaml cannot be read: the file is not valid UTF-8");
        // Binary that is valid UTF-8 (NULs, control characters): a syntax finding.
        let binary: String = (0u8..128).cycle().take(64 * 1024).map(char::from).collect();
        std::fs::write(root.dir.join("pipeline.yaml"), &binary).unwrap();
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| &*f.path == "pipeline.yaml" && f.diagnostic.code.as_str() == "yaml-syntax"));
        // Binary artifacts written by the agent: changed paths like any other.
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        std::fs::write(root.dir.join("artifacts/blob.bin"), bytes).unwrap();
        std::fs::write(root.dir.join("pipeline.yaml"), std::fs::read(fixture().join("pipeline.yaml")).unwrap())
            .unwrap();
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| &*f.path == "artifacts/blob.bin"), "{findings:?}");
    });
}

#[cfg(unix)]
#[test]
fn symlink_loops_end() {
    isolated("symlink_loops_end", 60, 200, || {
        use std::os::unix::fs::symlink;
        let (_t, root) = example();
        let d = &root.dir;
        symlink(".", d.join("artifacts/self")).unwrap();
        symlink("..", d.join("artifacts/parent")).unwrap();
        symlink("b", d.join("artifacts/a")).unwrap();
        symlink("a", d.join("artifacts/b")).unwrap();
        std::fs::create_dir_all(d.join("artifacts/x/y")).unwrap();
        symlink("../../x", d.join("artifacts/x/y/up")).unwrap();
        symlink("scope.yaml", d.join(".factory/scope.yaml.tmp")).unwrap();
        std::fs::remove_file(d.join(".factory/scope.yaml")).unwrap();
        symlink("scope.yaml", d.join(".factory/scope.yaml")).unwrap(); // a link to itself
        let err = read_text(d, ".factory/scope.yaml").unwrap_err();
        println!("  self-link: {err}");
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| f.path.starts_with("artifacts/")), "{findings:?}");
        assert!(Root::find(&d.join("artifacts/self/self/self")).is_some());
    });
}

#[cfg(unix)]
#[test]
fn unreadable_directories_and_fifos_are_skipped() {
    isolated("unreadable_directories_and_fifos_are_skipped", 60, 200, || {
        use std::os::unix::fs::PermissionsExt;
        let (_t, root) = example();
        let locked = root.dir.join("artifacts/locked");
        std::fs::create_dir_all(&locked).unwrap();
        std::fs::write(locked.join("secret.md"), "x").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        // A FIFO where a file is expected: reading it would block forever.
        let fifo = root.dir.join(".factory/state.json.fifo");
        let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        if made {
            let state = root.dir.join(".factory/evidence.jsonl");
            std::fs::remove_file(&state).unwrap();
            std::fs::rename(&fifo, &state).unwrap();
            assert_eq!(read_text(&root.dir, ".factory/evidence.jsonl"), Ok(None), "a FIFO is not read");
        }
        // A FIFO an agent left among its outputs: a changed path like any other, its
        // finding at 0..0 (it has no text); reading it would block the analysis forever.
        let pipe = root.dir.join("artifacts/prd/pipe");
        let piped = Command::new("mkfifo").arg(&pipe).status().is_ok_and(|s| s.success());
        let findings = analyze(&root);
        if piped {
            let f = findings
                .iter()
                .find(|f| &*f.path == "artifacts/prd/pipe" && f.diagnostic.code.as_str() == "unauthorized-write")
                .unwrap_or_else(|| panic!("{findings:?}"));
            assert_eq!((f.diagnostic.range.start, f.diagnostic.range.end), (0, 0));
        }
        // As root (CI) the mode does not stop reads and the file is seen; otherwise it is skipped with a warning.
        let seen = findings.iter().any(|f| &*f.path == "artifacts/locked/secret.md");
        println!("  locked directory seen: {seen} (running as root sees through mode 000)");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    });
}

/// Gives every file under `dir` an mtime before the fixture run's start
/// (2026-01-29T10:00:00Z), so that outside git only what a test writes is changed.
fn age(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            age(&e.path());
        } else {
            let f = std::fs::File::options().write(true).open(e.path()).unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_769_679_000)).unwrap();
        }
    }
}

#[test]
fn a_hundred_thousand_files_in_one_folder() {
    // Debug build on 2 shared cores: ~2 s to create, ~1 s to scan, ~2 s to analyse
    // (the analysis took 50 s before the scope's patterns were compiled once per
    // analysis instead of once per changed path).
    isolated("a_hundred_thousand_files_in_one_folder", 90, 400, || {
        const N: usize = 100_000;
        let (_t, root) = example();
        age(&root.dir);
        let flood = root.dir.join("artifacts/flood");
        std::fs::create_dir_all(&flood).unwrap();
        let started = Instant::now();
        for i in 0..N {
            std::fs::write(flood.join(format!("f{i:06}.md")), "x\n").unwrap();
        }
        println!("  created 100,000 files in {:.2}s", started.elapsed().as_secs_f64());
        let started = Instant::now();
        let since = Some("2026-01-29T10:00:00Z");
        let found = changes::changed_paths(&root, None, since);
        assert_eq!(found.len(), N);
        assert!(found.iter().all(|c| c.path.starts_with("artifacts/flood/f")));
        let scan = started.elapsed();
        println!("  scan outside git: {} changed paths in {:.2}s", found.len(), scan.as_secs_f64());
        let started = Instant::now();
        let (snap, _) = Snapshot::load(root.clone());
        let findings = snap.analyze(&DiskFs::new(&root.dir), &found, None, &SeverityOverrides::default());
        let analysis = started.elapsed();
        let count = |code: &str| findings.iter().filter(|f| f.diagnostic.code.as_str() == code).count();
        // Outside code's write permissions (artifacts/backend/, artifacts/client/) and outside the
        // scope (`*.md` is root-only): each file twice, on its first line `x`.
        assert_eq!((count("unauthorized-write"), count("out-of-scope")), (N, N));
        let last = findings.iter().find(|f| &*f.path == "artifacts/flood/f099999.md").expect("the last file");
        assert_eq!((last.diagnostic.range.start, last.diagnostic.range.end), (0, 1));
        let summary = findings.iter().find(|f| f.diagnostic.code.as_str() == "stage-summary").expect("summary");
        assert_eq!(
            summary.diagnostic.message,
            "stage `code` wrote 100000 files outside its permissions, 100000 outside the scope"
        );
        println!("  analysis: {} findings in {:.2}s", findings.len(), analysis.as_secs_f64());
        // Linear, not quadratic: well under the ~50 s it took before (debug).
        assert!(analysis < Duration::from_secs(20), "analysis took {analysis:?}");
    });
}

#[test]
fn a_path_of_4000_characters() {
    isolated("a_path_of_4000_characters", 60, 200, || {
        let (_t, root) = example();
        let mut rel = String::from("artifacts");
        while rel.len() < 3700 {
            rel.push('/');
            rel.push_str(&"d".repeat(200));
        }
        std::fs::create_dir_all(root.dir.join(&rel)).unwrap();
        let file = format!("{rel}/{}.md", "f".repeat(4000 - rel.len() - 4));
        assert!(file.len() >= 4000, "{}", file.len());
        std::fs::write(root.dir.join(&file), "x\n").unwrap();
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| *f.path == *file && f.diagnostic.code.as_str() == "unauthorized-write"));
        // Quarantine would move it deeper than PATH_MAX allows: it fails whole, nothing moved.
        let files = tollgate_engine::recovery::DiskFiles { root: &root.dir };
        let env = tollgate_engine::recovery::Env { root: &root, files: &files, now: SystemTime::now() };
        match tollgate_engine::recovery::plan_quarantine(&env, &file, None) {
            Err(refusal) => println!("  quarantine refused: {refusal}"),
            Ok(plan) => match tollgate_engine::recovery::apply_to_disk(&root.dir, &plan) {
                Ok(_) => println!("  quarantined"),
                Err(failure) => {
                    println!("  quarantine failed: {}", failure.message);
                    assert!(failure.undone);
                    assert!(root.dir.join(&file).exists(), "the file stays where it was");
                }
            },
        }
    });
}

#[test]
fn a_file_rewritten_100_times_a_second_while_scanned() {
    isolated("a_file_rewritten_100_times_a_second_while_scanned", 120, 300, || {
        let (_t, root) = example();
        let good = std::fs::read_to_string(root.dir.join("pipeline.yaml")).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (dir, stop, good) = (root.dir.clone(), stop.clone(), good.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let text = match n % 4 {
                        0 => good.clone(),
                        1 => good[..good.len() / 2].to_string(),
                        2 => format!("{good}\n  - id: extra{n}\n"),
                        _ => String::new(),
                    };
                    // Truncate-and-write, as an agent does: readers can see a half-written file.
                    let _ = std::fs::write(dir.join("pipeline.yaml"), &text);
                    let _ = std::fs::write(dir.join("artifacts/live.md"), format!("line {n}\n"));
                    n += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                n
            })
        };
        let started = Instant::now();
        let mut scans = 0;
        while started.elapsed() < Duration::from_secs(2) {
            let findings = analyze(&root);
            assert!(findings.iter().all(|f| !f.path.is_empty()));
            let _ = changes::status_of(&root, None, Some("2026-01-29T10:00:00Z"), "artifacts/live.md");
            scans += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let writes = writer.join().unwrap();
        println!("  {scans} full analyses while the file was rewritten {writes} times");
        assert!(writes >= 100);
    });
}
