//! `tollgate check --format text|json|sarif|github`: the whole output, byte
//! for byte, on one small project whose findings sit on lines with CJK text
//! and an emoji, in a file whose name has a space, `%`, `,`, `:` and CJK.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

const PIPELINE: &str = "version: 1
stages:
  - id: prd
    agent: agents/prd.agent.md
    outputs: [artifacts/prd/需求.md, artifacts/backend/]  # 需求文档
  - id: ui
    agent: agents/ui.agent.md
    inputs: [artifacts/prd/需求.md]
    outputs: [artifacts/ui/🚀.md, \"artifacts/client/\"]
";

const MATRIX: &str = "| Agent | 可读取目录 | 可写入目录 | 说明 |
| --- | --- | --- | --- |
| **prd** | 无 | `artifacts/prd/` | 需求 |
| **ui** | `artifacts/prd/` | `artifacts/ui/` | 界面 |
";

const STATE: &str = r#"{
  "version": 1,
  "status": "running",
  "currentStage": "ui",
  "completedStages": [],
  "stageHistory": [{"stageId": "ui", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}]
}
"#;

/// The file stage `ui` writes where it may not (after the commit).
const SNEAKY: &str = "artifacts/prd/50% 草稿,v2:final.md";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The small project: two stages, a matrix, an active run of `ui`, committed;
/// then `ui` writes into `artifacts/prd/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pipeline.yaml", PIPELINE);
    write(root, "policies/capability.matrix.md", MATRIX);
    write(root, "agents/prd.agent.md", "# prd\n");
    write(root, "agents/ui.agent.md", "# ui\n");
    write(root, "artifacts/prd/需求.md", "# 需求\n");
    write(root, ".factory/state.json", STATE);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "init"]);
    write(root, SNEAKY, "草稿 v2\n");
    dir
}

/// `tollgate check --format FORMAT` run in `root` (paths are shown relative to it).
fn check(root: &Path, format: &str) -> (i32, String, String) {
    check_in(root, &["--format", format])
}

