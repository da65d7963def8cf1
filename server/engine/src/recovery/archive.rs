//! Archive attempt: move a stage's outputs to `artifacts/_failed/<stage>/attempt-N/`.

use std::path::Path;

use super::error_log::Report;
use super::json::Json;
use super::paths::{canonical_root, check_inside, clean_rel, is_under, less_artifacts};
use super::plan::{refuse, ActionKind, Env, Plan, Refusal, Step};
use super::project::error_log_step;
use super::project::{criteria, load_pipeline, outputs, stage, StateDoc};
use super::time::rfc3339;
use crate::model::pipeline::Stage;

/// Never archived as part of an output: the archives themselves.
pub(crate) const KEEP_OUT: &[&str] = &["artifacts/_failed", "artifacts/_untrusted"];

pub fn plan_archive_attempt(env: &Env, stage_id: &str) -> Result<Plan, Refusal> {
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let (idx, st) = stage(&pipeline, stage_id)?;
    check_stage_name(stage_id)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let canon = canonical_root(&env.root.dir)?;
    let now = rfc3339(env.now);
    let completed = state.list("completedStages");
    if !state.reached(stage_id) {
        return refuse(format!(
            "the run never reached stage `{stage_id}` (it is not the current stage, not completed, not failed and has no history): there is no attempt to archive"
        ));
    }

    // Outputs of earlier completed stages stay whole: copied, never moved.
    let shared = earlier_outputs(&pipeline.stages[..idx], &completed)?;

    let base = format!("artifacts/_failed/{stage_id}");
    check_dir_chain(&canon, &base)?;
    let n = next_attempt(&canon.join(&base));
    let folder = format!("{base}/attempt-{n}");
    check_inside(&canon, &folder)?;

    let mut steps = vec![Step::CreateDir { path: folder.clone() }];
    let mut description = vec![format!("create {folder}/")];
    let mut missing = Vec::new();
    let mut planned: Vec<String> = Vec::new();
    let mut outs: Vec<(String, String)> = Vec::new();
    for o in outputs(st) {
        outs.push((clean_rel(&o)?, o));
    }
    outs.sort();
    for (rel, shown) in outs {
        if planned.iter().any(|p| is_under(&rel, p)) || KEEP_OUT.iter().any(|k| is_under(&rel, k)) {
            continue;
        }
        check_inside(&canon, &rel)?;
        if std::fs::symlink_metadata(canon.join(&rel)).is_err() {
            missing.push(shown);
            continue;
        }
        let dest = format!("{folder}/{}", less_artifacts(&rel));
        plan_tree(&canon, &rel, &dest, &shared, false, &mut steps, &mut description)?;
        planned.push(rel);
    }

    if planned.is_empty() {
        return refuse(format!(
            "none of the outputs of stage `{stage_id}` exists ({}): there is nothing to archive; `return-to-build` re-opens the stage",
            missing.join(", ")
        ));
    }

    // state.json: the run failed at this stage.
    state.set("status", Json::str("failed"));
    let mut failed = state.list("failedStages");
    if !failed.iter().any(|s| s == stage_id) {
        failed.push(stage_id.to_string());
    }
    state.set("failedStages", Json::Arr(failed.iter().map(|s| Json::str(s)).collect()));
    if completed.iter().any(|s| s == stage_id) {
        // A failed stage is no longer a completed one (nor a checkpoint).
        let kept: Vec<_> = completed.iter().filter(|s| *s != stage_id).collect();
        state.set("completedStages", Json::Arr(kept.iter().map(|s| Json::str(s)).collect()));
        if state.get("lastCheckpoint").and_then(Json::as_str) == Some(stage_id) {
            let prev = kept.iter().filter_map(|s| pipeline.stage_index(s).filter(|i| *i < idx).map(|i| (i, *s))).max();
            state.set("lastCheckpoint", prev.map_or(Json::Null, |(_, s)| Json::str(s)));
        }
    }
    let (status_k, end_k) = ("status", state.key("endTime"));
    let latest = state.latest_index(stage_id);
    let open = latest
        .and_then(|i| state.history().get(i).map(|h| h.get(status_k).and_then(Json::as_str) != Some("completed")));
    match (latest, open) {
        (Some(i), Some(true)) => {
            if let Some(h) = state.history_entry_mut(i) {
                h.set(status_k, Json::str("failed"));
                if h.get(end_k).is_none_or(|v| *v == Json::Null) {
                    h.set(end_k, Json::str(&now));
                }
            }
        }
        _ => {
            let attempts = state.attempts(stage_id).saturating_add(1);
            let entry = Json::Obj(vec![
                (state.key("stageId").into(), Json::str(stage_id)),
                ("status".into(), Json::str("failed")),
                (state.key("startTime").into(), Json::str(&now)),
                (end_k.into(), Json::str(&now)),
                ("attempts".into(), Json::Num(attempts.into())),
            ]);
            state.push_history(entry);
        }
    }
    state.touch(&now);
    steps.push(state.edit_step());
    description.push(format!(
        "edit {}: status failed, `{stage_id}` in the failed stages, its history entry closed",
        state.path
    ));

    let max = pipeline.max_attempts;
    let (error_type, error_message) = if !missing.is_empty() {
        let verb = if missing.len() == 1 { "does" } else { "do" };
        ("Missing Output".to_string(), format!("{} {verb} not exist", missing.join(", ")))
    } else {
        let err = latest.and_then(|i| {
            state.history().get(i).and_then(|h| h.get("error")).and_then(Json::as_str).map(str::to_string)
        });
        let msg = err
            .unwrap_or_else(|| format!("attempt {n} of stage {stage_id} was archived before it met its exit criteria"));
        ("Stage Failed".to_string(), msg)
    };
    let mut actions = vec![format!("Return to Build: re-open stage {stage_id} and fix on top of the archived attempt")];
    if n >= max {
        actions.push(format!("The retry limit is reached ({n}/{max}): a person decides before another attempt"));
    }
    let report = Report {
        timestamp: now,
        stage: stage_id.to_string(),
        attempt: n,
        max_attempts: max,
        status: "FAILED".into(),
        error_type,
        error_message,
        exit_criteria: criteria(st),
        moved_to: vec![format!("{folder}/")],
        actions,
    };
    let (step, line) = error_log_step(env, &mut reads, &report)?;
    steps.push(step);
    description.push(line);

    let title = format!("Archive attempt {n} of stage `{stage_id}` to {folder}/");
    Ok(Plan { kind: ActionKind::ArchiveAttempt, title, description, steps, reads })
}

