//! Tests of the pipeline checks, on small inputs and on the real fixture.

use std::path::Path;

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Severity};
use crate::fs_view::{DiskFs, FsView};
use crate::model::pipeline::{self, Pipeline};
use crate::model::Loaded;

/// A disk of the given paths (a path's parent directories exist too).
pub(crate) struct FakeFs(pub Vec<&'static str>);

impl FsView for FakeFs {
    fn exists(&self, rel: &str) -> bool {
        let bare = rel.trim_end_matches('/');
        let dir = format!("{bare}/");
        self.0.iter().any(|p| p.starts_with(&dir) || (!rel.ends_with('/') && *p == bare))
    }
}

pub(crate) fn run(p: &Loaded<Pipeline>, fs: &dyn FsView) -> Sink {
    let ctx = Context { pipeline: Some(p), ..Context::bare(fs) };
    let mut sink = Sink::default();
    super::run(&ctx, &mut sink);
    sink
}

fn at(text: &str, r: tollgate_text::TextRange) -> &str {
    &text[r.start as usize..r.end as usize]
}

const SMALL: &str = "stages:\n  - id: a\n    agent: agents/a.md\n    inputs: [input/idea.md]\n    outputs: [artifacts/backend/]\n  - id: b\n    agent: \"./agents/b.md\"\n    inputs:\n      - artifacts/backend/src/x.ts\n      - artifacts/nowhere.md\n    outputs: [out.md]\n  - id: a\n    agent: agents/a.md\n    outputs: []\n";

#[test]
fn small_pipeline_findings() {
    let l = pipeline::load("pipeline.yaml", SMALL.into());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let fs = FakeFs(vec![".factory/agents/a.md", "input/idea.md"]);
    let sink = run(&l, &fs);
    let found: Vec<(&str, &str, Severity, &str)> = sink
        .findings
        .iter()
        .map(|f| (f.diagnostic.code.as_str(), at(SMALL, f.diagnostic.range), f.diagnostic.severity, &*f.path))
        .collect();
    assert_eq!(
        found,
        [
            ("duplicate-stage", "a", Severity::Error, "pipeline.yaml"),
            ("agent-not-found", "\"./agents/b.md\"", Severity::Error, "pipeline.yaml"),
            ("input-not-produced", "artifacts/nowhere.md", Severity::Warning, "pipeline.yaml"),
        ]
    );
    let dup = &sink.findings[0].diagnostic;
    assert_eq!(dup.range.start as usize, SMALL.rfind("id: a").expect("second a") + 4);
    assert!(dup.message.contains("stage id `a`") && dup.message.contains("line 2"), "{}", dup.message);
    let agent = &sink.findings[1].diagnostic;
    assert!(agent.message.contains("`./agents/b.md` of stage `b`") && agent.message.contains("`.factory/`"));
    assert_eq!(agent.data.stage.as_deref(), Some("b"));
    let input = &sink.findings[2].diagnostic;
    assert!(input.message.contains("input `artifacts/nowhere.md` of stage `b`"), "{}", input.message);
}

fn fixture() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/agent-app-factory"))
}

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to.join("policies")).expect("mkdir");
    for f in ["pipeline.yaml", "policies/capability.matrix.md", "README.md"] {
        std::fs::copy(fixture().join(f), to.join(f)).expect("copy");
    }
}

#[test]
fn real_fixture_without_agents_has_seven_missing_agents() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fixture(dir.path());
    let text = std::fs::read_to_string(dir.path().join("pipeline.yaml")).expect("read");
    let l = pipeline::load("pipeline.yaml", text.clone().into());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let fs = DiskFs::new(dir.path());
    let sink = run(&l, &fs);
    let agents: Vec<&str> = sink.findings.iter().map(|f| at(&text, f.diagnostic.range)).collect();
    assert!(sink.findings.iter().all(|f| f.diagnostic.code == Code::AgentNotFound));
    assert_eq!(
        agents,
        [
            "agents/bootstrap.agent.md",
            "agents/prd.agent.md",
            "agents/ui.agent.md",
            "agents/tech.agent.md",
            "agents/code.agent.md",
            "agents/validation.agent.md",
            "agents/preview.agent.md",
        ]
    );
}

#[test]
fn real_fixture_with_agents_is_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_fixture(dir.path());
    // Half at the root, half under `.factory/` (a `factory init` project reads both).
    std::fs::create_dir_all(dir.path().join("agents")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join(".factory/agents")).expect("mkdir");
    for (n, s) in ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"].iter().enumerate() {
        let base = if n % 2 == 0 { dir.path().join("agents") } else { dir.path().join(".factory/agents") };
        std::fs::write(base.join(format!("{s}.agent.md")), "# agent\n").expect("write");
    }
    let text = std::fs::read_to_string(dir.path().join("pipeline.yaml")).expect("read");
    let l = pipeline::load("pipeline.yaml", text.into());
    let sink = run(&l, &DiskFs::new(dir.path()));
    assert!(sink.findings.is_empty(), "{:?}", sink.findings);
}

/// `norm`'s shortcut for plain paths answers as the full trim does.
#[test]
fn norm_shortcut_equals_the_full_trim() {
    let paths = [
        "",
        " ",
        ".",
        "..",
        "./",
        ".//a",
        "./a",
        "././a",
        ".a",
        "a",
        "a/",
        " a",
        "a ",
        "\ta/b\n",
        "\u{3000}a",
        "a\u{a0}",
        "a\u{85}",
        "初/始",
        "a\u{7f}",
        "\u{7f}a",
        "~a",
        "a~",
        "./初",
        "初 ",
    ];
    for p in paths {
        assert_eq!(super::norm(p), p.trim().trim_start_matches("./"), "{p:?}");
    }
}
