//! `tollgate gate`: the stage's exit gate and the failure policy (SPEC 9).
//!
//! Pass records the factory's checkpoint. Fail quarantines the unauthorized
//! writes, then by `max_attempts` and `on_failure.action`: retry (copy the
//! attempt to `_failed/<stage>/attempt-N/`, open attempt N+1 on top of the
//! artifacts), pause (move the attempt there, wait for a person) or roll back.

use super::attempts::current_attempt;
use super::exit::{self, ExitCheck, Missing};
use super::rollback::{roll_back, Target};
use crate::diagnostic::{Code, Finding};
use crate::recovery::archive::{archive_attempt, check_stage_name, earlier_outputs};
use crate::recovery::error_log::Report;
use crate::recovery::json::Json;
use crate::recovery::paths::{canonical_root, clean_rel};
use crate::recovery::plan::{refuse, ActionKind, Env, Plan, Refusal, Step};
use crate::recovery::project::{criteria, error_log_step, load_pipeline, outputs, stage, StateDoc};
use crate::recovery::time::rfc3339;

/// What the gate decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The exit is clear: the checkpoint is recorded.
    Pass,
    /// Attempt N is copied aside and N+1 opens on top of the artifacts.
    Retry,
    /// Attempt N is moved aside; the run waits for a person.
    Pause,
    /// The stage's `on_failure.action` is `rollback`: back to the latest checkpoint.
    Rollback,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Retry => "retry",
            Outcome::Pause => "pause",
            Outcome::Rollback => "rollback",
        }
    }
}

/// The gate's decision and the plan that carries it out.
#[derive(Clone, Debug)]
pub struct Gate {
    pub stage: String,
    /// The attempt that was checked.
    pub attempt: u32,
    pub max_attempts: u32,
    pub outcome: Outcome,
    pub exit: ExitCheck,
    /// Unauthorized writes and where they go (`artifacts/_untrusted/<stage>/...`).
    pub quarantined: Vec<(String, String)>,
    /// Where the attempt is copied or moved (None: nothing of it exists).
    pub archive: Option<String>,
    /// The stage after this one (on a pass), or the stage re-executed (on a rollback).
    pub next_stage: Option<String>,
    /// What comes next, as the ERROR REPORT's Recommended Action says it (empty on a pass).
    pub actions: Vec<String>,
    pub plan: Plan,
}