/// A stage id becomes one path segment: refuse ids that would not.
pub(crate) fn check_stage_name(id: &str) -> Result<(), Refusal> {
    if id.is_empty() || id == "." || id == ".." || id.contains(['/', '\\', '\0']) {
        return refuse(format!("stage id `{id}` cannot name a folder"));
    }
    Ok(())
}

/// Refuses when a part of `rel` exists but is not a directory (nothing could go there).
pub(crate) fn check_dir_chain(canon: &Path, rel: &str) -> Result<(), Refusal> {
    let mut at = String::new();
    for part in rel.split('/') {
        if !at.is_empty() {
            at.push('/');
        }
        at.push_str(part);
        match std::fs::metadata(canon.join(&at)) {
            Ok(m) if !m.is_dir() => {
                return refuse(format!("{at} exists and is not a directory; nothing can be placed under it"))
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    check_inside(canon, rel)
}

/// One above the highest `attempt-K` folder in `dir` (1 when there is none).
pub(crate) fn next_attempt(dir: &Path) -> u32 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 1 };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name().to_str().and_then(|n| n.strip_prefix("attempt-")).and_then(|k| k.parse::<u32>().ok())
        })
        .max()
        .map_or(1, |k| k.saturating_add(1))
}

/// Moves `rel` to `dest` whole, unless it is (copy) or holds (recurse) a path to
/// keep in place; with `copy`, copies it whole (the original stays for the next
/// attempt). The archives inside it are left out either way.
pub(crate) fn plan_tree(
    canon: &Path,
    rel: &str,
    dest: &str,
    shared: &[(String, String)],
    copy: bool,
    steps: &mut Vec<Step>,
    description: &mut Vec<String>,
) -> Result<(), Refusal> {
    if KEEP_OUT.iter().any(|k| is_under(rel, k)) {
        return Ok(());
    }
    if let Some((_, owner)) = shared.iter().find(|(s, _)| is_under(rel, s)).filter(|_| !copy) {
        steps.push(Step::Copy { from: rel.into(), to: dest.into() });
        description.push(format!("copy {rel} to {dest} (an output of completed stage `{owner}`: it stays in place)"));
        return Ok(());
    }
    let abs = canon.join(rel);
    let is_dir = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir());
    let holds = |s: &str| is_under(s, rel) && s.trim_end_matches('/') != rel;
    if is_dir && ((!copy && shared.iter().any(|(s, _)| holds(s))) || KEEP_OUT.iter().any(|k| holds(k))) {
        let mut names: Vec<String> = match std::fs::read_dir(&abs) {
            Ok(entries) => entries.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect(),
            Err(e) => return refuse(format!("cannot read {rel}/: {e}")),
        };
        names.sort();
        for name in names {
            plan_tree(canon, &format!("{rel}/{name}"), &format!("{dest}/{name}"), shared, copy, steps, description)?;
        }
        return Ok(());
    }
    let slash = if is_dir { "/" } else { "" };
    if copy {
        steps.push(Step::Copy { from: rel.into(), to: dest.into() });
        description.push(format!("copy {rel}{slash} to {dest} (the original stays for the next attempt)"));
    } else {
        steps.push(Step::Move { from: rel.into(), to: dest.into() });
        description.push(format!("move {rel}{slash} to {dest}"));
    }
    Ok(())
}

