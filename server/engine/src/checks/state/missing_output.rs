//! `missing-output`: a stage recorded as completed whose outputs are missing on disk
//! (FST: incomplete work, return to Build). On the stage's `completedStages` entry.
//! Not while the run is `running` that stage again (a re-run from its checkpoint).

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};

pub fn check(ctx: &Context, sink: &mut Sink) {
    let (Some((loaded, st)), Some((_, p))) = (ctx.state(), ctx.pipeline()) else { return };
    for (n, entry) in st.completed_stages.iter().enumerate() {
        // A stage listed twice is reported once (state-inconsistent covers the repeat).
        if st.completed_stages[..n].iter().any(|e| e.value == entry.value) {
            continue;
        }
        // A stage re-run from its checkpoint is remaking its outputs.
        if st.is_running(&entry.value) {
            continue;
        }
        let Some(stage) = p.stage(&entry.value) else { continue };
        let missing: Vec<String> = stage
            .outputs
            .iter()
            .map(|o| o.value.trim().trim_start_matches("./"))
            .filter(|o| !o.is_empty() && !ctx.fs.exists(o))
            .map(|o| format!("`{o}`"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let (noun, verb) = if missing.len() == 1 { ("output", "is") } else { ("outputs", "are") };
        let msg = format!(
            "stage `{}` is recorded as completed but its {noun} {} {verb} missing on disk; a completed stage must leave its outputs (return to Build)",
            entry.value,
            missing.join(", ")
        );
        let d = Diagnostic::new(Code::MissingOutput, entry.range, msg)
            .with_stage(entry.value.clone())
            .with_fix(Fix::ReturnToBuild { stage: entry.value.clone() })
            .with_fix(Fix::ArchiveAttempt { stage: entry.value.clone() });
        sink.push(&loaded.path, d);
    }
}
