//! `state-inconsistent`: one field written in both spellings with different values,
//! completed stages out of pipeline order (or listed twice), a `lastCheckpoint` that
//! is not completed.
//!
//! A `currentStage` that is also in `completedStages` while the run is `running` is
//! not reported: that is a stage re-run from its checkpoint (`factory run <stage>`
//! leaves it in the list).

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, st)) = ctx.state() else { return };
    for c in &st.conflicts {
        let msg = format!(
            "`{}` and `{}` are both in the file with different values; tollgate reads the later, `{}`. \
             Keep one spelling (the factory's CLI writes snake_case, its orchestrator camelCase)",
            c.first.value, c.later.value, c.later.value
        );
        sink.push(&loaded.path, Diagnostic::new(Code::StateInconsistent, c.later.range, msg));
    }
    let Some((_, p)) = ctx.pipeline() else { return };
    let completed = st.spelling.key("completedStages");
    let mut push = |d: Diagnostic| sink.push(&loaded.path, d);

    // Checkpoints complete in pipeline order; unknown ids are state-unknown-stage's.
    let mut last: Option<(usize, &str)> = None;
    for (n, entry) in st.completed_stages.iter().enumerate() {
        let Some(index) = p.stage_index(&entry.value) else { continue };
        if st.completed_stages[..n].iter().any(|e| e.value == entry.value) {
            let msg = format!("`{completed}` lists stage `{}` twice; a stage completes once per run", entry.value);
            push(Diagnostic::new(Code::StateInconsistent, entry.range, msg).with_stage(entry.value.clone()));
            continue;
        }
        if let Some((prev_index, prev)) = last {
            if index < prev_index {
                let msg = format!(
                    "`{completed}` lists stage `{}` after `{prev}`, but the pipeline runs `{}` first; completed stages must follow pipeline order",
                    entry.value, entry.value
                );
                push(Diagnostic::new(Code::StateInconsistent, entry.range, msg).with_stage(entry.value.clone()));
                continue;
            }
        }
        last = Some((index, entry.value.as_str()));
    }

    if let Some(cp) = &st.last_checkpoint {
        if p.stage(&cp.value).is_some() && !st.is_completed(&cp.value) {
            let msg = format!(
                "`{}` is stage `{}`, which is not in `{completed}`; the last checkpoint must be a completed stage",
                st.spelling.key("lastCheckpoint"),
                cp.value
            );
            push(Diagnostic::new(Code::StateInconsistent, cp.range, msg).with_stage(cp.value.clone()));
        }
    }
}
