//! Text sync over real JSON-RPC: incremental edits (CJK lines, both encodings,
//! CRLF), diagnostics published for every version, never a stale one over a
//! newer one, the last good model kept through a syntax error, and cross-file
//! re-checks (the matrix decides pipeline.yaml's findings).

mod support;

use serde_json::{json, Value};
use support::{drange, find, range, range_of, Enc, Project, Publish, TestServer, BOTH, TIMEOUT};

fn ranges(p: &Publish, code: &str) -> Vec<(u64, u64, u64, u64)> {
    let mut r: Vec<_> = p.with_code(code).into_iter().map(drange).collect();
    r.sort();
    r
}

#[test]
fn the_real_fixture_as_is_in_both_encodings() {
    for enc in BOTH {
        let p = Project::agent_app_factory();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("pipeline.yaml");
        let doc = s.open(&uri);
        let pb = s.wait_for_version(&uri, 1);
        assert_eq!(pb.count("output-outside-permissions"), 4, "{enc:?}\n{}", support::describe(&pb.diagnostics));
        assert_eq!(pb.count("agent-not-found"), 7, "{enc:?}\n{}", support::describe(&pb.diagnostics));
        // validation and preview each list artifacts/backend/ and artifacts/client/
        // (lines with Chinese comments after the value).
        assert_eq!(
            ranges(&pb, "output-outside-permissions"),
            [(88, 8, 88, 26), (89, 8, 89, 25), (112, 8, 112, 26), (113, 8, 113, 25)],
            "{enc:?}"
        );
        let agents: Vec<_> = [
            "agents/bootstrap.agent.md",
            "agents/prd.agent.md",
            "agents/ui.agent.md",
            "agents/tech.agent.md",
            "agents/code.agent.md",
            "agents/validation.agent.md",
            "agents/preview.agent.md",
        ]
        .iter()
        .map(|a| support::quad(&range_of(&doc.text, &format!("agent: {a}"), 0, enc)))
        .map(|(l, c, l2, c2)| (l, c + 7, l2, c2))
        .collect();
        assert_eq!(ranges(&pb, "agent-not-found"), agents, "{enc:?}");
        assert_eq!(agents[0], (10, 11, 10, 36));
        for d in &pb.diagnostics {
            assert_eq!(d["source"], "tollgate");
            assert_eq!(d["severity"], 1, "{d}");
        }
        let d = pb.with_code("output-outside-permissions").into_iter().find(|d| drange(d) == (88, 8, 88, 26)).unwrap();
        assert!(d["message"].as_str().unwrap().contains("validation"), "{d}");
        assert_eq!(d["data"]["blocker"], json!({"class": "policy", "return_to": "user"}));
        let d = pb.with_code("agent-not-found")[0];
        assert_eq!(d["data"]["blocker"], json!({"class": "definition", "return_to": "user"}));
        s.shutdown_and_exit();
    }
}

#[test]
fn matrix_cells_after_chinese_text_have_exact_columns_in_both_encodings() {
    for enc in BOTH {
        let p = Project::agent_app_factory();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("policies/capability.matrix.md");
        s.open(&uri);
        // The validation row: `无` (none) to read, and a write cell with `..`, after Chinese text.
        let v = s.replace(
            &uri,
            "| `artifacts/backend/`, `artifacts/client/` | `artifacts/validation/` |",
            "| 无 | `../validation/` |",
        );
        let pb = s.wait_for_version(&uri, v);
        let text = s.text(&uri);
        let d = pb.one("matrix-malformed");
        assert_eq!(d["range"], range_of(&text, "`../validation/`", 0, enc), "{enc:?}");
        let line = find(&text, "`../validation/`", 0);
        let expected_col = match enc {
            // "| **validation** | 无 | " : 19 ASCII bytes, then 无 (3 bytes / 1 unit), then " | "
            Enc::Utf8 => 19 + 3 + 3,
            Enc::Utf16 => 19 + 1 + 3,
        };
        assert_eq!(drange(d).1, expected_col, "{enc:?} {:?}", line);
        assert_eq!(drange(d).3 - drange(d).1, 16);
        s.shutdown_and_exit();
    }
}

