//! `.factory/state.json`: the run (SPEC section 2). Both the orchestrator's
//! camelCase names and `factory init`'s snake_case names are read.

use std::time::SystemTime;

use super::schema::{first_key, head, item_range, Reader};
use super::{Loaded, Spanned};
use crate::changes::parse_rfc3339;
use crate::diagnostic::Code;
use tollgate_text::TextRange;
use tollgate_yaml::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    Camel,
    Snake,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Idle,
    Running,
    WaitingForConfirmation,
    Paused,
    Failed,
    /// The factory CLI's word for a finished run: read as an idle one.
    Completed,
}

impl RunStatus {
    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "idle" => RunStatus::Idle,
            "running" => RunStatus::Running,
            "waiting_for_confirmation" => RunStatus::WaitingForConfirmation,
            "paused" => RunStatus::Paused,
            "failed" => RunStatus::Failed,
            "completed" => RunStatus::Completed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Idle => "idle",
            RunStatus::Running => "running",
            RunStatus::WaitingForConfirmation => "waiting_for_confirmation",
            RunStatus::Paused => "paused",
            RunStatus::Failed => "failed",
            RunStatus::Completed => "completed",
        }
    }

    /// Idle, or finished (`completed`): no stage is under way.
    pub fn is_idle(self) -> bool {
        matches!(self, RunStatus::Idle | RunStatus::Completed)
    }

    /// The run waits for a person: whatever is written now is the person's.
    pub fn waits_for_person(self) -> bool {
        matches!(self, RunStatus::WaitingForConfirmation | RunStatus::Paused)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub spelling: Spelling,
    pub status: Option<Spanned<RunStatus>>,
    pub current_stage: Option<Spanned<String>>,
    pub completed_stages: Vec<Spanned<String>>,
    pub failed_stages: Vec<Spanned<String>>,
    pub history: Vec<HistoryEntry>,
    pub last_checkpoint: Option<Spanned<String>>,
    /// `updatedAt` / `last_updated`: when the state was last written (by its own account).
    pub updated_at: Option<Spanned<String>>,
    /// Fields written in both spellings with different values (SPEC 3.2).
    pub conflicts: Vec<Conflict>,
}

/// One field written in both spellings with different values (the factory's CLI
/// adds `current_stage` beside the orchestrator's `currentStage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The key written first and its range.
    pub first: Spanned<String>,
    /// The key written later (whose value tollgate reads) and its range.
    pub later: Spanned<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub range: TextRange,
    pub stage_id: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub start_time: Option<Spanned<String>>,
    pub end_time: Option<Spanned<String>>,
    pub attempts: Option<Spanned<u32>>,
    pub outputs: Vec<Spanned<String>>,
    pub error: Option<Spanned<String>>,
}

impl State {
    /// A run is active when it has a current stage and is running, waiting, paused or failed.
    pub fn is_active(&self) -> bool {
        self.current_stage.is_some()
            && matches!(
                self.status.as_ref().map(|s| s.value),
                Some(RunStatus::Running | RunStatus::WaitingForConfirmation | RunStatus::Paused | RunStatus::Failed)
            )
    }

    pub fn status(&self) -> Option<RunStatus> {
        self.status.as_ref().map(|s| s.value)
    }

    /// The latest history entry of `stage`.
    pub fn latest(&self, stage: &str) -> Option<&HistoryEntry> {
        self.history.iter().rev().find(|h| h.stage_id.as_ref().is_some_and(|s| s.value == stage))
    }

    pub fn is_completed(&self, stage: &str) -> bool {
        self.completed_stages.iter().any(|s| s.value == stage)
    }

    /// Is the run `running` on `stage`?
    pub fn is_running(&self, stage: &str) -> bool {
        self.status() == Some(RunStatus::Running) && self.current_stage.as_ref().is_some_and(|c| c.value == stage)
    }

