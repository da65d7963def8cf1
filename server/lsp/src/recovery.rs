//! The bridge between LSP commands and `tollgate_engine::recovery`: arguments in,
//! plans over the open buffers, and the plan's text steps as a `WorkspaceEdit`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Value};
use tollgate_engine::diagnostic::Fix;
use tollgate_engine::model::scope::Op;
use tollgate_engine::policy;
use tollgate_engine::recovery::{self, ActionKind, Env, Files, Plan, Refusal, ScopeRequest, Step};
use tollgate_engine::root::Root;
use tollgate_engine::Finding;
use tollgate_engine::{LineIndex, PositionEncoding, TextRange};
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::proto;
use crate::session::Session;

/// The open buffers of one root over its disk, so plans read what the user sees.
pub struct BufferFiles {
    pub root: PathBuf,
    /// Shared with the documents (code actions build this on every cursor move).
    pub buffers: HashMap<String, Arc<str>>,
    pub versions: HashMap<String, i32>,
}

impl BufferFiles {
    pub fn new(session: &Session, root: &Root) -> Self {
        let mut buffers = HashMap::new();
        let mut versions = HashMap::new();
        for doc in session.docs.values() {
            if let Some(rel) = root.relative(&doc.path) {
                buffers.insert(rel.clone(), doc.text.clone());
                versions.insert(rel, doc.version);
            }
        }
        BufferFiles { root: root.dir.clone(), buffers, versions }
    }
}

impl Files for BufferFiles {
    fn read(&self, rel: &str) -> Result<Option<String>, String> {
        match self.buffers.get(rel) {
            Some(text) => Ok(Some(text.to_string())),
            None => recovery::DiskFiles { root: &self.root }.read(rel),
        }
    }
}

/// A recovery request, as the commands take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    ExpandScope {
        path: String,
        ops: Vec<Op>,
        reason: Option<String>,
    },
    ReturnToBuild {
        stage: String,
    },
    ArchiveAttempt {
        stage: String,
    },
    Quarantine {
        path: String,
        stage: Option<String>,
    },
    /// The failure policy (SPEC 9); `stage` None: the current stage.
    Gate {
        stage: Option<String>,
    },
    Rollback {
        to: Option<String>,
    },
    Resume,
}

/// The problem with a command's arguments (answered as `InvalidParams`).
pub struct BadArgs(pub String);

fn field<'a>(obj: &'a Value, name: &str, command: &str) -> Result<&'a str, BadArgs> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(BadArgs(format!("{command}: argument `{name}` must be a non-empty string"))),
        None => Err(BadArgs(format!("{command}: missing argument `{name}`"))),
    }
}

/// Parses `{root, ...}` for `command`: the root directory and the request.
pub fn parse(command: &str, args: &[Value]) -> Result<(PathBuf, Request), BadArgs> {
    let obj = args.first().filter(|v| v.is_object()).ok_or_else(|| {
        BadArgs(format!("{command}: expected one argument object, e.g. {{\"root\": \"/abs/root\", ...}}"))
    })?;
    let root = proto::path_from_arg(field(obj, "root", command)?)
        .filter(|p| p.is_absolute())
        .ok_or_else(|| BadArgs(format!("{command}: `root` must be an absolute path or a file:// URI")))?;
    let opt = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_string);
    let Some(kind) = ActionKind::from_command(command) else {
        return Err(BadArgs(format!("unknown command `{command}`")));
    };
    let request = match kind {
        ActionKind::ExpandScope => {
            let ops = match obj.get("ops") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().and_then(Op::parse))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| BadArgs(format!("{command}: `ops` must list create, modify or delete")))?,
                Some(_) => return Err(BadArgs(format!("{command}: `ops` must be a list"))),
            };
            Request::ExpandScope { path: field(obj, "path", command)?.to_string(), ops, reason: opt("reason") }
        }
        ActionKind::ReturnToBuild => Request::ReturnToBuild { stage: field(obj, "stage", command)?.to_string() },
        ActionKind::ArchiveAttempt => Request::ArchiveAttempt { stage: field(obj, "stage", command)?.to_string() },
        ActionKind::Quarantine => {
            Request::Quarantine { path: field(obj, "path", command)?.to_string(), stage: opt("stage") }
        }
        ActionKind::Gate => Request::Gate { stage: opt("stage") },
        ActionKind::Rollback => Request::Rollback { to: opt("to") },
        ActionKind::Resume => Request::Resume,
    };
    Ok((root, request))
}

impl Request {
    pub fn from_fix(fix: &Fix) -> Option<Request> {
        Some(match fix {
            Fix::ExpandScope { path } => Request::ExpandScope { path: path.clone(), ops: Vec::new(), reason: None },
            Fix::ReturnToBuild { stage } => Request::ReturnToBuild { stage: stage.clone() },
            Fix::ArchiveAttempt { stage } => Request::ArchiveAttempt { stage: stage.clone() },
            Fix::Quarantine { path, stage } => Request::Quarantine { path: path.clone(), stage: Some(stage.clone()) },
            Fix::Replace { .. } | Fix::GrantWrite { .. } => return None,
        })
    }

