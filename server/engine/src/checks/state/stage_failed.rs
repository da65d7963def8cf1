//! `stage-failed`: a stage in `failedStages`, or whose latest history entry failed,
//! while the run is not `idle` (or `completed`), except during the policy's automatic
//! retry: the run `running` on that stage again with attempts left. On its
//! `failedStages` entry, else on the `stageId` of its failed history entry.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::model::pipeline::DEFAULT_MAX_ATTEMPTS;
use crate::model::Spanned;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, st)) = ctx.state() else { return };
    // Without a status the run's state is unknown (missing-key says so); report nothing.
    let Some(status) = st.status().filter(|s| !s.is_idle()) else { return };
    let pipeline = ctx.pipeline().map(|(_, p)| p);
    let max = pipeline.map_or(DEFAULT_MAX_ATTEMPTS, |p| p.max_attempts);
    let known = |id: &str| pipeline.is_none_or(|p| p.stage(id).is_some());
    let failed_key = st.spelling.key("failedStages");

    let mut places: Vec<(&Spanned<String>, String)> = Vec::new();
    for (n, entry) in st.failed_stages.iter().enumerate() {
        if !st.failed_stages[..n].iter().any(|e| e.value == entry.value) {
            places.push((entry, format!("is in `{failed_key}`")));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for h in st.history.iter().rev() {
        let Some(id) = &h.stage_id else { continue };
        if seen.contains(&id.value.as_str()) {
            continue;
        }
        seen.push(&id.value);
        let failed = h.status.as_ref().is_some_and(|s| s.value == "failed");
        if failed && !st.failed_stages.iter().any(|e| e.value == id.value) {
            places.push((id, "failed in its latest attempt".to_string()));
        }
    }

    for (id, why) in places {
        if !known(&id.value) || st.is_retrying(&id.value, max) {
            continue;
        }
        let msg = format!(
            "stage `{}` {why} while the run is `{}`; a failed stage blocks the run until it returns to Build or its attempt is archived",
            id.value,
            status.as_str()
        );
        let d = Diagnostic::new(Code::StageFailed, id.range, msg)
            .with_stage(id.value.clone())
            .with_fix(Fix::ReturnToBuild { stage: id.value.clone() })
            .with_fix(Fix::ArchiveAttempt { stage: id.value.clone() });
        sink.push(&loaded.path, d);
    }
}