#[test]
fn incremental_edits_on_chinese_lines_publish_every_version_with_exact_ranges() {
    for enc in BOTH {
        let p = Project::example();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("pipeline.yaml");
        s.open(&uri);
        let first = s.wait_for_version(&uri, 1);
        let base_codes = first.codes().len();

        // v2: an insertion inside the Chinese description of bootstrap.
        let v = s.replace(&uri, "初始化项目想法", "初始化项目的想法");
        assert_eq!(v, 2);
        let pb = s.wait_for_version(&uri, 2);
        assert_eq!(pb.codes().len(), base_codes, "{}", support::describe(&pb.diagnostics));

        // v3: an on_failure after Chinese text on the same line (a flow mapping), misspelled.
        let v = s.replace(
            &uri,
            "      - 未引入额外的认证或无关功能\n",
            "      - 未引入额外的认证或无关功能\n    on_failure: {message: \"后端失败\", action: retyr}\n",
        );
        let pb = s.wait_for_version(&uri, v);
        let text = s.text(&uri);
        let d = pb.one("invalid-value");
        assert_eq!(d["range"], range_of(&text, "retyr", 0, enc), "{enc:?}");
        let (line, col, _, end) = drange(d);
        let expected = match enc {
            // `    on_failure: {message: "后端失败", action: ` = 27 + 12 (4 CJK x 3) + 11
            Enc::Utf8 => 27 + 12 + 11,
            Enc::Utf16 => 27 + 4 + 11,
        };
        assert_eq!((col, end - col), (expected, 5), "{enc:?} line {line}");
        assert_eq!(d["severity"], 1);
        assert!(d["message"].as_str().unwrap().contains("retyr"), "{d}");

        // v4: one more Chinese character before it on that line: the range follows.
        let v = s.replace(&uri, "后端失败", "后端启动失败");
        let pb = s.wait_for_version(&uri, v);
        let text = s.text(&uri);
        assert_eq!(pb.one("invalid-value")["range"], range_of(&text, "retyr", 0, enc), "{enc:?}");

        // v5: fixed: the finding is gone, in the publish of that version.
        let v = s.replace(&uri, "retyr", "retry");
        let pb = s.wait_for_version(&uri, v);
        assert!(!pb.has("invalid-value"), "{}", support::describe(&pb.diagnostics));
        assert_eq!(pb.codes().len(), base_codes);

        // Versions published for this document never went down.
        let versions: Vec<i64> = s.publishes_for(&uri).iter().filter_map(|p| p.version).collect();
        assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
        s.shutdown_and_exit();
    }
}

#[test]
fn a_block_on_failure_with_a_bad_action_has_the_value_range() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    s.wait_for_version(&uri, 1);
    let v = s.replace(&uri, "      action: pause\n", "      action: retyr\n");
    let pb = s.wait_for_version(&uri, v);
    let text = s.text(&uri);
    let d = pb.one("invalid-value");
    assert_eq!(d["range"], range_of(&text, "retyr", 0, Enc::Utf16));
    let line = text[..find(&text, "retyr", 0).0].lines().count() as u64 - 1;
    assert_eq!(drange(d), (line, 14, line, 19));
    s.shutdown_and_exit();
}

#[test]
fn crlf_documents_edit_and_report_on_the_right_lines() {
    for enc in BOTH {
        let p = Project::example();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("pipeline.yaml");
        let crlf = p.read("pipeline.yaml").replace('\n', "\r\n");
        s.open_text(&uri, &crlf);
        s.wait_for_version(&uri, 1);
        // An edit spanning a CRLF line break (joining and re-splitting lines), on a Chinese line.
        let text = s.text(&uri);
        let (a, _) = find(&text, "将产品想法", 0);
        let (b, _) = find(&text, "    agent: agents/prd.agent.md", 0);
        let r = range(&text, (a, b), enc);
        let old = text[a..b].to_string();
        s.change(&uri, 2, vec![(r, old.replace("MVP", "最小"))]);
        let pb = s.wait_for_version(&uri, 2);
        assert!(!pb.has("yaml-syntax"), "{}", support::describe(&pb.diagnostics));
        let v = s.replace(&uri, "action: pause", "action: retyr");
        let pb = s.wait_for_version(&uri, v);
        let text = s.text(&uri);
        assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
        assert_eq!(pb.one("invalid-value")["range"], range_of(&text, "retyr", 0, enc), "{enc:?}");
        s.shutdown_and_exit();
    }
}