/// `tollgate check ARGS…` run in the directory `cwd`.
fn check_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("tollgate runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

const UNAUTHORIZED_MSG: &str =
    "stage `ui` created `artifacts/prd/50% 草稿,v2:final.md` outside its write permissions: \
matrix row `ui` allows only `artifacts/ui/` (policies/capability.matrix.md). \
Return point: user (quarantine the file, or a person grants write access)";
const BACKEND_MSG: &str = "output `artifacts/backend/` of stage `prd` is outside its write permissions: \
matrix row `prd` allows only `artifacts/prd/` (policies/capability.matrix.md)";
const SUMMARY_MSG: &str = "stage `ui` wrote 1 file outside its permissions";
const CLIENT_MSG: &str = "output `artifacts/client/` of stage `ui` is outside its write permissions: \
matrix row `ui` allows only `artifacts/ui/` (policies/capability.matrix.md)";

#[test]
fn text_marks_the_range_like_rustc_counting_wide_characters_twice() {
    let dir = project();
    let (code, stdout, stderr) = check(dir.path(), "text");
    // Columns are 1-based UTF-16 (what an editor's status bar shows); carets
    // are display cells: CJK and the emoji take two each, so the carets sit
    // exactly under the range in a terminal. The first line names the root.
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let expected = format!(
        "\
root: {}

error[unauthorized-write]: {UNAUTHORIZED_MSG}
 --> artifacts/prd/50% 草稿,v2:final.md:1:1
  |
1 | 草稿 v2
  | ^^^^^^^

error[output-outside-permissions]: {BACKEND_MSG}
 --> pipeline.yaml:5:36
  |
5 |     outputs: [artifacts/prd/需求.md, artifacts/backend/]  # 需求文档
  |                                      ^^^^^^^^^^^^^^^^^^

information[stage-summary]: {SUMMARY_MSG}
 --> pipeline.yaml:6:9
  |
6 |   - id: ui
  |         ^^

error[output-outside-permissions]: {CLIENT_MSG}
 --> pipeline.yaml:9:35
  |
9 |     outputs: [artifacts/ui/🚀.md, \"artifacts/client/\"]
  |                                   ^^^^^^^^^^^^^^^^^^^

3 errors, 0 warnings, 1 other finding
",
        root.display()
    );
    assert_eq!(stdout, expected);
    assert_eq!((code, stderr.as_str()), (1, ""));
    // The caret lines, measured: 14 ASCII + `artifacts/prd/` + 需求 (4 cells) + `.md, ` = 37 cells.
    let carets = stdout.lines().find(|l| l.contains("^^^^^^^^^^^^^^^^^^") && !l.contains('"')).unwrap();
    assert_eq!(carets.find('^').unwrap() - "  | ".len(), 37);
}

#[test]
fn json_has_version_and_lsp_ranges_in_utf16() {
    let dir = project();
    let (code, stdout, stderr) = check(dir.path(), "json");
    let policy = json!({"class": "policy", "return_to": "user"});
    let range =
        |l: u32, s: u32, e: u32| json!({"start": {"line": l, "character": s}, "end": {"line": l, "character": e}});
    let expected = json!({
        "version": 1,
        "root": std::fs::canonicalize(dir.path()).unwrap(),
        "findings": [
            {
                "code": "unauthorized-write",
                "severity": "error",
                "message": UNAUTHORIZED_MSG,
                "path": SNEAKY,
                // `草稿 v2`: five UTF-16 units (and nine UTF-8 bytes).
                "range": range(0, 0, 5),
                "data": {
                    "blocker": policy,
                    "stage": "ui",
                    "fixes": [
                        {"kind": "quarantine", "path": SNEAKY, "stage": "ui"},
                        {"kind": "grant_write", "path": SNEAKY, "stage": "ui"},
                    ],
                },
            },
            {
                "code": "output-outside-permissions",
                "severity": "error",
                "message": BACKEND_MSG,
                "path": "pipeline.yaml",
                // After `需求`: one UTF-16 unit each (three bytes each in UTF-8).
                "range": range(4, 35, 53),
                "data": {
                    "blocker": policy,
                    "stage": "prd",
                    "fixes": [{"kind": "grant_write", "path": "artifacts/backend/", "stage": "prd"}],
                },
            },
            {
                "code": "stage-summary",
                "severity": "information",
                "message": SUMMARY_MSG,
                "path": "pipeline.yaml",
                "range": range(5, 8, 10),
                "data": {
                    "blocker": {"class": "build", "return_to": "build"},
                    "stage": "ui",
                    "fixes": [{"kind": "return_to_build", "stage": "ui"}, {"kind": "archive_attempt", "stage": "ui"}],
                },
            },
            {
                "code": "output-outside-permissions",
                "severity": "error",
                "message": CLIENT_MSG,
                "path": "pipeline.yaml",
                // After `🚀`: two UTF-16 units (a surrogate pair; 33 chars, 36 bytes before
                // the quote). The range holds the quotes.
                "range": range(8, 34, 53),
                "data": {
                    "blocker": policy,
                    "stage": "ui",
                    "fixes": [{"kind": "grant_write", "path": "artifacts/client/", "stage": "ui"}],
                },
            },
        ],
    });
    let parsed: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(parsed, expected);
    assert_eq!(stdout, format!("{}\n", serde_json::to_string_pretty(&expected).unwrap()));
    assert_eq!((code, stderr.as_str()), (1, ""));
    // The UTF-16 column, checked against the line itself.
    let line = PIPELINE.lines().nth(8).unwrap();
    let at = line.find("\"artifacts/client/\"").unwrap();
    assert_eq!(line[..at].encode_utf16().count(), 34);
    assert_eq!(line[..at].chars().count(), 33);
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let dir = project();
    let (code, stdout, stderr) = check(dir.path(), "github");
    // Properties escape `%`, CR, LF, `:` and `,`; the message escapes `%`, CR and LF.
    let expected = "\
::error file=artifacts/prd/50%25 草稿%2Cv2%3Afinal.md,line=1,col=1,endLine=1,endColumn=6,title=tollgate unauthorized-write::stage `ui` created `artifacts/prd/50%25 草稿,v2:final.md` outside its write permissions: matrix row `ui` allows only `artifacts/ui/` (policies/capability.matrix.md). Return point: user (quarantine the file, or a person grants write access)
::error file=pipeline.yaml,line=5,col=36,endLine=5,endColumn=54,title=tollgate output-outside-permissions::output `artifacts/backend/` of stage `prd` is outside its write permissions: matrix row `prd` allows only `artifacts/prd/` (policies/capability.matrix.md)
::notice file=pipeline.yaml,line=6,col=9,endLine=6,endColumn=11,title=tollgate stage-summary::stage `ui` wrote 1 file outside its permissions
::error file=pipeline.yaml,line=9,col=35,endLine=9,endColumn=54,title=tollgate output-outside-permissions::output `artifacts/client/` of stage `ui` is outside its write permissions: matrix row `ui` allows only `artifacts/ui/` (policies/capability.matrix.md)
";
    assert_eq!(stdout, expected);
    assert_eq!((code, stderr.as_str()), (1, ""));
}

const ALL_CODES: [&str; 27] = [
    "yaml-syntax",
    "duplicate-key",
    "unknown-key",
    "invalid-value",
    "missing-key",
    "duplicate-stage",
    "agent-not-found",
    "input-not-produced",
    "output-outside-permissions",
    "matrix-unknown-stage",
    "matrix-missing-stage",
    "matrix-malformed",
    "state-unknown-stage",
    "state-inconsistent",
    "missing-output",
    "stage-failed",
    "retry-limit",
    "invalid-pattern",
    "ambiguous-pattern",
    "missing-evidence",
    "stale-scope",
    "permissions-widened",
    "unauthorized-write",
    "out-of-scope",
    "deleted-output",
    "stage-summary",
    "ineffective-agent-rule",
];

#[test]
fn sarif_is_valid_2_1_0_for_github_code_scanning() {
    let dir = project();
    let (code, stdout, stderr) = check(dir.path(), "sarif");
    assert_eq!((code, stderr.as_str()), (1, ""));
    let log: Value = serde_json::from_str(&stdout).expect("one JSON document");

    // The official SARIF 2.1.0 schema (shipped in serde-sarif's source).
    let schema = sarif_schema();
    let errors = validate(&schema, &schema, &log, "$");
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));

    // What GitHub code scanning reads.
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let run = &log["runs"][0];
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    assert_eq!(run["tool"]["driver"]["name"], "tollgate");
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    // Artifact URIs are relative to %SRCROOT%, the directory check ran in.
    let srcroot = format!("file://{}/", std::fs::canonicalize(dir.path()).unwrap().display());
    assert_eq!(run["originalUriBaseIds"], json!({"%SRCROOT%": {"uri": srcroot}}));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ALL_CODES);
    for r in rules {
        assert!(r["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
    }
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["defaultConfiguration"]["level"].clone();
    assert_eq!(
        [rule("unauthorized-write"), rule("ambiguous-pattern"), rule("stage-summary")],
        [json!("error"), json!("warning"), json!("note")]
    );

    let result = |rule: &str, level: &str, text: &str, uri: &str, region: [u32; 4], data: Value| {
        json!({
            "ruleId": rule,
            "level": level,
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": region[0], "startColumn": region[1], "endLine": region[2], "endColumn": region[3]},
            }}],
            "properties": {"data": data},
        })
    };
    let policy = json!({"class": "policy", "return_to": "user"});
    let expected = json!([
        result(
            "unauthorized-write",
            "error",
            UNAUTHORIZED_MSG,
            // A relative URI reference: space, `%`, `,`, `:` and UTF-8 bytes percent-encoded.
            "artifacts/prd/50%25%20%E8%8D%89%E7%A8%BF%2Cv2%3Afinal.md",
            [1, 1, 1, 6],
            json!({"blocker": policy, "stage": "ui", "fixes": [
                {"kind": "quarantine", "path": SNEAKY, "stage": "ui"},
                {"kind": "grant_write", "path": SNEAKY, "stage": "ui"},
            ]}),
        ),
        result(
            "output-outside-permissions",
            "error",
            BACKEND_MSG,
            "pipeline.yaml",
            [5, 36, 5, 54],
            json!({"blocker": policy, "stage": "prd", "fixes": [{"kind": "grant_write", "path": "artifacts/backend/", "stage": "prd"}]}),
        ),
        result(
            "stage-summary",
            "note",
            SUMMARY_MSG,
            "pipeline.yaml",
            [6, 9, 6, 11],
            json!({"blocker": {"class": "build", "return_to": "build"}, "stage": "ui", "fixes": [
                {"kind": "return_to_build", "stage": "ui"}, {"kind": "archive_attempt", "stage": "ui"},
            ]}),
        ),
        result(
            "output-outside-permissions",
            "error",
            CLIENT_MSG,
            "pipeline.yaml",
            [9, 35, 9, 54],
            json!({"blocker": policy, "stage": "ui", "fixes": [{"kind": "grant_write", "path": "artifacts/client/", "stage": "ui"}]}),
        ),
    ]);
    assert_eq!(run["results"], expected);

    // It also reads back as the typed model of the format.
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&stdout).expect("serde-sarif reads it");
    assert_eq!(typed.runs[0].results.as_ref().map(Vec::len), Some(4));
}

