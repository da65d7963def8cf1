//! What keeps the current stage from ending its turn: the `Stop` hook's check.

use crate::analysis::Snapshot;
use crate::diagnostic::{Code, Fix, Severity};
use crate::model::state::RunStatus;
use crate::Finding;

/// One reason the stage may not stop yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitBlocker {
    pub code: Code,
    /// Root-relative.
    pub path: String,
    pub message: String,
    /// What clears it, when there is a step for it.
    pub fix: Option<Fix>,
}

/// The gate's exit check (SPEC 9), without its effects: while the current stage
/// is `running`, every declared output must exist (a directory output: exist and
/// not be empty) and no error blocker may remain (`unauthorized-write`,
/// `out-of-scope` errors, `permissions-widened`, `missing-evidence`,
/// `stale-scope`). Empty when the run is not `running`. `findings`: a full
/// analysis of the root with its changed paths (what `tollgate check` reports).
/// The failure-policy gate has the same check; the two are to be one function.
pub fn exit_blockers(snap: &Snapshot, findings: &[Finding]) -> Vec<ExitBlocker> {
    let Some(state) = snap.state() else { return Vec::new() };
    if state.status() != Some(RunStatus::Running) {
        return Vec::new();
    }
    let Some(stage) = state.current_stage.as_ref().map(|s| s.value.as_str()) else { return Vec::new() };
    let mut out = Vec::new();
    let outputs = snap.pipeline().and_then(|p| p.stage(stage)).map(|s| s.outputs.as_slice()).unwrap_or_default();
    for o in outputs {
        let o = o.value.trim().trim_start_matches("./");
        if o.is_empty() || produced(snap, o) {
            continue;
        }
        let kind = if o.ends_with('/') { "directory output" } else { "output" };
        out.push(ExitBlocker {
            code: Code::MissingOutput,
            path: snap.root.layout.pipeline.clone(),
            message: format!(
                "stage `{stage}` has not produced its declared {kind} `{o}`{}. Return point: build (produce it on \
                 top of the existing artifacts)",
                if o.ends_with('/') { " (it must exist and not be empty)" } else { "" }
            ),
            fix: None,
        });
    }
    for f in findings {
        let d = &f.diagnostic;
        let blocks = match d.code {
            Code::UnauthorizedWrite | Code::PermissionsWidened | Code::MissingEvidence | Code::StaleScope => true,
            Code::OutOfScope => d.severity == Severity::Error,
            _ => false,
        };
        if blocks {
            let fix = d.data.fixes.iter().find(|f| !matches!(f, Fix::Replace { .. })).cloned();
            out.push(ExitBlocker { code: d.code, path: f.path.to_string(), message: d.message.clone(), fix });
        }
    }
    out
}

fn produced(snap: &Snapshot, output: &str) -> bool {
    let path = snap.root.dir.join(output.trim_end_matches('/'));
    if output.ends_with('/') {
        std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_some())
    } else {
        path.exists()
    }
}
