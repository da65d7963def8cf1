//! The fuzz targets' bodies, shared by the libFuzzer binaries (`fuzz_targets/`)
//! and the stable runner (`tests/corpus.rs`). Each takes arbitrary bytes, must
//! never panic, hang or loop, and asserts the invariants SPEC promises.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tollgate_engine::analysis::Snapshot;
use tollgate_engine::changes::Change;
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::fs_view::FsView;
use tollgate_engine::model::scope::Op;
use tollgate_engine::model::{agent_settings, evidence, matrix, pipeline, scope, state};
use tollgate_engine::root::Root;
use tollgate_engine::{Diagnostic, TextRange};
use tollgate_yaml::{Limits, Node, NodeKind};

/// A range lies inside `text`, is not reversed and starts and ends on characters.
pub fn assert_range(text: &str, r: TextRange, what: &str) {
    assert!(r.start <= r.end, "{what}: reversed range {r:?}");
    assert!((r.end as usize) <= text.len(), "{what}: range {r:?} past the end ({} bytes)", text.len());
    assert!(
        text.is_char_boundary(r.start as usize) && text.is_char_boundary(r.end as usize),
        "{what}: range {r:?} splits a character in {text:?}"
    );
}

/// SPEC 3: a finding's range is "never zero width" (where the text has a character).
fn assert_diagnostic(text: &str, d: &Diagnostic, what: &str) {
    assert_range(text, d.range, what);
    if !text.is_empty() {
        assert!(
            !d.range.is_empty(),
            "{what}: zero-width `{}` finding at {:?} ({})",
            d.code.as_str(),
            d.range,
            d.message
        );
    }
}

fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

// ----- yaml_tree -------------------------------------------------------------

pub fn yaml_tree(data: &[u8]) {
    let text = text_of(data);
    let parsed = tollgate_yaml::parse(&text, &Limits::default());
    for e in &parsed.errors {
        assert_range(&text, e.range, "syntax error");
        if !text.is_empty() {
            assert!(!e.range.is_empty(), "zero-width syntax error {e:?}");
        }
    }
    for d in &parsed.duplicate_keys {
        assert_range(&text, d.range, "duplicate key");
        assert_range(&text, d.first, "first key");
    }
    if let Some(root) = &parsed.root {
        let mut stack: Vec<&Node> = vec![root];
        let mut count = 0usize;
        while let Some(n) = stack.pop() {
            count += 1;
            assert_range(&text, n.range, "node");
            match &n.kind {
                NodeKind::Scalar(_) => {}
                NodeKind::Seq(items) => stack.extend(items),
                NodeKind::Map(entries) => {
                    for (k, v) in entries {
                        stack.push(k);
                        stack.push(v);
                    }
                }
            }
        }
        // Alias expansion is bounded (billion laughs): nodes from the text plus the limit.
        assert!(count <= text.len() + 1 + Limits::default().max_alias_nodes, "{count} nodes from {} bytes", text.len());
    }
    assert!(parsed.errors.is_empty() || parsed.root.is_none(), "a tree despite a syntax error");
}

// ----- models ----------------------------------------------------------------

const KINDS: [&str; 6] = [
    "pipeline.yaml",
    "policies/capability.matrix.md",
    ".factory/state.json",
    ".factory/scope.yaml",
    ".factory/evidence.jsonl",
    ".claude/settings.json",
];

/// Answers existence questions from a hash, the same way every time.
struct FakeFs(u8);

impl FsView for FakeFs {
    fn exists(&self, rel: &str) -> bool {
        rel.bytes().fold(self.0, |h, b| h.wrapping_mul(31).wrapping_add(b)) % 2 == 0
    }
}

fn check_loaded<T>(l: &tollgate_engine::model::Loaded<T>) {
    for d in &l.diagnostics {
        assert_diagnostic(&l.text, d, &l.path);
    }
}