#[test]
fn a_project_without_findings_prints_the_empty_forms() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pipeline.yaml",
        "version: 1\nstages:\n  - id: prd\n    agent: agents/prd.agent.md\n    outputs: [artifacts/prd/需求.md]\n",
    );
    write(
        root,
        "policies/capability.matrix.md",
        MATRIX.replace("| **ui** | `artifacts/prd/` | `artifacts/ui/` | 界面 |\n", "").as_str(),
    );
    write(root, "agents/prd.agent.md", "# prd\n");
    let canonical = std::fs::canonicalize(root).unwrap();
    let named = canonical.display();
    assert_eq!(check(root, "text"), (0, format!("root: {named}\nno findings\n"), String::new()));
    assert_eq!(
        check(root, "json"),
        (0, format!("{{\n  \"findings\": [],\n  \"root\": \"{named}\",\n  \"version\": 1\n}}\n"), String::new())
    );
    assert_eq!(check(root, "github"), (0, String::new(), String::new()));
    let (code, stdout, _) = check(root, "sarif");
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, &log["runs"][0]["results"]), (0, &json!([])));
    let schema = sarif_schema();
    assert_eq!(validate(&schema, &schema, &log, "$"), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// A JSON Schema (draft-07) validator for the keywords the SARIF schema uses:
// $ref, type, enum, required, properties, additionalProperties, items,
// minItems, uniqueItems, minimum, maximum, anyOf, oneOf. (`format` is an
// annotation in draft-07; `pattern` only constrains GUID fields tollgate does
// not write, and is checked to be absent from the output instead.)
// ---------------------------------------------------------------------------

fn sarif_schema() -> Value {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let src = home.join("registry/src");
    for index in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let path = index.unwrap().path().join("serde-sarif-0.8.0/src/schema.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let schema: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                schema["$id"],
                "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
            );
            return schema;
        }
    }
    panic!("serde-sarif-0.8.0/src/schema.json not found under {}", src.display());
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/definitions/").unwrap_or_else(|| panic!("unsupported $ref {r}"));
            resolve(root, &root["definitions"][name])
        }
        None => schema,
    }
}

