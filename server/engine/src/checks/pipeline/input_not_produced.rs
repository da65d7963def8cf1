//! `input-not-produced`: an input that no earlier stage outputs and that is not on disk.

use super::norm;
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};

/// Does output `out` provide input `input`? A directory output provides everything
/// under it; an input directory is provided by any output inside it.
fn provides(out: &str, input: &str) -> bool {
    let (o, i) = (norm(out).trim_end_matches('/'), norm(input).trim_end_matches('/'));
    if o.is_empty() || i.is_empty() {
        return false;
    }
    o == i
        || i.strip_prefix(o).is_some_and(|r| r.starts_with('/'))
        || o.strip_prefix(i).is_some_and(|r| r.starts_with('/'))
}

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    for (i, stage) in p.stages.iter().enumerate() {
        for input in &stage.inputs {
            let earlier = p.stages[..i].iter().flat_map(|s| &s.outputs);
            if earlier.clone().any(|o| provides(&o.value, &input.value)) || ctx.fs.exists(norm(&input.value)) {
                continue;
            }
            let name = stage.id.as_ref().map_or("?", |i| i.value.as_str());
            let msg = format!(
                "input `{}` of stage `{name}` is not an output of any earlier stage and does not exist on disk; a stage's inputs must be produced before it runs",
                input.value
            );
            let mut d = Diagnostic::new(Code::InputNotProduced, input.range, msg);
            if let Some(id) = &stage.id {
                d = d.with_stage(id.value.clone());
            }
            sink.push(&loaded.path, d);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn directory_outputs_provide_their_contents() {
        assert!(super::provides("artifacts/backend/", "artifacts/backend/src/a.ts"));
        assert!(super::provides("artifacts/backend/", "artifacts/backend"));
        assert!(super::provides("./input/idea.md", "input/idea.md"));
        assert!(!super::provides("artifacts/back", "artifacts/backend/x"));
    }
}
