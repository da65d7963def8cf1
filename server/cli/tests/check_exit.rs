//! `tollgate check` exit codes (SPEC section 1): 0 clean, 1 with an error,
//! 2 on a usage error, on a DIR with no factory root and on an unreadable
//! file; `--severity` overrides; which root a DIR belongs to.

mod common;
use common::{copy_dir, edit, fixtures, git_commit, write};

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The bundled example (the real fixture, agents, an active run of `code`, a
/// scope with `*.md`), committed, so only what a test writes is a change.
fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("example"), dir.path());
    git_commit(dir.path());
    dir
}

/// The example made clean: `validation` and `preview` may write the code
/// they fix, and the scope's `*.md` says it means the root.
fn clean() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixtures().join("example"), root);
    let matrix = "policies/capability.matrix.md";
    edit(
        root,
        matrix,
        "| `artifacts/validation/` |",
        "| `artifacts/validation/`, `artifacts/backend/`, `artifacts/client/` |",
    );
    edit(
        root,
        matrix,
        "| `artifacts/preview/` |",
        "| `artifacts/preview/`, `artifacts/backend/`, `artifacts/client/` |",
    );
    edit(root, ".factory/scope.yaml", "\"*.md\"", "\"/*.md\"");
    git_commit(root);
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tollgate(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(args).current_dir(cwd).output().expect("tollgate runs");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `(code, path)` of each finding of `check --format json`.
fn codes(run: &Run) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    assert_eq!(v["version"], 1);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["path"].as_str().unwrap().to_string()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(c, p)| (c.to_string(), p.to_string())).collect()
}

const EXAMPLE_FINDINGS: [(&str, &str); 5] = [
    ("ambiguous-pattern", ".factory/scope.yaml"),
    ("output-outside-permissions", "pipeline.yaml"),
    ("output-outside-permissions", "pipeline.yaml"),
    ("output-outside-permissions", "pipeline.yaml"),
    ("output-outside-permissions", "pipeline.yaml"),
];

#[test]
fn clean_project_exits_0() {
    let dir = clean();
    let run = tollgate(dir.path(), &["check"]);
    let named = format!("root: {}\nno findings\n", dir.path().canonicalize().unwrap().display());
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, named.as_str(), ""));
    let run = tollgate(dir.path(), &["check", "--format", "json"]);
    assert_eq!((run.code, codes(&run)), (0, vec![]));
}

