use super::*;
use crate::model::scope::Op;

const SCOPE: &str = r#"version: 1
id: passwordless-login          # the work item
revision: 3                     # bump on every change; a scope change is never silent
supersedes: 2                   # required when revision > 1
request: "Add passwordless login by magic link"
stage: code                     # the stage this scope binds
allow:
  - path: "artifacts/backend/src/auth/**"
    ops: [modify, create]       # default [modify, create]; also delete
    reason: "the magic-link flow lives in the auth module"
    source: exploration         # exploration | user | policy
  - path: "artifacts/backend/prisma/schema.prisma"
    ops: [modify]
    source: user
    evidence: ev-0002           # an id in .factory/evidence.jsonl
exclude:                        # always wins, whatever the order
  - path: "artifacts/backend/src/auth/jwt/**"
    reason: "no JWT refresh tokens in this change"
"#;

const EVIDENCE: &str = r#"{"id":"ev-0001","kind":"approval","actor":"user","at":"2026-01-28T10:00:00Z","subject":"prd","sha256":"00"}
{"id":"ev-0002","kind":"scope_expansion","actor":"user","at":"2026-01-28T11:00:00Z","subject":"artifacts/backend/prisma/schema.prisma","sha256":"00"}
"#;

fn request<'a>(path: &'a str, ops: Vec<Op>, reason: Option<&'a str>) -> ScopeRequest<'a> {
    ScopeRequest { path, ops, reason }
}

#[test]
fn appends_an_entry_keeping_comments_and_records_the_evidence() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write(".factory/scope.yaml", SCOPE);
    fx.write(".factory/evidence.jsonl", EVIDENCE);
    let plan = fx
        .plan(|env| plan_expand_scope(env, &request("artifacts/client/src/login/**", vec![], Some("the login page"))))
        .unwrap();
    assert_eq!(plan.title, "Expand scope to include `artifacts/client/src/login/**` (revision 4, evidence ev-0003)");
    fx.apply(&plan).unwrap();
    let expected = SCOPE
        .replace("revision: 3    ", "revision: 4    ")
        .replace("supersedes: 2   ", "supersedes: 3   ")
        .replace(
            "    evidence: ev-0002           # an id in .factory/evidence.jsonl\n",
            "    evidence: ev-0002           # an id in .factory/evidence.jsonl\n  - path: \"artifacts/client/src/login/**\"\n    ops: [modify, create]\n    reason: \"the login page\"\n    source: user\n    evidence: ev-0003\n",
        );
    let scope = fx.read(".factory/scope.yaml");
    assert_eq!(scope, expected);
    let ev = fx.read(".factory/evidence.jsonl");
    let last = ev.strip_prefix(EVIDENCE).unwrap();
    let want = format!(
        "{{\"id\":\"ev-0003\",\"kind\":\"scope_expansion\",\"actor\":\"user\",\"at\":\"{NOW}\",\"subject\":\"artifacts/client/src/login/**\",\"sha256\":\"{}\"}}\n",
        sha256_hex(scope.as_bytes())
    );
    assert_eq!(last, want);

    // The scope model reads the new entry back.
    let loaded = crate::model::scope::load(".factory/scope.yaml", std::sync::Arc::from(scope.as_str()));
    let model = loaded.model.expect("scope parses");
    assert_eq!(model.revision.unwrap().value, 4);
    assert_eq!(model.supersedes.unwrap().value, 3);
    let e = model.allow.last().unwrap();
    assert_eq!(e.path.value, "artifacts/client/src/login/**");
    assert_eq!(e.evidence.as_ref().unwrap().value, "ev-0003");
}

#[test]
fn inserts_supersedes_and_follows_the_file_indentation() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let scope = "version: 1\nid: x\nrevision: 1 # first\nallow:\n- path: \"a/**\"\n  source: exploration\n";
    fx.write(".factory/scope.yaml", scope);
    let plan = fx.plan(|env| plan_expand_scope(env, &request("b/c.md", vec![Op::Modify], None))).unwrap();
    fx.apply(&plan).unwrap();
    assert_eq!(
        fx.read(".factory/scope.yaml"),
        "version: 1\nid: x\nrevision: 2 # first\nsupersedes: 1\nallow:\n- path: \"a/**\"\n  source: exploration\n- path: \"b/c.md\"\n  ops: [modify]\n  source: user\n  evidence: ev-0001\n"
    );
    // No evidence file before: it is created with the first record.
    let ev = fx.read(".factory/evidence.jsonl");
    assert!(ev.starts_with("{\"id\":\"ev-0001\",\"kind\":\"scope_expansion\",\"actor\":\"user\""), "{ev}");
    assert_eq!(ev.lines().count(), 1);
}

#[test]
fn flow_lists_and_empty_allow_get_entries_in_their_own_style() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    fx.write(".factory/scope.yaml", "version: 1\nid: x\nrevision: 2\nsupersedes: 1\nallow: []\n");
    let plan = fx.plan(|env| plan_expand_scope(env, &request("a/**", vec![], None))).unwrap();
    fx.apply(&plan).unwrap();
    assert_eq!(
        fx.read(".factory/scope.yaml"),
        "version: 1\nid: x\nrevision: 3\nsupersedes: 2\nallow: [{path: \"a/**\", ops: [modify, create], source: user, evidence: ev-0001}]\n"
    );
    fx.write(".factory/scope.yaml", "version: 1\nid: x\nrevision: 1\nallow:\nexclude: []\n");
    let plan = fx.plan(|env| plan_expand_scope(env, &request("b/", vec![Op::Create, Op::Delete], None))).unwrap();
    fx.apply(&plan).unwrap();
    assert_eq!(
        fx.read(".factory/scope.yaml"),
        "version: 1\nid: x\nrevision: 2\nsupersedes: 1\nallow:\n  - path: \"b/\"\n    ops: [create, delete]\n    source: user\n    evidence: ev-0002\nexclude: []\n"
    );
}

#[test]
fn a_missing_scope_is_created() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let plan = fx.plan(|env| plan_expand_scope(env, &request("artifacts/backend/**", vec![], None))).unwrap();
    assert!(matches!(&plan.steps[0], Step::CreateFile { path, .. } if path == ".factory/scope.yaml"));
    fx.apply(&plan).unwrap();
    let scope = fx.read(".factory/scope.yaml");
    let model = crate::model::scope::load(".factory/scope.yaml", std::sync::Arc::from(scope.as_str())).model.unwrap();
    assert_eq!(model.revision.unwrap().value, 1);
    assert_eq!(model.allow[0].path.value, "artifacts/backend/**");
    assert!(fx.read(".factory/evidence.jsonl").contains(&sha256_hex(scope.as_bytes())));
}

#[test]
fn refuses_hostile_patterns_and_broken_files() {
    let fx = Fx::new(STATE_CODE_RUNNING);
    let before = fx.snapshot();
    for bad in ["../etc/**", "/etc/passwd", "!a", "a\\b", "~/x", "C:/x", ""] {
        assert!(fx.plan(|env| plan_expand_scope(env, &request(bad, vec![], None))).is_err(), "{bad:?}");
    }
    assert_eq!(fx.snapshot(), before);
    fx.write(".factory/scope.yaml", "version: 1\nrevision: [\n");
    let e = fx.plan(|env| plan_expand_scope(env, &request("a/**", vec![], None))).unwrap_err();
    assert!(e.0.contains("syntax error"), "{e}");
}
