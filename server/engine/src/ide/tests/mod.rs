//! Tests of the editor features on the real fixture, copied to a temp dir with a run state.

mod completion;
mod definition;
mod hover;
mod symbols;

use std::path::Path;
use std::sync::Arc;

use crate::analysis::Snapshot;
use crate::root::Root;
use tollgate_text::TextRange;

pub(super) const STATE: &str = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": [],
  "stageHistory": [
    {"stageId": "tech", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "attempts": 1},
    {"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 2}
  ],
  "lastCheckpoint": "tech",
  "createdAt": "2026-01-29T08:00:00Z",
  "updatedAt": "2026-01-29T10:00:00Z"
}
"#;

pub(super) const PIPELINE: &str = "pipeline.yaml";
pub(super) const MATRIX: &str = "policies/capability.matrix.md";
pub(super) const STATE_JSON: &str = ".factory/state.json";
pub(super) const SCOPE: &str = ".factory/scope.yaml";

pub(super) struct Fixture {
    /// Kept so the directory lives as long as the snapshot.
    _dir: tempfile::TempDir,
    pub snap: Snapshot,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

impl Fixture {
    /// The real fixture plus `.factory/state.json` (when given) and extra files.
    pub fn new(state: Option<&str>, files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
        copy_dir(&src, dir.path());
        let mut all: Vec<(&str, &str)> = files.to_vec();
        if let Some(s) = state {
            all.push((STATE_JSON, s));
        }
        for (rel, text) in all {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let (snap, errors) = Snapshot::load(Root::at(dir.path()).expect("root"));
        assert!(errors.is_empty(), "{errors:?}");
        Fixture { _dir: dir, snap }
    }

    pub fn run() -> Fixture {
        Fixture::new(Some(STATE), &[])
    }

    pub fn text(&self, rel: &str) -> Arc<str> {
        self.snap.text(rel).expect("text")
    }

    /// Replaces a file's text in the snapshot (as an editor buffer would).
    pub fn set(&mut self, rel: &str, text: &str) {
        assert!(self.snap.set(rel, Some(Arc::from(text))));
    }
}

/// Offset of the `nth` (0-based) occurrence of `needle`, plus `delta` bytes.
pub(super) fn at(text: &str, needle: &str, nth: usize, delta: usize) -> u32 {
    let (i, _) = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} not found"));
    (i + delta) as u32
}

pub(super) fn slice(text: &str, r: TextRange) -> &str {
    &text[r.start as usize..r.end as usize]
}

/// A pipeline of `n` stages, each reading the previous stage's output.
pub(super) fn big_pipeline(n: usize) -> String {
    let mut s = String::from("version: 1\nstages:\n");
    for i in 0..n {
        s.push_str(&format!("  - id: s{i}\n    description: 第 {i} 步 stage\n    agent: agents/a.md\n"));
        if i > 0 {
            s.push_str(&format!("    inputs:\n      - artifacts/s{}/out.md\n", i - 1));
        }
        s.push_str(&format!("    outputs:\n      - artifacts/s{i}/out.md\n"));
    }
    s
}

/// Timings on a generated pipeline (not a timed test):
/// `TOLLGATE_IDE_BENCH=/tmp/x/pipeline.yaml cargo test --release -p tollgate-engine ide_bench -- --ignored --nocapture`
#[test]
#[ignore]
fn ide_bench() {
    let Ok(path) = std::env::var("TOLLGATE_IDE_BENCH") else { return };
    let text = std::fs::read_to_string(path).expect("pipeline");
    let mut f = Fixture::run();
    f.set(PIPELINE, &text);
    let last = text.rfind("  - id: ").expect("a stage") as u32 + 8;
    let input = text.rfind("    inputs:\n      - ").expect("an input") as u32 + 20;
    let key = text.rfind("    agent: ").expect("agent") as u32 + 5;
    let time = |name: &str, run: &dyn Fn() -> usize| {
        for round in ["cold", "warm"] {
            let start = std::time::Instant::now();
            let n = run();
            eprintln!("{name} ({round}): {:?} ({n} results)", start.elapsed());
        }
    };
    time("hover last stage", &|| crate::ide::hover(&f.snap, PIPELINE, last).map_or(0, |h| h.markdown.len()));
    time("hover input", &|| crate::ide::hover(&f.snap, PIPELINE, input).map_or(0, |h| h.markdown.len()));
    time("definition input", &|| crate::ide::definition(&f.snap, PIPELINE, input).len());
    time("symbols", &|| crate::ide::symbols(&f.snap, PIPELINE).len());
    time("completion key", &|| crate::ide::completion(&f.snap, PIPELINE, &text, key).len());
    time("completion input", &|| crate::ide::completion(&f.snap, PIPELINE, &text, input).len());
}
