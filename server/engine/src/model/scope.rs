//! `.factory/scope.yaml`: the retained scope of the current work (SPEC section 4).

use super::schema::{first_key, head, item_range, Reader};
use super::{Loaded, Spanned};
use crate::diagnostic::Code;
use crate::suggest;
use tollgate_text::TextRange;
use tollgate_yaml::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Modify,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Modify => "modify",
            Op::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "create" => Op::Create,
            "modify" => Op::Modify,
            "delete" => Op::Delete,
            _ => return None,
        })
    }
}

/// A set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ops {
    pub create: bool,
    pub modify: bool,
    pub delete: bool,
}

impl Ops {
    pub const ALL: Ops = Ops { create: true, modify: true, delete: true };
    /// The default of an allow entry: `[modify, create]`.
    pub const MODIFY_CREATE: Ops = Ops { create: true, modify: true, delete: false };

    pub fn has(self, op: Op) -> bool {
        match op {
            Op::Create => self.create,
            Op::Modify => self.modify,
            Op::Delete => self.delete,
        }
    }

    pub fn insert(&mut self, op: Op) {
        match op {
            Op::Create => self.create = true,
            Op::Modify => self.modify = true,
            Op::Delete => self.delete = true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub version: Option<Spanned<i64>>,
    pub id: Option<Spanned<String>>,
    pub revision: Option<Spanned<i64>>,
    pub supersedes: Option<Spanned<i64>>,
    pub request: Option<Spanned<String>>,
    /// The stage this scope binds; None: the current stage.
    pub stage: Option<Spanned<String>>,
    pub base_commit: Option<Spanned<String>>,
    pub allow: Vec<ScopeEntry>,
    pub exclude: Vec<ScopeEntry>,
    /// The `allow` value node (the list), for edits that append to it.
    pub allow_range: Option<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeEntry {
    /// The whole `-` item.
    pub range: TextRange,
    pub path: Spanned<String>,
    pub ops: Ops,
    pub reason: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub evidence: Option<Spanned<String>>,
}

const TOP_KEYS: &[&str] = &["version", "id", "revision", "supersedes", "request", "stage", "base", "allow", "exclude"];
const ENTRY_KEYS: &[&str] = &["path", "ops", "reason", "source", "evidence"];
pub const OPS: &[&str] = &["create", "modify", "delete"];
pub const SOURCES: &[&str] = &["exploration", "user", "policy"];

/// Reads `.factory/scope.yaml`.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Scope> {
    let (mut r, root) = Reader::open(&text, "`scope.yaml`");
    let model = root.map(|root| read_scope(&mut r, &root));
    let diagnostics = r.diags;
    Loaded { path: path.to_string(), text, model, diagnostics }
}

fn read_scope(r: &mut Reader, root: &Node) -> Scope {
    r.unknown_keys(root, TOP_KEYS, "`scope.yaml`");
    r.required(root, &["version", "id", "revision"], first_key(r.text, root), "`scope.yaml`");
    let mut sc = Scope {
        version: None,
        id: None,
        revision: None,
        supersedes: None,
        request: None,
        stage: None,
        base_commit: None,
        allow: Vec::new(),
        exclude: Vec::new(),
        allow_range: None,
    };
    let mut revision_key = None;
    for (k, v) in root.as_map().unwrap_or_default() {
        match k.as_str().unwrap_or_default() {
            "version" => {
                sc.version = r.int(v, "version", 1);
                if let Some(n) = sc.version.as_ref().filter(|n| n.value != 1) {
                    let msg = format!("`version` is {}; this scope format is version 1", n.value);
                    r.push(Code::InvalidValue, n.range, msg);
                }
            }
            "id" => sc.id = r.string(v, "id", false, k.range),
            "revision" => {
                sc.revision = r.int(v, "revision", 1);
                revision_key = Some(k.range);
            }
            "supersedes" => sc.supersedes = r.int(v, "supersedes", 1),
            "request" => sc.request = r.string(v, "request", true, k.range),
            "stage" => sc.stage = r.string(v, "stage", true, k.range),
            "base" => {
                if let Some(base) = r.mapping(v, "base") {
                    r.unknown_keys(base, &["commit"], "`base`");
                    if let Some((ck, cv)) = base.get_entry("commit") {
                        sc.base_commit = r.string(cv, "base.commit", true, ck.range);
                    }
                }
            }
            "allow" => {
                sc.allow_range = Some(v.range);
                sc.allow = read_entries(r, v, "allow", Ops::MODIFY_CREATE);
            }
            "exclude" => sc.exclude = read_entries(r, v, "exclude", Ops::ALL),
            _ => {}
        }
    }
    // A scope change is never silent: every revision after the first names the one it replaces.
    if let (Some(rev), Some(key)) = (&sc.revision, revision_key) {
        match &sc.supersedes {
            None if rev.value > 1 => r.push(
                Code::MissingKey,
                key,
                format!(
                    "`scope.yaml` is at revision {} but has no `supersedes` (required when `revision` > 1)",
                    rev.value
                ),
            ),
            Some(sup) if sup.value >= rev.value => r.push(
                Code::InvalidValue,
                sup.range,
                format!(
                    "`supersedes` is {} but `revision` is {}; a revision supersedes an earlier one",
                    sup.value, rev.value
                ),
            ),
            _ => {}
        }
    }
    sc
}

fn read_entries(r: &mut Reader, list: &Node, key: &str, default_ops: Ops) -> Vec<ScopeEntry> {
    let mut out = Vec::new();
    for item in r.list(list, key) {
        if item.as_map().is_none() {
            let at = head(r.text, item.range);
            r.push(
                Code::InvalidValue,
                at,
                format!("an `{key}` entry must be a mapping with `path`, found {}", item.kind_name()),
            );
            continue;
        }
        let place = format!("an `{key}` entry");
        r.unknown_keys(item, ENTRY_KEYS, &place);
        r.required(item, &["path"], first_key(r.text, item), &place);
        let mut path = None;
        let mut e = ScopeEntry {
            range: item_range(r.text, item),
            path: Spanned::new(String::new(), item.range),
            ops: default_ops,
            reason: None,
            source: None,
            evidence: None,
        };
        for (k, v) in item.as_map().unwrap_or_default() {
            match k.as_str().unwrap_or_default() {
                "path" => path = r.string(v, "path", false, k.range),
                "ops" => e.ops = read_ops(r, v, default_ops),
                "reason" => e.reason = r.string(v, "reason", true, k.range),
                "source" => e.source = r.one_of(v, "source", SOURCES, k.range),
                "evidence" => e.evidence = r.string(v, "evidence", true, k.range),
                _ => {}
            }
        }
        if let Some(p) = path {
            e.path = p;
            out.push(e);
        }
    }
    out
}

/// `ops`: a list out of create|modify|delete. Unknown operations are reported and
/// skipped; a list with no valid operation keeps the default.
fn read_ops(r: &mut Reader, node: &Node, default_ops: Ops) -> Ops {
    let mut ops = Ops::default();
    let mut any = false;
    for op in r.strings(node, "ops") {
        let Some(parsed) = Op::parse(&op.value) else {
            let set = OPS.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
            let hint = suggest::hint(&op.value, OPS.iter().copied());
            r.push(Code::InvalidValue, op.range, format!("operation `{}` is not one of {set}{hint}", op.value));
            continue;
        };
        ops.insert(parsed);
        any = true;
    }
    if any {
        ops
    } else {
        default_ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn at(text: &str, r: TextRange) -> &str {
        &text[r.start as usize..r.end as usize]
    }

    const SPEC_EXAMPLE: &str = r#"version: 1
id: passwordless-login          # the work item
revision: 3                     # bump on every change; a scope change is never silent
supersedes: 2                   # required when revision > 1
request: "Add passwordless login by magic link"
stage: code                     # the stage this scope binds; default: state.json currentStage
base: { commit: 4f2a9c1 }       # optional: what Exploration looked at
allow:
  - path: "artifacts/backend/src/auth/**"
    ops: [modify, create]       # default [modify, create]; also delete
    reason: "the magic-link flow lives in the auth module"
    source: exploration         # exploration | user | policy
  - path: "artifacts/backend/prisma/schema.prisma"
    ops: [modify]
    source: user
    evidence: ev-0002           # an id in .factory/evidence.jsonl
exclude:                        # always wins, whatever the order
  - path: "artifacts/backend/src/auth/jwt/**"
    reason: "no JWT refresh tokens in this change"
"#;

    #[test]
    fn reads_the_spec_example() {
        let text = SPEC_EXAMPLE;
        let l = load(".factory/scope.yaml", text.into());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let s = l.model.expect("model");
        assert_eq!(s.revision.as_ref().map(|r| r.value), Some(3));
        assert_eq!(s.base_commit.as_ref().map(|c| at(text, c.range)), Some("4f2a9c1"));
        assert_eq!(s.stage.as_ref().map(|c| c.value.as_str()), Some("code"));
        assert_eq!(s.allow.len(), 2);
        assert_eq!(at(text, s.allow[0].path.range), "\"artifacts/backend/src/auth/**\"");
        assert_eq!(s.allow[0].path.value, "artifacts/backend/src/auth/**");
        assert_eq!(s.allow[1].ops, Ops { create: false, modify: true, delete: false });
        assert_eq!(s.allow[1].evidence.as_ref().map(|e| e.value.as_str()), Some("ev-0002"));
        assert!(at(text, s.allow[0].range).starts_with("- path: \"artifacts/backend/src/auth/**\""));
        assert!(at(text, s.allow_range.expect("allow range")).starts_with("- path:"));
        assert_eq!(s.exclude[0].ops, Ops::ALL);
    }

    #[test]
    fn defaults_and_bad_values() {
        let text = "version: 1\nid: x\nrevision: 2\nallow:\n  - path: a/**\n  - path: b\n    ops: [modfy]\n    source: usr\n  - reason: no path\n";
        let l = load(".factory/scope.yaml", text.into());
        let found: Vec<(&str, &str, Severity)> =
            l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range), d.severity)).collect();
        assert_eq!(
            found,
            [
                ("invalid-value", "modfy", Severity::Error),
                ("invalid-value", "usr", Severity::Error),
                ("missing-key", "reason", Severity::Error),
                ("missing-key", "revision", Severity::Error),
            ]
        );
        assert!(l.diagnostics[0].message.contains("did you mean `modify`"));
        assert!(l.diagnostics[3].message.contains("`supersedes`"));
        let s = l.model.expect("model");
        assert_eq!(s.allow.len(), 2);
        assert_eq!(s.allow[0].ops, Ops::MODIFY_CREATE);
        assert_eq!(s.allow[1].ops, Ops::MODIFY_CREATE);
    }

    #[test]
    fn missing_top_keys_sit_on_the_first_key() {
        let text = "request: hi\nallow: []\nfoo: 1\n";
        let l = load(".factory/scope.yaml", text.into());
        let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
        assert_eq!(
            found,
            [
                ("unknown-key", "foo"),
                ("missing-key", "request"),
                ("missing-key", "request"),
                ("missing-key", "request")
            ]
        );
        assert!(l.diagnostics[1].message.contains("`version`"));
    }
}
