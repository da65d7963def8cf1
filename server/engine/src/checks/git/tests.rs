//! `stale-scope` and `permissions-widened` on the real fixture in a git repository.

use std::process::Command;

use crate::changes::tests::sh_git;
use crate::checks::edits::tests::{fixture, state};
use crate::diagnostic::{Code, Severity};

const SCOPE: &str = "version: 1\nid: w\nrevision: 1\nbase: { commit: BASE }\nallow:\n  - path: \"artifacts/**\"\n";

fn head(dir: &std::path::Path) -> String {
    let o = Command::new("git").arg("-C").arg(dir).args(["rev-parse", "HEAD"]).output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
fn stale_scope_when_the_base_is_not_an_ancestor() {
    let fx = fixture("running", true);
    let top = fx.t.path().to_path_buf();
    let base = head(&top);
    // An ancestor: fine.
    fx.write(".factory/scope.yaml", &SCOPE.replace("BASE", &base[..7]));
    fx.write("artifacts/backend/a.ts", "a\n");
    fx.commit();
    assert_eq!(fx.findings(&[Code::StaleScope]), vec![]);
    // A commit on another branch.
    sh_git(&top, &["checkout", "-q", "-b", "side", &base]);
    fx.write("artifacts/client/b.ts", "b\n");
    fx.commit();
    let side = head(&top);
    sh_git(&top, &["checkout", "-q", "-"]);
    fx.write(".factory/scope.yaml", &SCOPE.replace("BASE", &side));
    let found = fx.findings(&[Code::StaleScope]);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!((&*f.path, f.diagnostic.severity), (".factory/scope.yaml", Severity::Warning));
    assert_eq!(f.diagnostic.range.slice(&fx.text(".factory/scope.yaml")), side);
    assert_eq!(
        f.diagnostic.message,
        format!(
            "scope base commit `{side}` is not an ancestor of HEAD: the scope was explored on another history. \
             Return point: exploration (revise the scope against the current code)"
        )
    );
    assert_eq!(f.diagnostic.data.stage.as_deref(), Some("code"));
    fx.write(".factory/scope.yaml", &SCOPE.replace("BASE", "\"deadbee\""));
    let found = fx.findings(&[Code::StaleScope]);
    assert_eq!(found[0].diagnostic.range.slice(&fx.text(".factory/scope.yaml")), "\"deadbee\"");
    assert!(found[0].diagnostic.message.contains("`deadbee` is not a commit of this repository"));
}

#[test]
fn widened_matrix_row_and_pipeline_permissions() {
    let fx = fixture("running", true);
    let m = fx.text("policies/capability.matrix.md");
    let code_write = "| `artifacts/backend/`, `artifacts/client/` | 根据";
    assert!(m.contains(code_write));
    fx.write(
        "policies/capability.matrix.md",
        &m.replace(code_write, "| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据"),
    );
    // `prd` gains `input/` through `permissions.write` (its matrix row had only `artifacts/prd/`).
    let p = fx.text("pipeline.yaml");
    fx.write(
        "pipeline.yaml",
        &p.replace(
            "    agent: agents/prd.agent.md\n",
            "    agent: agents/prd.agent.md\n    permissions:\n      write: [\"artifacts/prd/\", \"input/\"]\n",
        ),
    );
    let found = fx.findings(&[Code::PermissionsWidened]);
    let got: Vec<(String, String)> =
        found.iter().map(|f| (f.path.to_string(), f.diagnostic.range.slice(&fx.text(&f.path)).to_string())).collect();
    assert_eq!(
        got,
        vec![
            ("pipeline.yaml".to_string(), "\"input/\"".to_string()),
            ("policies/capability.matrix.md".to_string(), "`artifacts/prd/`".to_string()),
        ]
    );
    assert_eq!(
        found[1].diagnostic.message,
        "write permissions of stage `code` were widened during the run: matrix row `code` now grants \
         `artifacts/prd/`, which it did not at HEAD. Return point: user (a person approves the change, or it is \
         reverted)"
    );
    assert_eq!(found[0].diagnostic.data.stage.as_deref(), Some("prd"));
    assert!(found[0].diagnostic.message.contains("`permissions.write` of stage `prd` now grants `input/`"));

    // A stage without a rule at the base gains one: that restricts, it does not widen.
    let m = fx.text("policies/capability.matrix.md");
    let row = "| **preview** |";
    assert!(m.contains(row));
    let with_extra = m.replacen(row, &format!("| **extra** | 无 | `x/` | 新 |\n{row}"), 1);
    fx.write("policies/capability.matrix.md", &with_extra);
    let p = fx.text("pipeline.yaml");
    fx.write("pipeline.yaml", &format!("{p}\n  - id: extra\n    agent: a.md\n    outputs: [x/a]\n"));
    assert_eq!(fx.findings(&[Code::PermissionsWidened]).len(), 2);

    // Not during an idle run.
    fx.write(".factory/state.json", &state("idle"));
    assert_eq!(fx.findings(&[Code::PermissionsWidened]), vec![]);
}
