//! Quarantine: move an unauthorized write to `artifacts/_untrusted/<stage>/` and pause the run.

use std::path::Path;

use super::archive::{check_dir_chain, check_stage_name};
use super::error_log::Report;
use super::json::Json;
use super::paths::{canonical_root, check_inside, clean_rel, less_artifacts};
use super::plan::{refuse, ActionKind, Env, Plan, Refusal, Step};
use super::project::{error_log_step, load_pipeline, stage, write_set, StateDoc};
use super::time::rfc3339;

/// `stage` None: the run's current stage.
pub fn plan_quarantine(env: &Env, path: &str, stage_id: Option<&str>) -> Result<Plan, Refusal> {
    let rel = clean_rel(path)?;
    if crate::root::is_governance(&rel) {
        return refuse(governance(&rel));
    }
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let stage_id = match stage_id {
        Some(s) => s.to_string(),
        None => match state.current_stage() {
            Some(s) => s,
            None => return refuse("the run has no current stage; name the stage whose write this was"),
        },
    };
    stage(&pipeline, &stage_id)?;
    check_stage_name(&stage_id)?;
    if let Some(rule) = write_set(env, &mut reads, &stage_id)?.as_ref().and_then(|w| w.rule_for(&rel).map(|r| (w, r))) {
        let (set, rule) = rule;
        return refuse(format!(
            "stage `{stage_id}` may write {rel} ({} has `{}`, {}): it is not an unauthorized write, so there is nothing to quarantine",
            set.rule_name(),
            rule.text,
            set.file
        ));
    }
    let canon = canonical_root(&env.root.dir)?;
    let dest = destination(&canon, &rel, &stage_id)?;
    let now = rfc3339(env.now);

    state.set("status", Json::str("paused"));
    state.touch(&now);
    let max = pipeline.max_attempts;
    let report = Report {
        timestamp: now,
        stage: stage_id.clone(),
        attempt: state.attempts(&stage_id).max(1),
        max_attempts: max,
        status: "PAUSED".into(),
        error_type: "Unauthorized Write".into(),
        error_message: format!("{rel} was written outside the write permissions of stage {stage_id}"),
        exit_criteria: Vec::new(),
        moved_to: vec![format!("{rel} -> {dest}")],
        actions: vec![
            format!("A person decides: keep {rel} out, grant stage {stage_id} write access, or change the agent's instructions"),
            format!("Then resume stage {stage_id}"),
        ],
    };
    let mut steps = vec![Step::Move { from: rel.clone(), to: dest.clone() }, state.edit_step()];
    let mut description = vec![format!("move {rel} to {dest}"), format!("edit {}: status paused", state.path)];
    let (step, line) = error_log_step(env, &mut reads, &report)?;
    steps.push(step);
    description.push(line);
    let title = format!("Quarantine {rel} to {dest}");
    Ok(Plan { kind: ActionKind::Quarantine, title, description, steps, reads })
}

fn governance(rel: &str) -> String {
    format!("{rel} is a governance file (it defines the rules); it is never quarantined")
}

/// Where `rel`, a file stage `stage_id` wrote outside its box, is moved:
/// `artifacts/_untrusted/<stage>/<path>`, under a free name. Refused for a
/// governance file, a directory, a missing file, or a place outside the root.
pub(crate) fn destination(canon: &Path, rel: &str, stage_id: &str) -> Result<String, Refusal> {
    if crate::root::is_governance(rel) {
        return refuse(governance(rel));
    }
    check_inside(canon, rel)?;
    match std::fs::symlink_metadata(canon.join(rel)) {
        Ok(m) if m.is_dir() => return refuse(format!("{rel} is a directory; quarantine moves one file at a time")),
        Ok(_) => {}
        Err(_) => return refuse(format!("{rel} does not exist")),
    }
    let wanted = format!("artifacts/_untrusted/{stage_id}/{}", less_artifacts(rel));
    let parent = wanted.rsplit_once('/').map_or("", |(d, _)| d);
    check_dir_chain(canon, parent)?;
    let dest = free_name(canon, &wanted);
    check_inside(canon, &dest)?;
    Ok(dest)
}

/// `wanted`, or `name.2.ext`, `name.3.ext`, ... : the first that does not exist.
fn free_name(canon: &Path, wanted: &str) -> String {
    let exists = |p: &str| std::fs::symlink_metadata(canon.join(p)).is_ok();
    if !exists(wanted) {
        return wanted.to_string();
    }
    let (dir, file) = wanted.rsplit_once('/').map_or(("", wanted), |(d, f)| (d, f));
    let (stem, ext) = match file.rfind('.') {
        Some(i) if i > 0 => (&file[..i], &file[i..]),
        _ => (file, ""),
    };
    let mut k = 2u64;
    loop {
        let candidate = format!("{dir}/{stem}.{k}{ext}");
        if !exists(&candidate) {
            return candidate;
        }
        k += 1;
    }
}