/// First byte: which file (0-5), or all six (6, 7) split at NUL bytes and analysed together.
pub fn models(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = text_of(rest);
    match mode % 8 {
        0 => check_loaded(&pipeline::load(KINDS[0], Arc::from(text.as_str()))),
        1 => check_loaded(&matrix::load(KINDS[1], Arc::from(text.as_str()))),
        2 => check_loaded(&state::load(KINDS[2], Arc::from(text.as_str()))),
        3 => check_loaded(&scope::load(KINDS[3], Arc::from(text.as_str()))),
        4 => check_loaded(&evidence::load(KINDS[4], Arc::from(text.as_str()))),
        5 => check_loaded(&agent_settings::load(KINDS[5], Arc::from(text.as_str()))),
        _ => analyse_all(mode, &text),
    }
}

fn analyse_all(mode: u8, text: &str) {
    let root = Root::at(Path::new("/nonexistent-tollgate-fuzz")).unwrap_or_else(|| Root {
        dir: PathBuf::from("/nonexistent-tollgate-fuzz"),
        layout: tollgate_engine::root::Layout {
            pipeline: KINDS[0].into(),
            matrix: KINDS[1].into(),
            state: KINDS[2].into(),
            scope: KINDS[3].into(),
            evidence: KINDS[4].into(),
            error_log: "pipeline/error.log".into(),
        },
    });
    let mut snap = Snapshot::empty(root);
    let mut texts: Vec<(&str, Arc<str>)> = Vec::new();
    for (kind, part) in KINDS.iter().zip(text.split('\0')) {
        let t: Arc<str> = Arc::from(part);
        snap.set(kind, Some(t.clone()));
        texts.push((kind, t));
    }
    let changes = vec![
        Change::new("artifacts/x.ts", Op::Modify, Some(0)),
        Change::new("src/new.rs", Op::Create, Some(0)),
        Change::new("artifacts/prd/prd.md", Op::Delete, None),
    ];
    let findings = snap.analyze(&FakeFs(mode), &changes, None, &SeverityOverrides::default());
    for f in &findings {
        if let Some((_, t)) = texts.iter().find(|(k, _)| *k == &*f.path) {
            assert_diagnostic(t, &f.diagnostic, &f.path);
        }
    }
}

// ----- pattern ---------------------------------------------------------------

/// Pattern and path, split at the first newline.
pub fn pattern(data: &[u8]) {
    let text = text_of(data);
    let (pat, path) = text.split_once('\n').unwrap_or((&text, ""));
    let valid = tollgate_engine::pattern::validate(pat).is_ok();
    let Ok(p) = tollgate_engine::pattern::Pattern::compile(pat) else { return };
    assert!(valid, "{pat:?} compiled but does not validate");
    let m = p.matches(path);
    let _ = p.is_directory();
    let prefix = p.literal_prefix();
    assert!(p.glob.starts_with(prefix), "prefix {prefix:?} of {:?}", p.glob);
    let _ = p.covers_dir(path);
    let set = tollgate_engine::pattern::PatternSet::new([&p]);
    assert_eq!(set.is_match(path), m, "set and pattern disagree on {pat:?} vs {path:?}");
    // A pattern without wildcards is a path that matches itself.
    let body = pat.strip_prefix('/').unwrap_or(pat);
    if !tollgate_engine::pattern::has_wildcard(pat) && !body.is_empty() && !body.ends_with('/') {
        assert!(p.matches(body), "literal {pat:?} does not match {body:?}");
    }
}

// ----- error_log -------------------------------------------------------------

pub fn error_log(data: &[u8]) {
    let text = text_of(data);
    let blocks = tollgate_engine::recovery::parse_error_log(&text);
    let mut last_end = 0;
    for b in &blocks {
        assert_range(&text, b.range, "block");
        assert!(b.range.start >= last_end, "blocks overlap: {blocks:?}");
        last_end = b.range.end;
        for p in &b.paths {
            assert_range(&text, p.range, "path");
            assert!(b.range.start <= p.range.start && p.range.end <= b.range.end, "path outside its block");
        }
    }
}

// ----- lsp_messages ----------------------------------------------------------

mod lsp;
pub use lsp::lsp_messages;

/// The bundled example project, copied per run.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/example")
}

pub fn copy_tree(from: &Path, to: &Path) {
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

/// One single-threaded runtime for every run (building one per input is slow).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

/// No request may take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