    /// `findings`: the root's latest analysis (the gate and resume ask it which blockers stand).
    pub fn plan(&self, root: &Root, files: &dyn Files, findings: &[Finding]) -> Result<Plan, Refusal> {
        let env = Env { root, files, now: SystemTime::now() };
        match self {
            Request::ExpandScope { path, ops, reason } => {
                recovery::plan_expand_scope(&env, &ScopeRequest { path, ops: ops.clone(), reason: reason.as_deref() })
            }
            Request::ReturnToBuild { stage } => recovery::plan_return_to_build(&env, stage),
            Request::ArchiveAttempt { stage } => recovery::plan_archive_attempt(&env, stage),
            Request::Quarantine { path, stage } => recovery::plan_quarantine(&env, path, stage.as_deref()),
            Request::Gate { stage } => policy::plan_gate(&env, stage.as_deref(), findings).map(|g| g.plan),
            Request::Rollback { to } => policy::plan_rollback(&env, to.as_deref()),
            Request::Resume => policy::plan_resume(&env, findings),
        }
    }

    /// The command's argument object; `expect` pins what the plan read, so the
    /// command refuses to act when those files changed since.
    pub fn arguments(&self, root: &Path, plan: &Plan) -> Value {
        let expect: Vec<Value> = plan.reads.iter().map(|f| json!({"path": f.path, "sha256": f.sha256})).collect();
        let mut v = match self {
            Request::ExpandScope { path, ops, reason } => json!({
                "path": path,
                "ops": if ops.is_empty() { Value::Null } else { json!(ops.iter().map(|o| o.as_str()).collect::<Vec<_>>()) },
                "reason": reason,
            }),
            Request::ReturnToBuild { stage } | Request::ArchiveAttempt { stage } => json!({"stage": stage}),
            Request::Quarantine { path, stage } => json!({"path": path, "stage": stage}),
            // The gate's title is its decision: the command refuses if the decision changed.
            Request::Gate { stage } => json!({"stage": stage, "title": plan.title}),
            Request::Rollback { to } => json!({"to": to}),
            Request::Resume => json!({}),
        };
        v["root"] = json!(root.display().to_string());
        v["expect"] = json!(expect);
        v
    }
}

/// Refuses when a file the caller saw (`expect` in the arguments) differs now,
/// or when the gate would now decide otherwise than its `title` said.
pub fn check_expectations(args: &[Value], plan: &Plan) -> Result<(), Refusal> {
    let title = args.first().and_then(|a| a.get("title")).and_then(Value::as_str);
    if let Some(t) = title.filter(|t| *t != plan.title) {
        return Err(Refusal(format!(
            "the decision changed since it was offered (\"{t}\"); now: \"{}\"; nothing was done, look again",
            plan.title
        )));
    }
    let Some(list) = args.first().and_then(|a| a.get("expect")).and_then(Value::as_array) else { return Ok(()) };
    for item in list {
        let path = item.get("path").and_then(Value::as_str).unwrap_or_default();
        let seen = item.get("sha256").and_then(Value::as_str);
        let now = plan.reads.iter().find(|f| f.path == path).and_then(|f| f.sha256.as_deref());
        if now != seen {
            return Err(Refusal(format!(
                "{path} changed since the diagnostic was computed; nothing was done, look again"
            )));
        }
    }
    Ok(())
}

/// The plan's text steps as one workspace edit (files created with `CreateFile`).
pub fn workspace_edit(root: &Path, files: &BufferFiles, steps: &[&Step], enc: PositionEncoding) -> lsp::WorkspaceEdit {
    let mut changes = Vec::new();
    for step in steps {
        match step {
            Step::Edit(edit) => {
                let Some(uri) = proto::uri_of(&root.join(&edit.path)) else { continue };
                let text = files.read(&edit.path).ok().flatten().unwrap_or_default();
                let index = LineIndex::new(&text);
                let edits = edit
                    .edits
                    .iter()
                    .map(|(range, new_text)| {
                        lsp::OneOf::Left(lsp::TextEdit {
                            range: proto::range(&text, &index, *range, enc),
                            new_text: new_text.clone(),
                        })
                    })
                    .collect();
                let version = files.versions.get(&edit.path).copied();
                changes.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
                    text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits,
                }));
            }
            Step::CreateFile { path, text } => {
                let Some(uri) = proto::uri_of(&root.join(path)) else { continue };
                changes.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(lsp::CreateFile {
                    uri: uri.clone(),
                    options: Some(lsp::CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                    annotation_id: None,
                })));
                let zero = lsp::Position { line: 0, character: 0 };
                changes.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
                    text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: vec![lsp::OneOf::Left(lsp::TextEdit {
                        range: lsp::Range { start: zero, end: zero },
                        new_text: text.clone(),
                    })],
                }));
            }
            _ => {}
        }
    }
    lsp::WorkspaceEdit { document_changes: Some(lsp::DocumentChanges::Operations(changes)), ..Default::default() }
}

/// A text edit inside one document, as a workspace edit.
pub fn single_edit(
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    range: TextRange,
    new_text: &str,
    enc: PositionEncoding,
) -> lsp::WorkspaceEdit {
    let edit = lsp::TextEdit { range: proto::range(text, index, range, enc), new_text: new_text.to_string() };
    lsp::WorkspaceEdit { changes: Some([(uri.clone(), vec![edit])].into_iter().collect()), ..Default::default() }
}