/// Plans the gate of `stage_id` (default: the current stage, which must be running).
/// `findings` are the run's findings as `tollgate check` reports them now.
pub fn plan_gate(env: &Env, stage_id: Option<&str>, findings: &[Finding]) -> Result<Gate, Refusal> {
    let mut reads = Vec::new();
    let pipeline = load_pipeline(env, &mut reads)?;
    let mut state = StateDoc::load(env, &mut reads)?;
    let current = state.current_stage();
    let stage_id = match (stage_id, &current) {
        (Some(s), _) => s.to_string(),
        (None, Some(c)) => c.clone(),
        (None, None) => return refuse("the run has no current stage: there is no stage to gate"),
    };
    let (idx, st) = stage(&pipeline, &stage_id)?;
    check_stage_name(&stage_id)?;
    if current.as_deref() != Some(stage_id.as_str()) {
        let at = current.map_or("the run has no current stage".to_string(), |c| format!("the run is at `{c}`"));
        return refuse(format!(
            "stage `{stage_id}` is not the current stage ({at}); the gate checks the running stage"
        ));
    }
    let status = state.get("status").and_then(Json::as_str).unwrap_or("unset").to_string();
    if status != "running" {
        return refuse(format!(
            "the run is `{status}`, not `running`: the gate checks a stage that is running{}",
            if status == "paused" {
                format!(" (a paused run goes on with `{}`)", crate::recovery::ActionKind::Resume.shell())
            } else {
                String::new()
            }
        ));
    }
    let Some(latest) = state.latest_index(&stage_id) else {
        return refuse(format!(
            "{} has no history entry for stage `{stage_id}`: the gate cannot tell which attempt this is (the orchestrator opens one when a stage starts)",
            state.path
        ));
    };
    let entry_status =
        state.history().get(latest).and_then(|h| h.get("status")).and_then(Json::as_str).map(str::to_string);
    if entry_status.as_deref().is_some_and(|s| s != "running") {
        return refuse(format!(
            "the latest history entry of stage `{stage_id}` is `{}`, not `running`: there is no open attempt to gate",
            entry_status.unwrap_or_default()
        ));
    }
    if outputs(st).is_empty() {
        return refuse(format!(
            "stage `{stage_id}` declares no outputs in {}: the gate has nothing to check its exit by",
            env.root.layout.pipeline
        ));
    }

    let canon = canonical_root(&env.root.dir)?;
    let exit = exit::check(&canon, st, findings);
    let now = rfc3339(env.now);
    let attempt = current_attempt(&state, &stage_id, pipeline.max_attempts);
    let max = pipeline.max_attempts;
    let mut steps = Vec::new();
    let mut description = Vec::new();

    if exit.passes() {
        let mut completed = state.list("completedStages");
        if !completed.contains(&stage_id) {
            completed.push(stage_id.clone());
        }
        state.set("completedStages", strings(&completed));
        state.set("lastCheckpoint", Json::str(&stage_id));
        let failed = state.list("failedStages");
        if failed.contains(&stage_id) {
            state.set("failedStages", strings(&failed.into_iter().filter(|s| *s != stage_id).collect::<Vec<_>>()));
        }
        state.close_entry(latest, "completed", &now, None);
        state.set("status", Json::str("waiting_for_confirmation"));
        state.touch(&now);
        steps.push(state.edit_step());
        description.push(format!(
            "edit {}: `{stage_id}` completed and the last checkpoint, its history entry closed, status waiting_for_confirmation",
            state.path
        ));
        let next = pipeline.stages.get(idx + 1).and_then(|s| s.id.as_ref()).map(|i| i.value.clone());
        let title = format!("Gate of stage `{stage_id}`: pass, record the checkpoint (attempt {attempt} of {max})");
        let plan = Plan { kind: ActionKind::Gate, title, description, steps, reads };
        return Ok(Gate {
            stage: stage_id,
            attempt,
            max_attempts: max,
            outcome: Outcome::Pass,
            exit,
            quarantined: Vec::new(),
            archive: None,
            next_stage: next,
            actions: Vec::new(),
            plan,
        });
    }

    // Unauthorized writes leave first: they count as this attempt's failure.
    let quarantined = plan_quarantines(env, &exit, &stage_id)?;
    if !quarantined.is_empty() {
        // The writes are unauthorized by the rules as read now: a plan applied
        // after the matrix changed is refused (the pipeline and state are read above).
        env.read(&env.root.layout.matrix, &mut reads)?;
    }
    for (from, to) in &quarantined {
        steps.push(Step::Move { from: from.clone(), to: to.clone() });
        description.push(format!("move {from} to {to} (unauthorized write)"));
    }

    let action = st.on_failure.as_ref().and_then(|f| f.action.as_ref()).map(|a| a.value.trim().to_string());
    let outcome = if action.as_deref() == Some("pause") || attempt >= max {
        Outcome::Pause
    } else if action.as_deref() == Some("rollback") {
        // With no checkpoint there is nowhere to roll back to: a person decides.
        let checkpoint = state.get("lastCheckpoint").and_then(Json::as_str).is_some_and(|c| !c.is_empty());
        if checkpoint {
            Outcome::Rollback
        } else {
            Outcome::Pause
        }
    } else {
        Outcome::Retry
    };
    let error_message = error_message(&exit, &quarantined);
    state.close_entry(latest, "failed", &now, Some(&error_message));

    if outcome == Outcome::Rollback {
        let done = roll_back(env, &pipeline, &mut state, Target::Checkpoint, &now, &mut steps, &mut description)?;
        let report = Report {
            timestamp: now.clone(),
            stage: stage_id.clone(),
            attempt,
            max_attempts: max,
            status: "ROLLED BACK".into(),
            error_type: error_type(&exit, &quarantined).into(),
            error_message,
            exit_criteria: criteria(st),
            moved_to: moved_lines(&quarantined, done.folders.iter().map(|(_, f)| f)),
            actions: done.actions.clone(),
        };
        let (step, line) = error_log_step(env, &mut reads, &report)?;
        steps.push(step);
        description.push(line);
        let title = format!(
            "Gate of stage `{stage_id}`: fail, roll back to `{}` (on_failure: rollback; attempt {attempt} of {max})",
            done.target
        );
        let plan = Plan { kind: ActionKind::Gate, title, description, steps, reads };
        return Ok(Gate {
            stage: stage_id,
            attempt,
            max_attempts: max,
            outcome,
            exit,
            quarantined,
            archive: None,
            next_stage: Some(done.target),
            actions: done.actions,
            plan,
        });
    }

    // The attempt's outputs: copied on retry (the next attempt fixes on top of
    // them), moved on pause (outputs of earlier completed stages are copied).
    let skip: Vec<&str> = quarantined.iter().map(|(f, _)| f.as_str()).collect();
    let completed = state.list("completedStages");
    let shared =
        if outcome == Outcome::Pause { earlier_outputs(&pipeline.stages[..idx], &completed)? } else { Vec::new() };
    let copy = outcome == Outcome::Retry;
    let (archive, _) =
        archive_attempt(&canon, st, &stage_id, attempt, copy, &shared, &skip, &mut steps, &mut description)?;

    if outcome == Outcome::Retry {
        state.open_entry(&stage_id, &now, attempt + 1);
        description.push(format!(
            "edit {}: attempt {attempt} closes failed, attempt {} opens running",
            state.path,
            attempt + 1
        ));
    } else {
        let mut failed = state.list("failedStages");
        if !failed.contains(&stage_id) {
            failed.push(stage_id.clone());
        }
        state.set("failedStages", strings(&failed));
        state.set("status", Json::str("paused"));
        description.push(format!(
            "edit {}: attempt {attempt} closes failed, `{stage_id}` in the failed stages, status paused",
            state.path
        ));
    }
    state.touch(&now);
    steps.push(state.edit_step());

    let present: Vec<String> =
        exit.present.iter().filter(|p| !clean_rel(p).is_ok_and(|c| skip.contains(&c.as_str()))).cloned().collect();
    let actions = if outcome == Outcome::Retry {
        let kept = archive.as_deref().map(|a| format!("; attempt {attempt} is kept in {a}/")).unwrap_or_default();
        let on_top = if present.is_empty() { String::new() } else { format!(" ({})", present.join(", ")) };
        let mut a = vec![format!(
            "Retry: attempt {} of {max} of stage {stage_id} is open; fix on top of the existing artifacts{on_top}{kept}",
            attempt + 1
        )];
        a.extend(exit.task());
        a
    } else {
        pause_actions(&exit, &quarantined, &stage_id, attempt, max, action.as_deref() == Some("pause"))
    };
    let report = Report {
        timestamp: now,
        stage: stage_id.clone(),
        attempt,
        max_attempts: max,
        status: if outcome == Outcome::Retry { "RETRYING" } else { "FAILED" }.into(),
        error_type: error_type(&exit, &quarantined).into(),
        error_message,
        exit_criteria: criteria(st),
        moved_to: moved_lines(&quarantined, archive.iter().map(|a| format!("{a}/")).collect::<Vec<_>>().iter()),
        actions: actions.clone(),
    };
    let (step, line) = error_log_step(env, &mut reads, &report)?;
    steps.push(step);
    description.push(line);

    let title = match outcome {
        Outcome::Retry => format!(
            "Gate of stage `{stage_id}`: fail, retry (copy attempt {attempt} to {}, open attempt {} of {max})",
            archive.as_deref().map_or("nowhere: nothing of it exists".to_string(), |a| format!("{a}/")),
            attempt + 1
        ),
        _ => format!(
            "Gate of stage `{stage_id}`: fail, pause for a person (move attempt {attempt} of {max} to {})",
            archive.as_deref().map_or("nowhere: nothing of it exists".to_string(), |a| format!("{a}/"))
        ),
    };
    let plan = Plan { kind: ActionKind::Gate, title, description, steps, reads };
    Ok(Gate {
        stage: stage_id,
        attempt,
        max_attempts: max,
        outcome,
        exit,
        quarantined,
        archive,
        next_stage: None,
        actions,
        plan,
    })
}

