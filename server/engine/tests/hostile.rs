//! Hostile workspaces (issue 7, item 3). Each test runs in a child process of
//! this test binary (so its memory high-water mark is its own), under a wall-clock
//! limit and a peak-RSS limit (VmHWM from /proc/self/status). The limits the
//! engine relies on are listed in `LIMITS.md` beside this file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tollgate_engine::analysis::{read_text, Snapshot, MAX_FILE_BYTES};
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
    for line in stdout.lines().filter(|l| l.starts_with("HOSTILE")) {
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
        let started = Instant::now();
        let l = pipeline::load("pipeline.yaml", Arc::from(text.as_str()));
        let stages = l.model.expect("a 5 MB pipeline is read").stages.len();
        println!("5 MB: {stages} stages loaded in {:.2}s", started.elapsed().as_secs_f64());
    });
}

#[test]
#[ignore = "heavy (50 MB, GBs of RSS in debug): cargo test -p tollgate-engine --test hostile -- --ignored"]
fn yaml_of_50_mb_is_read_and_parsed_or_refused_clearly() {
    // Under MAX_FILE_BYTES (64 MiB), so it is read and parsed; this bounds what that costs.
    isolated("yaml_of_50_mb_is_read_and_parsed_or_refused_clearly", 600, 3000, || {
        let (_t, root) = example();
        let text = big_pipeline(50 << 20);
        std::fs::write(root.dir.join("pipeline.yaml"), &text).unwrap();
        drop(text);
        let started = Instant::now();
        let read = read_text(&root.dir, "pipeline.yaml").expect("under the limit: read").expect("exists");
        let l = pipeline::load("pipeline.yaml", read);
        println!("50 MB: {} stages in {:.2}s", l.model.map_or(0, |p| p.stages.len()), started.elapsed().as_secs_f64());
        // Over the limit: refused with a message that names it, without reading the bytes.
        let f = std::fs::File::create(root.dir.join(".factory/state.json")).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_text(&root.dir, ".factory/state.json").unwrap_err();
        assert!(err.contains("over tollgate's limit"), "{err}");
        let (_, errors) = Snapshot::load(root.clone());
        assert!(errors.iter().any(|e| e.path == ".factory/state.json" && e.message.contains("limit")), "{errors:?}");
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
        let (_, errors) = Snapshot::load(root.clone());
        assert!(errors.iter().any(|e| e.path == ".factory/scope.yaml" && e.message.contains("UTF-8")), "{errors:?}");
        // Binary that is valid UTF-8 (NULs, control characters): a syntax finding.
        let binary: String = (0u8..128).cycle().take(64 * 1024).map(char::from).collect();
        std::fs::write(root.dir.join("pipeline.yaml"), &binary).unwrap();
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| f.path == "pipeline.yaml" && f.diagnostic.code.as_str() == "yaml-syntax"));
        // Binary artifacts written by the agent: changed paths like any other.
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        std::fs::write(root.dir.join("artifacts/blob.bin"), bytes).unwrap();
        std::fs::write(root.dir.join("pipeline.yaml"), std::fs::read(fixture().join("pipeline.yaml")).unwrap())
            .unwrap();
        let findings = analyze(&root);
        assert!(findings.iter().any(|f| f.path == "artifacts/blob.bin"), "{findings:?}");
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
        println!("self-link: {err}");
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
        let findings = analyze(&root);
        // As root (CI) the mode does not stop reads and the file is seen; otherwise it is skipped with a warning.
        let seen = findings.iter().any(|f| f.path == "artifacts/locked/secret.md");
        println!("locked directory seen: {seen} (running as root sees through mode 000)");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    });
}

#[test]
#[ignore = "over 8 minutes in debug: the edit checks do not scale to 100,000 changed paths yet (see LIMITS.md)"]
fn a_hundred_thousand_files_in_one_folder() {
    isolated("a_hundred_thousand_files_in_one_folder", 300, 600, || {
        let (_t, root) = example();
        let flood = root.dir.join("artifacts/flood");
        std::fs::create_dir_all(&flood).unwrap();
        let started = Instant::now();
        for i in 0..100_000 {
            std::fs::write(flood.join(format!("f{i:06}.md")), "x\n").unwrap();
        }
        println!("created 100,000 files in {:.2}s", started.elapsed().as_secs_f64());
        let started = Instant::now();
        let since = Some("2026-01-29T10:00:00Z");
        let found = changes::changed_paths(&root, None, since);
        assert!(found.len() >= 100_000, "{}", found.len());
        println!("scan outside git: {} changed paths in {:.2}s", found.len(), started.elapsed().as_secs_f64());
        let started = Instant::now();
        let (snap, _) = Snapshot::load(root.clone());
        let findings = snap.analyze(&DiskFs::new(&root.dir), &found, None, &SeverityOverrides::default());
        assert!(findings.len() >= 100_000);
        let summary = findings.iter().find(|f| f.diagnostic.code.as_str() == "stage-summary").expect("summary");
        println!(
            "analysis: {} findings in {:.2}s; {}",
            findings.len(),
            started.elapsed().as_secs_f64(),
            summary.diagnostic.message
        );
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
        assert!(findings.iter().any(|f| f.path == file && f.diagnostic.code.as_str() == "unauthorized-write"));
        // Quarantine would move it deeper than PATH_MAX allows: it fails whole, nothing moved.
        let files = tollgate_engine::recovery::DiskFiles { root: &root.dir };
        let env = tollgate_engine::recovery::Env { root: &root, files: &files, now: SystemTime::now() };
        match tollgate_engine::recovery::plan_quarantine(&env, &file, None) {
            Err(refusal) => println!("quarantine refused: {refusal}"),
            Ok(plan) => match tollgate_engine::recovery::apply_to_disk(&root.dir, &plan) {
                Ok(_) => println!("quarantined"),
                Err(failure) => {
                    println!("quarantine failed: {}", failure.message);
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
        println!("{scans} full analyses while the file was rewritten {writes} times");
        assert!(writes >= 100);
    });
}
