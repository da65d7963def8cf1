use super::*;
use crate::ide::hover;

#[test]
fn stage_id_in_pipeline_shows_everything() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    let h = hover(&f.snap, PIPELINE, at(&t, "- id: prd", 0, 7)).expect("hover");
    assert_eq!(slice(&t, h.range), "- id: prd");
    let expected = "**stage `prd`** · 2 of 7\n\n\
        将产品想法转化为结构化的 MVP 级产品需求文档。\n\n\
        **agent** `agents/prd.agent.md`\n\n\
        **inputs**\n- `input/idea.md` ← stage `bootstrap`\n\n\
        **outputs**\n- `artifacts/prd/prd.md`\n\n\
        **writes** (matrix row `prd`): `artifacts/prd/`\n\n\
        **state** completed";
    assert_eq!(h.markdown, expected);
    // The dash and the key count too.
    let on_dash = hover(&f.snap, PIPELINE, at(&t, "- id: prd", 0, 0)).expect("dash");
    assert_eq!(on_dash, h);
    assert_eq!(hover(&f.snap, PIPELINE, at(&t, "- id: prd", 0, 2)).expect("key").range, h.range);
}

#[test]
fn current_stage_with_attempts_and_outputs_outside_permissions() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    let code = hover(&f.snap, PIPELINE, at(&t, "id: code", 0, 5)).expect("code");
    assert!(code.markdown.contains("- `artifacts/tech/tech.md` ← stage `tech`\n"), "{}", code.markdown);
    assert!(code.markdown.contains("- `artifacts/backend/prisma/schema.prisma` ← stage `tech`\n"));
    assert!(code.markdown.contains("**writes** (matrix row `code`): `artifacts/backend/`, `artifacts/client/`"));
    assert!(code.markdown.ends_with("**state** current (run `running`, attempt 2 of 2)"), "{}", code.markdown);

    let v = hover(&f.snap, PIPELINE, at(&t, "id: validation", 0, 4)).expect("validation");
    assert_eq!(slice(&t, v.range), "- id: validation");
    let md = &v.markdown;
    assert!(md.starts_with("**stage `validation`** · 6 of 7\n\n验证代码质量并主动修复编译错误。"), "{md}");
    assert!(md.contains("**inputs**\n- `artifacts/backend/` ← stage `code`\n- `artifacts/client/` ← stage `code`\n"));
    assert!(md.contains(
        "**outputs**\n- `artifacts/validation/report.md`\n\
         - `artifacts/backend/` ⚠ outside the write permissions\n\
         - `artifacts/client/` ⚠ outside the write permissions\n"
    ));
    assert!(md.ends_with("**state** not started"));
    let tech = hover(&f.snap, PIPELINE, at(&t, "id: tech", 0, 4)).expect("tech");
    assert!(tech.markdown.ends_with("**state** completed"));
}

#[test]
fn stage_names_in_matrix_and_state() {
    let f = Fixture::run();
    let m = f.text(MATRIX);
    // A matrix line full of Chinese text: the cell, markup included.
    let h = hover(&f.snap, MATRIX, at(&m, "**tech**", 0, 3)).expect("matrix");
    assert_eq!(slice(&m, h.range), "**tech**");
    assert!(h.markdown.starts_with("**stage `tech`** · 4 of 7\n\n设计最小可行的技术架构和数据模型。"));
    assert!(hover(&f.snap, MATRIX, at(&m, "读取 PRD", 0, 1)).is_none(), "inside a Chinese character");

    let s = f.text(STATE_JSON);
    for (needle, nth, id) in
        [("\"code\"", 0, "code"), ("\"prd\"", 0, "prd"), ("\"code\"", 1, "code"), ("\"tech\"", 2, "tech")]
    {
        let h = hover(&f.snap, STATE_JSON, at(&s, needle, nth, 1)).unwrap_or_else(|| panic!("{needle} #{nth}"));
        assert_eq!(slice(&s, h.range), needle);
        assert!(h.markdown.starts_with(&format!("**stage `{id}`**")), "{}", h.markdown);
    }
    // lastCheckpoint is the third "tech" (after completedStages and stageHistory).
    assert!(s[at(&s, "\"tech\"", 2, 0) as usize - 18..].starts_with("\"lastCheckpoint\""));
    assert!(hover(&f.snap, STATE_JSON, at(&s, "running", 0, 2)).is_none());
}

#[test]
fn unknown_stage_and_failed_stage() {
    let state = STATE
        .replace("\"currentStage\": \"code\"", "\"currentStage\": \"cod\"")
        .replace("\"failedStages\": []", "\"failedStages\": [\"ui\"]");
    let f = Fixture::new(Some(&state), &[]);
    let s = f.text(STATE_JSON);
    let h = hover(&f.snap, STATE_JSON, at(&s, "\"cod\"", 0, 4)).expect("hover");
    assert_eq!(h.markdown, "**stage `cod`**\n\nnot a stage of `pipeline.yaml` (did you mean `code`?)");
    let t = f.text(PIPELINE);
    let code = hover(&f.snap, PIPELINE, at(&t, "id: code", 0, 4)).expect("code");
    assert!(code.markdown.ends_with("**state** not current; latest attempt `running`, attempt 2 of 2"));
    // A failed stage, with its attempt.
    let failed = STATE
        .replace(
            "\"completedStages\": [\"bootstrap\", \"prd\", \"ui\", \"tech\"]",
            "\"completedStages\": [\"bootstrap\", \"prd\"]",
        )
        .replace("\"failedStages\": []", "\"failedStages\": [\"ui\"]")
        .replace("{\"stageId\": \"tech\", \"status\": \"completed\"", "{\"stageId\": \"ui\", \"status\": \"failed\"");
    let f = Fixture::new(Some(&failed), &[]);
    let ui = hover(&f.snap, PIPELINE, at(&t, "id: ui", 0, 4)).expect("ui");
    assert!(ui.markdown.ends_with("**state** failed (attempt 1 of 2)"), "{}", ui.markdown);
    let none = Fixture::new(None, &[]);
    let ui = hover(&none.snap, PIPELINE, at(&t, "id: ui", 0, 4)).expect("ui");
    assert!(ui.markdown.ends_with("**state** no run yet (no `.factory/state.json`)"));
}