fn strings(items: &[String]) -> Json {
    Json::Arr(items.iter().map(|s| Json::str(s)).collect())
}

/// Where each unauthorized write goes, as `recover quarantine` would place it.
fn plan_quarantines(env: &Env, exit: &ExitCheck, stage_id: &str) -> Result<Vec<(String, String)>, Refusal> {
    let canon = canonical_root(&env.root.dir)?;
    let mut out: Vec<(String, String)> = Vec::new();
    for f in exit.blockers.iter().filter(|f| f.diagnostic.code == Code::UnauthorizedWrite) {
        let rel = clean_rel(&f.path)?;
        // A deleted file has nothing to move; its finding stays a blocker.
        if std::fs::symlink_metadata(env.root.dir.join(&rel)).is_err() || out.iter().any(|(p, _)| *p == rel) {
            continue;
        }
        let to = crate::recovery::quarantine::destination(&canon, &rel, stage_id)
            .map_err(|r| Refusal(format!("cannot quarantine {rel}: {r}")))?;
        if out.iter().any(|(_, t)| *t == to) {
            return refuse(format!(
                "{rel} and another unauthorized write would both be quarantined to {to}; quarantine one of them first (`{}`)",
                crate::recovery::shell::next_step(&crate::diagnostic::Fix::Quarantine { path: rel.to_string(), stage: stage_id.to_string() })
            ));
        }
        out.push((rel, to));
    }
    Ok(out)
}

