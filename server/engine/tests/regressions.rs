//! Inputs the fuzz targets (`fuzz/`) found, kept as regression tests.

use std::sync::Arc;

use tollgate_engine::model::{pipeline, scope};
use tollgate_engine::TextRange;

fn at(text: &str, r: TextRange) -> &str {
    &text[r.start as usize..r.end as usize]
}

#[test]
fn an_empty_stage_item_is_reported_on_its_dash() {
    // `models`: the null item's range is empty; the finding sat on it, zero wide.
    for text in ["stages:\n  -", "stages:\n  -\n  - id: a\n", "stages:\n  - \n"] {
        let l = pipeline::load("pipeline.yaml", Arc::from(text));
        let d = l.diagnostics.iter().find(|d| d.message.starts_with("stage #1")).expect("finding");
        assert_eq!(at(text, d.range), "-", "{text:?}: {:?}", d.range);
    }
}

#[test]
fn empty_items_and_empty_keys_get_findings_one_character_wide() {
    // `models`: `outputs: [-]` with an empty item, `: x` keys (unknown and repeated).
    let texts = [
        "stages:\n  - id: a\n    agent: x\n    outputs:\n      -\n",
        "stages:\n  - id: a\n    agent: x\n    outputs: [a]\n    exit_criteria:\n      -\n",
        "stages:\n  - id: a\n    : x\n    : y\n",
    ];
    for text in texts {
        let l = pipeline::load("pipeline.yaml", Arc::from(text));
        assert!(!l.diagnostics.is_empty(), "{text:?}");
        for d in &l.diagnostics {
            assert!(!d.range.is_empty(), "{text:?}: zero-width {d:?}");
        }
    }
    let text = "version: 1\nid: x\nrevision: 1\n: a\n: b\n";
    let l = scope::load(".factory/scope.yaml", Arc::from(text));
    let dup = l.diagnostics.iter().find(|d| d.code.as_str() == "duplicate-key").expect("duplicate");
    assert_eq!(dup.range.len(), 1, "{dup:?}");
}

#[test]
fn error_log_blocks_never_overlap() {
    // `error_log`: an unclosed block's last rule is also the next block's opening rule.
    let text = "ERROR REPORT\nERROR REPORT\n==========\nERROR REPORT\n";
    let blocks = tollgate_engine::recovery::parse_error_log(text);
    for pair in blocks.windows(2) {
        assert!(pair[0].range.end <= pair[1].range.start, "{blocks:?}");
    }
}
