//! `pipeline.yaml`: stages in order (SPEC section 2).

use std::sync::Arc;

use super::schema::{first_key, head, item_range, line_of, Reader};
use super::{IdIndex, Loaded, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use tollgate_text::TextRange;
use tollgate_yaml::{Limits, Node, NodeKind};

pub const DEFAULT_MAX_ATTEMPTS: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `pipeline.max_attempts`, default 2 (one automatic retry).
    pub max_attempts: u32,
    pub max_attempts_range: Option<TextRange>,
    pub stages: Vec<Stage>,
    /// The first stage of each id: kept by `reindex` whenever stages change.
    ids: IdIndex,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The `-` item's first key: where a missing key of this stage is reported.
    pub anchor: TextRange,
    /// The whole item.
    pub range: TextRange,
    pub id: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub agent: Option<Spanned<String>>,
    pub inputs: Vec<Spanned<String>>,
    pub outputs: Vec<Spanned<String>>,
    pub exit_criteria: Vec<Spanned<String>>,
    pub on_failure: Option<OnFailure>,
    pub permissions: Option<Permissions>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnFailure {
    pub action: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
}

/// Per-stage `permissions: {read: [...], write: [...]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// The `permissions` key.
    pub key: TextRange,
    pub read: Vec<Spanned<String>>,
    /// None when `write` is absent (the matrix row then applies).
    pub write: Option<Vec<Spanned<String>>>,
    /// The `write` value node (the list), for edits that append to it.
    pub write_range: Option<TextRange>,
}

impl Pipeline {
    /// A pipeline of these stages, with the default `max_attempts`.
    pub fn new(stages: Vec<Stage>) -> Self {
        let mut p =
            Pipeline { max_attempts: DEFAULT_MAX_ATTEMPTS, max_attempts_range: None, stages, ids: IdIndex::default() };
        p.reindex();
        p
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stage_index(id).map(|i| &self.stages[i])
    }

    /// The first stage with this id.
    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.ids.get(id)
    }

    /// Rebuilds the id index after `stages` changed.
    pub fn reindex(&mut self) {
        self.ids = IdIndex::build(self.stages.iter().map(|s| s.id.as_ref().map(|i| i.value.as_str())));
    }

    pub fn stage_ids(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().filter_map(|s| s.id.as_ref().map(|i| i.value.as_str()))
    }
}

const TOP_KEYS: &[&str] = &["version", "pipeline", "stages"];
const PIPELINE_KEYS: &[&str] = &["name", "mode", "max_attempts"];
const STAGE_KEYS: &[&str] =
    &["id", "description", "agent", "inputs", "outputs", "exit_criteria", "on_failure", "permissions"];
const ON_FAILURE_KEYS: &[&str] = &["action", "message"];
pub const ON_FAILURE_ACTIONS: &[&str] = &["pause", "retry", "rollback"];
const PERMISSION_KEYS: &[&str] = &["read", "write"];
const STAGE_REQUIRED: &[&str] = &["id", "agent", "outputs"];

/// Reads `pipeline.yaml`.
pub fn load(path: &str, text: Arc<str>) -> Loaded<Pipeline> {
    load_with_layout(path, text).0
}

/// Reads `pipeline.yaml` and, when its stages are a block list, where each stage item
/// lies and which findings came from it: what [`plan`] needs to re-read one item alone.
pub fn load_with_layout(path: &str, text: Arc<str>) -> (Loaded<Pipeline>, Option<Layout>) {
    let (mut r, root) = Reader::open(&text, "`pipeline.yaml`");
    let Some(root) = root else {
        let diagnostics = r.diags;
        return (Loaded { path: path.to_string(), text, model: None, diagnostics }, None);
    };
    // Only duplicate keys so far (a syntax error leaves no root).
    let opened = std::mem::take(&mut r.diags);
    let mut items = Vec::new();
    let model = read_pipeline(&mut r, &root, &mut items);
    let read = std::mem::take(&mut r.diags);
    let mut layout = Layout::new(&text, &root, &items);
    let diagnostics = match &mut layout {
        // Duplicate keys inside an item go with that item's findings, so that each
        // item's findings are one contiguous run, as a re-read of the item alone gives.
        Some(layout) => layout.arrange(opened, read, &items),
        None => opened.into_iter().chain(read).collect(),
    };
    // Without its list of stages there is nothing to check the other files against:
    // no model (the last good one keeps serving in the editor), so that the state's
    // and the matrix's every stage name does not follow as a finding of its own.
    let model = root.get("stages").is_some().then_some(model);
    (Loaded { path: path.to_string(), text, model, diagnostics }, layout)
}

/// How one stage item was read: its node and the run of findings it gave.
struct ItemRead<'n> {
    node: &'n Node,
    diags: std::ops::Range<usize>,
    is_stage: bool,
}