/// (path, owner) of every output of the completed stages among `earlier`: they stay in place.
pub(crate) fn earlier_outputs(earlier: &[Stage], completed: &[String]) -> Result<Vec<(String, String)>, Refusal> {
    let mut shared = Vec::new();
    for s in earlier {
        if let Some(id) = s.id.as_ref().filter(|i| completed.contains(&i.value)) {
            for o in outputs(s) {
                shared.push((clean_rel(&o)?, id.value.clone()));
            }
        }
    }
    Ok(shared)
}

/// `artifacts/_failed/<stage>/attempt-<wanted>` when that is free, else the next free number.
pub(crate) fn attempt_folder(canon: &Path, stage: &str, wanted: u32) -> Result<String, Refusal> {
    let base = format!("artifacts/_failed/{stage}");
    check_dir_chain(canon, &base)?;
    let free = |n: u32| std::fs::symlink_metadata(canon.join(format!("{base}/attempt-{n}"))).is_err();
    let n = if wanted > 0 && free(wanted) { wanted } else { next_attempt(&canon.join(&base)) };
    let folder = format!("{base}/attempt-{n}");
    check_inside(canon, &folder)?;
    Ok(folder)
}

/// Plans copying (or moving) the stage's existing outputs into its attempt
/// folder; `skip`: paths that leave by another step (nothing under them is
/// planned). Returns the folder (None when nothing exists) and the paths planned.
#[allow(clippy::too_many_arguments)]
pub(crate) fn archive_attempt(
    canon: &Path,
    st: &Stage,
    stage_id: &str,
    wanted: u32,
    copy: bool,
    shared: &[(String, String)],
    skip: &[&str],
    steps: &mut Vec<Step>,
    description: &mut Vec<String>,
) -> Result<(Option<String>, Vec<String>), Refusal> {
    let mut outs = Vec::new();
    for o in outputs(st) {
        let rel = clean_rel(&o)?;
        check_inside(canon, &rel)?;
        if std::fs::symlink_metadata(canon.join(&rel)).is_ok() && !skip.iter().any(|s| is_under(&rel, s)) {
            outs.push(rel);
        }
    }
    outs.sort();
    outs.dedup();
    let mut planned: Vec<String> = Vec::new();
    outs.retain(|rel| {
        let keep = !planned.iter().any(|p| is_under(rel, p)) && !KEEP_OUT.iter().any(|k| is_under(rel, k));
        if keep {
            planned.push(rel.clone());
        }
        keep
    });
    if outs.is_empty() {
        return Ok((None, outs));
    }
    let folder = attempt_folder(canon, stage_id, wanted)?;
    steps.push(Step::CreateDir { path: folder.clone() });
    description.push(format!("create {folder}/"));
    for rel in &outs {
        let dest = format!("{folder}/{}", less_artifacts(rel));
        plan_tree(canon, rel, &dest, shared, copy, steps, description)?;
    }
    Ok((Some(folder), outs))
}