#[test]
fn a_syntax_error_keeps_the_last_good_model_for_the_other_files() {
    let p = Project::agent_app_factory();
    // A matrix row for a stage the pipeline does not have: a finding that depends on the pipeline.
    let matrix = p
        .read("policies/capability.matrix.md")
        .replace("\n\n## 越权处理", "\n| **deploy** | 无 | `artifacts/deploy/` | 部署 |\n\n## 越权处理");
    p.write("policies/capability.matrix.md", &matrix);
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    let uri = p.uri("pipeline.yaml");
    let muri = p.uri("policies/capability.matrix.md");
    s.open(&uri);
    s.open(&muri);
    let pb = s.wait_for_version(&uri, 1);
    assert!(pb.has("output-outside-permissions"));
    let before = s.wait_for_version(&muri, 1);
    assert_eq!(before.codes(), ["matrix-unknown-stage"], "{}", support::describe(&before.diagnostics));

    s.mark();
    // An unclosed flow sequence.
    let v = s.replace(&uri, "    inputs: []\n", "    inputs: [\n");
    let pb = s.wait_for_version(&uri, v);
    let syntax = pb.with_code("yaml-syntax");
    assert_eq!(syntax.len(), 1, "{}", support::describe(&pb.diagnostics));
    let (l0, c0, l1, c1) = drange(syntax[0]);
    assert!((l0, c0) < (l1, c1), "a syntax error is never zero width: {}", syntax[0]);
    assert_eq!(syntax[0]["severity"], 1);
    // The matrix still sees the last good pipeline: the same finding, not every row unknown.
    let m = s.latest(&muri).unwrap();
    assert_eq!(m.codes(), ["matrix-unknown-stage"], "{}", support::describe(&m.diagnostics));
    assert_eq!(m.diagnostics, before.diagnostics);
    // An edit of the matrix while the pipeline is broken still checks against the last good model.
    let mv = s.replace(&muri, "**deploy**", "**deploy2**");
    let m = s.wait_for_version(&muri, mv);
    assert_eq!(m.codes(), ["matrix-unknown-stage"], "{}", support::describe(&m.diagnostics));
    assert!(m.diagnostics[0]["message"].as_str().unwrap().contains("deploy2"));

    // Fixed: back to the same findings as before.
    let v = s.replace(&uri, "    inputs: [\n", "    inputs: []\n");
    let fixed = s.wait_for_version(&uri, v);
    assert!(!fixed.has("yaml-syntax"));
    assert_eq!(fixed.count("output-outside-permissions"), 4);
    assert_eq!(fixed.count("agent-not-found"), 7);
    s.shutdown_and_exit();
}

#[test]
fn diagnostics_are_published_for_every_version_even_when_unchanged() {
    let p = Project::agent_app_factory();
    let mut s = TestServer::start(&p.root, Enc::Utf8);
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    let first = s.wait_for_version(&uri, 1);
    for i in 0..5 {
        // A comment edit: the findings are the same, and a publish comes all the same.
        let v = s.replace(&uri, "version: 1\n", &format!("version: 1 # edit {i}\n"));
        let pb = s.wait_for_version(&uri, v);
        assert_eq!(pb.diagnostics, first.diagnostics);
        let v = s.replace(&uri, &format!("version: 1 # edit {i}\n"), "version: 1\n");
        s.wait_for_version(&uri, v);
    }
    // A document with no findings at all also gets its (empty) publish per version.
    let suri = p.uri("notes.yaml");
    p.write("notes.yaml", "a: 1\n");
    s.open(&suri);
    assert!(s.wait_for_version(&suri, 1).diagnostics.is_empty());
    let v = s.replace(&suri, "1", "2");
    assert!(s.wait_for_version(&suri, v).diagnostics.is_empty());
    s.shutdown_and_exit();
}

/// A keystroke in one file publishes that file, and the files whose diagnostics it
/// changed, not every file that has some: the others' are sent once, then again
/// only when they change.
#[test]
fn a_keystroke_does_not_publish_files_it_cannot_change() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    let uri = p.uri("pipeline.yaml");
    let scope = p.uri(".factory/scope.yaml");
    s.open(&uri);
    s.wait_for_version(&uri, 1);
    s.wait_for_diagnostics(&scope, |pb| pb.has("ambiguous-pattern"), TIMEOUT);
    s.settle();
    let before = s.publishes_for(&scope).len();
    for i in 0..3 {
        // Prose: nothing but this file's own publish.
        let v = s.replace(&uri, "version: 1\n", &format!("version: 1 # edit {i}\n"));
        s.wait_for_version(&uri, v);
        let v = s.replace(&uri, &format!("version: 1 # edit {i}\n"), "version: 1\n");
        s.wait_for_version(&uri, v);
    }
    s.settle();
    assert_eq!(s.publishes_for(&scope).len(), before, "scope.yaml was published again though nothing changed in it");
    // An edit that does change another file's diagnostics publishes that file: a
    // stage renamed away leaves its matrix row naming no stage, and back again.
    let matrix = p.uri("policies/capability.matrix.md");
    let m_before = s.publishes_for(&matrix).len();
    let v = s.replace(&uri, "  - id: ui\n", "  - id: uix\n");
    s.wait_for_version(&uri, v);
    let pb = s.wait_for_diagnostics(&matrix, |pb| pb.has("matrix-unknown-stage"), TIMEOUT);
    assert_eq!(pb.count("matrix-unknown-stage"), 1);
    let v = s.replace(&uri, "  - id: uix\n", "  - id: ui\n");
    s.wait_for_version(&uri, v);
    s.wait_for_latest(&matrix, |pb| !pb.has("matrix-unknown-stage"));
    assert!(s.publishes_for(&matrix).len() >= m_before + 2);
    s.shutdown_and_exit();
}

