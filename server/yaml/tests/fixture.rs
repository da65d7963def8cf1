//! The real agent-app-factory pipeline, unchanged.

use tollgate_yaml::{parse, Limits, Node, ScalarStyle, TextRange};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/agent-app-factory/pipeline.yaml");

fn load() -> (String, Node) {
    let text = std::fs::read_to_string(FIXTURE).expect("the bundled fixture");
    let parsed = parse(&text, &Limits::default());
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(parsed.duplicate_keys, vec![]);
    (text, parsed.root.expect("root"))
}

fn stage<'a>(root: &'a Node, id: &str) -> &'a Node {
    root.get("stages")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .find(|s| s.get("id").and_then(Node::as_str) == Some(id))
        .unwrap()
}

#[test]
fn validation_outputs_have_exact_ranges() {
    let (text, root) = load();
    let outputs = stage(&root, "validation").get("outputs").unwrap().as_seq().unwrap();
    let backend = &outputs[1];
    assert_eq!(backend.as_str(), Some("artifacts/backend/"));
    assert_eq!(backend.range, TextRange::new(2710, 2728));
    assert_eq!(backend.range.slice(&text), "artifacts/backend/");
    assert_eq!(outputs[2].range.slice(&text), "artifacts/client/");
    // The list ends at its last entry, before the trailing comment.
    let list = stage(&root, "validation").get("outputs").unwrap();
    assert!(list.range.slice(&text).ends_with("- artifacts/client/"));
}

#[test]
fn folded_chinese_description_covers_indicator_to_content_end() {
    let (text, root) = load();
    let description = stage(&root, "validation").get("description").unwrap();
    let scalar = description.as_scalar().unwrap();
    assert_eq!(scalar.style, ScalarStyle::Folded);
    assert_eq!(description.range, TextRange::new(2324, 2546));
    let source = description.range.slice(&text);
    assert!(source.starts_with(">\n      验证代码质量"));
    assert!(source.ends_with("等编译错误。"));
    assert!(scalar.value.starts_with("验证代码质量并主动修复编译错误。"));
    assert!(scalar.value.ends_with("等编译错误。\n"));
}

#[test]
fn quoted_chinese_message_keeps_its_quotes() {
    let (text, root) = load();
    let message = stage(&root, "validation").get("on_failure").unwrap().get("message").unwrap();
    let source = message.range.slice(&text);
    assert!(source.starts_with("\"代码验证失败"));
    assert!(source.ends_with("了解详情\""));
    assert_eq!(message.range.len() as usize, source.len());
}

#[test]
fn every_stage_has_an_id_and_outputs() {
    let (text, root) = load();
    let stages = root.get("stages").unwrap().as_seq().unwrap();
    let ids: Vec<&str> = stages.iter().map(|s| s.get("id").unwrap().as_str().unwrap()).collect();
    assert_eq!(ids.last(), Some(&"preview"));
    assert!(ids.contains(&"validation"));
    for s in stages {
        let (key, value) = s.get_entry("id").unwrap();
        assert_eq!(key.range.slice(&text), "id");
        assert_eq!(value.range.slice(&text), value.as_str().unwrap());
        assert!(s.get("outputs").unwrap().as_seq().is_some());
    }
}
