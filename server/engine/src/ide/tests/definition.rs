use super::*;
use crate::ide::{definition, Target};

fn one(targets: Vec<Target>) -> Target {
    assert_eq!(targets.len(), 1, "{targets:?}");
    targets.into_iter().next().expect("one")
}

#[test]
fn input_goes_to_the_output_of_the_latest_earlier_stage() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    // `ui` reads artifacts/prd/prd.md: the `prd` stage's output (its first occurrence).
    let d = one(definition(&f.snap, PIPELINE, at(&t, "artifacts/prd/prd.md", 1, 4)));
    assert_eq!(d.path, "pipeline.yaml");
    assert_eq!(d.range.start, at(&t, "artifacts/prd/prd.md", 0, 0));
    assert_eq!(slice(&t, d.range), "artifacts/prd/prd.md");
    // `validation` reads artifacts/backend/: code's output (not tech's prisma file).
    let code_out = at(&t, "- artifacts/backend/\n", 0, 2);
    let d = one(definition(&f.snap, PIPELINE, at(&t, "artifacts/backend/\n", 1, 0)));
    assert_eq!((d.range.start, slice(&t, d.range)), (code_out, "artifacts/backend/"));
    // `preview` reads it too: validation wrote it last (the line with a Chinese comment).
    let preview_in = at(&t, "artifacts/backend/\n", 2, 0);
    assert!(t[..preview_in as usize].ends_with("id: preview\n    description: >\n      启动并测试应用，自动检测并修复运行时错误。实际启动后端服务器和前端客户端，\n      验证应用可正常运行，生成运行指南和测试报告。\n    agent: agents/preview.agent.md\n    inputs:\n      - "));
    let d = one(definition(&f.snap, PIPELINE, preview_in + 18));
    let validation_out = at(&t, "artifacts/backend/  # 可能包含修复后的代码", 0, 0);
    assert_eq!((d.range.start, slice(&t, d.range)), (validation_out, "artifacts/backend/"));
}

#[test]
fn a_directory_output_produces_everything_under_it() {
    let mut f = Fixture::run();
    let t = f.text(PIPELINE).replace(
        "    inputs:\n      - artifacts/backend/\n      - artifacts/client/\n    outputs:\n      - artifacts/preview/README.md",
        "    inputs:\n      - artifacts/backend/src/索引.ts\n    outputs:\n      - artifacts/preview/README.md",
    );
    f.set(PIPELINE, &t);
    let d = one(definition(&f.snap, PIPELINE, at(&t, "索引.ts", 0, 3)));
    assert_eq!(d.range.start, at(&t, "artifacts/backend/  # 可能包含修复后的代码", 0, 0));
    assert_eq!(slice(&t, d.range), "artifacts/backend/");
}

#[test]
fn an_input_on_disk_goes_to_the_file_and_an_unknown_one_nowhere() {
    let mut f = Fixture::run();
    let t = f.text(PIPELINE).replace("    inputs: []\n", "    inputs: [README.md, 缺失.md]\n");
    f.set(PIPELINE, &t);
    let d = one(definition(&f.snap, PIPELINE, at(&t, "README.md", 0, 2)));
    assert_eq!(d, Target { path: "README.md".into(), range: TextRange::empty(0) });
    assert!(definition(&f.snap, PIPELINE, at(&t, "缺失.md", 0, 1)).is_empty());
}

#[test]
fn agent_goes_to_its_file_under_factory_or_the_root() {
    let f = Fixture::new(
        Some(STATE),
        &[
            ("agents/prd.agent.md", "# prd\n"),
            (".factory/agents/ui.agent.md", "# ui\n"),
            ("agents/ui.agent.md", "# shadowed\n"),
        ],
    );
    let t = f.text(PIPELINE);
    let d = one(definition(&f.snap, PIPELINE, at(&t, "agents/prd.agent.md", 0, 5)));
    assert_eq!(d, Target { path: "agents/prd.agent.md".into(), range: TextRange::empty(0) });
    let d = one(definition(&f.snap, PIPELINE, at(&t, "agents/ui.agent.md", 0, 0)));
    assert_eq!(d.path, ".factory/agents/ui.agent.md");
    assert!(definition(&f.snap, PIPELINE, at(&t, "agents/tech.agent.md", 0, 0)).is_empty());
}

#[test]
fn stage_names_go_to_the_pipeline_and_ids_to_their_row() {
    let f = Fixture::run();
    let (t, m, s) = (f.text(PIPELINE), f.text(MATRIX), f.text(STATE_JSON));
    let code_id = at(&t, "id: code", 0, 4);
    let d = one(definition(&f.snap, MATRIX, at(&m, "**code**", 0, 8)));
    assert_eq!((d.path.as_str(), d.range.start, slice(&t, d.range)), ("pipeline.yaml", code_id, "code"));
    for (needle, nth) in [("\"code\"", 0), ("\"code\"", 1), ("\"tech\"", 2), ("\"bootstrap\"", 0)] {
        let d = one(definition(&f.snap, STATE_JSON, at(&s, needle, nth, 2)));
        assert_eq!(slice(&t, d.range), needle.trim_matches('"'));
    }
    let d = one(definition(&f.snap, PIPELINE, code_id + 2));
    assert_eq!((d.path.as_str(), slice(&m, d.range)), ("policies/capability.matrix.md", "**code**"));
}

#[test]
fn scope_stage_goes_to_the_pipeline() {
    let scope = "version: 1\nid: 登录\nrevision: 1\nstage: code # 当前\nallow:\n  - path: \"artifacts/backend/**\"\n";
    let f = Fixture::new(Some(STATE), &[(SCOPE, scope)]);
    let t = f.text(PIPELINE);
    let d = one(definition(&f.snap, SCOPE, at(scope, "code", 0, 1)));
    assert_eq!(d.range.start, at(&t, "id: code", 0, 4));
}

#[test]
fn nothing_elsewhere_and_never_a_panic() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    let cjk = at(&t, "后端可启动", 0, 1);
    for off in [0, cjk, t.len() as u32, u32::MAX] {
        assert!(definition(&f.snap, PIPELINE, off).is_empty(), "{off}");
    }
    assert!(definition(&f.snap, MATRIX, u32::MAX).is_empty());
    assert!(definition(&f.snap, "README.md", 3).is_empty());
}