#[test]
fn an_error_exits_1_and_warnings_alone_exit_0() {
    let dir = example();
    let run = tollgate(dir.path(), &["check", "--format", "json"]);
    assert_eq!((run.code, codes(&run), run.stderr.as_str()), (1, pairs(&EXAMPLE_FINDINGS), ""));

    // Only the warning left: still 0.
    let dir = clean();
    edit(dir.path(), ".factory/scope.yaml", "\"/*.md\"", "\"*.md\"");
    let run = tollgate(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let first = run.stdout.split_once("\n\n").unwrap().1;
    assert!(first.starts_with("warning[ambiguous-pattern]: allow pattern `*.md` has no `/`"), "{}", run.stdout);
    assert!(run.stdout.ends_with("\n\n0 errors, 1 warning, 0 other findings\n"), "{}", run.stdout);

    // The real fixture as it is: 4 output-outside-permissions, 7 agent-not-found.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), dir.path());
    let run = tollgate(dir.path(), &["check", "--format", "json"]);
    let found = codes(&run);
    let count = |c: &str| found.iter().filter(|(code, _)| code == c).count();
    assert_eq!((run.code, found.len(), count("output-outside-permissions"), count("agent-not-found")), (1, 11, 4, 7));
    assert!(run.stdout.contains("\"path\": \"pipeline.yaml\""));
    let run = tollgate(dir.path(), &["check"]);
    assert!(run.stdout.ends_with("\n\n11 errors, 0 warnings, 0 other findings\n"), "{}", run.stdout);
}

#[test]
fn an_unauthorized_write_makes_a_clean_project_exit_1() {
    let dir = clean();
    write(dir.path(), "artifacts/prd/sneaky.md", "# not yours\n");
    let run = tollgate(dir.path(), &["check", "--format", "json"]);
    assert_eq!(
        (run.code, codes(&run)),
        (
            1,
            pairs(&[
                ("unauthorized-write", "artifacts/prd/sneaky.md"),
                ("out-of-scope", "artifacts/prd/sneaky.md"),
                ("stage-summary", "pipeline.yaml"),
            ])
        )
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = example();
    let root = dir.path();
    for (args, message) in [
        (&["check", "--format", "xml"][..], "invalid value 'xml' for '--format <FORMAT>'"),
        (&["check", "--severity", "bogus-code=error"], "tollgate: --severity `bogus-code=error`: unknown code `bogus-code`"),
        (
            &["check", "--severity", "stale-scope=loud"],
            "tollgate: --severity `stale-scope=loud`: unknown level `loud` (expected error, warning, information, hint or off)",
        ),
        (&["check", "--severity", "stale-scope"], "tollgate: --severity `stale-scope`: expected CODE=LEVEL, e.g. stale-scope=off"),
        (&["check", "--bogus"], "unexpected argument '--bogus'"),
        (&["check", ".", "extra"], "unexpected argument 'extra'"),
    ] {
        let run = tollgate(root, args);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_dir_without_a_factory_root_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let canonical = dir.path().canonicalize().unwrap();
    let run = tollgate(dir.path(), &["check"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "tollgate: {}: no factory root here or above (no pipeline.yaml or .factory/pipeline.yaml)\n",
            canonical.display()
        )
    );
    let run = tollgate(dir.path(), &["check", "sub", "--format", "json"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("/sub: no factory root here or above"), "{}", run.stderr);
    // A DIR that does not exist.
    let run = tollgate(dir.path(), &["check", "missing"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.starts_with("tollgate: missing: "), "{}", run.stderr);
    // A directory named pipeline.yaml is not a root.
    std::fs::create_dir(dir.path().join("pipeline.yaml")).unwrap();
    assert_eq!(tollgate(dir.path(), &["check"]).code, 2);
}

#[test]
fn an_unreadable_file_exits_2_naming_it() {
    // A file that is not UTF-8: tollgate cannot place a finding in text it
    // cannot decode, so it names the file and stops (exit 2), never guesses.
    let dir = example();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "pipeline.yaml", b"version: 1\nstages: [\xff\xfe]\n");
    let run = tollgate(&root, &["check", "--format", "json"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!("tollgate: {}: cannot read: the file is not valid UTF-8\n", root.join("pipeline.yaml").display())
    );

    // An I/O error proper (root is not stopped by chmod, a symlink loop stops
    // everyone): every unreadable file is named.
    let dir = example();
    let root = dir.path().canonicalize().unwrap();
    std::fs::remove_file(root.join(".factory/scope.yaml")).unwrap();
    std::os::unix::fs::symlink("scope.yaml", root.join(".factory/scope.yaml")).unwrap();
    write(&root, ".factory/state.json", b"{\"status\": \"\xc3\x28\"}");
    let run = tollgate(&root, &["check"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert_eq!(
        lines[0],
        format!("tollgate: {}: cannot read: the file is not valid UTF-8", root.join(".factory/state.json").display())
    );
    assert!(
        lines[1].starts_with(&format!("tollgate: {}: cannot read: ", root.join(".factory/scope.yaml").display())),
        "{}",
        run.stderr
    );
    assert!(lines[1].contains("symbolic links"), "{}", run.stderr);
}

#[test]
fn severity_overrides_change_levels_and_exit_codes() {
    let dir = example();
    let root = dir.path();
    // Demoted: the four errors become warnings and nothing else errs.
    let run = tollgate(root, &["check", "--severity", "output-outside-permissions=warning"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run
        .stdout
        .contains("warning[output-outside-permissions]: output `artifacts/backend/` of stage `validation`"));
    assert!(!run.stdout.contains("error["), "{}", run.stdout);
    assert!(run.stdout.ends_with("\n\n0 errors, 5 warnings, 0 other findings\n"), "{}", run.stdout);
    let run = tollgate(root, &["check", "--format", "json", "--severity", "output-outside-permissions=warning"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let severities: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!((run.code, severities), (0, vec!["warning"; 5]));

    // Off: dropped from every format.
    let run = tollgate(root, &["check", "--format", "json", "--severity", "output-outside-permissions=off"]);
    assert_eq!((run.code, codes(&run)), (0, pairs(&EXAMPLE_FINDINGS[..1])));
    let run = tollgate(root, &["check", "--format", "github", "--severity=output-outside-permissions=off"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(
        run.stdout.starts_with("::warning file=.factory/scope.yaml,line=15,col=11,endLine=15,endColumn=17,"),
        "{}",
        run.stdout
    );

    // Promoted, repeated, and the last word for a code wins.
    let run = tollgate(
        root,
        &[
            "check",
            "--format",
            "json",
            "--severity",
            "output-outside-permissions=off",
            "--severity",
            "ambiguous-pattern=hint",
            "--severity",
            " ambiguous-pattern = error ",
        ],
    );
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (run.code, v["findings"].as_array().unwrap().len(), &v["findings"][0]["severity"]),
        (1, 1, &Value::from("error"))
    );

    // Edit findings too.
    write(root, "artifacts/prd/sneaky.md", "x\n");
    let run = tollgate(root, &["check", "--format", "json", "--severity", "output-outside-permissions=off"]);
    assert_eq!(run.code, 1);
    let run = tollgate(
        root,
        &[
            "check",
            "--format",
            "json",
            "--severity",
            "output-outside-permissions=off",
            "--severity",
            "unauthorized-write=information",
        ],
    );
    assert_eq!(
        (run.code, codes(&run)),
        (
            0,
            pairs(&[
                ("ambiguous-pattern", ".factory/scope.yaml"),
                ("unauthorized-write", "artifacts/prd/sneaky.md"),
                ("out-of-scope", "artifacts/prd/sneaky.md"),
                ("stage-summary", "pipeline.yaml"),
            ])
        )
    );
}

#[test]
fn the_nearest_root_at_or_above_dir_is_checked() {
    let dir = example();
    let root = dir.path();
    let at_root = tollgate(root, &["check", "--format", "json"]);
    // DIR below the root, relative or absolute, and the current directory below it.
    let sub = root.join("artifacts/backend/src");
    for run in [
        tollgate(root, &["check", "artifacts/backend/src", "--format", "json"]),
        tollgate(Path::new("/"), &["check", sub.to_str().unwrap(), "--format", "json"]),
        tollgate(&sub, &["check", "--format", "json"]),
        tollgate(&sub, &["check", "../..", "--format", "json"]),
    ] {
        assert_eq!((run.code, &run.stdout, &run.stderr), (1, &at_root.stdout, &at_root.stderr));
    }
    // A DIR that is a file: its directory's root.
    let run = tollgate(root, &["check", "artifacts/backend/src/server.ts", "--format", "json"]);
    assert_eq!((run.code, &run.stdout), (1, &at_root.stdout));

    // A nested root is its own: the nearest one wins.
    write(
        root,
        "nested/pipeline.yaml",
        "version: 1\nstages:\n  - id: only\n    agent: agents/gone.agent.md\n    outputs: [out/]\n",
    );
    let run = tollgate(&root.join("nested"), &["check", "--format", "json"]);
    // (No matrix there, so no matrix checks: only the missing agent.)
    assert_eq!((run.code, codes(&run)), (1, pairs(&[("agent-not-found", "pipeline.yaml")])));
    std::fs::create_dir_all(root.join("nested/deep/er")).unwrap();
    let run = tollgate(root, &["check", "nested/deep/er", "--format", "json"]);
    assert_eq!((run.code, codes(&run)), (1, pairs(&[("agent-not-found", "pipeline.yaml")])));
}

#[test]
fn factory_pipeline_wins_over_the_top_level_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let real = fixtures().join("agent-app-factory");
    write(root, ".factory/pipeline.yaml", std::fs::read(real.join("pipeline.yaml")).unwrap());
    write(root, "policies/capability.matrix.md", std::fs::read(real.join("policies/capability.matrix.md")).unwrap());
    // A broken top-level pipeline: never read while `.factory/pipeline.yaml` exists.
    write(root, "pipeline.yaml", "stages: [ {id: broken\n");
    let run = tollgate(root, &["check", "--format", "json"]);
    let found = codes(&run);
    assert_eq!((run.code, found.len()), (1, 11));
    assert!(found.iter().all(|(_, path)| path == ".factory/pipeline.yaml"), "{found:?}");
    // Agents are found under `.factory/` as well as the root.
    for stage in ["bootstrap", "prd", "ui", "tech"] {
        write(root, &format!(".factory/agents/{stage}.agent.md"), "# agent\n");
    }
    for stage in ["code", "validation", "preview"] {
        write(root, &format!("agents/{stage}.agent.md"), "# agent\n");
    }
    let run = tollgate(root, &["check", "--format", "json"]);
    assert_eq!((run.code, codes(&run).len()), (1, 4));
    // Without it, the top-level one is the pipeline.
    std::fs::remove_file(root.join(".factory/pipeline.yaml")).unwrap();
    let run = tollgate(root, &["check", "--format", "json"]);
    let found = codes(&run);
    assert_eq!(run.code, 1);
    assert_eq!(found[0], ("yaml-syntax".to_string(), "pipeline.yaml".to_string()), "{found:?}");
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("agent-app-factory"), dir.path());
    for format in ["text", "json", "sarif"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["check", "--format", format])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader went away (`| head -0`)
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        // Whether the first write finds the reader gone is a race: either the
        // whole report fit in the pipe (exit 1, findings) or the process ends
        // by SIGPIPE like `cat` does. Never a panic's 101.
        use std::os::unix::process::ExitStatusExt;
        let ended = (out.status.code(), out.status.signal());
        assert!(ended == (Some(1), None) || ended == (None, Some(libc::SIGPIPE)), "{format}: {ended:?} {stderr}");
    }
}

#[test]
fn list_codes_gives_every_code_its_default_severity_and_class() {
    // No factory root needed.
    let dir = tempfile::tempdir().unwrap();
    let run = tollgate(dir.path(), &["check", "--list-codes"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 27, "{}", run.stdout);
    for line in [
        "code                        severity     class         description",
        "yaml-syntax                 error        definition    A YAML or JSON syntax error",
        "output-outside-permissions  error        policy        An output outside the stage's write permissions",
        "retry-limit                 error        intervention  A stage reached its retry limit: a person decides",
        "ambiguous-pattern           warning      definition    A slash-less wildcard whose depth is ambiguous",
        "unauthorized-write          error        policy        A write outside the current stage's permissions",
        "out-of-scope                warning      scope         An edit outside the retained scope",
        "stage-summary               information  build         What the current stage wrote outside its bounds",
        "ineffective-agent-rule      warning      definition    A Claude Code path rule it never consults for file writes",
    ] {
        assert!(lines.contains(&line), "missing {line:?} in\n{}", run.stdout);
    }
    assert_eq!(lines[0], "code                        severity     class         description");

    // JSON: the same rows.
    let json = tollgate(dir.path(), &["check", "--list-codes", "--format", "json"]);
    assert_eq!(json.code, 0);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = v["codes"].as_array().unwrap();
    assert_eq!(rows.len(), 27);
    assert_eq!(
        rows.iter().find(|c| c["code"] == "missing-evidence").unwrap(),
        &serde_json::json!({"code": "missing-evidence", "severity": "error", "class": "evidence",
            "description": "A user-sourced scope entry without its evidence record"})
    );

    // Every listed code is one `--severity` takes: all of them off, the example has no findings.
    let example = example();
    let mut args = vec!["check".to_string(), "--format".into(), "json".into()];
    for line in &lines[1..] {
        args.push(format!("--severity={}=off", line.split_whitespace().next().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = tollgate(example.path(), &args);
    assert_eq!((run.code, codes(&run), run.stderr.as_str()), (0, vec![], ""));

    // It lists; it does not check: no DIR, no overrides, no SARIF or GitHub form.
    for (args, message) in [
        (&["check", "--list-codes", "."][..], "cannot be used with"),
        (&["check", "--list-codes", "--severity", "stale-scope=off"], "cannot be used with"),
        (
            &["check", "--list-codes", "--format", "sarif"],
            "tollgate: --list-codes prints `--format text` or `--format json`",
        ),
    ] {
        let run = tollgate(dir.path(), args);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn stage_has_help_wherever_it_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    for action in ["return-to-build", "archive-attempt", "quarantine"] {
        let run = tollgate(dir.path(), &["recover", action, "--help"]);
        assert_eq!(run.code, 0, "{action}");
        let stage = run.stdout.lines().find(|l| l.trim_start().starts_with("--stage <ID>")).unwrap();
        let help = stage.trim_start().strip_prefix("--stage <ID>").unwrap().trim();
        assert!(help.len() > 10, "`recover {action} --stage` has no help: {stage:?}");
    }
}
