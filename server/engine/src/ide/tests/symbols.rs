use super::*;
use crate::ide::{symbols, Symbol, SymbolKind};

fn names(s: &[Symbol]) -> Vec<&str> {
    s.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn pipeline_stages_as_an_outline() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    let s = symbols(&f.snap, PIPELINE);
    assert_eq!(names(&s), ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
    let code = &s[4];
    assert_eq!(code.kind, SymbolKind::Stage);
    assert_eq!(code.detail.as_deref(), Some("agents/code.agent.md"));
    assert_eq!(slice(&t, code.selection_range), "code");
    assert!(slice(&t, code.range).starts_with("- id: code\n    description: >\n      根据 UI 结构"));
    assert!(slice(&t, code.range).ends_with("未引入额外的认证或无关功能"));
    let kids: Vec<(&str, SymbolKind, &str)> =
        code.children.iter().map(|c| (c.name.as_str(), c.kind, slice(&t, c.selection_range))).collect();
    assert_eq!(
        kids,
        [
            ("artifacts/ui/ui.schema.yaml", SymbolKind::Input, "artifacts/ui/ui.schema.yaml"),
            ("artifacts/tech/tech.md", SymbolKind::Input, "artifacts/tech/tech.md"),
            ("artifacts/backend/prisma/schema.prisma", SymbolKind::Input, "artifacts/backend/prisma/schema.prisma"),
            ("artifacts/backend/", SymbolKind::Output, "artifacts/backend/"),
            ("artifacts/client/", SymbolKind::Output, "artifacts/client/"),
        ]
    );
    for st in &s {
        assert!(st.range.start <= st.selection_range.start && st.selection_range.end <= st.range.end);
        assert!(st.children.iter().all(|c| st.range.start <= c.range.start && c.range.end <= st.range.end));
    }
}

#[test]
fn a_stage_without_agent_or_id() {
    let mut f = Fixture::run();
    let t = "stages:\n  - description: 第一步：整理 the idea into a document please now\n    outputs: [a.md]\n";
    f.set(PIPELINE, t);
    let s = symbols(&f.snap, PIPELINE);
    assert_eq!(names(&s), ["stage #1"]);
    assert_eq!(s[0].detail.as_deref(), Some("第一步：整理 the idea into a document"));
    assert_eq!(slice(t, s[0].selection_range), "description");
}

#[test]
fn matrix_rows() {
    let f = Fixture::run();
    let m = f.text(MATRIX);
    let s = symbols(&f.snap, MATRIX);
    assert_eq!(names(&s), ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
    let tech = &s[3];
    assert_eq!(tech.kind, SymbolKind::Row);
    assert_eq!(slice(&m, tech.selection_range), "**tech**");
    assert_eq!(
        slice(&m, tech.range),
        "| **tech** | `artifacts/prd/` | `artifacts/tech/`, `artifacts/backend/prisma/` | 读取 PRD，生成技术设计和数据模型 |"
    );
    assert_eq!(tech.detail.as_deref(), Some("writes artifacts/tech/, artifacts/backend/prisma/"));
}

#[test]
fn scope_entries_and_state_history() {
    let scope = "version: 1\nid: 登录\nrevision: 1\nallow:\n  - path: \"artifacts/backend/src/auth/**\"\n    ops: [modify, create]\n    reason: 认证模块\n    source: exploration\nexclude:\n  - path: artifacts/backend/src/auth/jwt/**\n";
    let f = Fixture::new(Some(STATE), &[(SCOPE, scope)]);
    let s = symbols(&f.snap, SCOPE);
    let got: Vec<(&str, Option<&str>, &str)> =
        s.iter().map(|e| (e.name.as_str(), e.detail.as_deref(), slice(scope, e.selection_range))).collect();
    assert_eq!(
        got,
        [
            (
                "artifacts/backend/src/auth/**",
                Some("allow: modify, create · exploration"),
                "\"artifacts/backend/src/auth/**\""
            ),
            (
                "artifacts/backend/src/auth/jwt/**",
                Some("exclude: modify, create, delete"),
                "artifacts/backend/src/auth/jwt/**"
            ),
        ]
    );
    assert!(slice(scope, s[0].range).starts_with("- path:") && slice(scope, s[0].range).ends_with("exploration"));

    let st = f.text(STATE_JSON);
    let h = symbols(&f.snap, STATE_JSON);
    assert_eq!(names(&h), ["tech", "code"]);
    assert_eq!(h[1].detail.as_deref(), Some("running · attempt 2"));
    assert_eq!(slice(&st, h[1].selection_range), "\"code\"");
    assert!(slice(&st, h[1].range).starts_with("{\"stageId\": \"code\"") && slice(&st, h[1].range).ends_with("2}"));
}

#[test]
fn nothing_while_the_text_does_not_parse() {
    let mut f = Fixture::run();
    f.set(PIPELINE, "stages:\n  - id: [\n");
    assert!(symbols(&f.snap, PIPELINE).is_empty());
    assert!(symbols(&f.snap, "README.md").is_empty());
    assert!(symbols(&f.snap, SCOPE).is_empty());
}

#[test]
fn big_pipeline_symbols() {
    let mut f = Fixture::run();
    let t = big_pipeline(5000);
    f.set(PIPELINE, &t);
    let s = symbols(&f.snap, PIPELINE);
    assert_eq!(s.len(), 5000);
    assert_eq!(slice(&t, s[4999].selection_range), "s4999");
}
