//! `state-unknown-stage`: a stage id in the state that the pipeline does not have.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Spanned;
use crate::suggest;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let (Some((loaded, st)), Some((_, p))) = (ctx.state(), ctx.pipeline()) else { return };
    let key = |camel: &str| st.spelling.key(camel).to_string();
    let mut refs: Vec<(&Spanned<String>, String)> = Vec::new();
    refs.extend(st.current_stage.iter().map(|s| (s, key("currentStage"))));
    refs.extend(st.completed_stages.iter().map(|s| (s, key("completedStages"))));
    refs.extend(st.failed_stages.iter().map(|s| (s, key("failedStages"))));
    refs.extend(
        st.history
            .iter()
            .filter_map(|h| h.stage_id.as_ref())
            .map(|s| (s, format!("{}[].{}", key("stageHistory"), key("stageId")))),
    );
    refs.extend(st.last_checkpoint.iter().map(|s| (s, key("lastCheckpoint"))));
    for (id, field) in refs {
        if p.stage(&id.value).is_some() {
            continue;
        }
        let hint = suggest::hint(&id.value, p.stage_ids());
        let msg = format!("`{field}` names stage `{}`, which the pipeline does not have{hint}; the state may only name pipeline stages", id.value);
        sink.push(&loaded.path, Diagnostic::new(Code::StateUnknownStage, id.range, msg));
    }
}
