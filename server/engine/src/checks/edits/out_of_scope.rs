//! `out-of-scope`: a changed path outside the retained scope that binds the
//! current stage (SPEC 4): E when an exclude entry applies (excludes always
//! win), else W.

use super::{range_of, scope_name, verb, Live, Verdict};
use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix, Severity};

const RETURN: &str = "Return point: exploration (expand or revise the scope)";

pub fn check(ctx: &Context, live: &Live, sink: &mut Sink) {
    let Some(scope) = &live.scope else { return };
    let stage = live.stage;
    let name = scope_name(scope.scope);
    for change in live.stage_edits(ctx) {
        let (what, op, path) = (verb(change.op), change.op.as_str(), &change.path);
        let (message, excluded) = match scope.verdict(change) {
            Verdict::Inside => continue,
            Verdict::Excluded(e) => {
                let why = e.reason.as_ref().map(|r| format!(" ({})", r.value)).unwrap_or_default();
                (
                    format!(
                        "stage `{stage}` {what} `{path}`, which {name} excludes: exclude entry `{}`{why}. {RETURN}",
                        e.path.value
                    ),
                    true,
                )
            }
            Verdict::WrongOp(entries) => {
                let list: Vec<String> = entries.iter().map(|e| format!("`{}`", e.path.value)).collect();
                (
                    format!(
                        "stage `{stage}` {what} `{path}`, but {name} allows it only for other operations than \
                         {op}: allow entry {}. {RETURN}",
                        list.join(", ")
                    ),
                    false,
                )
            }
            Verdict::Outside => {
                (format!("stage `{stage}` {what} `{path}`, which no allow entry of {name} covers. {RETURN}"), false)
            }
        };
        let mut diag = Diagnostic::new(Code::OutOfScope, range_of(ctx, change), message).with_stage(stage);
        if excluded {
            // Expanding the scope cannot help: an exclude always wins.
            diag = diag.with_severity(Severity::Error);
        } else {
            diag = diag.with_fix(Fix::ExpandScope { path: path.clone() });
            if let Some((dir, _)) = path.rsplit_once('/') {
                diag = diag.with_fix(Fix::ExpandScope { path: format!("{dir}/**") });
            }
        }
        sink.push(path, diag);
    }
}