fn validate(root: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
    let s = resolve(root, schema);
    let mut errs = Vec::new();
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            other => panic!("unsupported type {other}"),
        };
        if !ok {
            return vec![format!("{at}: not of type {t}: {v}")];
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if s.get("pattern").is_some() {
        errs.push(format!("{at}: a patterned (GUID) field: {v}"));
    }
    if let Some(n) = v.as_f64() {
        if s.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
            errs.push(format!("{at}: {n} below minimum"));
        }
        if s.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
            errs.push(format!("{at}: {n} above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for req in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !obj.contains_key(req.as_str().unwrap()) {
                errs.push(format!("{at}: missing required {req}"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => errs.extend(validate(root, ps, val, &format!("{at}.{k}"))),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errs.push(format!("{at}: property {k} not allowed")),
                    Some(extra @ Value::Object(_)) => errs.extend(validate(root, extra, val, &format!("{at}.{k}"))),
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if s.get("minItems").and_then(Value::as_u64).is_some_and(|m| (arr.len() as u64) < m) {
            errs.push(format!("{at}: fewer items than minItems"));
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, a) in arr.iter().enumerate() {
                if arr[..i].contains(a) {
                    errs.push(format!("{at}[{i}]: duplicate item"));
                }
            }
        }
        if let Some(items) = s.get("items") {
            for (i, item) in arr.iter().enumerate() {
                errs.extend(validate(root, items, item, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        if !any.iter().any(|alt| validate(root, alt, v, at).is_empty()) {
            errs.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|alt| validate(root, alt, v, at).is_empty()).count();
        if n != 1 {
            errs.push(format!("{at}: matches {n} of oneOf"));
        }
    }
    errs
}

#[test]
fn the_validator_rejects_what_github_would() {
    let schema = sarif_schema();
    let bad = |log: Value| validate(&schema, &schema, &log, "$");
    assert_eq!(bad(json!({"version": "2.1.0", "runs": []})), Vec::<String>::new());
    assert_eq!(bad(json!({"version": "2.0.0", "runs": []})).len(), 1);
    assert_eq!(bad(json!({"version": "2.1.0"})), ["$: missing required \"runs\""]);
    assert_eq!(
        bad(json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})),
        ["$.runs[0].tool.driver: missing required \"name\""]
    );
    let region = |r: Value| {
        bad(json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [
            {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": r}}]}
        ]}]}))
    };
    assert_eq!(region(json!({"startLine": 1, "startColumn": 1})), Vec::<String>::new());
    assert_eq!(region(json!({"startLine": 0})).len(), 1, "lines are 1-based");
    assert_eq!(region(json!({"startLine": 1, "bogus": 1})).len(), 1);
}

/// Old Mac line endings (a lone `\r`) count as line breaks, as LSP and editors
/// count them: the same project written with `\r` only (pipeline and matrix)
/// gives exactly the same findings, lines and columns as with `\n`.
#[test]
fn lone_carriage_returns_end_lines_as_in_editors() {
    let lf = project();
    let cr = project();
    for rel in ["pipeline.yaml", "policies/capability.matrix.md"] {
        let text = std::fs::read_to_string(cr.path().join(rel)).unwrap();
        write(cr.path(), rel, &text.replace('\n', "\r"));
    }
    let (lf_code, lf_out, _) = check(lf.path(), "json");
    let (cr_code, cr_out, cr_err) = check(cr.path(), "json");
    assert_eq!((cr_code, cr_err.as_str()), (lf_code, ""));
    let findings = |out: &str| serde_json::from_str::<Value>(out).unwrap()["findings"].clone();
    let (lf, cr) = (findings(&lf_out), findings(&cr_out));
    // The CR copy's files differ from the commit, but they are governance files:
    // no new finding, and the four pipeline findings sit on lines 5 and 9.
    assert_eq!(cr, lf);
    let lines: Vec<u64> = cr
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "pipeline.yaml" && f["code"] == "output-outside-permissions")
        .map(|f| f["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [4, 8]);
}

// ---------------------------------------------------------------------------
// A factory root in a subfolder of the repository (SPEC section 1: paths in
// text, github and sarif relative to the current directory).
// ---------------------------------------------------------------------------

/// A repository whose factory root is `sub/factory` (a copy of the bundled example, committed),
/// with `artifacts/prd/sneaky.md` written since by stage `code`.
fn repo_with_factory_in_a_subfolder() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(dir.path()).unwrap();
    common::copy_dir(&common::fixtures().join("example"), &top.join("sub/factory"));
    write(&top, "README.md", "the repository's own files\n");
    common::git_commit(&top);
    write(&top, "sub/factory/artifacts/prd/sneaky.md", "not yours\n");
    (dir, top)
}

/// The `file=` property of each annotation, unescaped.
fn annotated_files(github: &str) -> Vec<String> {
    github
        .lines()
        .map(|l| {
            let file = l.split_once(" file=").unwrap().1.split_once(',').unwrap().0;
            file.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
        })
        .collect()
}

#[test]
fn from_the_repository_top_annotations_land_on_files_that_exist() {
    let (_dir, top) = repo_with_factory_in_a_subfolder();
    let (code, stdout, stderr) = check_in(&top, &["sub/factory", "--format", "github"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    let files = annotated_files(&stdout);
    assert_eq!(
        files,
        [
            "sub/factory/.factory/scope.yaml",
            "sub/factory/artifacts/prd/sneaky.md",
            "sub/factory/artifacts/prd/sneaky.md",
            "sub/factory/pipeline.yaml",
            "sub/factory/pipeline.yaml",
            "sub/factory/pipeline.yaml",
            "sub/factory/pipeline.yaml",
            "sub/factory/pipeline.yaml",
        ],
        "{stdout}"
    );
    for f in &files {
        assert!(top.join(f).is_file(), "{f} does not exist from the repository's top");
    }

    // text: the same paths after `-->`, and the root named first.
    let (code, stdout, _) = check_in(&top, &["sub/factory"]);
    assert_eq!(code, 1);
    assert_eq!(stdout.lines().next(), Some(format!("root: {}", top.join("sub/factory").display()).as_str()));
    let arrows: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| l.rsplitn(3, ':').nth(2).unwrap())
        .collect();
    assert_eq!(arrows, files);

    // json: root-relative paths, and the root named.
    let (_, stdout, _) = check_in(&top, &["sub/factory", "--format", "json"]);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["root"], top.join("sub/factory").display().to_string());
    let paths: Vec<String> = log["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("sub/factory/{}", f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, files);
}

#[test]
fn sarif_locations_resolve_against_srcroot_to_files_that_exist() {
    let (_dir, top) = repo_with_factory_in_a_subfolder();
    let (code, stdout, stderr) = check_in(&top, &["sub/factory", "--format", "sarif"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let schema = sarif_schema();
    assert_eq!(validate(&schema, &schema, &log, "$"), Vec::<String>::new());
    let run = &log["runs"][0];
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert_eq!(srcroot, format!("file://{}/", top.display()));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    for r in results {
        let at = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(at["uriBaseId"], "%SRCROOT%", "{r}");
        let uri = at["uri"].as_str().unwrap();
        assert!(uri.starts_with("sub/factory/"), "{uri}");
        let path = Path::new(srcroot.strip_prefix("file://").unwrap()).join(uri);
        assert!(path.is_file(), "{} does not exist", path.display());
    }
}

#[test]
fn from_below_the_root_paths_climb_to_it() {
    let (_dir, top) = repo_with_factory_in_a_subfolder();
    let below = top.join("sub/factory/artifacts/prd");
    let (code, stdout, _) = check_in(&below, &["--format", "github"]);
    assert_eq!(code, 1);
    let files = annotated_files(&stdout);
    assert_eq!(files.first().map(String::as_str), Some("../../.factory/scope.yaml"));
    assert_eq!(files[1], "sneaky.md");
    assert_eq!(files.last().map(String::as_str), Some("../../pipeline.yaml"));
    for f in &files {
        assert!(below.join(f).is_file(), "{f} does not exist from {}", below.display());
    }

    // text: the same paths after `-->`.
    let (code, stdout, _) = check_in(&below, &[]);
    assert_eq!(code, 1);
    let arrows: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|l| l.rsplitn(3, ':').nth(2).unwrap())
        .collect();
    assert_eq!(arrows, files, "{stdout}");

    // sarif: every location resolves against %SRCROOT% to a file that exists.
    let (code, stdout, _) = check_in(&below, &["--format", "sarif"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let run = &log["runs"][0];
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), files.len());
    for r in results {
        let at = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(at["uriBaseId"], "%SRCROOT%", "{r}");
        let path = Path::new(srcroot.strip_prefix("file://").unwrap()).join(at["uri"].as_str().unwrap());
        assert!(path.is_file(), "{} does not exist", path.display());
    }
}
