//! The stages of the run in pipeline order, each with its state, attempts,
//! blockers, archived attempts (`artifacts/_failed/<stage>/attempt-N/`) and
//! quarantined files (`artifacts/_untrusted/<stage>/`): what the pictures draw.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::analysis::Snapshot;
use crate::recovery::paths::is_under;

pub const FAILED_DIR: &str = "artifacts/_failed";
pub const UNTRUSTED_DIR: &str = "artifacts/_untrusted";
/// Files listed per archived attempt or quarantine folder; the rest is counted.
pub const MAX_FILES: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Done,
    Current,
    Failed,
    NotReached,
}

impl StageState {
    pub fn as_str(self) -> &'static str {
        match self {
            StageState::Done => "done",
            StageState::Current => "current",
            StageState::Failed => "failed",
            StageState::NotReached => "not_reached",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageView {
    pub id: String,
    pub state: StageState,
    /// False for a stage the run state names but the pipeline lacks.
    pub in_pipeline: bool,
    /// The attempts it took, or the one it is on, counted from the run's history
    /// ([`crate::model::state::Attempts::taken`]).
    pub attempts: Option<u32>,
    /// Indices into the report's `blockers`.
    pub blockers: Vec<usize>,
    pub archived: Vec<Archived>,
    /// `artifacts/_untrusted/<stage>/`, when it exists.
    pub quarantined: Option<Folder>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Archived {
    pub attempt: u32,
    /// `artifacts/_failed/<stage>/attempt-N/` and its files.
    #[serde(flatten)]
    pub folder: Folder,
}

/// A folder and the files under it, sorted, at most `MAX_FILES` of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Folder {
    pub path: String,
    pub files: Vec<FileView>,
    /// How many more files there are beyond those listed.
    pub more: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileView {
    pub path: String,
    /// Where the file lives outside the archive or quarantine (what it is compared with).
    pub current: String,
}

/// The stages in pipeline order, then those only the run state names, then those
/// only an archive or quarantine folder names (a stage since removed, say).
pub fn stages(snapshot: &Snapshot, blocker_stages: &[Option<String>]) -> Vec<StageView> {
    use std::collections::{HashMap, HashSet};
    let root = &snapshot.root.dir;
    let state = snapshot.state();
    let pipeline = snapshot.pipeline();
    let current = state.and_then(|s| s.current_stage.as_ref()).map(|s| s.value.as_str());
    let mut ids: Vec<(String, bool)> =
        pipeline.map(|p| p.stage_ids().map(|i| (i.to_string(), true)).collect()).unwrap_or_default();
    let mut seen: HashSet<String> = ids.iter().map(|(i, _)| i.clone()).collect();
    let mut archived = attempts_on_disk(root);
    let mut untrusted = quarantined_on_disk(root);
    let named_by_state: Vec<&str> = state
        .map(|st| {
            current
                .into_iter()
                .chain(st.completed_stages.iter().map(|s| s.value.as_str()))
                .chain(st.failed_stages.iter().map(|s| s.value.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let on_disk: Vec<String> = archived.keys().chain(untrusted.keys()).cloned().collect();
    for id in named_by_state.into_iter().map(str::to_string).chain(on_disk) {
        if seen.insert(id.clone()) {
            ids.push((id, false));
        }
    }
    // Looked up once: 5,000 stages must not mean 5,000 scans of each list.
    let failed: HashSet<&str> =
        state.map(|s| s.failed_stages.iter().map(|f| f.value.as_str()).collect()).unwrap_or_default();
    let completed: HashSet<&str> =
        state.map(|s| s.completed_stages.iter().map(|f| f.value.as_str()).collect()).unwrap_or_default();
    let max_attempts = snapshot.pipeline().map_or(crate::model::pipeline::DEFAULT_MAX_ATTEMPTS, |p| p.max_attempts);
    let attempts = state.map(|s| s.attempts_by_stage()).unwrap_or_default();
    let outputs_of: HashMap<&str, Vec<String>> = pipeline
        .map(|p| {
            p.stages
                .iter()
                .filter_map(|s| {
                    let id = s.id.as_ref()?.value.as_str();
                    Some((id, s.outputs.iter().map(|o| o.value.trim().to_string()).collect()))
                })
                .collect()
        })
        .unwrap_or_default();
    // Blockers by stage: the stage a finding names, else the current one.
    let mut by_stage: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in blocker_stages.iter().enumerate() {
        if let Some(id) = s.as_deref().or(current) {
            by_stage.entry(id).or_default().push(i);
        }
    }
    ids.into_iter()
        .map(|(id, in_pipeline)| {
            let key = id.as_str();
            let stage_state = if failed.contains(key) {
                StageState::Failed
            } else if current == Some(key) {
                StageState::Current
            } else if completed.contains(key) {
                StageState::Done
            } else {
                StageState::NotReached
            };
            let outputs = outputs_of.get(key).map(Vec::as_slice).unwrap_or_default();
            let mut attempts_of = archived.remove(key).unwrap_or_default();
            for a in &mut attempts_of {
                list_files(root, &mut a.folder, |rest| counterpart(rest, outputs, |p| root.join(p).exists()));
            }
            let quarantined = untrusted.remove(key).map(|path| {
                let mut folder = Folder { path, ..Folder::default() };
                list_files(root, &mut folder, |rest| counterpart(rest, outputs, |p| root.join(p).exists()));
                folder
            });
            StageView {
                // Counted from the history as `status` counts (a new session's restarted
                // count included), not read from the latest entry.
                attempts: state.and_then(|st| match attempts.get(key) {
                    Some(a) => a.taken(max_attempts),
                    None => st.no_attempts(key).taken(max_attempts),
                }),
                blockers: by_stage.remove(key).unwrap_or_default(),
                state: stage_state,
                in_pipeline,
                archived: attempts_of,
                quarantined,
                id,
            }
        })
        .collect()
}

/// `backend/src/a.ts` (inside an archive) -> `artifacts/backend/src/a.ts` where it was
/// written: archives and quarantine drop a leading `artifacts/`, so a path is read back
/// by the stage's outputs, else by which of the two exists, else under `artifacts/`.
fn counterpart(rest: &str, outputs: &[String], exists: impl Fn(&str) -> bool) -> String {
    let with = format!("artifacts/{rest}");
    let under = |p: &str| outputs.iter().any(|o| is_under(p, o));
    if under(&with) {
        return with;
    }
    if under(rest) || (!exists(&with) && exists(rest)) {
        return rest.to_string();
    }
    with
}

fn is_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// Folder names under `dir` (no symlinks), sorted.
fn subdirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// `artifacts/_failed/<stage>/attempt-N/` by stage, attempts in order.
fn attempts_on_disk(root: &Path) -> BTreeMap<String, Vec<Archived>> {
    let mut by_stage = BTreeMap::new();
    let base = root.join(FAILED_DIR);
    if !is_dir(&base) {
        return by_stage;
    }
    for stage in subdirs(&base) {
        let mut list: Vec<Archived> = subdirs(&base.join(&stage))
            .into_iter()
            .filter_map(|name| {
                let n = name.strip_prefix("attempt-")?.parse::<u32>().ok()?;
                let path = format!("{FAILED_DIR}/{stage}/{name}/");
                Some(Archived { attempt: n, folder: Folder { path, ..Folder::default() } })
            })
            .collect();
        list.sort_by_key(|a| a.attempt);
        if !list.is_empty() {
            by_stage.insert(stage, list);
        }
    }
    by_stage
}

/// `artifacts/_untrusted/<stage>/` by stage.
fn quarantined_on_disk(root: &Path) -> BTreeMap<String, String> {
    let base = root.join(UNTRUSTED_DIR);
    if !is_dir(&base) {
        return BTreeMap::new();
    }
    subdirs(&base).into_iter().map(|s| (s.clone(), format!("{UNTRUSTED_DIR}/{s}/"))).collect()
}

/// Fills in the regular files under the root-relative folder `out.path` (ending in `/`),
/// depth first in name order; symlinks are neither listed nor followed.
fn list_files(root: &Path, out: &mut Folder, current: impl Fn(&str) -> String) {
    let dir = out.path.clone();
    let mut stack = vec![dir.trim_end_matches('/').to_string()];
    let mut found: Vec<String> = Vec::new();
    while let Some(rel) = stack.pop() {
        let mut entries: Vec<(String, bool)> = std::fs::read_dir(root.join(&rel))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let t = e.file_type().ok()?;
                let name = e.file_name().into_string().ok()?;
                (t.is_dir() || t.is_file()).then(|| (format!("{rel}/{name}"), t.is_dir()))
            })
            .collect();
        entries.sort();
        for (path, dir) in entries.into_iter().rev() {
            if dir {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    let prefix = dir.as_str();
    for path in found {
        if out.files.len() == MAX_FILES {
            out.more += 1;
            continue;
        }
        let rest = path.strip_prefix(prefix).unwrap_or(&path).to_string();
        out.files.push(FileView { current: current(&rest), path });
    }
}

#[cfg(test)]
mod tests {
    use super::counterpart;

    #[test]
    fn an_archived_file_is_compared_with_where_its_stage_wrote_it() {
        let outputs = ["artifacts/backend/".to_string(), "input/idea.md".to_string()];
        let none = |_: &str| false;
        assert_eq!(counterpart("backend/src/a.ts", &outputs, none), "artifacts/backend/src/a.ts");
        // An output outside `artifacts/` kept its own path in the archive.
        assert_eq!(counterpart("input/idea.md", &outputs, none), "input/idea.md");
        // A quarantined file was never an output: where it exists now, else under `artifacts/`.
        assert_eq!(counterpart("prd/sneaky.md", &outputs, none), "artifacts/prd/sneaky.md");
        assert_eq!(counterpart("docs/x.md", &[], |p| p == "docs/x.md"), "docs/x.md");
        assert_eq!(counterpart("docs/x.md", &[], |_| true), "artifacts/docs/x.md");
    }
}
