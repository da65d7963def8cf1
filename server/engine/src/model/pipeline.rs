//! `pipeline.yaml`: stages in order (SPEC section 2).

use super::schema::{first_key, head, item_range, Reader};
use super::{Loaded, Spanned};
use crate::diagnostic::Code;
use tollgate_text::TextRange;
use tollgate_yaml::Node;

pub const DEFAULT_MAX_ATTEMPTS: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `pipeline.max_attempts`, default 2 (one automatic retry).
    pub max_attempts: u32,
    pub max_attempts_range: Option<TextRange>,
    pub stages: Vec<Stage>,
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
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id.as_ref().is_some_and(|i| i.value == id))
    }

    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id.as_ref().is_some_and(|i| i.value == id))
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
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Pipeline> {
    let (mut r, root) = Reader::open(&text, "`pipeline.yaml`");
    let model = root.map(|root| read_pipeline(&mut r, &root));
    let diagnostics = r.diags;
    Loaded { path: path.to_string(), text, model, diagnostics }
}

fn read_pipeline(r: &mut Reader, root: &Node) -> Pipeline {
    r.unknown_keys(root, TOP_KEYS, "the top level of `pipeline.yaml`");
    let mut p = Pipeline { max_attempts: DEFAULT_MAX_ATTEMPTS, max_attempts_range: None, stages: Vec::new() };
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
                if let Some(stage) = read_stage(r, item, p.stages.len() + 1) {
                    p.stages.push(stage);
                }
            }
        }
        None => {
            let at = first_key(r.text, root);
            r.push(
                Code::MissingKey,
                at,
                "`pipeline.yaml` is missing the required key `stages` (the list of stages, in order)".into(),
            );
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn at(text: &str, r: TextRange) -> &str {
        &text[r.start as usize..r.end as usize]
    }

    fn codes(l: &Loaded<Pipeline>) -> Vec<&'static str> {
        l.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn reads_the_real_fixture_cleanly() {
        let text = include_str!("../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
        let l = load("pipeline.yaml", text.into());
        assert_eq!(codes(&l), Vec::<&str>::new());
        let p = l.model.expect("model");
        assert_eq!(p.max_attempts, 2);
        let ids: Vec<&str> = p.stage_ids().collect();
        assert_eq!(ids, ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
        let v = p.stage("validation").expect("validation");
        assert_eq!(at(text, v.anchor), "id");
        assert!(at(text, v.range).starts_with("- id: validation\n"));
        assert!(at(text, v.range).trim_end().ends_with("了解详情\""));
        let outs: Vec<&str> = v.outputs.iter().map(|o| at(text, o.range)).collect();
        assert_eq!(outs, ["artifacts/validation/report.md", "artifacts/backend/", "artifacts/client/"]);
        let action = v.on_failure.as_ref().and_then(|f| f.action.as_ref()).expect("action");
        assert_eq!((action.value.as_str(), at(text, action.range)), ("pause", "pause"));
        assert_eq!(at(text, p.stages[0].agent.as_ref().expect("agent").range), "agents/bootstrap.agent.md");
        assert!(p.stages[0].inputs.is_empty());
        assert_eq!(p.stages[0].exit_criteria.len(), 3);
        assert!(p.stages[1].description.as_ref().expect("description").value.starts_with("将产品想法"));
    }

    #[test]
    fn wrong_enum_value_names_value_set_and_hint() {
        let text = "stages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n    on_failure:\n      action: \"retyr\"\n";
        let l = load("pipeline.yaml", text.into());
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        let d = &l.diagnostics[0];
        assert_eq!((d.code, d.severity), (Code::InvalidValue, Severity::Error));
        assert_eq!(at(text, d.range), "\"retyr\"");
        assert!(d.message.contains("`retyr`") && d.message.contains("`pause`, `retry`, `rollback`"), "{}", d.message);
        assert!(d.message.contains("did you mean `retry`"), "{}", d.message);
        // Best effort: the model keeps the value.
        let p = l.model.expect("model");
        assert_eq!(
            p.stages[0].on_failure.as_ref().and_then(|f| f.action.as_ref()).map(|a| a.value.as_str()),
            Some("retyr")
        );
    }

    #[test]
    fn missing_and_unknown_keys() {
        let text = "version: 1\nstages:\n  - description: no id\n    agnet: a.md\n";
        let l = load("pipeline.yaml", text.into());
        let mut found: Vec<(&str, &str, Severity)> =
            l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range), d.severity)).collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("missing-key", "description", Severity::Error),
                ("missing-key", "description", Severity::Error),
                ("missing-key", "description", Severity::Error),
                ("unknown-key", "agnet", Severity::Warning),
            ]
        );
        let unknown = l.diagnostics.iter().find(|d| d.code == Code::UnknownKey).expect("unknown");
        assert!(unknown.message.contains("did you mean `agent`"), "{}", unknown.message);
        assert!(l.diagnostics.iter().any(|d| d.message.contains("stage #1 is missing the required key `outputs`")));
        let p = l.model.expect("model");
        assert_eq!(at(text, p.stages[0].range), "- description: no id\n    agnet: a.md");
    }

    #[test]
    fn wrong_types_max_attempts_and_permissions() {
        let text = "pipeline:\n  max_attempts: 3\nstages:\n  - id: a\n    agent: {x: 1}\n    outputs: out.md\n    permissions:\n      write: [\"artifacts/a/\"]\n";
        let l = load("pipeline.yaml", text.into());
        let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
        assert_eq!(found, [("invalid-value", "{x: 1}"), ("invalid-value", "out.md")]);
        assert!(l.diagnostics[0].message.contains("`agent` must be a string, found a mapping"));
        let p = l.model.expect("model");
        assert_eq!(p.max_attempts, 3);
        assert_eq!(at(text, p.max_attempts_range.expect("range")), "3");
        let perms = p.stages[0].permissions.as_ref().expect("permissions");
        assert_eq!(at(text, perms.key), "permissions");
        assert_eq!(at(text, perms.write_range.expect("write range")), "[\"artifacts/a/\"]");
        assert_eq!(perms.write.as_ref().map(|w| w[0].value.as_str()), Some("artifacts/a/"));
        assert_eq!(p.stages[0].outputs.len(), 1, "a lone scalar is still read");
    }

    #[test]
    fn ranges_are_exact_after_cjk_text() {
        let text = "stages:\n  - id: 验证 # 注释\n    description: 验证代码质量 🚀\n    agent: a.md\n    outputs: [报告.md]\n    on_failure: {action: 暂停, mesage: 失败}\n";
        let l = load("pipeline.yaml", text.into());
        let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
        assert_eq!(found, [("unknown-key", "mesage"), ("invalid-value", "暂停")]);
        assert!(l.diagnostics[0].message.contains("did you mean `message`"));
        let p = l.model.expect("model");
        assert_eq!(at(text, p.stages[0].id.as_ref().expect("id").range), "验证");
        assert_eq!(at(text, p.stages[0].outputs[0].range), "报告.md");
    }

    #[test]
    fn empty_and_comment_only_files() {
        let l = load("pipeline.yaml", "".into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["invalid-value"]);
        let text = "# nothing yet\n";
        let l = load("pipeline.yaml", text.into());
        assert!(l.model.is_none());
        assert_eq!(at(text, l.diagnostics[0].range), "# nothing yet");
    }

    #[test]
    fn unusable_documents_have_no_model() {
        let l = load("pipeline.yaml", "stages: [\n".into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["yaml-syntax"]);
        let text = "- a\n- b\n";
        let l = load("pipeline.yaml", text.into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["invalid-value"]);
        assert_eq!(at(text, l.diagnostics[0].range), "- a");
    }

    #[test]
    fn duplicate_keys_on_the_second() {
        let text = "stages:\n  - id: a\n    id: b\n    agent: a.md\n    outputs: []\n";
        let l = load("pipeline.yaml", text.into());
        assert_eq!(codes(&l), ["duplicate-key"]);
        let d = &l.diagnostics[0];
        assert_eq!(d.range.start, text.find("id: b").expect("second") as u32);
        assert_eq!(at(text, d.range), "id");
        assert!(d.message.contains("`id`") && d.message.contains("line 2"), "{}", d.message);
    }
}
