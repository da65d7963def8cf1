//! The shell form of a repair: what a person (or an agent told to stop) runs,
//! written once for `status`, the gate's reports and the agent guard.

use super::ActionKind;
use crate::diagnostic::Fix;

/// The shell command that carries out a fix, or what a person must do.
pub fn next_step(fix: &Fix) -> String {
    let q = shell_quote;
    match fix {
        Fix::ExpandScope { path } => format!("{} --path {}", ActionKind::ExpandScope.shell(), q(path)),
        Fix::Quarantine { path, stage } => {
            format!("{} --path {} --stage {}", ActionKind::Quarantine.shell(), q(path), q(stage))
        }
        Fix::ReturnToBuild { stage } => format!("{} --stage {}", ActionKind::ReturnToBuild.shell(), q(stage)),
        Fix::ArchiveAttempt { stage } => format!("{} --stage {}", ActionKind::ArchiveAttempt.shell(), q(stage)),
        Fix::GrantWrite { stage, path } => format!("a person grants stage `{stage}` write access to `{path}`"),
        Fix::Replace { title, .. } => title.clone(),
    }
}

/// Whether a fix is a `tollgate recover` command (something to run), rather
/// than an edit or a decision a person makes.
pub fn is_command(fix: &Fix) -> bool {
    matches!(
        fix,
        Fix::ExpandScope { .. } | Fix::Quarantine { .. } | Fix::ReturnToBuild { .. } | Fix::ArchiveAttempt { .. }
    )
}

pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./+".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