    /// The history of `stage`, to count its attempts.
    pub fn attempts_of(&self, stage: &str) -> Attempts<'_> {
        Attempts { entries: self.history.iter().filter(|h| h.is_of(stage)).collect(), running: self.is_running(stage) }
    }

    /// The attempts of a stage the history does not name (not in [`State::attempts_by_stage`]).
    pub fn no_attempts(&self, stage: &str) -> Attempts<'_> {
        Attempts { entries: Vec::new(), running: self.is_running(stage) }
    }

    /// Every stage's history in one pass (5,000 stages must not mean 5,000 scans of it).
    pub fn attempts_by_stage(&self) -> std::collections::HashMap<&str, Attempts<'_>> {
        let mut by: std::collections::HashMap<&str, Attempts<'_>> = std::collections::HashMap::new();
        for h in &self.history {
            if let Some(id) = &h.stage_id {
                let a = by.entry(id.value.as_str()).or_insert_with(|| Attempts { entries: Vec::new(), running: false });
                a.entries.push(h);
            }
        }
        for (id, a) in by.iter_mut() {
            a.running = self.is_running(id);
        }
        by
    }

    /// How many attempts of `stage` have failed since it last completed; see [`Attempts::failed`].
    pub fn failed_attempts(&self, stage: &str) -> u32 {
        self.attempts_of(stage).failed()
    }

    /// The attempt `stage` is on; see [`Attempts::current`].
    pub fn current_attempt(&self, stage: &str, max_attempts: u32) -> Option<u32> {
        self.attempts_of(stage).current(max_attempts)
    }

    /// During the policy's automatic retry: the run is `running` on `stage` again
    /// after a failed attempt, with attempts left under `max_attempts`.
    pub fn is_retrying(&self, stage: &str, max_attempts: u32) -> bool {
        self.is_running(stage) && self.failed_attempts(stage) < max_attempts
    }
}

/// One stage's history entries, in order, and whether the run is `running` on it.
#[derive(Clone, Debug)]
pub struct Attempts<'a> {
    entries: Vec<&'a HistoryEntry>,
    running: bool,
}

impl Attempts<'_> {
    /// The entries since the stage last completed: a stage re-run from its
    /// checkpoint starts a new count of attempts.
    fn since_completed(&self) -> &[&HistoryEntry] {
        let from = self.entries.iter().rposition(|h| h.has_status("completed")).map_or(0, |i| i + 1);
        &self.entries[from..]
    }

    /// How many attempts have failed since the stage last completed, counted from
    /// the history, so that the retry limit cannot reset itself: the orchestrator
    /// restarts `attempts` at 1 in each session, and may write one entry per attempt
    /// or update one entry in place. The largest of: the failed entries, the highest
    /// `attempts` of a failed entry, and one less than the `attempts` of a running entry.
    /// The failure policy (retry limit, gate, `tollgate status`) counts with this alone.
    pub fn failed(&self) -> u32 {
        failed_in(self.since_completed())
    }

    /// The attempt the stage is on, counted as [`Attempts::failed`] counts: the
    /// failed ones plus the one under way (or that completed). While the run is `running`
    /// on the stage and its latest entry failed, that is the automatic retry, not yet
    /// recorded (the orchestrator writes history when an attempt ends). None when the
    /// stage has no history and is not running.
    /// With no attempt left (`max_attempts` reached), no retry is under way: the failed
    /// attempt is the current one.
    pub fn current(&self, max_attempts: u32) -> Option<u32> {
        let failed = self.failed();
        let latest = self.entries.last();
        if latest.is_some_and(|h| h.has_status("failed")) {
            return Some(if self.running && failed < max_attempts { failed + 1 } else { failed.max(1) });
        }
        if latest.is_none() && !self.running {
            return None;
        }
        Some(failed + 1)
    }

    /// The attempts the stage took: for a stage that completed (and is not running
    /// again), those of its last completed run, the failed ones before it plus the one
    /// that completed; otherwise [`Attempts::current`].
    pub fn taken(&self, max_attempts: u32) -> Option<u32> {
        match self.entries.iter().rposition(|h| h.has_status("completed")) {
            Some(end) if !self.running && end + 1 == self.entries.len() => {
                let from = self.entries[..end].iter().rposition(|h| h.has_status("completed")).map_or(0, |i| i + 1);
                let run = &self.entries[from..=end];
                let recorded = run.iter().filter_map(|h| Some(h.attempts.as_ref()?.value)).max().unwrap_or(0);
                Some((failed_in(&run[..run.len() - 1]) + 1).max(recorded))
            }
            _ => self.current(max_attempts),
        }
    }
}

fn failed_in(entries: &[&HistoryEntry]) -> u32 {
    let count = entries.iter().filter(|h| h.has_status("failed")).count() as u32;
    let recorded = entries
        .iter()
        .filter_map(|h| {
            let n = h.attempts.as_ref()?.value;
            if h.has_status("failed") {
                Some(n)
            } else if h.is_open() {
                Some(n.saturating_sub(1))
            } else {
                None
            }
        })
        .max()
        .unwrap_or(0);
    count.max(recorded)
}

