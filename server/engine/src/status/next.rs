//! The words of a blocker: what it is about and the step that clears it.

use crate::analysis::Snapshot;
use crate::diagnostic::Fix;
pub use crate::recovery::shell::{is_command, next_step, shell_quote};
use crate::{Code, Finding};

/// What a finding is about, for a person: the written file for an edit
/// finding, the stage for `retry-limit` (whose range is an attempt count),
/// else the text at fault.
pub(super) fn subject(f: &Finding, snapshot: &Snapshot) -> String {
    let l = &snapshot.root.layout;
    if ![&l.pipeline, &l.matrix, &l.state, &l.scope, &l.evidence].iter().any(|p| **p == *f.path) {
        return f.path.to_string();
    }
    if f.diagnostic.code == Code::RetryLimit {
        if let Some(stage) = &f.diagnostic.data.stage {
            return stage.clone();
        }
    }
    let text = snapshot.text(&f.path);
    let slice = text.as_deref().map(|t| f.diagnostic.range.slice(t).trim_matches(['"', '\'']).to_string());
    match slice {
        Some(s) if !s.is_empty() && !s.contains('\n') => s,
        _ => f.path.to_string(),
    }
}

/// The step that clears one blocker: its first fix that is a `tollgate
/// recover` command, else its first fix, else what its class asks for.
pub(super) fn blocker_next(f: &Finding, line: u32) -> String {
    let d = &f.diagnostic;
    if d.code == Code::RetryLimit {
        let stage = d.data.stage.as_deref().unwrap_or("?");
        let q = shell_quote(stage);
        return format!(
            "a person decides whether stage `{stage}` gets another attempt \
             (`tollgate recover return-to-build --stage {q}` overrides the retry limit) \
             or sets it aside (`tollgate recover archive-attempt --stage {q}`)"
        );
    }
    if let Some(fix) = d.data.fixes.iter().find(|f| is_command(f)).or(d.data.fixes.first()) {
        return match fix {
            Fix::Replace { title, .. } => format!("{title} ({}:{line})", f.path),
            _ => next_step(fix),
        };
    }
    format!("fix {}:{line} ({})", f.path, d.code.as_str())
}
