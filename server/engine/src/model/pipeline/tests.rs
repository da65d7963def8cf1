//! The pipeline loader and its incremental re-read.

use super::incremental::{common_prefix, common_suffix};
use super::*;
use crate::diagnostic::Severity;

fn at(text: &str, r: TextRange) -> &str {
    &text[r.start as usize..r.end as usize]
}

fn codes(l: &Loaded<Pipeline>) -> Vec<&'static str> {
    l.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn reads_the_real_fixture_cleanly() {
    let text = include_str!("../../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
    let l = load("pipeline.yaml", text.into());
    assert_eq!(codes(&l), Vec::<&str>::new());
    let p = l.model.expect("model");
    assert_eq!(p.max_attempts, 2);
    let ids: Vec<&str> = p.stage_ids().collect();
    assert_eq!(ids, ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
    let v = p.stage("validation").expect("validation");
    assert_eq!(at(text, v.anchor), "id");
    assert!(at(text, v.range).starts_with("- id: validation\n"));
    assert!(at(text, v.range).trim_end().ends_with("了解详情\""));
    let outs: Vec<&str> = v.outputs.iter().map(|o| at(text, o.range)).collect();
    assert_eq!(outs, ["artifacts/validation/report.md", "artifacts/backend/", "artifacts/client/"]);
    let action = v.on_failure.as_ref().and_then(|f| f.action.as_ref()).expect("action");
    assert_eq!((action.value.as_str(), at(text, action.range)), ("pause", "pause"));
    assert_eq!(at(text, p.stages[0].agent.as_ref().expect("agent").range), "agents/bootstrap.agent.md");
    assert!(p.stages[0].inputs.is_empty());
    assert_eq!(p.stages[0].exit_criteria.len(), 3);
    assert!(p.stages[1].description.as_ref().expect("description").value.starts_with("将产品想法"));
}

#[test]
fn wrong_enum_value_names_value_set_and_hint() {
    let text = "stages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n    on_failure:\n      action: \"retyr\"\n";
    let l = load("pipeline.yaml", text.into());
    assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
    let d = &l.diagnostics[0];
    assert_eq!((d.code, d.severity), (Code::InvalidValue, Severity::Error));
    assert_eq!(at(text, d.range), "\"retyr\"");
    assert!(d.message.contains("`retyr`") && d.message.contains("`pause`, `retry`, `rollback`"), "{}", d.message);
    assert!(d.message.contains("did you mean `retry`"), "{}", d.message);
    // Best effort: the model keeps the value.
    let p = l.model.expect("model");
    assert_eq!(
        p.stages[0].on_failure.as_ref().and_then(|f| f.action.as_ref()).map(|a| a.value.as_str()),
        Some("retyr")
    );
}

#[test]
fn missing_and_unknown_keys() {
    let text = "version: 1\nstages:\n  - description: no id\n    agnet: a.md\n";
    let l = load("pipeline.yaml", text.into());
    let mut found: Vec<(&str, &str, Severity)> =
        l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range), d.severity)).collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("missing-key", "description", Severity::Error),
            ("missing-key", "description", Severity::Error),
            ("missing-key", "description", Severity::Error),
            ("unknown-key", "agnet", Severity::Warning),
        ]
    );
    let unknown = l.diagnostics.iter().find(|d| d.code == Code::UnknownKey).expect("unknown");
    assert!(unknown.message.contains("did you mean `agent`"), "{}", unknown.message);
    assert!(l.diagnostics.iter().any(|d| d.message.contains("stage #1 is missing the required key `outputs`")));
    let p = l.model.expect("model");
    assert_eq!(at(text, p.stages[0].range), "- description: no id\n    agnet: a.md");
}

#[test]
fn wrong_types_max_attempts_and_permissions() {
    let text = "pipeline:\n  max_attempts: 3\nstages:\n  - id: a\n    agent: {x: 1}\n    outputs: out.md\n    permissions:\n      write: [\"artifacts/a/\"]\n";
    let l = load("pipeline.yaml", text.into());
    let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
    assert_eq!(found, [("invalid-value", "{x: 1}"), ("invalid-value", "out.md")]);
    assert!(l.diagnostics[0].message.contains("`agent` must be a string, found a mapping"));
    let p = l.model.expect("model");
    assert_eq!(p.max_attempts, 3);
    assert_eq!(at(text, p.max_attempts_range.expect("range")), "3");
    let perms = p.stages[0].permissions.as_ref().expect("permissions");
    assert_eq!(at(text, perms.key), "permissions");
    assert_eq!(at(text, perms.write_range.expect("write range")), "[\"artifacts/a/\"]");
    assert_eq!(perms.write.as_ref().map(|w| w[0].value.as_str()), Some("artifacts/a/"));
    assert_eq!(p.stages[0].outputs.len(), 1, "a lone scalar is still read");
}

