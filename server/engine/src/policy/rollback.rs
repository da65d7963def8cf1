//! `tollgate recover rollback [--to ID]`: re-execute from a checkpoint (SPEC 9).
//! The outputs of that stage and of every later stage the run reached are moved
//! to `_failed/<stage>/attempt-N/` (never deleted); earlier completed stages stay
//! whole (a shared file is copied, as archive does).

use super::attempts::current_attempt;
use crate::model::pipeline::Pipeline;
use crate::recovery::archive::{archive_attempt, check_stage_name, earlier_outputs};
use crate::recovery::error_log::Report;
use crate::recovery::json::Json;
use crate::recovery::paths::canonical_root;
use crate::recovery::plan::{refuse, ActionKind, Env, Plan, Refusal, Step};
use crate::recovery::project::{error_log_step, load_pipeline, stage, StateDoc};
use crate::recovery::time::rfc3339;

pub(super) enum Target<'a> {
    /// `lastCheckpoint`.
    Checkpoint,
    Stage(&'a str),
}

/// What a rollback planned.
pub(super) struct RolledBack {
    pub target: String,
    /// (stage, attempt folder) for each stage whose outputs move.
    pub folders: Vec<(String, String)>,
    /// The Recommended Action lines.
    pub actions: Vec<String>,
    pub attempt: u32,
}

pub fn plan_rollback(env: &Env, to: Option<&str>) -> Result<Plan, Refusal> {
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let now = rfc3339(env.now);
    let from = state.current_stage();
    let mut steps = Vec::new();
    let mut description = Vec::new();
    let target = to.map_or(Target::Checkpoint, Target::Stage);
    let done = roll_back(env, &pipeline, &mut state, target, &now, &mut steps, &mut description)?;
    let at = from.unwrap_or_else(|| done.target.clone());
    let stages: Vec<String> = done.folders.iter().map(|(s, _)| format!("`{s}`")).collect();
    let message = if stages.is_empty() {
        format!("the run returns to checkpoint `{}`; no output of it or of a later stage exists", done.target)
    } else {
        format!("the run returns to `{}`; the outputs of {} are archived", done.target, stages.join(", "))
    };
    let report = Report {
        timestamp: now,
        stage: at.clone(),
        attempt: current_attempt(&state, &at, pipeline.max_attempts).max(1),
        max_attempts: pipeline.max_attempts,
        status: "ROLLED BACK".into(),
        error_type: "Rolled Back".into(),
        error_message: message,
        exit_criteria: Vec::new(),
        moved_to: done.folders.iter().map(|(_, f)| format!("{f}/")).collect(),
        actions: done.actions.clone(),
    };
    let (step, line) = error_log_step(env, &mut reads, &report)?;
    steps.push(step);
    description.push(line);
    let title = format!(
        "Roll back to `{}`: archive the outputs of {}, re-execute from there (attempt {} of {})",
        done.target,
        if stages.is_empty() { "no stage (none exist)".to_string() } else { stages.join(", ") },
        done.attempt,
        pipeline.max_attempts
    );
    Ok(Plan { kind: ActionKind::Rollback, title, description, steps, reads })
}

/// Plans the moves and resets `state` (not yet written: the caller adds the
/// edit step, so the gate can roll back within its own plan).
pub(super) fn roll_back(
    env: &Env,
    pipeline: &Pipeline,
    state: &mut StateDoc,
    target: Target,
    now: &str,
    steps: &mut Vec<Step>,
    description: &mut Vec<String>,
) -> Result<RolledBack, Refusal> {
    let target = match target {
        Target::Stage(s) => s.to_string(),
        Target::Checkpoint => match state.get("lastCheckpoint").and_then(Json::as_str) {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => {
                return refuse(format!(
                    "{} records no checkpoint (lastCheckpoint is empty): there is nothing to roll back to; name a stage with --to",
                    state.path
                ))
            }
        },
    };
    let (ti, _) = stage(pipeline, &target)?;
    check_stage_name(&target)?;
    let current = state.current_stage();
    let ci = current.as_deref().and_then(|c| pipeline.stage_index(c));
    if let (Some(c), Some(ci)) = (&current, ci) {
        if ti > ci {
            return refuse(format!(
                "stage `{target}` comes after the current stage `{c}`: a rollback returns to an earlier point, it never skips ahead"
            ));
        }
    }
    let completed = state.list("completedStages");
    let failed = state.list("failedStages");
    // The stages the run reached from the target on: their outputs are theirs.
    let recorded = completed.iter().chain(&failed).filter_map(|s| pipeline.stage_index(s));
    let in_history: Vec<usize> = {
        let k = state.key("stageId");
        state
            .history()
            .iter()
            .filter_map(|h| h.get(k).and_then(Json::as_str))
            .filter_map(|s| pipeline.stage_index(s))
            .collect()
    };
    let hi = recorded.chain(in_history).chain(ci).chain([ti]).max().unwrap_or(ti);

    let canon = canonical_root(&env.root.dir)?;
    let shared = earlier_outputs(&pipeline.stages[..ti], &completed)?;
    let mut moved: Vec<String> = Vec::new();
    let mut folders = Vec::new();
    for st in &pipeline.stages[ti..=hi] {
        let Some(id) = st.id.as_ref().map(|i| i.value.clone()) else { continue };
        check_stage_name(&id)?;
        let skip: Vec<&str> = moved.iter().map(String::as_str).collect();
        let (folder, outs) = archive_attempt(&canon, st, &id, 0, false, &shared, &skip, steps, description)?;
        if let Some(f) = folder {
            folders.push((id, f));
        }
        moved.extend(outs);
    }

    let before = |s: &String| pipeline.stage_index(s).is_some_and(|i| i < ti);
    let kept: Vec<String> = completed.iter().filter(|s| before(s)).cloned().collect();
    let checkpoint = kept.iter().filter_map(|s| pipeline.stage_index(s).map(|i| (i, s))).max().map(|(_, s)| s.clone());
    // The current stage's open attempt ends here.
    if let Some(c) = &current {
        if let Some(i) = state.latest_index(c) {
            let open = state.history().get(i).and_then(|h| h.get("status")).and_then(Json::as_str) == Some("running");
            if open {
                state.close_entry(i, "failed", now, Some(&format!("rolled back to `{target}`")));
            }
        }
    }
    let attempt = current_attempt(state, &target, pipeline.max_attempts) + 1;
    state.set("status", Json::str("running"));
    state.set("currentStage", Json::str(&target));
    state.set("completedStages", Json::Arr(kept.iter().map(|s| Json::str(s)).collect()));
    if state.get("failedStages").is_some() {
        state.set("failedStages", Json::Arr(failed.iter().filter(|s| before(s)).map(|s| Json::str(s)).collect()));
    }
    state.set("lastCheckpoint", checkpoint.as_deref().map_or(Json::Null, Json::str));
    state.open_entry(&target, now, attempt);
    state.touch(now);
    steps.push(state.edit_step());
    description.push(format!(
        "edit {}: status running, current stage `{target}`, completed stages before it only, last checkpoint {}, attempt {attempt} opens",
        state.path,
        checkpoint.as_deref().map_or("null".to_string(), |c| format!("`{c}`"))
    ));
    let mut actions =
        vec![format!("Re-execute from stage {target}: attempt {attempt} of {} is open", pipeline.max_attempts)];
    for (s, f) in &folders {
        actions.push(format!("The outputs of stage {s} are kept in {f}/ for comparison"));
    }
    Ok(RolledBack { target, folders, actions, attempt })
}