#[test]
fn no_stale_publish_under_twenty_quick_edits() {
    for enc in BOTH {
        let p = Project::agent_app_factory();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("pipeline.yaml");
        s.open(&uri);
        s.wait_for_version(&uri, 1);
        s.mark();
        // 20 edits without waiting; odd ones break `pause`, even ones restore it.
        for i in 0..20 {
            let (from, to) =
                if i % 2 == 0 { ("action: pause", "action: retyr") } else { ("action: retyr", "action: pause") };
            s.replace(&uri, from, to);
        }
        // One more that leaves it broken: the last version must show it.
        let last = s.replace(&uri, "action: pause", "action: retyr");
        assert_eq!(last, 22);
        let pb = s.wait_for_version(&uri, last);
        assert_eq!(pb.count("invalid-value"), 1);
        let versions: Vec<i64> =
            s.publishes_for(&uri).iter().map(|p| p.version.expect("a version on an open document")).collect();
        assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{enc:?} versions went down: {versions:?}");
        assert_eq!(*versions.last().unwrap(), last, "{versions:?}");
        // Nothing older comes after it.
        s.request("textDocument/documentLink", json!({"textDocument": {"uri": uri}})).ok();
        let later: Vec<_> = s.publishes_for(&uri).into_iter().filter(|p| p.seq > pb.seq).collect();
        assert!(later.iter().all(|p| p.version == Some(last)), "{later:?}");
        s.shutdown_and_exit();
    }
}

#[test]
fn editing_the_matrix_buffer_rechecks_pipeline_yaml() {
    for enc in BOTH {
        let p = Project::agent_app_factory();
        let mut s = TestServer::start(&p.root, enc);
        let uri = p.uri("pipeline.yaml");
        let muri = p.uri("policies/capability.matrix.md");
        s.open(&uri);
        s.open(&muri);
        let pb = s.wait_for_version(&uri, 1);
        assert_eq!(pb.count("output-outside-permissions"), 4);
        s.mark();
        // The validation row may now write the code it fixes.
        let v = s.replace(
            &muri,
            "| `artifacts/validation/` | 验证",
            "| `artifacts/validation/`, `artifacts/backend/`, `artifacts/client/` | 验证",
        );
        s.wait_for_version(&muri, v);
        // pipeline.yaml (not edited: still version 1) is published again with 2 left: preview's.
        let pb = s.wait_for_diagnostics(&uri, |p| p.count("output-outside-permissions") == 2, TIMEOUT);
        assert_eq!(pb.version, Some(1));
        assert_eq!(ranges(&pb, "output-outside-permissions"), [(112, 8, 112, 26), (113, 8, 113, 25)]);
        // Restored: the four are back.
        s.mark();
        let v = s.replace(&muri, ", `artifacts/backend/`, `artifacts/client/` | 验证", " | 验证");
        s.wait_for_version(&muri, v);
        s.wait_for_diagnostics(&uri, |p| p.count("output-outside-permissions") == 4, TIMEOUT);
        // Closing the edited matrix goes back to the disk's text (the same).
        s.close(&muri);
        s.shutdown_and_exit();
    }
}

#[test]
fn a_matrix_changed_on_disk_rechecks_pipeline_yaml() {
    let p = Project::agent_app_factory();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    s.wait_for_watch_registration();
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    assert_eq!(s.wait_for_version(&uri, 1).count("output-outside-permissions"), 4);
    let matrix = p
        .read("policies/capability.matrix.md")
        .replace("| `artifacts/preview/` |", "| `artifacts/preview/`, `artifacts/backend/`, `artifacts/client/` |");
    s.write_file(&p.path("policies/capability.matrix.md"), matrix);
    let pb = s.wait_for_latest(&uri, |p| p.count("output-outside-permissions") == 2);
    assert_eq!(ranges(&pb, "output-outside-permissions"), [(88, 8, 88, 26), (89, 8, 89, 25)]);
    s.shutdown_and_exit();
}

