//! A keystroke's analysis (`analyze_since`, reusing the previous one) equals a
//! full `analyze` on a realistic root: every stage has its agent file and a
//! matrix row, some carry `permissions`, inputs name earlier outputs, and the
//! edits hit stage ids and outputs (renames that orphan a matrix row, take
//! another stage's id, break or provide a later stage's input).

use std::path::Path;
use std::sync::Arc;

use tollgate_engine::analysis::Snapshot;
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::fs_view::DiskFs;
use tollgate_engine::root::Root;

const STAGES: usize = 80;

/// A small PRNG (LCG), so every run makes the same edits.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % n.max(1)
    }
}

fn id(i: usize) -> String {
    format!("{}-{i:03}", ["prd", "ui", "code", "docs"][i % 4])
}

/// Writes the root; returns the ids.
fn realistic(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir.join("agents")).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    let mut p = String::from("version: 1\npipeline:\n  name: realistic\n  max_attempts: 2\nstages:\n");
    let mut m = String::from("# 矩阵\n\n| Agent | 可读取目录 | 可写入目录 | 说明 |\n| --- | --- | --- | --- |\n");
    for i in 0..STAGES {
        let s = id(i);
        p += &format!(
            "  - id: {s}\n    description: >\n      生成 {s} 的产物。\n    agent: agents/{}.agent.md\n",
            i % 4
        );
        if i > 0 {
            p += &format!("    inputs:\n      - artifacts/{}/out.md\n", id(i - 1));
        } else {
            p += "    inputs: []\n";
        }
        p += &format!("    outputs:\n      - artifacts/{s}/out.md\n    exit_criteria:\n      - out.md 存在\n");
        if i % 7 == 3 {
            p += &format!("    permissions:\n      write: [artifacts/{s}/]\n");
        } else {
            m += &format!("| **{s}** | `input/` | `artifacts/{s}/` | 只写自己的目录 |\n");
        }
    }
    std::fs::write(dir.join("pipeline.yaml"), p).unwrap();
    std::fs::write(dir.join("policies/capability.matrix.md"), m).unwrap();
    for a in 0..4 {
        std::fs::write(dir.join(format!("agents/{a}.agent.md")), "# agent\n").unwrap();
    }
    (0..STAGES).map(id).collect()
}

#[test]
fn id_and_output_edits_on_a_realistic_root_equal_a_full_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let ids = realistic(dir.path());
    let (mut snap, errors) = Snapshot::load(Root::at(dir.path()).expect("root"));
    assert!(errors.is_empty(), "{errors:?}");
    let fs = DiskFs::new(dir.path());
    let none = SeverityOverrides::default();
    let rel = snap.root.layout.pipeline.clone();
    let original = snap.text(&rel).unwrap().to_string();
    assert!(snap.analyze(&fs, &[], None, &none).is_empty(), "the generated root is clean");

    let fresh_dir = tempfile::tempdir().unwrap();
    realistic(fresh_dir.path());
    let fresh_fs = DiskFs::new(fresh_dir.path());
    let mut text = original.clone();
    let mut rng = Rng(5);
    let mut prev = Some(snap.analyze_since(None, &fs, &[], None, &none));
    let (mut reused, mut steps, mut with_findings) = (0, 0, 0);
    for _ in 0..1200 {
        // The value of an `id:` line or of an output/input item.
        let key = ["  - id: ", "      - artifacts/"][rng.below(2)];
        let starts: Vec<usize> = text.match_indices(key).map(|(i, m)| i + m.len()).collect();
        let at = starts[rng.below(starts.len())];
        let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        // A character boundary inside the value, or its end.
        let cuts: Vec<usize> = text[at..end].char_indices().map(|(k, _)| at + k).chain([end]).collect();
        let col = cuts[rng.below(cuts.len())];
        match rng.below(5) {
            // Another stage's id or folder: duplicates, renames onto a matrix row.
            0 => {
                let other = &ids[rng.below(ids.len())];
                let value = if key.contains("id") { other.clone() } else { format!("{other}/out.md") };
                text.replace_range(at..end, &value);
            }
            1 if col < end => {
                text.remove(col);
            }
            _ => text.insert(col, ['x', '-', '/', '0', '初'][rng.below(5)]),
        }
        snap.set(&rel, Some(Arc::from(text.as_str())));
        let got = snap.analyze_since(prev.take(), &fs, &[], None, &none);
        let want = snap.analyze(&fs, &[], None, &none);
        assert_eq!(*got.findings, want, "after an edit (reused: {})\n{text}", got.reused);
        // And both equal a root loaded afresh from that text (the model, its id
        // index included, was kept right by the in-place re-read).
        std::fs::write(fresh_dir.path().join("pipeline.yaml"), &text).unwrap();
        let (fresh, _) = Snapshot::load(Root::at(fresh_dir.path()).expect("root"));
        assert!(snap.pipeline() == fresh.pipeline(), "the model after an edit differs from a fresh load's");
        assert_eq!(fresh.analyze(&fresh_fs, &[], None, &none), want, "a fresh load's findings");
        steps += 1;
        reused += usize::from(got.reused);
        with_findings += usize::from(!want.is_empty());
        prev = Some(got);
        if rng.below(40) == 0 {
            text = original.clone();
            snap.set(&rel, Some(Arc::from(text.as_str())));
            prev = Some(snap.analyze_since(prev.take(), &fs, &[], None, &none));
        }
    }
    // The edits did change findings (renames orphan rows, break inputs), and most
    // were answered from the previous analysis, not by a full one.
    assert!(with_findings * 2 > steps, "only {with_findings} of {steps} edits gave findings");
    assert!(reused * 2 > steps, "only {reused} of {steps} edits reused the previous analysis");
}
