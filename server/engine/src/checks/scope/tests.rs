//! Tests of the scope checks on small inputs, with exact ranges.

use crate::checks::{Context, NoFs, Sink};
use crate::diagnostic::{Fix, Severity};
use crate::model::evidence::{self, Evidence};
use crate::model::scope::{self, Scope};
use crate::model::Loaded;
use tollgate_text::TextRange;

fn run(s: &Loaded<Scope>, e: Option<&Loaded<Evidence>>) -> Sink {
    let ctx = Context { scope: Some(s), evidence: e, ..Context::bare(&NoFs) };
    let mut sink = Sink::default();
    super::run(&ctx, &mut sink);
    sink
}

fn at(text: &str, needle: &str) -> TextRange {
    let s = text.find(needle).unwrap_or_else(|| panic!("{needle} not in text"));
    TextRange::new(s as u32, (s + needle.len()) as u32)
}

const SCOPE: &str = r#"version: 1
id: login   # 登录
revision: 1
allow:
  - path: "artifacts/backend/src/auth/**"
    source: exploration
  - path: "../outside/**"
  - path: "*.py"
  - path: 'test_?.rs'
  - path: 文档*.md
  - path: "artifacts/backend/prisma/schema.prisma"
    source: user
    evidence: ev-0001
  - path: artifacts/client/
    source: user
    evidence: "ev-0009"
  - path: "/*.toml"
    source: user
exclude:
  - path: "!secret/**"
  - path: C:/x
  - path: ""
"#;

const EVIDENCE: &str = "{\"id\":\"ev-0001\",\"kind\":\"scope_expansion\",\"actor\":\"user\",\"at\":\"2026-01-01T00:00:00Z\",\"subject\":\"x\",\"sha256\":\"00\"}\nnot json\n";

#[test]
fn scope_findings_with_exact_ranges() {
    let s = scope::load(".factory/scope.yaml", SCOPE.into());
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    let e = evidence::load(".factory/evidence.jsonl", EVIDENCE.into());
    let sink = run(&s, Some(&e));
    let got: Vec<(&str, Severity, &str, TextRange)> = sink
        .findings
        .iter()
        .map(|f| (f.diagnostic.code.as_str(), f.diagnostic.severity, &*f.path, f.diagnostic.range))
        .collect();
    let f = ".factory/scope.yaml";
    let u = SCOPE.rfind("source: user").expect("user") + "source: ".len();
    let last_user = TextRange::new(u as u32, u as u32 + 4);
    assert_eq!(
        got,
        [
            ("invalid-pattern", Severity::Error, f, at(SCOPE, "\"../outside/**\"")),
            ("invalid-pattern", Severity::Error, f, at(SCOPE, "\"!secret/**\"")),
            ("invalid-pattern", Severity::Error, f, at(SCOPE, "C:/x")),
            ("invalid-pattern", Severity::Error, f, at(SCOPE, "\"\"")),
            ("ambiguous-pattern", Severity::Warning, f, at(SCOPE, "\"*.py\"")),
            ("ambiguous-pattern", Severity::Warning, f, at(SCOPE, "'test_?.rs'")),
            ("ambiguous-pattern", Severity::Warning, f, at(SCOPE, "文档*.md")),
            ("missing-evidence", Severity::Error, f, at(SCOPE, "\"ev-0009\"")),
            ("missing-evidence", Severity::Error, f, last_user),
        ]
    );
    let d = |i: usize| &sink.findings[i].diagnostic;
    assert_eq!(d(0).message, "allow pattern `../outside/**` is invalid: a `..` segment is not allowed; patterns stay inside the factory root");
    assert!(d(1).message.starts_with("exclude pattern `!secret/**` is invalid: a leading `!`"));
    assert_eq!(d(8).range.slice(SCOPE), "user");
    assert!(d(7).message.contains("evidence `ev-0009` of allow entry `artifacts/client/`"), "{}", d(7).message);
    assert!(d(8).message.contains("has `source: user` but no `evidence`"), "{}", d(8).message);
    let py = d(4);
    assert_eq!(
        py.data.fixes,
        [
            Fix::Replace {
                title: "Match `*.py` at any depth: `**/*.py`".into(),
                range: at(SCOPE, "\"*.py\""),
                new_text: "\"**/*.py\"".into()
            },
            Fix::Replace {
                title: "Match `*.py` at the root only: `/*.py`".into(),
                range: at(SCOPE, "\"*.py\""),
                new_text: "\"/*.py\"".into()
            },
        ]
    );
    let new_texts = |i: usize| {
        d(i).data
            .fixes
            .iter()
            .map(|f| match f {
                Fix::Replace { new_text, .. } => new_text.clone(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(new_texts(5), ["'**/test_?.rs'", "'/test_?.rs'"]);
    assert_eq!(new_texts(6), ["\"**/文档*.md\"", "/文档*.md"]);
}

#[test]
fn without_an_evidence_file_every_user_entry_lacks_evidence() {
    let s = scope::load(".factory/scope.yaml", SCOPE.into());
    let sink = run(&s, None);
    let ev: Vec<&str> = sink
        .findings
        .iter()
        .filter(|f| f.diagnostic.code.as_str() == "missing-evidence")
        .map(|f| f.diagnostic.range.slice(SCOPE))
        .collect();
    assert_eq!(ev, ["ev-0001", "\"ev-0009\"", "user"]);
    assert!(sink.findings.iter().any(|f| f.diagnostic.message.contains("there is no .factory/evidence.jsonl")));
}
