//! `tollgate status --format mermaid|html` (SPEC section 10) on the real AI App
//! Factory pipeline and matrix with an active run of `code` at its second
//! attempt, the first attempt archived, a quarantined file and a fresh
//! unauthorized write; then bad input: stages the pipeline lacks, no run
//! state, 5,000 stages.

mod common;
use common::{copy_dir, fixtures, git_commit, write};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

const STATE: &str = r#"{
  "version": 1,
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd", "ui", "tech"],
  "failedStages": [],
  "stageHistory": [
    {"stageId": "bootstrap", "status": "completed", "attempts": 1},
    {"stageId": "prd", "status": "completed", "attempts": 1},
    {"stageId": "ui", "status": "completed", "attempts": 1},
    {"stageId": "tech", "status": "completed", "attempts": 1},
    {"stageId": "code", "status": "running", "attempts": 2}
  ]
}
"#;

/// The published pipeline and matrix, the example's agent files, inputs and
/// artifacts, and `state` as the run; committed, then the archive, the
/// quarantine and the stray write land as an agent's later work.
fn project(state: Option<&str>) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), &root);
    for sub in ["agents", "artifacts", "input"] {
        copy_dir(&fixtures().join("example").join(sub), &root.join(sub));
    }
    if let Some(state) = state {
        write(&root, ".factory/state.json", state);
    }
    git_commit(&root);
    write(&root, "artifacts/_failed/code/attempt-1/backend/src/app.ts", "export const v = 1;\n");
    write(&root, "artifacts/_failed/code/attempt-1/client/src/App.tsx", "export {};\n");
    write(&root, "artifacts/_untrusted/code/prd/notes.md", "moved here\n");
    write(&root, "artifacts/prd/sneaky.md", "not yours\n");
    Project { _dir: dir, root }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn status(root: &Path, format: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["status", "--format", format])
        .current_dir(root)
        .output()
        .expect("tollgate runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const CLASSDEFS: &str = "  classDef done fill:#dcfce7,stroke:#15803d,color:#14532d
  classDef current fill:#dbeafe,stroke:#1d4ed8,stroke-width:3px,color:#1e3a8a
  classDef failed fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#7f1d1d
  classDef notreached fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:4 3,color:#374151
  classDef archived fill:#fef3c7,stroke:#b45309,color:#78350f
  classDef quarantined fill:#fae8ff,stroke:#a21caf,color:#701a75
";

#[test]
fn mermaid_draws_every_stage_in_order_with_state_attempts_blockers_and_archives() {
    let p = project(Some(STATE));
    let run = status(&p.root, "mermaid");
    let expected = format!(
        "\
flowchart TD
  s0[\"<b>bootstrap</b><br/>done · attempt 1 of 2\"]:::done
  s1[\"<b>prd</b><br/>done · attempt 1 of 2\"]:::done
  s2[\"<b>ui</b><br/>done · attempt 1 of 2\"]:::done
  s3[\"<b>tech</b><br/>done · attempt 1 of 2\"]:::done
  s4[\"<b>code</b><br/>current: running · attempt 2 of 2<br/>1 open blocker<br/>unauthorized-write: artifacts/prd/sneaky.md\"]:::current
  s4x0[(\"<b>attempt 1 archived</b><br/>artifacts/_failed/code/attempt-1/<br/>backend/src/app.ts<br/>client/src/App.tsx\")]:::archived
  s4x1[(\"<b>quarantined</b><br/>artifacts/_untrusted/code/<br/>prd/notes.md\")]:::quarantined
  s5[\"<b>validation</b><br/>not reached<br/>2 open blockers<br/>output-outside-permissions: artifacts/backend/<br/>output-outside-permissions: artifacts/client/\"]:::notreached
  s6[\"<b>preview</b><br/>not reached<br/>2 open blockers<br/>output-outside-permissions: artifacts/backend/<br/>output-outside-permissions: artifacts/client/\"]:::notreached
  s0 --> s1
  s1 --> s2
  s2 --> s3
  s3 --> s4
  s4 --> s5
  s5 --> s6
  s4 -.- s4x0
  s4 -.- s4x1
{CLASSDEFS}"
    );
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (1, expected.as_str(), ""));
}

/// Every `src`, `href` and `@import`/`url(` of a page, to prove none leaves it.
fn remote_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = html.to_lowercase();
    for key in ["src=", "href=", "@import", "url(", "<script", "<link", "<iframe", "<object", "<embed"] {
        let mut at = 0;
        while let Some(i) = lower[at..].find(key) {
            let start = at + i;
            let rest = &lower[start + key.len()..];
            let value = rest.trim_start_matches(['"', '\'']);
            // `url(#arrow)` and `href="#…"` stay inside the page.
            if !value.starts_with('#') {
                found.push(html[start..(start + 60).min(html.len())].to_string());
            }
            at = start + key.len();
        }
    }
    found
}

#[test]
fn html_is_one_self_contained_page_with_every_stage_and_blocker() {
    let p = project(Some(STATE));
    let run = status(&p.root, "html");
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
    let h = &run.stdout;
    assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{}", &h[..80]);
    assert!(h.ends_with("</body>\n</html>\n"));
    assert_eq!(remote_references(h), Vec::<String>::new());
    assert_eq!(h.matches("<svg ").count(), 1, "one inline SVG");
    assert!(h.contains("@media (prefers-color-scheme: dark)"));
    // Every stage: a node in the graph with its state's class, and a row in the table.
    for (id, class) in [
        ("bootstrap", "done"),
        ("prd", "done"),
        ("ui", "done"),
        ("tech", "done"),
        ("code", "current"),
        ("validation", "notreached"),
        ("preview", "notreached"),
    ] {
        assert_eq!(h.matches(&format!("<g class=\"{class}\" id=\"stage-{id}\">")).count(), 1, "{id}");
        assert_eq!(h.matches(&format!("<td><code>{id}</code></td><td class=\"state {class}\">")).count(), 1, "{id}");
    }
    assert!(h.contains(">current: running · attempt 2 of 2</text>"));
    // Every blocker with class, subject, return point and next step.
    assert_eq!(h.matches("<tr><td>policy</td>").count(), 5);
    assert!(h.contains(
        "<tr><td>policy</td><td><code>unauthorized-write</code></td><td class=\"path\">artifacts/prd/sneaky.md</td>\
         <td class=\"path\">artifacts/prd/sneaky.md:1</td><td>user</td>\
         <td><code>tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code</code>"
    ));
    assert_eq!(
        h.matches("<td><code>a person grants stage `validation` write access to `artifacts/backend/`</code>").count(),
        1
    );
    // The archived attempt, each file with where it lives now; the quarantine.
    assert!(h.contains("<h3>code · attempt 1 <span class=\"path\">artifacts/_failed/code/attempt-1/</span></h3>"));
    assert!(h.contains(
        "<li class=\"path\">artifacts/_failed/code/attempt-1/backend/src/app.ts <small>(now artifacts/backend/src/app.ts)</small></li>"
    ));
    assert!(h.contains("<g class=\"archived\"><title>attempt 1 archived"));
    assert!(h.contains("<g class=\"quarantined\"><title>quarantined"));
}

#[test]
fn labels_are_escaped_in_both_pictures() {
    // A stage id with quotes, brackets, `#`, `<`, `&` and CJK (the state names it; the pipeline lacks it).
    let tricky = r#"阶段 "x" [a](b) #1 <i>&amp; `t`"#;
    let state = format!(
        r#"{{"status": "running", "currentStage": {}, "completedStages": ["bootstrap"]}}"#,
        serde_json::to_string(tricky).unwrap()
    );
    let p = project(Some(&state));
    // (The blocker's subject is the text at fault in state.json, its JSON escapes included.)
    let m = status(&p.root, "mermaid").stdout;
    let line = m.lines().find(|l| l.contains("阶段")).expect("a node for the stage");
    assert_eq!(
        line,
        "  s7[\"<b>阶段 #34;x#34; #91;a#93;#40;b#41; #35;1 #60;i#62;#38;amp#59; #96;t#96;</b><br/>current: running · attempt 1 of 2<br/>not in the pipeline<br/>1 open blocker<br/>state-unknown-stage: 阶段 #92;#34;x#92;#34; #91;a#93;#40;b#41; #35;1 #60;i#62;#38;amp#59; #96;t#96;\"]:::current"
    );
    let h = status(&p.root, "html").stdout;
    assert!(h.contains("<code>阶段 &quot;x&quot; [a](b) #1 &lt;i&gt;&amp;amp; `t`</code> (not in the pipeline)"));
    assert!(!h.contains("<i>&amp;"), "no markup from a stage id");
}

#[test]
fn no_run_state_draws_every_stage_not_reached() {
    let p = project(None);
    let m = status(&p.root, "mermaid");
    assert_eq!(m.stderr, "");
    let nodes: Vec<&str> = m.stdout.lines().filter(|l| l.contains("[\"<b>")).collect();
    assert_eq!(nodes.len(), 7, "{}", m.stdout);
    assert!(nodes.iter().all(|l| l.ends_with(":::notreached") && l.contains("<br/>not reached")), "{nodes:?}");
    // The archive on disk still hangs off its stage.
    assert!(m.stdout.contains("  s4 -.- s4x0\n"));
    let h = status(&p.root, "html");
    assert_eq!(h.stderr, "");
    assert_eq!(h.stdout.matches("<td class=\"state notreached\">not reached</td>").count(), 7);
}

#[test]
fn five_thousand_stages_stay_readable_and_quick() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut pipeline = String::from("version: 1\npipeline:\n  name: big\n  max_attempts: 3\nstages:\n");
    for i in 0..5000 {
        pipeline.push_str(&format!("  - id: s{i}\n    agent: agents/a.md\n    outputs: []\n"));
    }
    write(&root, "pipeline.yaml", &pipeline);
    write(&root, "agents/a.md", "# agent\n");
    let completed: Vec<String> = (0..2500).map(|i| format!("\"s{i}\"")).collect();
    write(
        &root,
        ".factory/state.json",
        format!(
            r#"{{"status": "running", "currentStage": "s2500", "completedStages": [{}], "stageHistory": [{{"stageId": "s2500", "attempts": 2}}]}}"#,
            completed.join(", ")
        ),
    );
    git_commit(&root);
    write(&root, "artifacts/_failed/s2500/attempt-1/x.md", "old\n");
    let t = Instant::now();
    let h = status(&root, "html");
    let took = t.elapsed();
    assert_eq!((h.code, h.stderr.as_str()), (0, ""));
    // A debug build on a loaded machine; the release figure is in the README.
    assert!(took < Duration::from_secs(10), "{took:?}");
    // The graph: over 200 stages, the current stage with two on each side, its
    // archive, and each run between as first, "… N more", last.
    let nodes = h.stdout.matches("<g class=\"").count();
    assert_eq!(nodes, 12, "s0 … s2497, s2498-s2502, the archive, s2503 … s4999");
    assert!(h.stdout.contains(">… 2496 more stages, done</text>"));
    assert!(h.stdout.contains(">… 2495 more stages, not reached</text>"));
    assert!(h.stdout.contains("<g class=\"current\" id=\"stage-s2500\">"));
    for id in ["s0", "s2497", "s2498", "s2502", "s2503", "s4999"] {
        assert_eq!(h.stdout.matches(&format!(" id=\"stage-{id}\">")).count(), 1, "{id}");
    }
    // The current stage in the header links to its node.
    assert!(h.stdout.contains("<dt>stage</dt><dd><a href=\"#stage-s2500\">s2500</a> (attempt 2 of 3)</dd>"));
    assert_eq!(remote_references(&h.stdout), Vec::<String>::new());
    // The table still has every stage, in order.
    for i in [0, 1, 2499, 2500, 2501, 4999] {
        assert_eq!(h.stdout.matches(&format!("<td>{}</td><td><code>s{i}</code></td>", i + 1)).count(), 1, "s{i}");
    }
    assert_eq!(h.stdout.matches("<tr><td>").count(), 5000);
    // Mermaid collapses the same way (Mermaid's own limit is 50,000 characters of text).
    let m = status(&root, "mermaid").stdout;
    assert!(m.len() < 50_000, "{}", m.len());
    assert!(m.contains("  s1[\"… 2496 more stages, done<br/>s1 … s2496\"]:::done\n"), "{m}");

    // Every stage blocked (its agent file gone): the runs still fold, counting their blockers,
    // and the blockers table lists all 5,000.
    std::fs::remove_file(root.join("agents/a.md")).unwrap();
    let t = Instant::now();
    let h = status(&root, "html");
    let took = t.elapsed();
    assert_eq!((h.code, h.stderr.as_str()), (1, ""));
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(h.stdout.matches("<g class=\"").count(), 12);
    assert!(h.stdout.contains(">… 2496 more stages, done · 2496 with blockers</text>"));
    assert_eq!(h.stdout.matches("<tr><td>definition</td><td><code>agent-not-found</code>").count(), 5000);
}

#[test]
fn an_archive_of_a_stage_the_pipeline_lacks_still_hangs_off_a_node() {
    let p = project(Some(STATE));
    write(&p.root, "artifacts/_failed/old-stage/attempt-3/notes.md", "from a stage since removed\n");
    let m = status(&p.root, "mermaid").stdout;
    let tail: Vec<&str> = m.lines().filter(|l| l.contains("s7")).collect();
    assert_eq!(
        tail,
        [
            "  s7[\"<b>old-stage</b><br/>not reached<br/>not in the pipeline\"]:::notreached",
            "  s7x0[(\"<b>attempt 3 archived</b><br/>artifacts/_failed/old-stage/attempt-3/<br/>notes.md\")]:::archived",
            "  s7 -.- s7x0",
        ]
    );
    // Not in the pipeline's order: no arrow leads to it.
    assert!(!m.contains("--> s7"));
}

#[test]
fn a_failed_stage_is_drawn_failed_in_both_pictures() {
    let failed = STATE.replace(r#""failedStages": []"#, r#""failedStages": ["code"]"#).replace(
        r#""status": "running",
  "currentStage""#,
        r#""status": "failed",
  "currentStage""#,
    );
    assert_ne!(failed, STATE);
    let p = project(Some(&failed));
    let m = status(&p.root, "mermaid").stdout;
    let code = m.lines().find(|l| l.starts_with("  s4[")).unwrap();
    assert!(code.starts_with("  s4[\"<b>code</b><br/>failed · attempt 2 of 2<br/>"), "{code}");
    assert!(code.ends_with(":::failed"), "{code}");
    let h = status(&p.root, "html").stdout;
    assert!(h.contains("<g class=\"failed\" id=\"stage-code\">"));
    assert!(h.contains("<td><code>code</code></td><td class=\"state failed\">failed</td><td>2 of 2</td>"));
}
