//! Return to Build: re-open a stage for another attempt on top of what exists.

use super::json::Json;
use super::plan::{refuse, ActionKind, Env, Plan, Refusal};
use super::project::{load_pipeline, stage, StateDoc};
use super::time::rfc3339;

pub fn plan_return_to_build(env: &Env, stage_id: &str) -> Result<Plan, Refusal> {
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let (idx, _) = stage(&pipeline, stage_id)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let now = rfc3339(env.now);

    let current = state.current_stage();
    let (completed, failed) = (state.list("completedStages"), state.list("failedStages"));
    let reached = completed.iter().chain(&failed).any(|s| s == stage_id)
        || state.latest_index(stage_id).is_some()
        || current.as_deref().and_then(|c| pipeline.stage_index(c)).is_some_and(|c| idx <= c);
    if !reached {
        let at = current.map(|c| format!(" (the run is at `{c}`)")).unwrap_or_default();
        return refuse(format!("stage `{stage_id}` has not been reached yet{at}; there is nothing to return to"));
    }

    // The stage and every later one leave the completed and failed lists.
    let later = |s: &String| pipeline.stage_index(s).is_some_and(|i| i >= idx);
    let kept: Vec<String> = completed.iter().filter(|s| !later(s)).cloned().collect();
    let mut removed: Vec<String> = Vec::new();
    for s in completed.iter().chain(&failed).filter(|s| later(s)) {
        if !removed.contains(s) {
            removed.push(s.clone());
        }
    }
    let checkpoint = kept
        .iter()
        .filter_map(|s| pipeline.stage_index(s).map(|i| (i, s)))
        .filter(|(i, _)| *i < idx)
        .max_by_key(|(i, _)| *i)
        .map(|(_, s)| s.clone());
    let attempt = state.attempts(stage_id).saturating_add(1);

    state.set("status", Json::str("running"));
    state.set("currentStage", Json::str(stage_id));
    state.set("completedStages", Json::Arr(kept.iter().map(|s| Json::str(s)).collect()));
    if state.get("failedStages").is_some() {
        let f = failed.iter().filter(|s| !later(s)).map(|s| Json::str(s)).collect();
        state.set("failedStages", Json::Arr(f));
    }
    state.set("lastCheckpoint", checkpoint.as_deref().map_or(Json::Null, Json::str));
    state.open_entry(stage_id, &now, attempt);
    state.touch(&now);

    let max = pipeline.max_attempts;
    let title = if attempt > max {
        format!("Return to Build: re-open stage `{stage_id}` (a person overrides the retry limit: attempt {attempt} of {max})")
    } else {
        format!("Return to Build: re-open stage `{stage_id}` (attempt {attempt} of {max})")
    };
    let mut description = vec![format!(
        "edit {}: status running, current stage `{stage_id}`, last checkpoint {}",
        state.path,
        checkpoint.as_deref().map_or("null".to_string(), |c| format!("`{c}`"))
    )];
    if !removed.is_empty() {
        description.push(format!("  {} leave the completed and failed stages", removed.join(", ")));
    }
    description.push(format!("  a new history entry opens: attempt {attempt}, started {now}"));
    Ok(Plan { kind: ActionKind::ReturnToBuild, title, description, steps: vec![state.edit_step()], reads })
}
