//! `invalid-pattern`: a scope path that is not in the pattern dialect (SPEC 4):
//! a `..` segment, a backslash, a leading `!` or `~`, a drive letter, empty.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::pattern::Pattern;

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, scope)) = ctx.scope() else { return };
    for (list, entry) in super::entries(scope) {
        let Err(e) = Pattern::compile(&entry.path.value) else { continue };
        let message = format!("{list} pattern `{}` is invalid: {}", entry.path.value, e.message);
        sink.push(&loaded.path, Diagnostic::new(Code::InvalidPattern, entry.path.range, message));
    }
}
