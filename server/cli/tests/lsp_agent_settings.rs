//! `ineffective-agent-rule` over real JSON-RPC: Claude Code's settings at the
//! factory root (`.claude/settings.json`, `.claude/settings.local.json`) are read
//! at start, followed on disk and in open buffers; the quick fix's edit turns a
//! `Write(...)` path rule into its `Edit(...)` form.

mod support;

use serde_json::{json, Value};
use support::{drange, range_of, Enc, Project, TestServer, BOTH, TIMEOUT};

/// A line of CJK before the rule: UTF-16 and UTF-8 columns differ there.
const SETTINGS: &str = "{\n  \"env\": {\"NOTE\": \"文档\"}, \"permissions\": {\"deny\": [\"文档\", \"Write(artifacts/prd/**)\", \"Edit(policies/**)\"]}\n}\n";
const RULE: &str = "\"Write(artifacts/prd/**)\"";
const MESSAGE: &str = "`Write(artifacts/prd/**)` in `permissions.deny` does not stop a write to `artifacts/prd/**`: \
Claude Code consults `Edit(...)` rules for every file write (Write, Edit, NotebookEdit) and never `Write(...)` path \
rules; write `Edit(artifacts/prd/**)`";

fn start(p: &Project, enc: Enc) -> TestServer {
    let mut s = TestServer::builder().root(&p.root).encoding(enc).dynamic_watch(true).start();
    s.wait_for_watch_registration();
    s
}

#[test]
fn a_write_rule_is_published_at_start_and_its_fix_writes_the_edit_form() {
    for enc in BOTH {
        let p = Project::example();
        p.write(".claude/settings.json", SETTINGS);
        let mut s = start(&p, enc);
        let uri = p.uri(".claude/settings.json");
        // Published without being open: the root models the file.
        let pb = s.wait_for_diagnostics(&uri, |pb| pb.has("ineffective-agent-rule"), TIMEOUT);
        assert_eq!(pb.codes(), ["ineffective-agent-rule"], "{enc:?}");
        let d = pb.one("ineffective-agent-rule").clone();
        assert_eq!(d["range"], range_of(SETTINGS, RULE, 0, enc), "{enc:?}");
        let col = match enc {
            Enc::Utf16 => 56,
            Enc::Utf8 => 64,
        };
        assert_eq!(drange(&d), (1, col, 1, col + RULE.len() as u64), "{enc:?}");
        assert_eq!((d["severity"].clone(), d["source"].clone()), (json!(2), json!("tollgate")));
        assert_eq!(d["message"], MESSAGE);
        assert_eq!(d["data"]["blocker"], json!({"class": "definition", "return_to": "user"}));

        // Opened: the same finding, now with the buffer's version; its quick fix.
        s.open(&uri);
        let pb = s.wait_for_version(&uri, 1);
        assert_eq!(pb.one("ineffective-agent-rule")["range"], d["range"]);
        let actions = s.code_actions(&uri, d["range"].clone(), vec![d.clone()]);
        let action = support::action(&actions, "Replace with `Edit(artifacts/prd/**)`").clone();
        assert_eq!(action["kind"], "quickfix");
        let edits = text_edits(&action["edit"], &uri);
        assert_eq!(edits, [json!({"range": d["range"], "newText": "\"Edit(artifacts/prd/**)\""})], "{enc:?}");

        // The editor applies it to the buffer: the finding goes; saved, the disk agrees.
        let fixed = SETTINGS.replace(RULE, "\"Edit(artifacts/prd/**)\"");
        s.change(&uri, 2, vec![(d["range"].clone(), "\"Edit(artifacts/prd/**)\"".to_string())]);
        assert_eq!(s.text(&uri), fixed);
        let pb = s.wait_for_version(&uri, 2);
        assert!(pb.diagnostics.is_empty(), "{enc:?}: {:#?}", pb.diagnostics);
        s.write_file(&p.path(".claude/settings.json"), &fixed);
        s.close(&uri);
        s.wait_for_latest(&uri, |pb| pb.version.is_none() && pb.diagnostics.is_empty());
        s.shutdown_and_exit();
    }
}

#[test]
fn settings_changed_on_disk_are_checked_again_and_invalid_json_is_a_syntax_error() {
    let p = Project::example();
    let mut s = start(&p, Enc::Utf16);
    let pipeline = p.uri("pipeline.yaml");
    s.wait_for_diagnostics(&pipeline, |pb| pb.has("output-outside-permissions"), TIMEOUT);
    let rel = ".claude/settings.local.json";
    let uri = p.uri(rel);

    // Created on disk (not open): published.
    let local = "{\"permissions\": {\"allow\": [\"Bash\"], \"ask\": [\"NotebookEdit(artifacts/x.ipynb)\"]}}\n";
    s.write_file(&p.path(rel), local);
    let pb = s.wait_for_latest(&uri, |pb| pb.has("ineffective-agent-rule"));
    let d = pb.one("ineffective-agent-rule");
    assert_eq!(d["range"], range_of(local, "\"NotebookEdit(artifacts/x.ipynb)\"", 0, Enc::Utf16));
    assert!(
        d["message"].as_str().unwrap().starts_with(
            "`NotebookEdit(artifacts/x.ipynb)` in `permissions.ask` does not make Claude Code ask before a write to"
        ),
        "{d}"
    );

    // Rewritten as JSON that does not parse: its syntax error alone, never a panic.
    let broken = "{\"permissions\": {\"ask\": [\"NotebookEdit(artifacts/x.ipynb)\",]}}\n";
    s.write_file(&p.path(rel), broken);
    let pb = s.wait_for_latest(&uri, |pb| pb.has("yaml-syntax"));
    assert_eq!(pb.codes(), ["yaml-syntax"]);
    let d = pb.one("yaml-syntax");
    assert_eq!(d["range"], range_of(broken, "]", 0, Enc::Utf16));
    assert!(d["message"].as_str().unwrap().starts_with("JSON syntax error in `.claude/settings.local.json`: "), "{d}");

    // Fixed to the Edit form: nothing left; deleted: nothing either.
    s.write_file(&p.path(rel), local.replace("NotebookEdit(", "Edit("));
    s.wait_for_latest(&uri, |pb| pb.diagnostics.is_empty());
    s.write_file(&p.path(rel), local);
    s.wait_for_latest(&uri, |pb| pb.has("ineffective-agent-rule"));
    s.remove_file(&p.path(rel));
    s.wait_for_latest(&uri, |pb| pb.diagnostics.is_empty());
    assert!(s.alive());
    s.shutdown_and_exit();
}

/// The text edits of `edit` for `uri` (`changes` or `documentChanges`).
fn text_edits(edit: &Value, uri: &str) -> Vec<Value> {
    if let Some(e) = edit["changes"][uri].as_array() {
        return e.clone();
    }
    edit["documentChanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["textDocument"]["uri"] == uri)
        .flat_map(|c| c["edits"].as_array().cloned().unwrap_or_default())
        .collect()
}
