//! The engine's benchmarks: `cargo bench -p tollgate-engine [-- FILTER]`.
//!
//! A plain `harness = false` program timed with `std::time` (no criterion): it adds
//! no dependency to build on a small, shared machine, and what is measured here is
//! milliseconds per call, where a median and a p95 over repeated runs are enough.
//!
//! Pipelines come from `tests/bench/peer/gen_pipeline.py` (the same files the LSP
//! benchmark uses); without python3 or that script those rows are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tollgate_engine::analysis::Snapshot;
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::fs_view::DiskFs;
use tollgate_engine::model::pipeline;
use tollgate_engine::pattern::{Pattern, PatternSet};
use tollgate_engine::root::Root;

/// Runs `f` at least `min_runs` times and for at least `budget`; prints median and p95.
fn time<T>(name: &str, min_runs: usize, budget: Duration, mut f: impl FnMut() -> T) -> f64 {
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < min_runs || (started.elapsed() < budget && samples.len() < 10_000) {
        let t = Instant::now();
        std::hint::black_box(f());
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!("{name:<44} {:>10.3} {:>10.3} {:>10.3} {:>7}", at(0.5), at(0.95), samples[0], samples.len());
    at(0.5)
}

fn header(title: &str) {
    println!("\n{title}");
    println!("{:<44} {:>10} {:>10} {:>10} {:>7}", "", "median ms", "p95 ms", "min ms", "runs");
}

fn generator() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bench/peer/gen_pipeline.py");
    script.is_file().then_some(script)
}

fn generate(script: &Path, stages: usize, dir: &Path) -> Option<Arc<str>> {
    let out = dir.join("pipeline.yaml");
    let ok = Command::new("python3")
        .arg(script)
        .args(["--stages", &stages.to_string(), "-o"])
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| std::fs::read_to_string(&out).ok().map(Arc::from)).flatten()
}

/// The text with one character typed into (or taken back out of) a scalar value in
/// the middle of the file, as lspbench's edits do.
fn keystroke_site(text: &str) -> usize {
    let mid = text.len() / 2;
    let at = text[mid..].find("\n      - ").map(|i| mid + i + "\n      - ".len()).expect("a list item");
    at + 3
}

fn pipelines() {
    let Some(script) = generator() else {
        println!("\n(pipeline rows skipped: python3 or tests/bench/peer/gen_pipeline.py not found)");
        return;
    };
    header("pipeline.yaml (gen_pipeline.py)");
    let none = SeverityOverrides::default();
    for stages in [100, 1_000, 5_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(text) = generate(&script, stages, dir.path()) else {
            println!("(python3 gen_pipeline.py failed; pipeline rows skipped)");
            return;
        };
        let budget = Duration::from_millis(if stages >= 5_000 { 3_000 } else { 1_500 });
        let runs = 5;
        time(&format!("bare YAML parse, {stages} stages"), runs, budget, || {
            tollgate_yaml::parse(&text, &tollgate_yaml::Limits::default())
        });
        time(&format!("pipeline::load, {stages} stages"), runs, budget, || {
            pipeline::load("pipeline.yaml", text.clone())
        });
        let root = Root::at(dir.path()).expect("root");
        let (snap, _) = Snapshot::load(root);
        let fs = DiskFs::new(dir.path());
        time(&format!("Snapshot::analyze, {stages} stages"), runs, budget, || snap.analyze(&fs, &[], None, &none));

        if stages == 5_000 {
            let mut snap = snap.clone();
            let at = keystroke_site(&text);
            let typed: Arc<str> = format!("{}x{}", &text[..at], &text[at..]).into();
            let mut flip = false;
            time(&format!("keystroke: Snapshot::set, {stages} stages"), 20, budget, || {
                flip = !flip;
                snap.set("pipeline.yaml", Some(if flip { typed.clone() } else { text.clone() }))
            });
            time(&format!("keystroke: set + analyze, {stages} stages"), 20, budget, || {
                flip = !flip;
                snap.set("pipeline.yaml", Some(if flip { typed.clone() } else { text.clone() }));
                snap.analyze(&fs, &[], None, &none)
            });
            // What the server does: start from the previous analysis (`analyze_since`),
            // so only the edited stage is checked again.
            let mut prev = Some(snap.analyze_since(None, &fs, &[], None, &none));
            time(&format!("keystroke: set + analyze_since, {stages} stages"), 20, budget, || {
                flip = !flip;
                snap.set("pipeline.yaml", Some(if flip { typed.clone() } else { text.clone() }));
                let a = snap.analyze_since(prev.take(), &fs, &[], None, &none);
                assert!(a.reused, "a keystroke inside one stage reuses the previous analysis");
                prev = Some(a);
            });
            let mut full = snap.clone();
            time(&format!("(full re-read: set after a new root), {stages}"), runs, budget, || {
                full = Snapshot::empty(full.root.clone());
                full.set("pipeline.yaml", Some(text.clone()))
            });
        }
    }
}

