//! Tests of the permissions checks, on small inputs and on the real fixture.

use crate::checks::{Context, NoFs, Sink};
use crate::diagnostic::{Fix, Severity};
use crate::model::matrix::{self, Matrix};
use crate::model::pipeline::{self, Pipeline};
use crate::model::Loaded;

fn run(p: &Loaded<Pipeline>, m: Option<&Loaded<Matrix>>) -> Sink {
    let ctx = Context { pipeline: Some(p), matrix: m, ..Context::bare(&NoFs) };
    let mut sink = Sink::default();
    super::run_stages(&ctx, &mut sink);
    super::run_files(&ctx, &mut sink);
    sink
}

/// (code, severity, file, ranged text) of each finding.
fn found<'a>(sink: &'a Sink, texts: &[(&str, &'a str)]) -> Vec<(&'static str, Severity, &'a str, &'a str)> {
    sink.findings
        .iter()
        .map(|f| {
            let text = texts.iter().find(|(p, _)| *p == &*f.path).map(|(_, t)| *t).unwrap_or("");
            (f.diagnostic.code.as_str(), f.diagnostic.severity, &*f.path, f.diagnostic.range.slice(text))
        })
        .collect()
}

const MATRIX: &str = "| 阶段 | 可读取目录 | 可写入目录 |\n|---|---|---|\n| **构建** | 无 | 无 |\n| **code** | 无 | `src/` |\n| valdation | - | `out/` |\n";

const PIPELINE: &str = "stages:\n  - id: code\n    agent: a.md\n    outputs: [src/, \"docs/x.md\"]\n  - id: validation\n    agent: a.md\n    outputs:\n      - out/report.md\n  - id: custom\n    agent: a.md\n    permissions:\n      write: [\"gen/\"]\n    outputs: [gen/a, gen2/b]\n";

#[test]
fn small_inputs() {
    let p = pipeline::load("pipeline.yaml", PIPELINE.into());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let m = matrix::load("policies/capability.matrix.md", MATRIX.into());
    assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
    let sink = run(&p, Some(&m));
    let texts = [("pipeline.yaml", PIPELINE), ("policies/capability.matrix.md", MATRIX)];
    assert_eq!(
        found(&sink, &texts),
        [
            ("output-outside-permissions", Severity::Error, "pipeline.yaml", "\"docs/x.md\""),
            ("output-outside-permissions", Severity::Error, "pipeline.yaml", "gen2/b"),
            ("matrix-missing-stage", Severity::Warning, "pipeline.yaml", "validation"),
            ("matrix-unknown-stage", Severity::Warning, "policies/capability.matrix.md", "**构建**"),
            ("matrix-unknown-stage", Severity::Warning, "policies/capability.matrix.md", "valdation"),
        ]
    );
    let d = |i: usize| &sink.findings[i].diagnostic;
    assert_eq!(
        d(0).message,
        "output `docs/x.md` of stage `code` is outside its write permissions: matrix row `code` allows only `src/` \
         (policies/capability.matrix.md)"
    );
    assert_eq!(d(0).data.fixes, [Fix::GrantWrite { stage: "code".into(), path: "docs/x.md".into() }]);
    assert_eq!(d(0).data.stage.as_deref(), Some("code"));
    assert!(d(1).message.contains("`permissions.write` of stage `custom` allows only `gen/` (pipeline.yaml)"));
    assert!(d(2).message.contains("(did you mean `valdation`?)"), "{}", d(2).message);
    assert!(d(4).message.starts_with("matrix row `valdation` names no stage of pipeline.yaml"));
    assert!(d(4).message.ends_with("(did you mean `validation`?)"), "{}", d(4).message);
}

#[test]
fn missing_stage_without_a_matrix_file() {
    let p = pipeline::load("pipeline.yaml", PIPELINE.into());
    // `custom` has permissions.write, so the project uses them: the others are reported.
    let sink = run(&p, None);
    let texts = [("pipeline.yaml", PIPELINE)];
    assert_eq!(
        found(&sink, &texts),
        [
            ("output-outside-permissions", Severity::Error, "pipeline.yaml", "gen2/b"),
            ("matrix-missing-stage", Severity::Warning, "pipeline.yaml", "code"),
            ("matrix-missing-stage", Severity::Warning, "pipeline.yaml", "validation"),
        ]
    );
    assert!(sink.findings[1].diagnostic.message.contains("there is no capability matrix"));
    // No permissions anywhere and no matrix: the project does not use write permissions.
    let plain = "stages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n";
    assert!(run(&pipeline::load("pipeline.yaml", plain.into()), None).findings.is_empty());
    // An unreadable matrix reports itself; stages are not reported on top.
    let bad = matrix::load("policies/capability.matrix.md", "| a | b |\n|---|---|\n".into());
    assert!(bad.model.is_none());
    assert!(run(&pipeline::load("pipeline.yaml", plain.into()), Some(&bad)).findings.is_empty());
}

fn fixture(rel: &str) -> String {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/agent-app-factory/");
    std::fs::read_to_string(format!("{p}{rel}")).expect("fixture")
}

#[test]
fn real_fixture_has_four_outputs_outside_permissions() {
    let ptext = fixture("pipeline.yaml");
    let mtext = fixture("policies/capability.matrix.md");
    let p = pipeline::load("pipeline.yaml", ptext.as_str().into());
    let m = matrix::load("policies/capability.matrix.md", mtext.as_str().into());
    let sink = run(&p, Some(&m));
    let texts = [("pipeline.yaml", ptext.as_str()), ("policies/capability.matrix.md", mtext.as_str())];
    let all = found(&sink, &texts);
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all.iter().all(|f| f.0 == "output-outside-permissions" && f.1 == Severity::Error));
    // Exact ranges: the second and third outputs of `validation` and the third and fourth of `preview`.
    let want: Vec<(usize, usize)> = {
        let v = ptext.find("  - id: validation").expect("validation");
        let pr = ptext.find("  - id: preview").expect("preview");
        let after = |from: usize, s: &str| from + ptext[from..].find(s).expect(s);
        let outs = |stage: usize| after(stage, "    outputs:");
        [
            after(outs(v), "artifacts/backend/"),
            after(outs(v), "artifacts/client/"),
            after(outs(pr), "artifacts/backend/"),
            after(outs(pr), "artifacts/client/"),
        ]
        .iter()
        .zip([18, 17, 18, 17])
        .map(|(&s, len)| (s, s + len))
        .collect()
    };
    let got: Vec<(usize, usize)> =
        sink.findings.iter().map(|f| (f.diagnostic.range.start as usize, f.diagnostic.range.end as usize)).collect();
    assert_eq!(got, want);
    let stages: Vec<&str> = sink.findings.iter().filter_map(|f| f.diagnostic.data.stage.as_deref()).collect();
    assert_eq!(stages, ["validation", "validation", "preview", "preview"]);
    assert!(sink.findings[0]
        .diagnostic
        .message
        .contains("matrix row `validation` allows only `artifacts/validation/`"));
    assert!(sink.findings[3].diagnostic.message.contains("matrix row `preview` allows only `artifacts/preview/`"));
    // 1-based line numbers as a user sees them.
    let lines: Vec<usize> =
        sink.findings.iter().map(|f| ptext[..f.diagnostic.range.start as usize].matches('\n').count() + 1).collect();
    assert_eq!(lines, [89, 90, 113, 114]);
}
