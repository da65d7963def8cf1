//! `input-not-produced`: an input that no earlier stage outputs and that is not on disk.

use std::collections::HashSet;

use super::norm;
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::pipeline::Stage;

/// Does output `out` provide input `input`? A directory output provides everything
/// under it; an input directory is provided by any output inside it. The reference
/// that `Provided` answers for many outputs at once.
pub(super) fn provides(out: &str, input: &str) -> bool {
    let (o, i) = (norm(out).trim_end_matches('/'), norm(input).trim_end_matches('/'));
    if o.is_empty() || i.is_empty() {
        return false;
    }
    o == i
        || i.strip_prefix(o).is_some_and(|r| r.starts_with('/'))
        || o.strip_prefix(i).is_some_and(|r| r.starts_with('/'))
}

/// The outputs of the stages seen so far, indexed so that `provides` over all of them
/// is a few hash look-ups instead of a scan (the check was quadratic in stages).
#[derive(Default)]
struct Provided<'a> {
    /// Every output, normalised and without trailing `/`.
    exact: HashSet<&'a str>,
    /// Every proper directory prefix of an output (`a` and `a/b` for `a/b/c`).
    parents: HashSet<&'a str>,
}

impl<'a> Provided<'a> {
    fn add(&mut self, out: &'a str) {
        let o = norm(out).trim_end_matches('/');
        if o.is_empty() {
            return;
        }
        self.exact.insert(o);
        for (k, _) in o.match_indices('/') {
            self.parents.insert(&o[..k]);
        }
    }

    /// Same answer as `outputs.any(|o| provides(o, input))`.
    fn provides(&self, input: &str) -> bool {
        let i = norm(input).trim_end_matches('/');
        if i.is_empty() {
            return false;
        }
        self.exact.contains(i)
            || self.parents.contains(i)
            || i.match_indices('/').any(|(k, _)| self.exact.contains(&i[..k]))
    }
}

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    let mut earlier = Provided::default();
    for stage in &p.stages {
        one(ctx, &loaded.path, stage, |input| earlier.provides(input), sink);
        for out in &stage.outputs {
            earlier.add(&out.value);
        }
    }
}

/// The check for the stage at `index` alone (an edit inside that stage): its
/// inputs against the earlier stages' outputs, one by one, with no index to build.
pub fn check_stage(ctx: &Context, index: usize, sink: &mut Sink) {
    let Some((loaded, p)) = ctx.pipeline() else { return };
    let Some(stage) = p.stages.get(index) else { return };
    let earlier = &p.stages[..index];
    let provided = |input: &str| earlier.iter().flat_map(|s| &s.outputs).any(|out| provides(&out.value, input));
    one(ctx, &loaded.path, stage, provided, sink);
}

fn one(ctx: &Context, path: &str, stage: &Stage, provided: impl Fn(&str) -> bool, sink: &mut Sink) {
    for input in &stage.inputs {
        if provided(&input.value) || ctx.fs.exists(norm(&input.value)) {
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
        sink.push(path, d);
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

    #[test]
    fn the_index_agrees_with_provides() {
        let paths = [
            "a",
            "a/",
            "./a",
            "a/b",
            "a/b/",
            "a/b/c.md",
            "a//b",
            "ab",
            "ab/c",
            "b/a",
            " a/b ",
            "./",
            "/",
            "",
            "a/bc",
            "./././a/b",
            "a/b/c/d",
        ];
        for out in paths {
            let mut set = super::Provided::default();
            set.add(out);
            for input in paths {
                assert_eq!(set.provides(input), super::provides(out, input), "out {out:?} input {input:?}");
            }
        }
    }
}