fn scope_matching() {
    header("scope matching (PatternSet)");
    let sources = [
        "src/server/auth/**",
        "src/web/*/components/**/*.tsx",
        "artifacts/**/prd/*.md",
        "docs/**",
        "tests/**/*.spec.ts",
        "!src/server/auth/secrets/**",
        "artifacts/backend/",
        "README.md",
    ];
    let patterns: Vec<Pattern> = sources.iter().filter_map(|s| Pattern::compile(s).ok()).collect();
    let set = PatternSet::new(patterns.iter());
    let areas = ["auth", "billing", "search", "admin", "catalog"];
    let paths: Vec<String> = (0..100_000)
        .map(|i| match i % 5 {
            0 => format!("src/server/{}/handler{i}.ts", areas[i % 5]),
            1 => format!("src/web/{}/components/deep/w{i}.tsx", areas[(i / 5) % 5]),
            2 => format!("artifacts/{}/prd/doc{i}.md", areas[(i / 3) % 5]),
            3 => format!("node_modules/pkg{}/index{i}.js", i % 97),
            _ => format!("tests/{}/case{i}.spec.ts", areas[(i / 7) % 5]),
        })
        .collect();
    let mut hits = 0;
    time(&format!("{} patterns x 100,000 paths", patterns.len()), 5, Duration::from_secs(2), || {
        hits = paths.iter().filter(|p| set.is_match(p)).count();
        hits
    });
    println!("({hits} of 100,000 paths matched)");
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().is_ok_and(|s| s.success());
    assert!(ok, "git {args:?}");
}

/// A git root with `files` tracked files, a tenth of them changed and as many new, and an active run.
fn changed_path_scan(files: usize) {
    header(&format!("changed-path scan ({files} tracked files, {} modified, {} new)", files / 10, files / 10));
    let dir = tempfile::tempdir().expect("tempdir");
    let root_dir = dir.path();
    std::fs::create_dir_all(root_dir.join(".factory")).expect("mkdir");
    std::fs::write(
        root_dir.join("pipeline.yaml"),
        "stages:\n  - id: code\n    agent: a.md\n    outputs: [artifacts/backend/]\n",
    )
    .expect("write");
    for i in 0..files {
        let d = root_dir.join(format!("artifacts/backend/m{}", i % 100));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("f{i}.ts")), format!("export const v{i} = {i};\n")).expect("write");
    }
    git(root_dir, &["init", "-q"]);
    git(root_dir, &["add", "-A"]);
    git(
        root_dir,
        &["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "base"],
    );
    std::fs::write(
        root_dir.join(".factory/state.json"),
        r#"{"version": "1.0", "status": "running", "currentStage": "code", "completedStages": [], "failedStages": [],
            "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2000-01-01T00:00:00Z", "attempts": 1}]}"#,
    )
    .expect("write");
    for i in 0..files / 10 {
        let d = root_dir.join(format!("artifacts/backend/m{}", i % 100));
        std::fs::write(d.join(format!("f{i}.ts")), "export const v = -1;\n").expect("write");
        std::fs::write(d.join(format!("new{i}.ts")), "new\n").expect("write");
    }
    let (snap, _) = Snapshot::load(Root::at(root_dir).expect("root"));
    assert!(snap.run_is_active());
    let mut found = 0;
    time("Snapshot::gather_changes (git)", 5, Duration::from_secs(3), || {
        found = snap.gather_changes().0.len();
    });
    time("floor: git status --porcelain", 5, Duration::from_secs(3), || {
        Command::new("git").arg("-C").arg(root_dir).args(["status", "--porcelain", "-uall"]).output().expect("git")
    });
    println!("({found} changed paths found)");
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a filter on the group names.
    let filter: String = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let want = |group: &str| filter.is_empty() || group.contains(filter.as_str());
    println!("tollgate-engine benchmarks ({} cores)", std::thread::available_parallelism().map_or(1, |n| n.get()));
    if want("pipeline") {
        pipelines();
    }
    if want("scope") {
        scope_matching();
    }
    if want("changes") {
        changed_path_scan(5_000);
    }
}