/// Time marks: when a stage started and since when the run waits for a person,
/// from the history where it says, else from the state's own marks.
impl State {
    /// The stage's current run of attempts: while it runs, those since it last
    /// completed; otherwise the run that ended last (its completed entry included).
    fn current_run(&self, stage: &str) -> Vec<&HistoryEntry> {
        let mine: Vec<&HistoryEntry> = self.history.iter().filter(|h| h.is_of(stage)).collect();
        let upto = if self.is_running(stage) { mine.len() } else { mine.len().saturating_sub(1) };
        let from = mine[..upto].iter().rposition(|h| h.has_status("completed")).map_or(0, |i| i + 1);
        mine[from..].to_vec()
    }

    /// `updatedAt` / `last_updated` and the state file's modification time (`file_mtime`),
    /// each when known: when the state was last written.
    fn marks(&self, file_mtime: Option<SystemTime>) -> impl Iterator<Item = SystemTime> {
        let updated = self.updated_at.as_ref().and_then(|u| parse_rfc3339(&u.value));
        updated.into_iter().chain(file_mtime)
    }

    /// Since when the current stage has been writing, at the latest: outside git, a
    /// file modified after it is one of the stage's changes. The earliest `startTime`
    /// of the stage's current run of attempts (a failed attempt's writes are the
    /// stage's too); without one (`factory run` records none, the orchestrator writes
    /// history when an attempt ends), the earlier of `updatedAt` / `last_updated` and
    /// the state file's modification time: whoever set the run going on this stage
    /// wrote the state then, and nothing has written it since while the stage runs.
    pub fn stage_started(&self, file_mtime: Option<SystemTime>) -> Option<SystemTime> {
        let stage = &self.current_stage.as_ref()?.value;
        let run = self.current_run(stage);
        let started = run.iter().filter_map(|h| parse_rfc3339(&h.start_time.as_ref()?.value)).min();
        started.or_else(|| self.marks(file_mtime).min())
    }

    /// Since when the run has waited for a person (`waiting_for_confirmation` or
    /// `paused`, the stage's latest attempt ended): a write after it is the person's,
    /// not the stage's. The attempt's `endTime`; without one, the later of the state's
    /// marks (the status changed at the state's last write or before). None while the
    /// run does not wait, or the stage's latest attempt is still open.
    pub fn waiting_since(&self, file_mtime: Option<SystemTime>) -> Option<SystemTime> {
        if !self.status()?.waits_for_person() {
            return None;
        }
        let stage = &self.current_stage.as_ref()?.value;
        match self.latest(stage) {
            Some(h) if h.is_open() => None,
            Some(h) => {
                h.end_time.as_ref().and_then(|e| parse_rfc3339(&e.value)).or_else(|| self.marks(file_mtime).max())
            }
            None => self.marks(file_mtime).max(),
        }
    }
}

impl HistoryEntry {
    pub fn is_of(&self, stage: &str) -> bool {
        self.stage_id.as_ref().is_some_and(|s| s.value == stage)
    }

    pub fn has_status(&self, status: &str) -> bool {
        self.status.as_ref().is_some_and(|s| s.value == status)
    }

    /// An attempt under way: `running`, or no status and no end yet.
    pub fn is_open(&self) -> bool {
        match &self.status {
            Some(s) => s.value == "running",
            None => self.end_time.is_none(),
        }
    }
}

/// Every name of the format: (orchestrator camelCase, `factory init` snake_case).
const TOP_NAMES: &[(&str, &str)] = &[
    ("version", "version"),
    ("status", "status"),
    ("currentStage", "current_stage"),
    ("completedStages", "completed_stages"),
    ("failedStages", "failed_stages"),
    ("stageHistory", "stage_history"),
    ("lastCheckpoint", "last_checkpoint"),
    ("createdAt", "started_at"),
    ("updatedAt", "last_updated"),
];
const HISTORY_NAMES: &[(&str, &str)] = &[
    ("stageId", "stage_id"),
    ("status", "status"),
    ("startTime", "start_time"),
    ("endTime", "end_time"),
    ("attempts", "attempts"),
    ("outputs", "outputs"),
    ("error", "error"),
];
pub const RUN_STATUSES: &[&str] = &["idle", "running", "waiting_for_confirmation", "paused", "failed", "completed"];
/// Required: only `status`. `factory init` writes `version`, `status`, `current_stage`,
/// `completed_stages`, `started_at`, `last_updated`; the orchestrator may leave out the
/// lists and the rest while nothing has run, so only the run's status is indispensable.
const REQUIRED: &[&str] = &["status"];

