//! Loading, re-reading and analysing a root: incremental equals fresh.

use std::path::Path;

use super::*;
use crate::fs_view::DiskFs;

fn fixture() -> (Snapshot, DiskFs) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
    let (snap, errors) = Snapshot::load(Root::at(&dir).expect("root"));
    assert!(errors.is_empty(), "{errors:?}");
    (snap, DiskFs::new(dir))
}

/// After each `set`, the snapshot answers exactly as one loaded afresh with that text.
#[test]
fn pipeline_edits_give_what_a_fresh_load_gives() {
    let (mut snap, fs) = fixture();
    let rel = snap.root.layout.pipeline.clone();
    let none = SeverityOverrides::default();
    let base = snap.text(&rel).expect("text");
    let edits = [
        base.replacen("agents/prd.agent.md", "agents/prd2.agent.md", 1),
        base.replacen("      - artifacts/prd/prd.md\n", "      - artifacts/prd/prd.md\n      - x/\n", 1),
        base.replacen("action: pause", "action: paus", 1),
        base.replacen("  - id: ui\n", "  - id: [broken\n", 1),
        base.replacen("  - id: ui\n", "  - id: ui\n    agnet: x\n", 1),
        base.replacen("\nstages:\n", "\nstage:\n", 1),
        base.replacen("    agent: agents/prd.agent.md\n", "", 1),
        base.to_string(),
    ];
    for text in edits {
        let before = snap.pipeline.as_ref().map(|s| s.current.clone());
        snap.set(&rel, Some(text.as_str().into()));
        let mut fresh = Snapshot { pipeline: None, pipeline_layout: None, ..snap.clone() };
        // A fresh load that saw the same previous text keeps the same last good model.
        fresh.pipeline = before.map(|current| Slot { current, last_good: None });
        fresh.pipeline_layout = None;
        fresh.set(&rel, Some(text.as_str().into()));
        assert_eq!(snap.pipeline(), fresh.pipeline(), "model");
        assert_eq!(snap.analyze(&fs, &[], None, &none), fresh.analyze(&fs, &[], None, &none), "findings");
        let (loaded, layout) = pipeline::load_with_layout(&rel, text.as_str().into());
        assert_eq!(snap.pipeline.as_ref().map(|s| &s.current.diagnostics), Some(&loaded.diagnostics));
        assert_eq!(snap.pipeline_layout.as_deref(), layout.as_ref());
    }
}

