use super::*;
use crate::ide::{completion, Item, ItemKind};

/// Completes at the `‸` in `marked` (removed from the text).
fn complete(f: &Fixture, rel: &str, marked: &str) -> (String, Vec<Item>) {
    let offset = marked.find('‸').expect("cursor marker");
    let text = marked.replacen('‸', "", 1);
    let items = completion(&f.snap, rel, &text, offset as u32);
    (text, items)
}

fn labels(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

/// The pipeline text with `insert` put right after the first `after`.
fn pipeline_with(f: &Fixture, after: &str, insert: &str) -> String {
    let t = f.text(PIPELINE);
    let at = t.find(after).expect("anchor") + after.len();
    format!("{}{insert}{}", &t[..at], &t[at..])
}

const STAGES: [&str; 7] = ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"];

#[test]
fn stage_keys_not_yet_present() {
    let f = Fixture::run();
    let text = pipeline_with(&f, "    agent: agents/tech.agent.md\n", "    on‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["on_failure", "permissions"]);
    assert_eq!(slice(&text, items[0].replace), "on");
    assert_eq!((items[0].kind, items[0].insert_text.as_str()), (ItemKind::Key, "on_failure:"));

    // The first key of a new stage: every stage key.
    let text = pipeline_with(&f, "      - 未进行过早优化或过度设计\n", "\n  - ‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    let want = ["id", "description", "agent", "inputs", "outputs", "exit_criteria", "on_failure", "permissions"];
    assert_eq!(labels(&items), want);
    assert_eq!(items[0].insert_text, "id: ");
    assert!(items[0].replace.is_empty() && items[0].replace.start as usize == text.find("  - \n").expect("line") + 4);

    // Below the id of a new stage: the id is already there.
    let text = pipeline_with(&f, "      - 未进行过早优化或过度设计\n", "\n  - id: new\n    ‸\n    agent: x.md\n");
    let (_, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["description", "inputs", "outputs", "exit_criteria", "on_failure", "permissions"]);
}

#[test]
fn inside_a_key_that_has_its_colon() {
    let f = Fixture::run();
    let text = pipeline_with(&f, "    agent: agents/tech.agent.md\n", "    perm‸issio: {}\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["on_failure", "permissions"]);
    assert_eq!((slice(&text, items[1].replace), items[1].insert_text.as_str()), ("permissio", "permissions"));
}

#[test]
fn top_level_meta_and_on_failure_keys() {
    let f = Fixture::run();
    let text = pipeline_with(&f, "  mode: checkpoint\n", "  ma‸\n");
    let (_, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["max_attempts"]);
    let (_, items) = complete(&f, PIPELINE, &format!("{}\n‸", f.text(PIPELINE)));
    assert!(items.is_empty(), "version, pipeline and stages are all there: {:?}", labels(&items));
    let (_, items) = complete(&f, PIPELINE, "vers‸\nstages: []\n");
    assert_eq!(labels(&items), ["version", "pipeline"]);

    let text = pipeline_with(&f, "    agent: agents/code.agent.md\n", "    on_failure:\n      ac‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["action", "message"]);
    assert_eq!(slice(&text, items[0].replace), "ac");
    let text = pipeline_with(&f, "    agent: agents/code.agent.md\n", "    permissions:\n      ‸\n");
    assert_eq!(labels(&complete(&f, PIPELINE, &text).1), ["read", "write"]);
}

#[test]
fn on_failure_action_values() {
    let f = Fixture::run();
    let text = pipeline_with(&f, "    agent: agents/code.agent.md\n", "    on_failure:\n      action: r‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["pause", "retry", "rollback"]);
    assert_eq!(slice(&text, items[0].replace), "r");
    assert_eq!(items[1].kind, ItemKind::Value);
    // Right after the colon, no value yet: the space comes first.
    let text = pipeline_with(&f, "    agent: agents/code.agent.md\n", "    on_failure:\n      action:‸\n");
    assert!(complete(&f, PIPELINE, &text).1.is_empty());
}

#[test]
fn inputs_offer_outputs_of_earlier_stages() {
    let f = Fixture::run();
    // A new input of `ui`, mid-typing.
    let text = pipeline_with(&f, "    inputs:\n      - artifacts/prd/prd.md\n", "      - arti‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["input/idea.md", "artifacts/prd/prd.md"]);
    assert_eq!(slice(&text, items[1].replace), "arti");
    assert_eq!(items[1].detail.as_deref(), Some("output of stage `prd`"));
    assert_eq!(items[1].kind, ItemKind::Path);

    // A flow list with an unclosed quote (the text does not parse), in `validation`.
    let text = pipeline_with(
        &f,
        "    agent: agents/validation.agent.md\n",
        "    inputs: [artifacts/ui/ui.schema.yaml, \"arti‸\n",
    );
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(slice(&text, items[0].replace), "arti");
    let got = labels(&items);
    assert_eq!(
        got,
        [
            "input/idea.md",
            "artifacts/prd/prd.md",
            "artifacts/ui/ui.schema.yaml",
            "artifacts/ui/preview.web/index.html",
            "artifacts/tech/tech.md",
            "artifacts/backend/prisma/schema.prisma",
            "artifacts/backend/",
            "artifacts/client/",
        ]
    );
    assert_eq!(items[6].detail.as_deref(), Some("output of stage `code`"));
    assert!(!got.contains(&"artifacts/validation/report.md"));
}

#[test]
fn chinese_lines_and_odd_offsets_never_panic() {
    let f = Fixture::run();
    let t = f.text(PIPELINE);
    // At the end of a Chinese exit criterion: a list of sentences, nothing to offer.
    let end = at(&t, "PRD 不包含任何技术实现细节", 0, "PRD 不包含任何技术实现细节".len());
    assert!(completion(&f.snap, PIPELINE, &t, end).is_empty());
    let cjk = at(&t, "不包含", 0, 1);
    for off in [0, cjk, cjk + 1, t.len() as u32, u32::MAX] {
        let _ = completion(&f.snap, PIPELINE, &t, off);
    }
    for rel in [MATRIX, STATE_JSON, SCOPE, "README.md"] {
        for text in ["", "é", "{\"a\": \"\\", "|", "- ", "[", "\"状态\": "] {
            for off in [0, 1, 2, 5, u32::MAX] {
                let _ = completion(&f.snap, rel, text, off);
            }
        }
    }
    // A key after Chinese text on the line above, cursor counted in bytes.
    let text = pipeline_with(&f, "      - PRD 不包含任何技术实现细节\n", "    des‸\n");
    let (text, items) = complete(&f, PIPELINE, &text);
    assert_eq!(labels(&items), ["on_failure", "permissions"]);
    assert!(items.iter().all(|i| slice(&text, i.replace) == "des"));
}

#[test]
fn state_json_values_and_keys() {
    let f = Fixture::run();
    let (text, items) = complete(&f, STATE_JSON, "{\n  \"status\": \"ru‸\"\n}");
    assert_eq!(labels(&items), ["idle", "running", "waiting_for_confirmation", "paused", "failed", "completed"]);
    assert_eq!((slice(&text, items[1].replace), items[1].insert_text.as_str()), ("ru", "running"));

    let (_, items) = complete(&f, STATE_JSON, "{\"status\": \"running\", \"currentStage\": ‸");
    assert_eq!(labels(&items), STAGES);
    assert_eq!(items[4].insert_text, "\"code\"");
    assert_eq!(items[4].kind, ItemKind::StageId);
    assert_eq!(items[4].detail.as_deref(), Some("stage 5 of 7 · agents/code.agent.md"));

    let (text, items) = complete(&f, STATE_JSON, "{\"completedStages\": [\"bootstrap\",\n  \"p‸");
    assert_eq!(labels(&items), STAGES);
    assert_eq!((slice(&text, items[1].replace), items[1].insert_text.as_str()), ("p", "prd"));

    let (_, items) = complete(&f, STATE_JSON, "{\"stageHistory\": [{\"stageId\": \"ui\", \"status\": \"‸\"}]}");
    assert_eq!(labels(&items), ["running", "completed", "failed"]);
    let (_, items) = complete(&f, STATE_JSON, "{\"stageHistory\": [{\"stageId\": \"‸");
    assert_eq!(labels(&items), STAGES);
    let (_, items) = complete(&f, STATE_JSON, "{\"lastCheckpoint\": \"tech\", \"failedStages\": [‸]}");
    assert_eq!(items[0].insert_text, "\"bootstrap\"");

    let (text, items) = complete(&f, STATE_JSON, "{\n  \"status\": \"running\",\n  \"cur‸\n}");
    assert_eq!(items.len(), 9);
    assert_eq!((items[2].label.as_str(), slice(&text, items[2].replace)), ("currentStage", "cur"));
    assert_eq!(items[2].insert_text, "currentStage");
    let (_, items) = complete(&f, STATE_JSON, "{\"stageHistory\": [{\"stageId\": \"ui\", ‸");
    assert_eq!(items[2].label, "startTime");
    assert_eq!(items[2].insert_text, "\"startTime\": ");
    // Finished values and strings in other places: nothing.
    assert!(complete(&f, STATE_JSON, "{\"status\": \"running\"‸}").1.is_empty());
    assert!(complete(&f, STATE_JSON, "{\"createdAt\": \"‸").1.is_empty());
}

#[test]
fn state_json_keys_follow_the_files_spelling() {
    let snake =
        "{\n  \"version\": 1,\n  \"status\": \"idle\",\n  \"current_stage\": null,\n  \"completed_stages\": []\n}\n";
    let f = Fixture::new(Some(snake), &[]);
    let (_, items) = complete(&f, STATE_JSON, "{\n  \"status\": \"idle\",\n  ‸\n}");
    assert_eq!(items[2].label, "current_stage");
    assert_eq!(items[8].label, "last_updated");
    let (_, items) = complete(&f, STATE_JSON, "{\"completed_stages\": [\"‸");
    assert_eq!(labels(&items), STAGES);
    let (_, items) = complete(&f, STATE_JSON, "{\"stage_history\": [{\"‸");
    assert_eq!(items[0].label, "stage_id");
}

#[test]
fn scope_yaml_values_and_keys() {
    let f = Fixture::run();
    let head = "version: 1\nid: 登录\nrevision: 1\n";
    let (text, items) = complete(&f, SCOPE, &format!("{head}allow:\n  - path: \"a/**\"\n    ops: [modify, c‸\n"));
    assert_eq!(labels(&items), ["create", "modify", "delete"]);
    assert_eq!(slice(&text, items[0].replace), "c");
    let (_, items) = complete(&f, SCOPE, &format!("{head}allow:\n  - path: a/**\n    ops:\n      - ‸\n"));
    assert_eq!(labels(&items), ["create", "modify", "delete"]);
    let (_, items) = complete(&f, SCOPE, &format!("{head}allow:\n  - path: a/**\n    source: ‸\n"));
    assert_eq!(labels(&items), ["exploration", "user", "policy"]);
    let (text, items) = complete(&f, SCOPE, &format!("{head}stage: va‸\n"));
    assert_eq!(labels(&items), STAGES);
    assert_eq!(slice(&text, items[0].replace), "va");
    let (_, items) = complete(&f, SCOPE, &format!("{head}allow:\n  - path: a/**\n    ‸\n"));
    assert_eq!(labels(&items), ["ops", "reason", "source", "evidence"]);
    let (_, items) = complete(&f, SCOPE, &format!("{head}exclude:\n  - ‸\n"));
    assert_eq!(labels(&items), ["path", "ops", "reason"]);
    let (_, items) = complete(&f, SCOPE, &format!("{head}‸\n"));
    assert_eq!(labels(&items), ["supersedes", "request", "stage", "base", "allow", "exclude"]);
}

#[test]
fn matrix_first_column_takes_stage_ids() {
    let f = Fixture::run();
    let m = f.text(MATRIX);
    let line = "| **preview** |";
    let at_end = m.find(line).expect("row")
        + line.len()
        + m[m.find(line).expect("row") + line.len()..].find('\n').expect("nl")
        + 1;
    let text = format!("{}| **va‸\n{}", &m[..at_end], &m[at_end..]);
    let (text, items) = complete(&f, MATRIX, &text);
    assert_eq!(labels(&items), STAGES);
    assert_eq!(slice(&text, items[0].replace), "va");
    assert!(items.iter().all(|i| i.detail.as_deref().is_some_and(|d| !d.contains("no row yet"))));
    // In another cell, on a Chinese line: nothing.
    let off = at(&m, "读取 PRD", 0, 7);
    assert!(completion(&f.snap, MATRIX, &m, off).is_empty());
}

#[test]
fn big_pipeline_completion() {
    let mut f = Fixture::run();
    let t = big_pipeline(5000);
    f.set(PIPELINE, &t);
    let anchor = "      - artifacts/s4998/out.md\n";
    let at = t.rfind(anchor).expect("anchor") + anchor.len(); // s4999's input
    let text = format!("{}      - ‸{}", &t[..at], &t[at..]);
    let (_, items) = complete(&f, PIPELINE, &text);
    assert_eq!(items.len(), 4999);
    assert_eq!(items[4998].label, "artifacts/s4998/out.md");
}
