//! `tollgate recover resume`: a paused run goes on in the same attempt (SPEC 9).
//! Refused, with the list, while a blocker a person must clear is in place.

use super::exit::blocks_exit;
use crate::diagnostic::Finding;
use crate::recovery::json::Json;
use crate::recovery::plan::{refuse, ActionKind, Env, Plan, Refusal};
use crate::recovery::project::{load_pipeline, stage, StateDoc};
use crate::recovery::time::rfc3339;

/// `findings`: the run's findings now (the exit's blockers among them refuse).
pub fn plan_resume(env: &Env, findings: &[Finding]) -> Result<Plan, Refusal> {
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let status = state.get("status").and_then(Json::as_str).unwrap_or("unset").to_string();
    if status != "paused" {
        return refuse(format!("the run is `{status}`, not `paused`: there is nothing to resume"));
    }
    let Some(current) = state.current_stage() else {
        return refuse("the paused run has no current stage: there is no stage to resume");
    };
    stage(&pipeline, &current)?;
    let person: Vec<String> = findings
        .iter()
        .filter(|f| blocks_exit(f, &current))
        .map(|f| format!("{} {}: {}", f.diagnostic.code.as_str(), f.path, f.diagnostic.message))
        .collect();
    if !person.is_empty() {
        return refuse(format!(
            "a person must clear {} first:\n  - {}",
            if person.len() == 1 { "this blocker" } else { "these blockers" },
            person.join("\n  - ")
        ));
    }
    let now = rfc3339(env.now);
    let mut what = vec!["status running".to_string()];
    // A paused attempt that the gate closed is re-opened: no attempt is spent.
    if let Some(i) = state.latest_index(&current) {
        let closed = state.history().get(i).and_then(|h| h.get("status")).and_then(Json::as_str) != Some("running");
        if closed {
            let end = state.key("endTime");
            if let Some(Json::Obj(h)) = state.history_entry_mut(i) {
                h.retain(|(k, _)| k != end);
                if let Some((_, v)) = h.iter_mut().find(|(k, _)| k == "status") {
                    *v = Json::str("running");
                }
            }
            what.push("its latest attempt re-opens".into());
        }
    }
    let failed = state.list("failedStages");
    if failed.contains(&current) {
        state.set("failedStages", Json::Arr(failed.iter().filter(|s| **s != current).map(|s| Json::str(s)).collect()));
        what.push(format!("`{current}` leaves the failed stages"));
    }
    state.set("status", Json::str("running"));
    state.touch(&now);
    let attempt = super::attempts::current_attempt(&state, &current, pipeline.max_attempts).max(1);
    let title =
        format!("Resume stage `{current}` in attempt {attempt} of {} (no attempt spent)", pipeline.max_attempts);
    let description = vec![format!("edit {}: {}", state.path, what.join(", "))];
    Ok(Plan { kind: ActionKind::Resume, title, description, steps: vec![state.edit_step()], reads })
}
