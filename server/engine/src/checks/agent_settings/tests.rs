//! Tests of the agent settings check on small inputs, with exact ranges, messages and fixes.

use crate::checks::{Context, NoFs, Sink};
use crate::diagnostic::{Code, Fix, Severity};
use crate::model::agent_settings::{self, AgentSettings};
use crate::model::Loaded;
use tollgate_text::TextRange;

fn run(settings: [Option<&Loaded<AgentSettings>>; 2]) -> Sink {
    let ctx = Context { agent_settings: settings, ..Context::bare(&NoFs) };
    let mut sink = Sink::default();
    super::run(&ctx, &mut sink);
    sink
}

fn at(text: &str, needle: &str) -> TextRange {
    let s = text.find(needle).unwrap_or_else(|| panic!("{needle} not in text"));
    TextRange::new(s as u32, (s + needle.len()) as u32)
}

const SETTINGS: &str = r#"{
  "permissions": {
    "allow": ["Bash", "Write", "Edit(artifacts/backend/**)", "Write(artifacts/backend/**)"],
    "deny": [
      "Edit(artifacts/prd/**)",
      "Write(project/**)",
      "Read(./.env)",
      "MultiEdit(policies/**)",
      "NotebookEdit(文档/**)",
      "Write()",
      "Write(*)",
      "WebFetch(domain:example.com)"
    ],
    "ask": ["Write(//tmp/x)"]
  },
  "hooks": {"Note": "Write(not/a/rule)"}
}
"#;

#[test]
fn write_path_rules_are_ineffective_with_exact_ranges_messages_and_fixes() {
    let l = agent_settings::load(".claude/settings.json", SETTINGS.into());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let sink = run([Some(&l), None]);
    let got: Vec<(Code, Severity, &str, TextRange)> = sink
        .findings
        .iter()
        .map(|f| (f.diagnostic.code, f.diagnostic.severity, &*f.path, f.diagnostic.range))
        .collect();
    let f = ".claude/settings.json";
    let w = Code::IneffectiveAgentRule;
    let warn = Severity::Warning;
    assert_eq!(
        got,
        [
            (w, warn, f, at(SETTINGS, "\"Write(project/**)\"")),
            (w, warn, f, at(SETTINGS, "\"MultiEdit(policies/**)\"")),
            (w, warn, f, at(SETTINGS, "\"NotebookEdit(文档/**)\"")),
            (w, warn, f, at(SETTINGS, "\"Write(//tmp/x)\"")),
            (w, warn, f, at(SETTINGS, "\"Write(artifacts/backend/**)\"")),
        ]
    );
    let d = |i: usize| &sink.findings[i].diagnostic;
    assert_eq!(
        d(0).message,
        "`Write(project/**)` in `permissions.deny` does not stop a write to `project/**`: Claude Code consults \
         `Edit(...)` rules for every file write (Write, Edit, NotebookEdit) and never `Write(...)` path rules; \
         write `Edit(project/**)`"
    );
    assert!(d(1).message.contains("never `MultiEdit(...)` path rules; write `Edit(policies/**)`"), "{}", d(1).message);
    assert!(d(3).message.starts_with(
        "`Write(//tmp/x)` in `permissions.ask` does not make Claude Code ask before a write to `//tmp/x`:"
    ));
    assert!(d(4).message.starts_with("`Write(artifacts/backend/**)` in `permissions.allow` does not allow a write to"));
    assert_eq!(
        d(0).data.fixes,
        [Fix::Replace {
            title: "Replace with `Edit(project/**)`".into(),
            range: at(SETTINGS, "\"Write(project/**)\""),
            new_text: "\"Edit(project/**)\"".into(),
        }]
    );
    assert_eq!(
        d(2).data.fixes,
        [Fix::Replace {
            title: "Replace with `Edit(文档/**)`".into(),
            range: at(SETTINGS, "\"NotebookEdit(文档/**)\""),
            new_text: "\"Edit(文档/**)\"".into(),
        }]
    );
    let blocker = d(0).data.blocker.expect("blocker");
    assert_eq!((blocker.class.as_str(), blocker.return_to.as_str()), ("definition", "user"));
}

#[test]
fn effective_rules_have_no_finding() {
    let text = r#"{"permissions": {"deny": ["Write", "Edit(x/**)", "Bash(rm:*)", "Read(secrets/**)"], "allow": ["MultiEdit", "Write(*)"]}}"#;
    let l = agent_settings::load(".claude/settings.local.json", text.into());
    assert!(run([None, Some(&l)]).findings.is_empty());
    let empty = agent_settings::load(".claude/settings.json", "{}".into());
    assert!(run([Some(&empty), Some(&l)]).findings.is_empty());
}

#[test]
fn both_files_are_checked_and_an_escaped_rule_is_replaced_whole() {
    let shared = agent_settings::load(".claude/settings.json", r#"{"permissions":{"deny":["Write(a/**)"]}}"#.into());
    let local_text = r#"{"permissions":{"deny":["Write(b\/\"q\"\/**)"]}}"#;
    let local = agent_settings::load(".claude/settings.local.json", local_text.into());
    let sink = run([Some(&shared), Some(&local)]);
    let got: Vec<(&str, &str)> = sink
        .findings
        .iter()
        .map(|f| {
            (
                &*f.path,
                f.diagnostic.range.slice(if &*f.path == ".claude/settings.json" {
                    r#"{"permissions":{"deny":["Write(a/**)"]}}"#
                } else {
                    local_text
                }),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(".claude/settings.json", "\"Write(a/**)\""), (".claude/settings.local.json", r#""Write(b\/\"q\"\/**)""#)]
    );
    assert_eq!(
        sink.findings[1].diagnostic.data.fixes,
        [Fix::Replace {
            title: "Replace with `Edit(b/\"q\"/**)`".into(),
            range: at(local_text, r#""Write(b\/\"q\"\/**)""#),
            new_text: r#""Edit(b/\"q\"/**)""#.into(),
        }]
    );
}

#[test]
fn a_settings_file_that_is_not_json_has_its_syntax_finding_and_no_other() {
    let text = "{\"permissions\": {\"deny\": [\"Write(x/**)\"]}\n";
    let l = agent_settings::load(".claude/settings.json", text.into());
    assert!(l.model.is_none());
    assert_eq!(l.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::YamlSyntax]);
    assert!(run([Some(&l), None]).findings.is_empty());
}