impl Spelling {
    /// The name this spelling uses for a camelCase name of the format
    /// (`completedStages` -> `completed_stages`, `updatedAt` -> `last_updated`).
    pub fn key(self, camel: &str) -> &str {
        let found = TOP_NAMES.iter().chain(HISTORY_NAMES).find(|(c, _)| *c == camel);
        match (self, found) {
            (Spelling::Snake, Some((_, snake))) => snake,
            _ => camel,
        }
    }
}

/// The camelCase name of a key in either spelling, if the format knows it.
fn canonical(names: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    names.iter().find(|(c, s)| *c == key || *s == key).map(|(c, _)| *c)
}

fn all_names(names: &'static [(&'static str, &'static str)]) -> Vec<&'static str> {
    let mut v: Vec<&str> = names.iter().flat_map(|(c, s)| [*c, *s]).collect();
    v.dedup();
    v
}

/// Reads `.factory/state.json` (JSON, read by the YAML parser like every other file).
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<State> {
    let (mut r, root) = Reader::open_json(&text, "`state.json`");
    let model = root.map(|root| read_state(&mut r, &root));
    let diagnostics = r.diags;
    Loaded { path: path.to_string(), text, model, diagnostics }
}

fn read_state(r: &mut Reader, root: &Node) -> State {
    let mut st = State {
        spelling: spelling_of(root),
        status: None,
        current_stage: None,
        completed_stages: Vec::new(),
        failed_stages: Vec::new(),
        history: Vec::new(),
        last_checkpoint: None,
        updated_at: None,
        conflicts: both_spellings(root, TOP_NAMES),
    };
    r.unknown_keys(root, &all_names(TOP_NAMES), "`state.json`");
    for key in REQUIRED {
        if root.get(key).is_none() {
            let at = first_key(r.text, root);
            r.push(
                Code::MissingKey,
                at,
                format!("`state.json` is missing the required key `{key}` (the run's status)"),
            );
        }
    }
    for (k, v) in root.as_map().unwrap_or_default() {
        let name = k.as_str().unwrap_or_default();
        match canonical(TOP_NAMES, name) {
            Some("version") if v.as_scalar().is_none() || v.is_null() => {
                let at = if v.range.is_empty() { k.range } else { head(r.text, v.range) };
                r.push(
                    Code::InvalidValue,
                    at,
                    format!("`version` must be a number or a string, found {}", v.kind_name()),
                );
            }
            Some("status") => {
                st.status = r
                    .one_of(v, "status", RUN_STATUSES, k.range)
                    .and_then(|s| RunStatus::parse(&s.value).map(|rs| Spanned::new(rs, s.range)));
            }
            Some("currentStage") => st.current_stage = r.string(v, name, true, k.range),
            Some("lastCheckpoint") => st.last_checkpoint = r.string(v, name, true, k.range),
            Some("completedStages") => st.completed_stages = r.strings(v, name),
            Some("failedStages") => st.failed_stages = r.strings(v, name),
            Some("createdAt") => {
                r.string(v, name, true, k.range);
            }
            Some("updatedAt") => st.updated_at = r.string(v, name, true, k.range),
            Some("stageHistory") => {
                for item in r.list(v, name) {
                    if let Some(h) = read_entry(r, item) {
                        st.history.push(h);
                    }
                }
            }
            _ => {}
        }
    }
    st
}

fn read_entry(r: &mut Reader, item: &Node) -> Option<HistoryEntry> {
    let Some(map) = item.as_map() else {
        let at = head(r.text, item.range);
        r.push(Code::InvalidValue, at, format!("a stage history entry must be a mapping, found {}", item.kind_name()));
        return None;
    };
    r.unknown_keys(item, &all_names(HISTORY_NAMES), "a stage history entry");
    let mut h = HistoryEntry {
        range: item_range(r.text, item),
        stage_id: None,
        status: None,
        start_time: None,
        end_time: None,
        attempts: None,
        outputs: Vec::new(),
        error: None,
    };
    for (k, v) in map {
        let name = k.as_str().unwrap_or_default();
        match canonical(HISTORY_NAMES, name) {
            Some("stageId") => h.stage_id = r.string(v, name, false, k.range),
            Some("status") => h.status = r.string(v, name, true, k.range),
            Some("startTime") => h.start_time = r.string(v, name, true, k.range),
            Some("endTime") => h.end_time = r.string(v, name, true, k.range),
            Some("attempts") => {
                h.attempts =
                    r.int(v, name, 0).map(|n| Spanned::new(u32::try_from(n.value).unwrap_or(u32::MAX), n.range));
            }
            Some("outputs") => h.outputs = r.strings(v, name),
            Some("error") => h.error = r.string(v, name, true, k.range),
            _ => {}
        }
    }
    Some(h)
}

/// The fields of `map` written in both spellings with different values. The time
/// marks are not compared: each writer stamps its own (`last_updated` by the CLI,
/// `updatedAt` by the orchestrator), so they differ in every mixed file.
fn both_spellings(map: &Node, names: &[(&str, &str)]) -> Vec<Conflict> {
    let entries = map.as_map().unwrap_or_default();
    let find = |name: &str| entries.iter().position(|(k, _)| k.as_str() == Some(name));
    let mut out = Vec::new();
    for (camel, snake) in names.iter().filter(|(c, s)| c != s && !matches!(*c, "createdAt" | "updatedAt")) {
        let (Some(a), Some(b)) = (find(camel), find(snake)) else { continue };
        if same_value(&entries[a].1, &entries[b].1) {
            continue;
        }
        let key = |i: usize| Spanned::new(entries[i].0.as_str().unwrap_or_default().to_string(), entries[i].0.range);
        let (first, later) = if a < b { (key(a), key(b)) } else { (key(b), key(a)) };
        out.push(Conflict { first, later });
    }
    out
}

/// Equal as data (layout and quoting aside).
fn same_value(a: &Node, b: &Node) -> bool {
    use tollgate_yaml::NodeKind;
    match (&a.kind, &b.kind) {
        _ if a.is_null() && b.is_null() => true,
        (NodeKind::Scalar(x), NodeKind::Scalar(y)) => x.value == y.value,
        (NodeKind::Seq(x), NodeKind::Seq(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q)),
        (NodeKind::Map(x), NodeKind::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k.as_str() == k2.as_str() && same_value(v, v2)))
        }
        _ => false,
    }
}