fn read_pipeline<'n>(r: &mut Reader, root: &'n Node, items: &mut Vec<ItemRead<'n>>) -> Pipeline {
    r.unknown_keys(root, TOP_KEYS, "the top level of `pipeline.yaml`");
    let mut p = Pipeline::new(Vec::new());
    if let Some(v) = root.get("version") {
        if v.as_scalar().is_none() {
            r.push(
                Code::InvalidValue,
                head(r.text, v.range),
                format!("`version` must be a number or a string, found {}", v.kind_name()),
            );
        }
    }
    if let Some(meta) = root.get("pipeline").and_then(|n| r.mapping(n, "pipeline")) {
        r.unknown_keys(meta, PIPELINE_KEYS, "`pipeline`");
        for (k, v) in meta.as_map().unwrap_or_default() {
            match k.as_str() {
                Some(key @ ("name" | "mode")) => {
                    r.string(v, &format!("pipeline.{key}"), true, k.range);
                }
                Some("max_attempts") => {
                    if let Some(n) = r.int(v, "pipeline.max_attempts", 1) {
                        p.max_attempts = u32::try_from(n.value).unwrap_or(u32::MAX);
                        p.max_attempts_range = Some(n.range);
                    }
                }
                _ => {}
            }
        }
    }
    match root.get_entry("stages") {
        Some((_, list)) => {
            for item in r.list(list, "stages") {
                let from = r.diags.len();
                let stage = read_stage(r, item, p.stages.len() + 1);
                items.push(ItemRead { node: item, diags: from..r.diags.len(), is_stage: stage.is_some() });
                p.stages.extend(stage);
            }
        }
        // A misspelt `stages:` already has its unknown-key "did you mean `stages`": one
        // finding says it all.
        None if r.diags.iter().any(|d| d.code == Code::UnknownKey && d.message.contains("did you mean `stages`")) => {}
        None => {
            let at = first_key(r.text, root);
            r.push(
                Code::MissingKey,
                at,
                "`pipeline.yaml` is missing the required key `stages` (the list of stages, in order)".into(),
            );
        }
    }
    p.reindex();
    p
}

fn read_stage(r: &mut Reader, item: &Node, number: usize) -> Option<Stage> {
    let Some(map) = item.as_map() else {
        r.push(
            Code::InvalidValue,
            head(r.text, item.range),
            format!("stage #{number} must be a mapping with `id`, `agent` and `outputs`, found {}", item.kind_name()),
        );
        return None;
    };
    let anchor = first_key(r.text, item);
    let mut s = Stage {
        anchor,
        range: item_range(r.text, item),
        id: None,
        description: None,
        agent: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        exit_criteria: Vec::new(),
        on_failure: None,
        permissions: None,
    };
    if let Some((k, v)) = item.get_entry("id") {
        s.id = r.string(v, "id", false, k.range);
    }
    let place = match &s.id {
        Some(id) => format!("stage `{}`", id.value),
        None => format!("stage #{number}"),
    };
    r.unknown_keys(item, STAGE_KEYS, &place);
    r.required(item, STAGE_REQUIRED, anchor, &place);
    for (k, v) in map {
        match k.as_str().unwrap_or_default() {
            "description" => s.description = r.string(v, "description", true, k.range),
            "agent" => s.agent = r.string(v, "agent", false, k.range),
            "inputs" => s.inputs = r.strings(v, "inputs"),
            "outputs" => s.outputs = r.strings(v, "outputs"),
            "exit_criteria" => s.exit_criteria = r.strings(v, "exit_criteria"),
            "on_failure" => s.on_failure = read_on_failure(r, v),
            "permissions" => s.permissions = read_permissions(r, k, v),
            _ => {}
        }
    }
    Some(s)
}

fn read_on_failure(r: &mut Reader, node: &Node) -> Option<OnFailure> {
    let map = r.mapping(node, "on_failure")?;
    r.unknown_keys(map, ON_FAILURE_KEYS, "`on_failure`");
    let mut f = OnFailure { action: None, message: None };
    if let Some((k, v)) = map.get_entry("action") {
        f.action = r.one_of(v, "on_failure.action", ON_FAILURE_ACTIONS, k.range);
    }
    if let Some((k, v)) = map.get_entry("message") {
        f.message = r.string(v, "on_failure.message", true, k.range);
    }
    Some(f)
}

fn read_permissions(r: &mut Reader, key: &Node, node: &Node) -> Option<Permissions> {
    let map = r.mapping(node, "permissions")?;
    r.unknown_keys(map, PERMISSION_KEYS, "`permissions`");
    let mut p = Permissions { key: key.range, read: Vec::new(), write: None, write_range: None };
    if let Some(v) = map.get("read") {
        p.read = r.strings(v, "permissions.read");
    }
    if let Some(v) = map.get("write") {
        p.write = Some(r.strings(v, "permissions.write"));
        p.write_range = Some(v.range);
    }
    Some(p)
}

mod incremental;
#[cfg(test)]
mod tests;

pub use incremental::{apply, plan, Facets, Layout, Plan, StageEdit};
