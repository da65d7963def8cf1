//! What the actions read: the pipeline (through the model) and state.json (as an
//! ordered JSON tree, because the actions rewrite it).

use std::sync::Arc;

use super::error_log::{append_text, Report};
use super::json::{layout_edits, Json};
use super::plan::{diff_edit, refuse, Env, Fingerprint, Refusal, Step, TextEdit};
use crate::model::pipeline::{Pipeline, Stage};
use tollgate_text::TextRange;

pub(crate) fn load_pipeline(env: &Env, reads: &mut Vec<Fingerprint>) -> Result<Pipeline, Refusal> {
    let path = env.root.layout.pipeline.as_str();
    let Some(text) = env.read(path, reads)? else {
        return refuse(format!("{path} does not exist"));
    };
    let loaded = crate::model::pipeline::load(path, Arc::from(text));
    match loaded.model {
        Some(p) => Ok(p),
        None => {
            let why = loaded.diagnostics.first().map(|d| format!(": {}", d.message)).unwrap_or_default();
            refuse(format!("{path} cannot be read{why}"))
        }
    }
}

/// The write permissions of `stage` (`permissions.write`, else its matrix row), as
/// the checks see them; None when it has neither.
pub(crate) fn write_set(
    env: &Env,
    reads: &mut Vec<Fingerprint>,
    stage: &str,
) -> Result<Option<crate::permissions::WriteSet>, Refusal> {
    let (p_path, m_path) = (env.root.layout.pipeline.as_str(), env.root.layout.matrix.as_str());
    let pipeline = env.read(p_path, reads)?.map(|t| crate::model::pipeline::load(p_path, Arc::from(t)));
    let matrix = env.read(m_path, reads)?.map(|t| crate::model::matrix::load(m_path, Arc::from(t)));
    Ok(crate::permissions::WriteSet::for_stage(pipeline.as_ref(), matrix.as_ref(), stage))
}

/// The stage and its index, or a refusal naming the stages there are.
pub(crate) fn stage<'p>(p: &'p Pipeline, id: &str) -> Result<(usize, &'p Stage), Refusal> {
    match p.stage_index(id) {
        Some(i) => Ok((i, &p.stages[i])),
        None => {
            let ids: Vec<_> = p.stage_ids().map(|s| format!("`{s}`")).collect();
            refuse(format!("the pipeline has no stage `{id}` (its stages: {})", ids.join(", ")))
        }
    }
}

pub(crate) fn outputs(s: &Stage) -> Vec<String> {
    s.outputs.iter().map(|o| o.value.trim().to_string()).filter(|o| !o.is_empty()).collect()
}