/// Snake when more of the two-word names are snake_case than camelCase; camel otherwise.
fn spelling_of(root: &Node) -> Spelling {
    let mut keys: Vec<&str> = root.as_map().unwrap_or_default().iter().filter_map(|(k, _)| k.as_str()).collect();
    let history = root.get("stageHistory").or_else(|| root.get("stage_history"));
    for item in history.and_then(Node::as_seq).unwrap_or_default() {
        keys.extend(item.as_map().unwrap_or_default().iter().filter_map(|(k, _)| k.as_str()));
    }
    let names = || TOP_NAMES.iter().chain(HISTORY_NAMES).filter(|(c, s)| c != s);
    let camel = keys.iter().filter(|k| names().any(|(c, _)| c == *k)).count();
    let snake = keys.iter().filter(|k| names().any(|(_, s)| s == *k)).count();
    if snake > camel {
        Spelling::Snake
    } else {
        Spelling::Camel
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn at(text: &str, r: TextRange) -> &str {
        &text[r.start as usize..r.end as usize]
    }

    #[test]
    fn reads_the_orchestrator_camel_case() {
        let text = r#"{
  "version": "1.0",
  "status": "running",
  "currentStage": "code",
  "completedStages": ["bootstrap", "prd"],
  "failedStages": [],
  "stageHistory": [
    {"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": null, "attempts": 2, "outputs": ["artifacts/backend/"], "error": "boom"}
  ],
  "lastCheckpoint": "prd",
  "createdAt": "2026-01-29T09:00:00Z",
  "updatedAt": "2026-01-29T10:30:00Z"
}"#;
        let l = load(".factory/state.json", text.into());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let st = l.model.expect("model");
        assert_eq!(st.spelling, Spelling::Camel);
        assert_eq!(st.status(), Some(RunStatus::Running));
        assert_eq!(at(text, st.status.as_ref().expect("status").range), "\"running\"");
        assert_eq!(at(text, st.current_stage.as_ref().expect("current").range), "\"code\"");
        assert_eq!(at(text, st.completed_stages[1].range), "\"prd\"");
        let h = &st.history[0];
        assert!(at(text, h.range).starts_with("{\"stageId\"") && at(text, h.range).ends_with("\"boom\"}"));
        assert_eq!(at(text, h.attempts.as_ref().expect("attempts").range), "2");
        assert_eq!(h.attempts.as_ref().map(|a| a.value), Some(2));
        assert!(h.end_time.is_none());
        assert_eq!(st.latest("code").and_then(|h| h.status.as_ref()).map(|s| s.value.as_str()), Some("failed"));
        assert_eq!(at(text, st.last_checkpoint.as_ref().expect("checkpoint").range), "\"prd\"");
    }

    #[test]
    fn reads_factory_init_snake_case() {
        let text = "{\n  \"version\": 1,\n  \"status\": \"idle\",\n  \"current_stage\": null,\n  \"completed_stages\": [],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T09:00:00.000Z\"\n}\n";
        let l = load(".factory/state.json", text.into());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let st = l.model.expect("model");
        assert_eq!(st.spelling, Spelling::Snake);
        assert_eq!(st.spelling.key("updatedAt"), "last_updated");
        assert_eq!(st.spelling.key("stageId"), "stage_id");
        assert_eq!(Spelling::Camel.key("stageId"), "stageId");
        assert!(st.current_stage.is_none());
        assert_eq!(st.status(), Some(RunStatus::Idle));
    }

    #[test]
    fn bad_values_unknown_and_missing_keys() {
        let text = "{\"stauts\": \"running\", \"currentStage\": 3, \"completedStages\": \"prd\", \"stageHistory\": [{\"stageId\": \"a\", \"attempts\": \"two\"}]}";
        let l = load(".factory/state.json", text.into());
        let found: Vec<(&str, &str, Severity)> =
            l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range), d.severity)).collect();
        assert_eq!(
            found,
            [
                ("unknown-key", "\"stauts\"", Severity::Warning),
                ("missing-key", "\"stauts\"", Severity::Error),
                ("invalid-value", "\"prd\"", Severity::Error),
                ("invalid-value", "\"two\"", Severity::Error),
            ]
        );
        assert!(l.diagnostics[0].message.contains("did you mean `status`"), "{}", l.diagnostics[0].message);
        let st = l.model.expect("model");
        // A number reads as its text; a lone string as a one-item list.
        assert_eq!(st.current_stage.as_ref().map(|s| s.value.as_str()), Some("3"));
        assert_eq!(st.completed_stages.len(), 1);
        assert_eq!(st.history.len(), 1);
    }

    #[test]
    fn status_outside_the_set() {
        let text = "{\"status\": \"runing\"}";
        let l = load(".factory/state.json", text.into());
        assert_eq!(l.diagnostics.len(), 1);
        let d = &l.diagnostics[0];
        assert_eq!((d.code, at(text, d.range)), (Code::InvalidValue, "\"runing\""));
        assert!(d.message.contains("did you mean `running`") && d.message.contains("`waiting_for_confirmation`"));
        assert!(l.model.expect("model").status.is_none());
    }

    #[test]
    fn syntax_errors_and_non_objects() {
        let l = load(".factory/state.json", "{\"status\": \"idle\",".into());
        assert!(l.model.is_none());
        assert_eq!(l.diagnostics[0].code, Code::YamlSyntax);
        let l = load(".factory/state.json", "[1, 2]".into());
        assert!(l.model.is_none());
        assert_eq!(l.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::InvalidValue]);
        let l = load(".factory/state.json", "{\"status\": \"idle\", \"status\": \"running\"}".into());
        assert_eq!(l.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::DuplicateKey]);
        assert_eq!(l.diagnostics[0].range.start, 19);
        assert_eq!(l.model.and_then(|m| m.status()), Some(RunStatus::Idle));
    }

    fn state(text: &str) -> State {
        let l = load(".factory/state.json", text.into());
        l.model.expect("model")
    }

    fn secs(t: Option<SystemTime>) -> Option<u64> {
        t.map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
    }

    #[test]
    fn attempts_are_counted_from_the_history() {
        // One entry per attempt, `attempts` restarting at 1 in a second session.
        let st = state(
            r#"{"status": "running", "currentStage": "code", "stageHistory": [
            {"stageId": "code", "status": "completed", "attempts": 2},
            {"stageId": "code", "status": "failed", "attempts": 1},
            {"stageId": "code", "status": "failed", "attempts": 1}]}"#,
        );
        assert_eq!(st.failed_attempts("code"), 2, "the completed run before does not count");
        assert_eq!(st.current_attempt("code", 2), Some(2), "no retry left: the failed attempt is current");
        assert!(!st.is_retrying("code", 2));
        assert_eq!(st.current_attempt("code", 3), Some(3));
        assert!(st.is_retrying("code", 3));
        // One entry updated in place; a running entry counts its earlier attempts.
        let st = state(
            r#"{"status": "paused", "currentStage": "code", "stageHistory": [{"stageId": "code", "status": "failed", "attempts": 2}]}"#,
        );
        assert_eq!((st.failed_attempts("code"), st.current_attempt("code", 2)), (2, Some(2)));
        let st = state(
            r#"{"status": "running", "currentStage": "code", "stageHistory": [{"stageId": "code", "status": "running", "attempts": 2}]}"#,
        );
        assert_eq!((st.failed_attempts("code"), st.current_attempt("code", 2)), (1, Some(2)));
        // The automatic retry, not yet recorded.
        let st = state(
            r#"{"status": "running", "currentStage": "code", "stageHistory": [{"stageId": "code", "status": "failed", "attempts": 1}]}"#,
        );
        assert_eq!((st.failed_attempts("code"), st.current_attempt("code", 2)), (1, Some(2)));
        assert!(st.is_retrying("code", 2));
        // `factory run`: running, no history.
        let st = state(r#"{"status": "running", "current_stage": "prd"}"#);
        assert_eq!(
            (st.failed_attempts("prd"), st.current_attempt("prd", 2), st.current_attempt("ui", 2)),
            (0, Some(1), None)
        );
    }

    #[test]
    fn a_completed_stage_took_its_last_runs_attempts() {
        // prd: failed, then completed in a new session whose count restarted at 1.
        // ui: one entry updated in place. tech: completed, re-run from its checkpoint,
        // completed again at once. code: running, no history yet.
        let st = state(
            r#"{"status": "running", "currentStage": "code", "stageHistory": [
            {"stageId": "prd", "status": "failed", "attempts": 1},
            {"stageId": "prd", "status": "completed", "attempts": 1},
            {"stageId": "ui", "status": "completed", "attempts": 3},
            {"stageId": "tech", "status": "failed", "attempts": 1},
            {"stageId": "tech", "status": "completed", "attempts": 2},
            {"stageId": "tech", "status": "completed", "attempts": 1}]}"#,
        );
        let by = st.attempts_by_stage();
        let taken = |id: &str| by.get(id).and_then(|a| a.taken(3));
        assert_eq!((taken("prd"), taken("ui"), taken("tech"), taken("code")), (Some(2), Some(3), Some(1), None));
        // The latest entry alone says 1 for prd; the current attempt of a completed stage is a new one.
        assert_eq!(st.latest("prd").and_then(|h| h.attempts.as_ref()).map(|a| a.value), Some(1));
        assert_eq!(st.current_attempt("prd", 3), Some(1));
        // Grouped or filtered, the counts are the same.
        for id in ["prd", "ui", "tech"] {
            assert_eq!(by[id].failed(), st.failed_attempts(id), "{id}");
            assert_eq!(by[id].current(3), st.current_attempt(id, 3), "{id}");
        }
        // A failed stage (not running) took the attempts that failed.
        let st = state(
            r#"{"status": "paused", "currentStage": "code", "stageHistory": [
            {"stageId": "code", "status": "failed", "attempts": 1},
            {"stageId": "code", "status": "failed", "attempts": 2}]}"#,
        );
        assert_eq!(st.attempts_of("code").taken(2), Some(2));
    }

    #[test]
    fn completed_is_a_finished_idle_run() {
        let l = load(".factory/state.json", r#"{"status": "completed", "current_stage": "preview"}"#.into());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let st = l.model.expect("model");
        assert_eq!(st.status(), Some(RunStatus::Completed));
        assert!(st.status().is_some_and(RunStatus::is_idle) && !st.is_active());
    }

    #[test]
    fn both_spellings_with_different_values_are_conflicts() {
        let text = r#"{"status": "running", "currentStage": "code", "completedStages": ["prd"], "updatedAt": "2026-01-29T10:00:00Z",
  "current_stage": "prd", "completed_stages": ["prd"], "last_updated": "2026-01-29T11:00:00.000Z"}"#;
        let st = state(text);
        assert_eq!(st.conflicts.len(), 1, "equal lists and the writers' time marks are no conflict");
        let c = &st.conflicts[0];
        assert_eq!((c.first.value.as_str(), at(text, c.first.range)), ("currentStage", "\"currentStage\""));
        assert_eq!((c.later.value.as_str(), at(text, c.later.range)), ("current_stage", "\"current_stage\""));
        assert_eq!(st.current_stage.as_ref().map(|s| s.value.as_str()), Some("prd"), "the later one is read");
    }

    #[test]
    fn stage_start_and_waiting_marks() {
        // 2026-01-29T10:00:00Z = 1769680800.
        let t = |s: &str| secs(parse_rfc3339(s));
        let mtime = parse_rfc3339("2026-01-29T12:00:00Z");
        // `factory run`: no history; the earlier of `last_updated` and the file's mtime.
        let st = state(r#"{"status": "running", "current_stage": "prd", "last_updated": "2026-01-29T10:00:00.000Z"}"#);
        assert_eq!(secs(st.stage_started(mtime)), t("2026-01-29T10:00:00Z"));
        assert_eq!(secs(st.stage_started(parse_rfc3339("2026-01-29T09:00:00Z"))), t("2026-01-29T09:00:00Z"));
        let st = state(r#"{"status": "running", "current_stage": "prd", "last_updated": null}"#);
        assert_eq!(secs(st.stage_started(mtime)), t("2026-01-29T12:00:00Z"));
        assert_eq!(st.stage_started(None), None);
        // A retry: the first failed attempt's start; a re-run from the checkpoint: the marks.
        let st = state(
            r#"{"status": "running", "currentStage": "code", "updatedAt": "2026-01-29T11:00:00Z", "stageHistory": [
            {"stageId": "code", "status": "failed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:30:00Z"},
            {"stageId": "code", "status": "failed", "startTime": "2026-01-29T10:00:00Z", "endTime": "2026-01-29T10:30:00Z"}]}"#,
        );
        assert_eq!(secs(st.stage_started(mtime)), t("2026-01-29T09:00:00Z"));
        let st = state(
            r#"{"status": "running", "currentStage": "code", "updatedAt": "2026-01-29T11:00:00Z", "stageHistory": [
            {"stageId": "code", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:30:00Z"}]}"#,
        );
        assert_eq!(secs(st.stage_started(mtime)), t("2026-01-29T11:00:00Z"));
        // Waiting after the attempt ended: its start, and its end as the person's mark.
        let st = state(
            r#"{"status": "waiting_for_confirmation", "currentStage": "code", "updatedAt": "2026-01-29T11:00:00Z", "stageHistory": [
            {"stageId": "code", "status": "completed", "startTime": "2026-01-29T09:00:00Z", "endTime": "2026-01-29T09:30:00Z"}]}"#,
        );
        assert_eq!(secs(st.stage_started(mtime)), t("2026-01-29T09:00:00Z"));
        assert_eq!(secs(st.waiting_since(mtime)), t("2026-01-29T09:30:00Z"));
        // Without history: the later of the marks; an open attempt or a running run: none.
        let st = state(r#"{"status": "paused", "current_stage": "prd", "last_updated": "2026-01-29T10:00:00.000Z"}"#);
        assert_eq!(secs(st.waiting_since(mtime)), t("2026-01-29T12:00:00Z"));
        let st = state(
            r#"{"status": "paused", "currentStage": "code", "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2026-01-29T09:00:00Z"}]}"#,
        );
        assert_eq!(st.waiting_since(mtime), None);
        let st = state(r#"{"status": "running", "current_stage": "prd", "last_updated": "2026-01-29T10:00:00.000Z"}"#);
        assert_eq!(st.waiting_since(mtime), None);
    }

    #[test]
    fn a_broken_state_is_a_json_syntax_error() {
        for (text, at_text) in
            [("{\"status\": \"idle\",\n", ","), ("{status: idle}", "s"), ("{\"status\": \"idle\",}", "}")]
        {
            let l = load(".factory/state.json", text.into());
            assert!(l.model.is_none(), "{text}");
            let d = &l.diagnostics[..];
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0].code, Code::YamlSyntax);
            assert!(
                d[0].message.starts_with("JSON syntax error in `state.json`: ") && !d[0].message.contains("YAML"),
                "{}",
                d[0].message
            );
            assert_eq!(at(text, d[0].range), at_text, "{text}: {}", d[0].message);
        }
    }
}