#[test]
fn ranges_are_exact_after_cjk_text() {
    let text = "stages:\n  - id: 验证 # 注释\n    description: 验证代码质量 🚀\n    agent: a.md\n    outputs: [报告.md]\n    on_failure: {action: 暂停, mesage: 失败}\n";
    let l = load("pipeline.yaml", text.into());
    let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
    assert_eq!(found, [("unknown-key", "mesage"), ("invalid-value", "暂停")]);
    assert!(l.diagnostics[0].message.contains("did you mean `message`"));
    let p = l.model.expect("model");
    assert_eq!(at(text, p.stages[0].id.as_ref().expect("id").range), "验证");
    assert_eq!(at(text, p.stages[0].outputs[0].range), "报告.md");
}

#[test]
fn empty_and_comment_only_files() {
    let l = load("pipeline.yaml", "".into());
    assert!(l.model.is_none());
    assert_eq!(codes(&l), ["invalid-value"]);
    let text = "# nothing yet\n";
    let l = load("pipeline.yaml", text.into());
    assert!(l.model.is_none());
    assert_eq!(at(text, l.diagnostics[0].range), "# nothing yet");
}

#[test]
fn unusable_documents_have_no_model() {
    let l = load("pipeline.yaml", "stages: [\n".into());
    assert!(l.model.is_none());
    assert_eq!(codes(&l), ["yaml-syntax"]);
    let text = "- a\n- b\n";
    let l = load("pipeline.yaml", text.into());
    assert!(l.model.is_none());
    assert_eq!(codes(&l), ["invalid-value"]);
    assert_eq!(at(text, l.diagnostics[0].range), "- a");
}

#[test]
fn duplicate_keys_on_the_second() {
    let text = "stages:\n  - id: a\n    id: b\n    agent: a.md\n    outputs: []\n";
    let l = load("pipeline.yaml", text.into());
    assert_eq!(codes(&l), ["duplicate-key"]);
    let d = &l.diagnostics[0];
    assert_eq!(d.range.start, text.find("id: b").expect("second") as u32);
    assert_eq!(at(text, d.range), "id");
    assert!(d.message.contains("`id`") && d.message.contains("line 2"), "{}", d.message);
}

// ----- incremental re-reading -------------------------------------------

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A pipeline shaped like `tests/bench/peer/gen_pipeline.py`'s, with the things a
/// re-read must get right sprinkled in: findings, duplicate keys, CJK, comments,
/// flow lists, quoted and block scalars, globs.
fn generated(stages: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::from("# generated\nversion: 1\npipeline:\n  name: big\n  mode: checkpoint\nstages:\n");
    for n in 0..stages {
        out.push_str(&format!("  - id: stage-{n:04}\n"));
        match rng.below(4) {
            0 => out.push_str("    description: >\n      Draft the thing,\n      so that the next stage can start.\n"),
            1 => out.push_str("    description: \"生成 UI 结构 🚀\"\n"),
            2 => out.push_str("    description: |\n      line one\n        indented\n"),
            _ => {}
        }
        if rng.below(20) == 0 {
            out.push_str("    agnet: agents/x.agent.md\n");
        } else {
            out.push_str(&format!("    agent: agents/a{}.agent.md\n", n % 7));
        }
        if n > 0 {
            out.push_str(&format!("    inputs:\n      - artifacts/s{}/out.md\n", rng.below(n)));
        } else {
            out.push_str("    inputs: []\n");
        }
        if rng.below(25) == 0 {
            out.push_str(&format!("    outputs: artifacts/s{n}/out.md\n"));
        } else {
            out.push_str(&format!("    outputs: [artifacts/s{n}/out.md, 'artifacts/s{n}/notes/']\n"));
        }
        out.push_str("    exit_criteria:\n      - It exists # a comment\n\n      - 'It''s checked'\n");
        if rng.below(6) == 0 {
            out.push_str(
                "    permissions:\n      read:\n        - artifacts/**\n      write:\n        - \"src/**/*.ts\"\n",
            );
        }
        if rng.below(4) == 0 {
            let action = ["pause", "retry", "rollback", "explode"][rng.below(4)];
            out.push_str(&format!("    on_failure: {{action: {action}, message: \"Check it.\"}}\n"));
        }
        if rng.below(30) == 0 {
            out.push_str("    agent: again.md\n");
        }
        if rng.below(10) == 0 {
            out.push_str("# between items\n\n");
        }
    }
    out
}

const EDIT_CHARS: &[&str] = &[
    "a", "z", "0", " ", " ", "\n", ":", "-", "#", "\"", "'", "[", "]", "{", "}", ",", "&", "*", "|", ">", "\t", "中",
    "\r", "\r\n", "- ", ": ",
];