#[test]
fn permissions_write_inputs_on_disk_and_agents() {
    let mut f = Fixture::new(Some(STATE), &[("agents/prd.agent.md", "# prd\n")]);
    let t = f.text(PIPELINE).replace(
        "  - id: preview\n",
        "  - id: preview\n    permissions:\n      write: [artifacts/preview/, artifacts/backend/]\n",
    );
    let t = t.replace("    inputs: []\n", "    inputs: [README.md, 缺失.md]\n");
    f.set(PIPELINE, &t);
    let h = hover(&f.snap, PIPELINE, at(&t, "id: preview", 0, 4)).expect("preview");
    assert!(h.markdown.contains("**writes** (`permissions.write`): `artifacts/preview/`, `artifacts/backend/`\n"));
    assert!(h.markdown.contains("- `artifacts/client/` ⚠ outside the write permissions\n"));
    assert!(h.markdown.contains("- `artifacts/backend/` ← stage `validation`\n"), "latest earlier stage");
    let b = hover(&f.snap, PIPELINE, at(&t, "id: bootstrap", 0, 4)).expect("bootstrap");
    assert!(
        b.markdown.contains("**inputs**\n- `README.md` (on disk)\n- `缺失.md` ⚠ (not produced)\n"),
        "{}",
        b.markdown
    );

    // On an input value: where it comes from.
    let i = hover(&f.snap, PIPELINE, at(&t, "缺失.md", 0, 3)).expect("input");
    assert_eq!(slice(&t, i.range), "缺失.md");
    assert_eq!(
        i.markdown,
        "**input** `缺失.md` of stage `bootstrap`\n\n⚠ not produced by any earlier stage and not on disk"
    );
    let i = hover(&f.snap, PIPELINE, at(&t, "artifacts/prd/prd.md", 1, 0)).expect("ui input");
    assert_eq!(slice(&t, i.range), "artifacts/prd/prd.md");
    assert_eq!(
        i.markdown,
        "**input** `artifacts/prd/prd.md` of stage `ui`\n\n← output `artifacts/prd/prd.md` of stage `prd` (2 of 7)"
    );
    let i = hover(&f.snap, PIPELINE, at(&t, "README.md", 0, 9)).expect("end of word");
    assert_eq!(i.markdown, "**input** `README.md` of stage `bootstrap`\n\nnot produced by an earlier stage; on disk");

    let a = hover(&f.snap, PIPELINE, at(&t, "agents/prd.agent.md", 0, 0)).expect("agent");
    assert_eq!(slice(&t, a.range), "agents/prd.agent.md");
    assert_eq!(a.markdown, "**agent** `agents/prd.agent.md`\n\nfile: `agents/prd.agent.md`");
    let a = hover(&f.snap, PIPELINE, at(&t, "agents/ui.agent.md", 0, 0)).expect("agent");
    assert!(a.markdown.ends_with("⚠ not found under `.factory/` or the factory root"));
}

#[test]
fn nothing_on_other_text_and_never_a_panic() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    let cjk = at(&t, "初始化项目想法", 0, 0) as usize;
    for off in [0, cjk, cjk + 1, cjk + 2, t.len(), t.len() + 10, u32::MAX as usize] {
        assert!(hover(&f.snap, PIPELINE, off as u32).is_none(), "{off}");
    }
    assert!(hover(&f.snap, PIPELINE, at(&t, "exit_criteria", 0, 3)).is_none());
    for rel in [MATRIX, STATE_JSON, SCOPE, "README.md", "nope.yaml"] {
        for off in [0u32, 1, 7, 500, u32::MAX] {
            let _ = hover(&f.snap, rel, off);
        }
    }
}

#[test]
fn a_pipeline_with_a_syntax_error_gives_no_stale_ranges() {
    let mut f = Fixture::run();
    let t = format!("{}\n  - id: [broken\n", f.text(PIPELINE));
    f.set(PIPELINE, &t);
    assert!(hover(&f.snap, PIPELINE, at(&t, "id: prd", 0, 4)).is_none());
    // Other files still hover, from the last good pipeline.
    let s = f.text(STATE_JSON);
    let h = hover(&f.snap, STATE_JSON, at(&s, "\"prd\"", 0, 1)).expect("state");
    assert!(h.markdown.starts_with("**stage `prd`** · 2 of 7"));
}

#[test]
fn big_pipeline_hover_is_a_lookup() {
    let mut f = Fixture::run();
    let t = big_pipeline(5000);
    f.set(PIPELINE, &t);
    let h = hover(&f.snap, PIPELINE, at(&t, "id: s4999\n", 0, 5)).expect("last");
    assert_eq!(slice(&t, h.range), "- id: s4999");
    assert!(h.markdown.contains("- `artifacts/s4998/out.md` ← stage `s4998`"));
}