fn error_type(exit: &ExitCheck, quarantined: &[(String, String)]) -> &'static str {
    if !quarantined.is_empty() {
        return "Unauthorized Write";
    }
    if !exit.missing.is_empty() {
        return "Missing Output";
    }
    match exit.blockers.first().map(|f| f.diagnostic.code) {
        Some(Code::UnauthorizedWrite) => "Unauthorized Write",
        Some(Code::OutOfScope) => "Out of Scope",
        Some(Code::PermissionsWidened) => "Permissions Widened",
        Some(Code::MissingEvidence) => "Missing Evidence",
        Some(Code::StaleScope) => "Stale Scope",
        _ => "Exit Criteria Not Met",
    }
}

/// One line naming every blocker.
fn error_message(exit: &ExitCheck, quarantined: &[(String, String)]) -> String {
    let mut parts = Vec::new();
    for m in &exit.missing {
        parts.push(match m.why {
            Missing::Absent => format!("{} does not exist", m.path),
            Missing::Empty => format!("{} is empty", m.path),
            Missing::NotADirectory => format!("{} is a file, not a directory", m.path),
            Missing::Outside => format!("{} is not a path inside the factory root", m.path),
        });
    }
    for f in &exit.blockers {
        let moved = quarantined.iter().any(|(p, _)| **p == *f.path);
        parts.push(match f.diagnostic.code {
            Code::UnauthorizedWrite if moved => format!("{} was written outside the stage's write permissions", f.path),
            code => format!("{} ({})", f.path, code.as_str()),
        });
    }
    parts.join("; ")
}

fn moved_lines<'a>(quarantined: &[(String, String)], folders: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut lines: Vec<String> = quarantined.iter().map(|(f, t)| format!("{f} -> {t}")).collect();
    lines.extend(folders.map(|f| if f.ends_with('/') { f.clone() } else { format!("{f}/") }));
    lines
}

/// What a person does after a pause, built from the blockers.
fn pause_actions(
    exit: &ExitCheck,
    quarantined: &[(String, String)],
    stage_id: &str,
    attempt: u32,
    max: u32,
    by_action: bool,
) -> Vec<String> {
    let mut a = Vec::new();
    for (from, to) in quarantined {
        a.push(format!(
            "A person decides about {from} (quarantined to {to}): keep it out, or grant stage {stage_id} write access"
        ));
    }
    for m in &exit.missing {
        a.push(format!("Produce {} (a declared output of stage {stage_id})", m.path));
    }
    for f in &exit.blockers {
        let p = &f.path;
        match f.diagnostic.code {
            Code::UnauthorizedWrite if quarantined.iter().any(|(q, _)| **q == **p) => {}
            Code::UnauthorizedWrite => a.push(format!("A person decides about the unauthorized write {p}")),
            Code::OutOfScope => a.push(format!(
                "Keep {p} out of the change, or expand the scope with approval (`{}`)",
                crate::recovery::shell::next_step(&crate::diagnostic::Fix::ExpandScope { path: p.to_string() })
            )),
            Code::PermissionsWidened => a.push(format!("A person reviews the widened write permissions in {p}")),
            Code::MissingEvidence => a.push(format!("Record the approval the scope entry in {p} names")),
            Code::StaleScope => a.push(format!("Revise the scope in {p}: its base commit is not an ancestor of HEAD")),
            _ => {}
        }
    }
    let why = if by_action {
        "on_failure: pause".to_string()
    } else {
        format!("the retry limit is reached ({attempt}/{max})")
    };
    let next = attempt + 1;
    let over = if next > max { format!(", overriding the retry limit of {max}") } else { format!(" of {max}") };
    a.push(format!(
        "Then return to Build ({why}): `{}` opens attempt {next}{over}",
        crate::recovery::shell::next_step(&crate::diagnostic::Fix::ReturnToBuild { stage: stage_id.to_string() })
    ));
    a
}