#[test]
fn severity_overrides_come_from_workspace_configuration() {
    let p = Project::agent_app_factory();
    let mut s = TestServer::builder()
        .root(&p.root)
        .config(json!({"severity": {"agent-not-found": "off", "output-outside-permissions": "hint"}}))
        .start();
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    let pb = s.wait_for_latest(&uri, |p| p.version == Some(1) && !p.has("agent-not-found"));
    assert_eq!(pb.count("output-outside-permissions"), 4);
    assert!(pb.with_code("output-outside-permissions").iter().all(|d| d["severity"] == 4));
    // Changed settings: the client says so, the server asks again and re-publishes.
    s.set_config(json!({"severity": {"output-outside-permissions": "warning"}}));
    s.mark();
    s.notify("workspace/didChangeConfiguration", json!({"settings": null}));
    let pb = s.wait_for_diagnostics(&uri, |p| p.count("agent-not-found") == 7, TIMEOUT);
    assert!(pb.with_code("output-outside-permissions").iter().all(|d| d["severity"] == 2));
    s.shutdown_and_exit();
}

#[test]
fn a_yaml_file_outside_any_root_gets_syntax_findings_only() {
    let p = Project::empty();
    p.write("loose/a.yaml", "a: [1, 2\n");
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    let uri = p.uri("loose/a.yaml");
    s.open(&uri);
    let pb = s.wait_for_version(&uri, 1);
    assert_eq!(pb.codes(), ["yaml-syntax"], "{}", support::describe(&pb.diagnostics));
    let v = s.set_text(&uri, "a: [1, 2]\na: 3\n");
    let pb = s.wait_for_version(&uri, v);
    assert_eq!(pb.codes(), ["duplicate-key"]);
    assert_eq!(pb.diagnostics[0]["range"], range_of("a: [1, 2]\na: 3\n", "a", 1, Enc::Utf16));
    s.shutdown_and_exit();
}

#[test]
fn two_workspace_folders_two_roots() {
    let a = Project::agent_app_factory();
    let b = Project::example();
    let mut s = TestServer::builder().root(&a.root).root(&b.root).start();
    let (ua, ub) = (a.uri("pipeline.yaml"), b.uri("pipeline.yaml"));
    s.open(&ua);
    s.open(&ub);
    let pa = s.wait_for_version(&ua, 1);
    let pb = s.wait_for_version(&ub, 1);
    assert_eq!(pa.count("agent-not-found"), 7);
    // The example has its agents.
    assert_eq!(pb.count("agent-not-found"), 0, "{}", support::describe(&pb.diagnostics));
    assert_eq!(pb.count("output-outside-permissions"), 4);
    let _: Value = Value::Null;
    s.shutdown_and_exit();
}

/// `initializationOptions: {"diagnosticMode": "pull"}`: the server advertises a
/// diagnostic provider, pushes nothing, and answers `textDocument/diagnostic`
/// with the same findings for the current text.
#[test]
fn pull_mode_answers_pulls_and_pushes_nothing() {
    let p = Project::agent_app_factory();
    let mut s = TestServer::builder()
        .root(&p.root)
        .encoding(Enc::Utf16)
        .init_options(json!({"diagnosticMode": "pull"}))
        .start();
    assert_eq!(s.init_result["capabilities"]["diagnosticProvider"]["identifier"], "tollgate");
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    let pull = |s: &mut TestServer| {
        let r = s.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}})).unwrap();
        assert_eq!(r["kind"], "full");
        let mut codes: Vec<String> =
            r["items"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
        codes.sort();
        codes
    };
    let codes = pull(&mut s);
    assert_eq!(codes.iter().filter(|c| *c == "output-outside-permissions").count(), 4, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "agent-not-found").count(), 7, "{codes:?}");
    // An edit is seen by the next pull: `retyr` is not an action.
    let text = p.read("pipeline.yaml");
    let (at, _) = find(&text, "action: pause", 0);
    s.change(&uri, 2, vec![(range(&text, (at + 8, at + 13), Enc::Utf16), "retyr".to_string())]);
    assert!(pull(&mut s).contains(&"invalid-value".to_string()));
    assert!(s.all_publishes().is_empty(), "pull mode pushed diagnostics");
    s.shutdown_and_exit();
}