/// One random edit: insert, delete or replace one character.
fn random_edit(rng: &mut Rng, text: &str, from: usize) -> String {
    let mut at = from + rng.below(text.len() - from + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let next = text[at..].chars().next().map_or(0, char::len_utf8);
    let ch = EDIT_CHARS[rng.below(EDIT_CHARS.len())];
    match rng.below(3) {
        0 => format!("{}{}{}", &text[..at], ch, &text[at..]),
        1 => format!("{}{}", &text[..at], &text[at + next..]),
        _ => format!("{}{}{}", &text[..at], ch, &text[at + next..]),
    }
}

/// Random edit chains from `base`: after every edit, re-reading incrementally
/// (when planned) must give exactly the full load. Returns how many were incremental.
fn incremental_equals_full(base: &str, trials: usize, seed: u64) -> (usize, usize) {
    let mut rng = Rng(seed);
    let from = base.find("stages:").expect("stages");
    let (mut planned, mut steps) = (0, 0);
    for _ in 0..trials {
        let (mut loaded, layout) = load_with_layout("pipeline.yaml", base.into());
        let mut layout = layout.expect("layout");
        for _ in 0..1 + rng.below(3) {
            let new = random_edit(&mut rng, &loaded.text, from);
            steps += 1;
            let (full, full_layout) = load_with_layout("pipeline.yaml", new.as_str().into());
            let Some(plan) = plan(&loaded.text, &layout, &new) else {
                match (full.model.is_some(), full_layout) {
                    (true, Some(l)) => (loaded, layout) = (full, l),
                    _ => break,
                }
                continue;
            };
            planned += 1;
            apply(plan, &mut loaded, &mut layout, new.as_str().into());
            assert_eq!(loaded.model, full.model, "model after edit to {new:?}");
            assert_eq!(loaded.diagnostics, full.diagnostics, "findings after edit");
            assert_eq!(Some(&layout), full_layout.as_ref(), "layout after edit");
        }
    }
    (planned, steps)
}

#[test]
fn incremental_reread_equals_full_load_on_a_generated_pipeline() {
    let text = generated(200);
    let l = load("pipeline.yaml", text.as_str().into());
    assert_eq!(l.model.as_ref().map(|p| p.stages.len()), Some(200));
    assert!(l.diagnostics.iter().any(|d| d.code == Code::DuplicateKey));
    assert!(l.diagnostics.iter().any(|d| d.code == Code::UnknownKey));
    let (planned, steps) = incremental_equals_full(&text, 40, 7);
    assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
}

#[test]
fn incremental_reread_equals_full_load_on_the_real_fixture() {
    let text = include_str!("../../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
    let (planned, steps) = incremental_equals_full(text, 400, 11);
    assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
}

/// Other line endings. Old Mac (`\r`): such a file gets no layout, so every
/// edit is a full load (the item scan knows `\n` only). Windows (`\r\n`):
/// incremental re-reads equal full loads.
#[test]
fn other_line_endings_give_what_a_full_load_gives() {
    let text = include_str!("../../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
    let cr = text.replace('\n', "\r");
    let (full, layout) = load_with_layout("pipeline.yaml", cr.as_str().into());
    assert_eq!(full.model.as_ref().map(|p| p.stages.len()), Some(7));
    assert!(layout.is_none());
    let crlf = text.replace('\n', "\r\n");
    let (planned, steps) = incremental_equals_full(&crlf, 200, 5);
    assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
}

#[test]
fn common_prefix_and_suffix_over_blocks() {
    let a: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    for at in [0, 1, 255, 256, 257, 1000, 1999] {
        let mut b = a.clone();
        b[at] ^= 1;
        assert_eq!(common_prefix(&a, &b), at);
        assert_eq!(common_suffix(&a, &b), 1999 - at);
        let mut c = a.clone();
        c.insert(at, 7);
        assert_eq!(common_prefix(&a, &a[..at]), at);
        assert!(common_prefix(&a, &c) >= at && common_suffix(&a, &c) >= 2000 - at - 1);
    }
    assert_eq!(common_prefix(&a, &a), 2000);
    assert_eq!(common_suffix(&a, &a[..0]), 0);
}

#[test]
fn edits_outside_one_item_are_not_planned() {
    let text = "version: 1\nstages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n  - id: b\n    agent: b.md\n    outputs: [y]\npipeline:\n  max_attempts: 3\n";
    let (_, layout) = load_with_layout("pipeline.yaml", text.into());
    let layout = layout.expect("layout");
    let edit = |from: &str, to: &str| text.replacen(from, to, 1);
    // Inside one item: planned, and the later stage moves.
    let new = edit("id: a", "id: aa");
    let p = plan(text, &layout, &new).expect("planned");
    assert_eq!(p.delta, 1);
    // Across items, at an item's `-`, outside the list, or a new item: full loads.
    for new in [
        edit("[x]\n  - id: b", "[x]\n  -id: b"),
        edit("outputs: [x]\n  - id: b", "outputs: [x]\n  - id: b\n  - id: c"),
        edit("version: 1", "version: 2"),
        edit("max_attempts: 3", "max_attempts: 4"),
        edit("  - id: b", "   - id: b"),
        edit("agent: a.md", "agent: *a"),
        edit("agent: a.md", "agent: &a a.md"),
        edit("    agent: a.md", "agent: a.md"),
        edit("[x]", "[x"),
        edit("a.md\n", "a.md\r"),
    ] {
        assert!(plan(text, &layout, &new).is_none(), "{new:?}");
    }
    // The same text: nothing to re-read.
    assert!(plan(text, &layout, text).is_some_and(|p| p.item.is_none()));
}
