//! `state-inconsistent`: completed stages out of pipeline order (or listed twice),
//! a `lastCheckpoint` that is not completed, a `currentStage` that is also completed
//! while the run is `running`.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::state::RunStatus;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let (Some((loaded, st)), Some((_, p))) = (ctx.state(), ctx.pipeline()) else { return };
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

    if let Some(cur) = &st.current_stage {
        if st.status() == Some(RunStatus::Running) && st.is_completed(&cur.value) {
            let msg = format!(
                "`{}` is stage `{}`, which is also in `{completed}` while the run is `running`; a running stage cannot be completed",
                st.spelling.key("currentStage"),
                cur.value
            );
            push(Diagnostic::new(Code::StateInconsistent, cur.range, msg).with_stage(cur.value.clone()));
        }
    }
}