/// `analyze_since` equals a full `analyze` after every one of many random edits
/// inside stages (ids, outputs, inputs, agents, permissions), with a matrix and
/// an idle run's state that read ids and outputs; most take the reuse path.
#[test]
fn analyze_since_equals_a_full_analysis_after_random_edits() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    let state = std::fs::read_to_string(dir.path().join(".factory/state.json")).expect("state");
    std::fs::write(dir.path().join(".factory/state.json"), state.replace("\"running\"", "\"idle\"")).expect("write");
    let (mut snap, errors) = Snapshot::load(Root::at(dir.path()).expect("root"));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!snap.run_is_active());
    let fs = DiskFs::new(dir.path());
    let none = SeverityOverrides::default();
    let rel = snap.root.layout.pipeline.clone();
    let mut text = snap.text(&rel).expect("pipeline").to_string();
    let ids: Vec<String> = snap.pipeline().expect("model").stage_ids().map(str::to_string).collect();
    let first_stage = text.find("\n  - ").expect("a stage") + 1;

    let mut seed = 11u64;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n.max(1)
    };
    let mut prev = Some(snap.analyze_since(None, &fs, &[], None, &none));
    let (mut reused, mut steps) = (0, 0);
    for _ in 0..1500 {
        // A value somewhere in the stages: after a `: ` or a `- `.
        let starts: Vec<usize> = text[first_stage..]
            .match_indices(": ")
            .chain(text[first_stage..].match_indices("- "))
            .map(|(i, m)| first_stage + i + m.len())
            .collect();
        let at = starts[next(starts.len())];
        let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        let col = at + next(end - at + 1);
        if !text.is_char_boundary(col) {
            continue;
        }
        match next(6) {
            0 if col < end => {
                text.remove(col);
            }
            1 => {
                // A whole value becomes another stage's id (duplicates, firsts).
                let id = &ids[next(ids.len())];
                text.replace_range(at..end, id);
            }
            2 if next(8) == 0 => text.insert(col, '\n'),
            _ => text.insert(col, ['a', 'x', '-', '/', '.', 'd'][next(6)]),
        }
        snap.set(&rel, Some(Arc::from(text.as_str())));
        let got = snap.analyze_since(prev.take(), &fs, &[], None, &none);
        let want = snap.analyze(&fs, &[], None, &none);
        assert_eq!(*got.findings, want, "after an edit at {col} (reused: {})\n{text}", got.reused);
        steps += 1;
        reused += usize::from(got.reused);
        prev = Some(got);
        if snap.pipeline.as_ref().is_some_and(|s| s.current.model.is_none()) || next(50) == 0 {
            // Back to the original now and then, so edits do not pile up.
            text = std::fs::read_to_string(dir.path().join(&rel)).expect("read");
            snap.set(&rel, Some(Arc::from(text.as_str())));
            prev = Some(snap.analyze_since(prev.take(), &fs, &[], None, &none));
        }
    }
    assert!(reused * 2 > steps, "only {reused} of {steps} edits reused the previous analysis");
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Claude Code's settings at the root are loaded with the other files, re-read on
/// `set`, and checked: a broken text has its JSON syntax finding only (never a
/// panic, never a finding of the old text), a fixed one its rule findings again,
/// and an analysis from the previous one sees the change.
#[test]
fn agent_settings_are_loaded_set_and_checked() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    let good = "{\n  \"permissions\": {\"deny\": [\"Write(artifacts/prd/**)\"]}\n}\n";
    std::fs::create_dir_all(dir.path().join(".claude")).expect("mkdir");
    std::fs::write(dir.path().join(".claude/settings.local.json"), good).expect("write");
    let (mut snap, errors) = Snapshot::load(Root::at(dir.path()).expect("root"));
    assert!(errors.is_empty(), "{errors:?}");
    let fs = DiskFs::new(dir.path().to_path_buf());
    let none = SeverityOverrides::default();
    let of = |findings: &[Finding]| -> Vec<(String, &'static str, TextRange)> {
        findings
            .iter()
            .filter(|f| f.path.starts_with(".claude/"))
            .map(|f| (f.path.to_string(), f.diagnostic.code.as_str(), f.diagnostic.range))
            .collect()
    };
    let rel = ".claude/settings.local.json";
    assert_eq!(snap.root.kind_of(rel), FileKind::AgentSettings);
    assert_eq!(snap.text(rel).as_deref(), Some(good));
    let s = good.find("\"Write").expect("rule") as u32;
    let rule = TextRange::new(s, s + "\"Write(artifacts/prd/**)\"".len() as u32);
    let first = snap.analyze_since(None, &fs, &[], None, &none);
    assert_eq!(of(&first.findings), [(rel.to_string(), "ineffective-agent-rule", rule)]);

    let broken = "{\n  \"permissions\": {\"deny\": [\"Write(artifacts/prd/**)\",]}\n}\n";
    assert!(snap.set(rel, Some(broken.into())));
    let second = snap.analyze_since(Some(first), &fs, &[], None, &none);
    let comma = broken.find(",]").expect("comma") as u32 + 1;
    assert_eq!(of(&second.findings), [(rel.to_string(), "yaml-syntax", TextRange::new(comma, comma + 1))]);

    assert!(snap.set(rel, Some(good.replace("Write(", "Edit(").into())));
    let third = snap.analyze_since(Some(second), &fs, &[], None, &none);
    assert!(of(&third.findings).is_empty(), "{:?}", third.findings);

    assert!(snap.set(".claude/settings.json", Some(good.into())));
    assert!(snap.set(rel, None));
    let fourth = snap.analyze_since(Some(third), &fs, &[], None, &none);
    assert_eq!(of(&fourth.findings), [(".claude/settings.json".to_string(), "ineffective-agent-rule", rule)]);
}
