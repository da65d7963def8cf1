//! `ambiguous-pattern`: a slash-less wildcard such as `*.py` matches at the
//! root only here, but at any depth in gitignore; the fixes say which is meant.

use crate::checks::{Context, Sink};
use crate::diagnostic::{Code, Diagnostic, Fix};
use crate::pattern::{is_ambiguous, Pattern};

pub fn check(ctx: &Context, sink: &mut Sink) {
    let Some((loaded, scope)) = ctx.scope() else { return };
    for (list, entry) in super::entries(scope) {
        let p = &entry.path.value;
        if !is_ambiguous(p) || Pattern::compile(p).is_err() {
            continue;
        }
        let original = entry.path.range.slice(&loaded.text);
        let message = format!(
            "{list} pattern `{p}` has no `/`: it matches at the factory root only (in gitignore it would match \
             at any depth); write `**/{p}` or `/{p}` to say which"
        );
        let fix = |title: String, value: String| Fix::Replace {
            title,
            range: entry.path.range,
            new_text: requote(original, &value),
        };
        let diag = Diagnostic::new(Code::AmbiguousPattern, entry.path.range, message)
            .with_fix(fix(format!("Match `{p}` at any depth: `**/{p}`"), format!("**/{p}")))
            .with_fix(fix(format!("Match `{p}` at the root only: `/{p}`"), format!("/{p}")));
        sink.push(&loaded.path, diag);
    }
}

/// `value` as a YAML scalar in the style of `original`: same quotes; a plain
/// scalar stays plain unless the new text cannot be (`**/x` would be an alias).
fn requote(original: &str, value: &str) -> String {
    match original.chars().next() {
        Some('"') => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
        Some('\'') => format!("'{}'", value.replace('\'', "''")),
        _ if plain_ok(value) => value.to_string(),
        _ => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

fn plain_ok(v: &str) -> bool {
    let first_bad =
        v.starts_with(['*', '&', '!', '|', '>', '\'', '"', '%', '@', '`', '[', ']', '{', '}', ',', '#', '?', ':', '-']);
    !v.is_empty() && !first_bad && !v.contains(": ") && !v.contains(" #") && !v.ends_with([' ', ':'])
}

#[cfg(test)]
mod tests {
    #[test]
    fn requote_keeps_the_style() {
        use super::requote;
        assert_eq!(requote("\"*.py\"", "**/*.py"), "\"**/*.py\"");
        assert_eq!(requote("'*.py'", "/*.py"), "'/*.py'");
        assert_eq!(requote("foo*.py", "/foo*.py"), "/foo*.py");
        assert_eq!(requote("foo*.py", "**/foo*.py"), "\"**/foo*.py\"");
    }
}