pub(crate) fn criteria(s: &Stage) -> Vec<String> {
    s.exit_criteria.iter().map(|c| c.value.clone()).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spelling {
    Camel,
    Snake,
}

/// The name `spelling` uses for a camelCase key (SPEC 2: snake_case, except
/// `updatedAt` -> `last_updated` and `createdAt` -> `started_at`).
fn name_in(spelling: Spelling, camel: &'static str) -> &'static str {
    if spelling == Spelling::Camel {
        return camel;
    }
    match camel {
        "currentStage" => "current_stage",
        "completedStages" => "completed_stages",
        "failedStages" => "failed_stages",
        "stageHistory" => "stage_history",
        "lastCheckpoint" => "last_checkpoint",
        "createdAt" => "started_at",
        "updatedAt" => "last_updated",
        "stageId" => "stage_id",
        "startTime" => "start_time",
        "endTime" => "end_time",
        other => other,
    }
}

/// state.json as read, and the spelling it uses.
pub(crate) struct StateDoc {
    pub path: String,
    pub text: String,
    pub json: Json,
    pub spelling: Spelling,
    indent: String,
    /// The tree as read, before the action's changes.
    orig: Json,
}

const SNAKE_ONLY: &[&str] = &[
    "current_stage",
    "completed_stages",
    "failed_stages",
    "stage_history",
    "last_checkpoint",
    "started_at",
    "last_updated",
];

impl StateDoc {
    pub fn load(env: &Env, reads: &mut Vec<Fingerprint>) -> Result<StateDoc, Refusal> {
        let path = env.root.layout.state.clone();
        let Some(text) = env.read(&path, reads)? else {
            return refuse(format!("{path} does not exist: there is no run to change"));
        };
        let json = match Json::parse(&text) {
            Ok(j @ Json::Obj(_)) => j,
            Ok(_) => return refuse(format!("{path} is not a JSON object")),
            Err(e) => return refuse(format!("{path} is not valid JSON ({e}); fix it first")),
        };
        let spelling = if SNAKE_ONLY.iter().any(|k| json.has(k)) { Spelling::Snake } else { Spelling::Camel };
        let indent = text
            .lines()
            .skip(1)
            .find(|l| l.starts_with([' ', '\t']))
            .map(|l| l[..l.len() - l.trim_start().len()].to_string())
            .unwrap_or_else(|| "  ".to_string());
        Ok(StateDoc { path, text, orig: json.clone(), json, spelling, indent })
    }

    /// The name the file uses for a camelCase key.
    pub fn key(&self, camel: &'static str) -> &'static str {
        name_in(self.spelling, camel)
    }

    /// Both names of a field present in the file, in file order (a CLI command after
    /// an orchestrator session leaves `current_stage` beside `currentStage`).
    fn both_present(&self, camel: &'static str) -> Vec<&str> {
        let snake = name_in(Spelling::Snake, camel);
        match &self.json {
            Json::Obj(m) if snake != camel => {
                m.iter().map(|(k, _)| k.as_str()).filter(|k| *k == camel || *k == snake).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The field's value; with both spellings in the file, the later one (as the checks read it).
    pub fn get(&self, camel: &'static str) -> Option<&Json> {
        match self.both_present(camel)[..] {
            [_, later] => self.json.get(later),
            _ => self.json.get(self.key(camel)),
        }
    }

    /// Sets the field in the file's spelling; with both spellings in the file, both,
    /// so the repair holds whichever one a reader takes.
    pub fn set(&mut self, camel: &'static str, v: Json) {
        let both: Vec<String> = self.both_present(camel).into_iter().map(str::to_string).collect();
        if both.len() == 2 {
            for k in both {
                self.json.set(&k, v.clone());
            }
            return;
        }
        let k = self.key(camel);
        self.json.set(k, v);
    }

    pub fn current_stage(&self) -> Option<String> {
        self.get("currentStage").and_then(Json::as_str).map(str::to_string)
    }

    pub fn list(&self, camel: &'static str) -> Vec<String> {
        self.get(camel).map(Json::strings).unwrap_or_default()
    }

    /// The `stageHistory` entries, in order.
    pub fn history(&self) -> Vec<&Json> {
        match self.get("stageHistory") {
            Some(Json::Arr(a)) => a.iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn latest_index(&self, stage: &str) -> Option<usize> {
        let k = self.key("stageId");
        self.history().iter().rposition(|h| h.get(k).and_then(Json::as_str) == Some(stage))
    }

    /// The attempts the stage has spent: those of its latest history entry (its entry
    /// count when unrecorded), or more when the history counts more failures
    /// (`State::failed_attempts`: `attempts` restarts at 1 in each orchestrator session).
    pub fn attempts(&self, stage: &str) -> u32 {
        let model = crate::model::state::load(&self.path, Arc::from(self.text.as_str())).model;
        let failed = model.map_or(0, |m| m.failed_attempts(stage));
        self.recorded_attempts(stage).max(failed)
    }

    fn recorded_attempts(&self, stage: &str) -> u32 {
        let k = self.key("stageId");
        let entries: Vec<_> =
            self.history().into_iter().filter(|h| h.get(k).and_then(Json::as_str) == Some(stage)).collect();
        match entries.last() {
            Some(h) => h
                .get("attempts")
                .and_then(Json::as_u64)
                .map(|n| n.min(u32::MAX as u64) as u32)
                .unwrap_or(entries.len() as u32),
            None => 0,
        }
    }

    /// Has the run reached `stage`: its current stage, completed, failed, or in the history?
    pub fn reached(&self, stage: &str) -> bool {
        let k = self.key("stageId");
        self.current_stage().as_deref() == Some(stage)
            || self.list("completedStages").iter().any(|s| s == stage)
            || self.list("failedStages").iter().any(|s| s == stage)
            || self.history().iter().any(|h| h.get(k).and_then(Json::as_str) == Some(stage))
    }

    pub fn push_history(&mut self, entry: Json) {
        let k = self.key("stageHistory");
        match self.json.get_mut(k) {
            Some(Json::Arr(a)) => a.push(entry),
            _ => self.json.set(k, Json::Arr(vec![entry])),
        }
    }

    /// A new history entry: `stage` running since `now`, on attempt `attempts`.
    pub fn open_entry(&mut self, stage: &str, now: &str, attempts: u32) {
        let entry = Json::Obj(vec![
            (self.key("stageId").into(), Json::str(stage)),
            ("status".into(), Json::str("running")),
            (self.key("startTime").into(), Json::str(now)),
            ("attempts".into(), Json::Num(attempts.into())),
        ]);
        self.push_history(entry);
    }

    /// Closes history entry `i`: its status, `endTime` now, and the error when given.
    pub fn close_entry(&mut self, i: usize, status: &str, now: &str, error: Option<&str>) {
        let end = self.key("endTime");
        if let Some(h) = self.history_entry_mut(i) {
            h.set("status", Json::str(status));
            h.set(end, Json::str(now));
            if let Some(e) = error {
                h.set("error", Json::str(e));
            }
        }
    }

    pub fn history_entry_mut(&mut self, i: usize) -> Option<&mut Json> {
        match self.json.get_mut(self.key("stageHistory")) {
            Some(Json::Arr(a)) => a.get_mut(i),
            _ => None,
        }
    }

    /// Sets `updatedAt` / `last_updated` when the file has it.
    pub fn touch(&mut self, now: &str) {
        let k = self.key("updatedAt");
        if self.json.has(k) {
            self.json.set(k, Json::str(now));
        }
    }

    /// The edit that turns the file into the changed tree: only the values that
    /// change are rewritten, keeping the file's layout (`json::layout_edits`); where
    /// the text does not line up with the tree (a repeated key), the whole object is
    /// re-serialised (key order kept, the file's indent, its final newline), then
    /// reduced to the span that differs.
    pub fn edit_step(&self) -> Step {
        if let Some(edits) = layout_edits(&self.text, &self.orig, &self.json, &self.indent) {
            return Step::Edit(TextEdit { path: self.path.clone(), edits });
        }
        let mut new = self.json.to_pretty(&self.indent);
        if self.text.ends_with('\n') {
            new.push('\n');
        }
        Step::Edit(TextEdit { path: self.path.clone(), edits: diff_edit(&self.text, &new) })
    }
}

/// The step that appends `report` to the error log (creating the file when missing).
pub(crate) fn error_log_step(
    env: &Env,
    reads: &mut Vec<Fingerprint>,
    report: &Report,
) -> Result<(Step, String), Refusal> {
    let path = env.root.layout.error_log.clone();
    let line = format!("append an ERROR REPORT ({}) to {path}", report.status);
    Ok(match env.read(&path, reads)? {
        Some(text) => {
            let edit = (TextRange::empty(text.len() as u32), append_text(&text, report));
            (Step::Edit(TextEdit { path, edits: vec![edit] }), line)
        }
        None => (Step::CreateFile { path, text: report.render() }, line),
    })
}
