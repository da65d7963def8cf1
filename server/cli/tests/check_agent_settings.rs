//! `tollgate check` on Claude Code's settings at the factory root:
//! `ineffective-agent-rule` in every format, byte for byte, its exit code (a
//! warning), a settings file that is not JSON, and what is not read.

mod common;
use common::write;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

const SETTINGS: &str = "{\n  \"permissions\": {\n    \"deny\": [\"Edit(policies/**)\", \"Write(artifacts/prd/**)\"],\n    \"allow\": [\"Write\", \"Bash(npm test:*)\"]\n  }\n}\n";
const LOCAL: &str = "{\"permissions\": {\"ask\": [\"MultiEdit(文档/**)\"]}}\n";
const WRITE_MSG: &str = "`Write(artifacts/prd/**)` in `permissions.deny` does not stop a write to `artifacts/prd/**`: \
Claude Code consults `Edit(...)` rules for every file write (Write, Edit, NotebookEdit) and never `Write(...)` path \
rules; write `Edit(artifacts/prd/**)`";
const MULTI_MSG: &str = "`MultiEdit(文档/**)` in `permissions.ask` does not make Claude Code ask before a write to \
`文档/**`: Claude Code consults `Edit(...)` rules for every file write (Write, Edit, NotebookEdit) and never \
`MultiEdit(...)` path rules; write `Edit(文档/**)`";

/// A clean one-stage root with both settings files.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pipeline.yaml",
        "version: 1\nstages:\n  - id: code\n    agent: agents/code.agent.md\n    outputs: [artifacts/backend/]\n",
    );
    write(
        root,
        "policies/capability.matrix.md",
        "| Agent | Readable | Writable | Notes |\n| --- | --- | --- | --- |\n| **code** | - | `artifacts/backend/` | 代码 |\n",
    );
    write(root, "agents/code.agent.md", "# code\n");
    write(root, ".claude/settings.json", SETTINGS);
    write(root, ".claude/settings.local.json", LOCAL);
    dir
}

