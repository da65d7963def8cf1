//! `missing-evidence`: an entry with `source: user` whose `evidence` id is not in
//! `.factory/evidence.jsonl` (FST: a claim that gates progress counts only with
//! evidence on record). On the `evidence` value, else on the `source` value.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};

const EVIDENCE_FILE: &str = ".factory/evidence.jsonl";

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, scope)) = ctx.scope() else { return };
    let evidence = ctx.evidence();
    let file = evidence.map(|(l, _)| l.path.as_str()).unwrap_or(EVIDENCE_FILE);
    for (list, entry) in super::entries(scope) {
        let Some(source) = entry.source.as_ref().filter(|s| s.value == "user") else { continue };
        let path = &entry.path.value;
        let (range, message) = match &entry.evidence {
            Some(ev) if evidence.is_some_and(|(_, m)| !ev.value.is_empty() && m.has(&ev.value)) => continue,
            Some(ev) if evidence.is_none() => (
                ev.range,
                format!(
                    "evidence `{}` of {list} entry `{path}` (source: user) is not on record: there is no {file}; \
                     a user's approval counts only with its evidence record",
                    ev.value
                ),
            ),
            Some(ev) => (
                ev.range,
                format!(
                    "evidence `{}` of {list} entry `{path}` (source: user) is not in {file}; \
                     a user's approval counts only with its evidence record",
                    ev.value
                ),
            ),
            None => (
                source.range,
                format!(
                    "{list} entry `{path}` has `source: user` but no `evidence`; \
                     a user's approval counts only with an evidence id recorded in {file}"
                ),
            ),
        };
        sink.push(&loaded.path, Diagnostic::new(Code::MissingEvidence, range, message));
    }
}