fn check(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_tollgate")).arg("check").args(args).current_dir(cwd).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn text_and_github_show_each_ineffective_rule_on_its_json_string() {
    let dir = project();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let (code, stdout, stderr) = check(dir.path(), &["--format", "text"]);
    let expected = format!(
        "\
root: {}

warning[ineffective-agent-rule]: {WRITE_MSG}
 --> .claude/settings.json:3:35
  |
3 |     \"deny\": [\"Edit(policies/**)\", \"Write(artifacts/prd/**)\"],
  |                                   ^^^^^^^^^^^^^^^^^^^^^^^^^

warning[ineffective-agent-rule]: {MULTI_MSG}
 --> .claude/settings.local.json:1:26
  |
1 | {{\"permissions\": {{\"ask\": [\"MultiEdit(文档/**)\"]}}}}
  |                          ^^^^^^^^^^^^^^^^^^^^

0 errors, 2 warnings, 0 other findings
",
        root.display()
    );
    assert_eq!(stdout, expected);
    assert_eq!((code, stderr.as_str()), (0, ""), "warnings alone exit 0");

    let (code, stdout, _) = check(dir.path(), &["--format", "github"]);
    let expected = format!(
        "\
::warning file=.claude/settings.json,line=3,col=35,endLine=3,endColumn=60,title=tollgate ineffective-agent-rule::{WRITE_MSG}
::warning file=.claude/settings.local.json,line=1,col=26,endLine=1,endColumn=44,title=tollgate ineffective-agent-rule::{MULTI_MSG}
"
    );
    assert_eq!((code, stdout), (0, expected));
}

#[test]
fn json_and_sarif_carry_the_range_and_the_fix() {
    let dir = project();
    let (code, stdout, _) = check(dir.path(), &["--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let f = &v["findings"];
    assert_eq!(f.as_array().unwrap().len(), 2, "{stdout}");
    let start = SETTINGS.find("\"Write(").unwrap();
    assert_eq!(
        f[0],
        json!({
            "code": "ineffective-agent-rule",
            "severity": "warning",
            "message": WRITE_MSG,
            "path": ".claude/settings.json",
            "range": {"start": {"line": 2, "character": 34}, "end": {"line": 2, "character": 59}},
            "data": {
                "blocker": {"class": "definition", "return_to": "user"},
                "fixes": [{
                    "kind": "replace",
                    "title": "Replace with `Edit(artifacts/prd/**)`",
                    "range": {"start": start, "end": start + "\"Write(artifacts/prd/**)\"".len()},
                    "new_text": "\"Edit(artifacts/prd/**)\""
                }]
            }
        })
    );
    // UTF-16 columns on the line with CJK.
    assert_eq!(f[1]["path"], ".claude/settings.local.json");
    assert_eq!(f[1]["range"], json!({"start": {"line": 0, "character": 25}, "end": {"line": 0, "character": 43}}));
    assert_eq!(f[1]["data"]["fixes"][0]["new_text"], "\"Edit(文档/**)\"");

    let (code, stdout, _) = check(dir.path(), &["--format", "sarif"]);
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let run = &log["runs"][0];
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ineffective-agent-rule")
        .expect("a SARIF rule");
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");
    assert_eq!(rule["shortDescription"]["text"], "A Claude Code path rule it never consults for file writes");
    let results = run["results"].as_array().unwrap();
    let got: Vec<(&str, &str, &str, Value)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                loc["artifactLocation"]["uri"].as_str().unwrap(),
                loc["region"].clone(),
            )
        })
        .collect();
    let region = |l: u64, c: u64, ec: u64| json!({"startLine": l, "startColumn": c, "endLine": l, "endColumn": ec});
    assert_eq!(
        got,
        [
            ("ineffective-agent-rule", "warning", ".claude/settings.json", region(3, 35, 60)),
            ("ineffective-agent-rule", "warning", ".claude/settings.local.json", region(1, 26, 44)),
        ]
    );
}

#[test]
fn a_settings_file_that_is_not_json_is_a_syntax_error_and_severity_overrides_apply() {
    let dir = project();
    let broken = "{\"permissions\": {\"ask\": [\"MultiEdit(文档/**)\",]}}\n";
    write(dir.path(), ".claude/settings.local.json", broken);
    let (code, stdout, stderr) = check(dir.path(), &["--format", "json"]);
    assert_eq!((code, stderr.as_str()), (1, ""), "a syntax error is an error");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let got: Vec<(&str, &str, Value)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["path"].as_str().unwrap(), f["range"].clone()))
        .collect();
    // The `]` after the trailing comma, in UTF-16 columns.
    let bracket = json!({"start": {"line": 0, "character": 44}, "end": {"line": 0, "character": 45}});
    assert_eq!(
        got,
        [
            (
                "ineffective-agent-rule",
                ".claude/settings.json",
                json!({"start": {"line": 2, "character": 34}, "end": {"line": 2, "character": 59}})
            ),
            ("yaml-syntax", ".claude/settings.local.json", bracket),
        ]
    );
    assert!(v["findings"][1]["message"]
        .as_str()
        .unwrap()
        .starts_with("JSON syntax error in `.claude/settings.local.json`: "));

    // The code is one `--severity` takes.
    let (code, stdout, _) = check(
        dir.path(),
        &["--format", "json", "--severity", "ineffective-agent-rule=error", "--severity", "yaml-syntax=off"],
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (code, v["findings"][0]["severity"].clone(), v["findings"].as_array().unwrap().len()),
        (1, json!("error"), 1)
    );
    let (code, stdout, _) = check(
        dir.path(),
        &["--format", "json", "--severity", "ineffective-agent-rule=off", "--severity", "yaml-syntax=off"],
    );
    assert_eq!((code, serde_json::from_str::<Value>(&stdout).unwrap()["findings"].clone()), (0, json!([])));
}

/// A known limit: only the settings at the factory root are read. Settings at the
/// git top level above a root in a subfolder (where `tollgate setup` writes) are not.
#[test]
fn settings_above_the_factory_root_are_not_read() {
    let top = project();
    let sub = top.path().join("factory");
    for rel in ["pipeline.yaml", "policies/capability.matrix.md", "agents/code.agent.md"] {
        write(&sub, rel, std::fs::read(top.path().join(rel)).unwrap());
    }
    let (code, stdout, _) = check(&sub, &["--format", "json"]);
    assert_eq!((code, serde_json::from_str::<Value>(&stdout).unwrap()["findings"].clone()), (0, json!([])));
}
