//! What blocks a stage's exit (SPEC 9), defined once: the gate (`tollgate gate`)
//! and the agent guard's `Stop` hook ask the same question and get the same answer.
//!
//! A stage may exit when every declared output exists (a directory output exists
//! and holds at least one file) and no finding blocks it: `unauthorized-write`,
//! `out-of-scope` at error severity, `permissions-widened`, `missing-evidence`,
//! `stale-scope`. Plain data in (the stage, the root, the run's findings), plain
//! data out; nothing is written.

use std::path::Path;

use crate::diagnostic::{Code, Finding, Severity};
use crate::model::pipeline::Stage;
use tollgate_text::TextRange;

/// Why a declared output does not count as produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Nothing at that path.
    Absent,
    /// A directory output with no file anywhere below it.
    Empty,
    /// A file where the output names a directory (`dir/`).
    NotADirectory,
    /// The output is not a plain path inside the factory root (`..`, absolute).
    Outside,
}

/// A declared output that is not there, with its entry in the pipeline file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingOutput {
    /// As declared, trimmed (`artifacts/client/`).
    pub path: String,
    /// The output's entry in the pipeline file, in bytes of its text.
    pub range: TextRange,
    pub why: Missing,
}

/// The answer for one stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitCheck {
    pub stage: String,
    /// Declared outputs that exist: what the next attempt fixes on top of.
    pub present: Vec<String>,
    pub missing: Vec<MissingOutput>,
    /// The findings that block the exit, in the order given.
    pub blockers: Vec<Finding>,
}

impl ExitCheck {
    pub fn passes(&self) -> bool {
        self.missing.is_empty() && self.blockers.is_empty()
    }

    /// One line per thing to fix, for a person or an agent: the bounded task.
    pub fn task(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.missing {
            let p = &m.path;
            out.push(match m.why {
                Missing::Absent => format!("declared output `{p}` does not exist: produce it"),
                Missing::Empty => format!("declared output `{p}` is an empty directory: produce its files"),
                Missing::NotADirectory => format!("declared output `{p}` names a directory but a file is there"),
                Missing::Outside => {
                    format!("declared output `{p}` is not a path inside the factory root: fix the pipeline")
                }
            });
        }
        for f in &self.blockers {
            out.push(format!("{} {}: {}", f.diagnostic.code.as_str(), f.path, f.diagnostic.message));
        }
        out
    }
}

/// Does this finding keep `stage` from exiting? Edit findings count for the
/// stage they blame; the others (rules and evidence changed mid-run) for any stage.
pub fn blocks_exit(f: &Finding, stage: &str) -> bool {
    let d = &f.diagnostic;
    match d.code {
        Code::UnauthorizedWrite => d.data.stage.as_deref().is_none_or(|s| s == stage),
        Code::OutOfScope => d.severity == Severity::Error && d.data.stage.as_deref().is_none_or(|s| s == stage),
        Code::PermissionsWidened | Code::MissingEvidence | Code::StaleScope => true,
        _ => false,
    }
}

/// The exit check of `stage`, its outputs looked up under `root` (symlinks are
/// not followed: a link is there, but is never a directory output).
pub fn check(root: &Path, stage: &Stage, findings: &[Finding]) -> ExitCheck {
    let id = stage.id.as_ref().map(|i| i.value.clone()).unwrap_or_default();
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for o in &stage.outputs {
        let path = o.value.trim().to_string();
        if path.is_empty() {
            continue;
        }
        match probe(root, &path) {
            None => present.push(path),
            Some(why) => missing.push(MissingOutput { path, range: o.range, why }),
        }
    }
    let blockers = findings.iter().filter(|f| blocks_exit(f, &id)).cloned().collect();
    ExitCheck { stage: id, present, missing, blockers }
}

/// None when the output is there; else why not.
fn probe(root: &Path, output: &str) -> Option<Missing> {
    let wants_dir = output.ends_with('/');
    let rel = output.trim_start_matches("./").trim_end_matches('/');
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let hostile = rel.starts_with('/') || rel.contains('\\') || rel.as_bytes().get(1) == Some(&b':');
    if parts.is_empty() || hostile || parts.contains(&"..") {
        return Some(Missing::Outside);
    }
    let abs = root.join(parts.join("/"));
    let meta = match std::fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(_) => return Some(Missing::Absent),
    };
    if meta.is_dir() {
        return if holds_a_file(&abs, 0) { None } else { Some(Missing::Empty) };
    }
    if wants_dir {
        return Some(Missing::NotADirectory);
    }
    None
}

/// Is there a file (or link) anywhere below `dir`? Bounded in depth: a tree
/// deeper than any project counts as holding something only where it does.
fn holds_a_file(dir: &Path, depth: u32) -> bool {
    if depth > 64 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let mut subdirs = Vec::new();
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => subdirs.push(e.path()),
            Ok(_) => return true,
            Err(_) => {}
        }
    }
    subdirs.iter().any(|d| holds_a_file(d, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::model::pipeline;
    use std::sync::Arc;

    const PIPELINE: &str = "stages:\n  - id: code\n    agent: a.md\n    outputs:\n      - artifacts/backend/\n      - artifacts/client/\n      - artifacts/notes.md\n";

    fn stage() -> (Arc<str>, Stage) {
        let text: Arc<str> = Arc::from(PIPELINE);
        let loaded = pipeline::load("pipeline.yaml", text.clone());
        let mut p = loaded.model.expect("pipeline");
        (text, p.stages.remove(0))
    }

    fn finding(code: Code, path: &str, stage: Option<&str>) -> Finding {
        let mut d = Diagnostic::new(code, TextRange::new(0, 1), format!("{} here", code.as_str()));
        if let Some(s) = stage {
            d = d.with_stage(s);
        }
        Finding { path: Arc::from(path), diagnostic: d }
    }

    fn write(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x\n").unwrap();
    }

    #[test]
    fn every_output_there_and_no_blocker_passes() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "artifacts/backend/src/server.ts");
        write(t.path(), "artifacts/client/App.tsx");
        write(t.path(), "artifacts/notes.md");
        let (_, st) = stage();
        let unrelated = [finding(Code::MissingOutput, ".factory/state.json", Some("prd"))];
        let c = check(t.path(), &st, &unrelated);
        assert!(c.passes(), "{c:?}");
        assert_eq!(c.stage, "code");
        assert_eq!(c.present, ["artifacts/backend/", "artifacts/client/", "artifacts/notes.md"]);
        assert!(c.task().is_empty());
    }

    #[test]
    fn missing_and_empty_outputs_carry_their_pipeline_ranges() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "artifacts/backend/src/server.ts");
        // A directory output holding only empty folders is not a product.
        std::fs::create_dir_all(t.path().join("artifacts/client/src/empty")).unwrap();
        let (text, st) = stage();
        let c = check(t.path(), &st, &[]);
        assert!(!c.passes());
        let got: Vec<(&str, &str, Missing)> =
            c.missing.iter().map(|m| (m.path.as_str(), m.range.slice(&text), m.why)).collect();
        assert_eq!(
            got,
            [
                ("artifacts/client/", "artifacts/client/", Missing::Empty),
                ("artifacts/notes.md", "artifacts/notes.md", Missing::Absent)
            ]
        );
        let at = PIPELINE.find("artifacts/client/").unwrap() as u32;
        assert_eq!(c.missing[0].range, TextRange::new(at, at + 17));
        assert_eq!(c.present, ["artifacts/backend/"]);
        assert_eq!(
            c.task(),
            [
                "declared output `artifacts/client/` is an empty directory: produce its files",
                "declared output `artifacts/notes.md` does not exist: produce it"
            ]
        );
    }

    #[test]
    fn a_file_where_a_directory_is_declared_and_hostile_outputs() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "artifacts/backend");
        let text =
            "stages:\n  - id: code\n    agent: a.md\n    outputs: [artifacts/backend/, ../outside.md, /etc/passwd]\n";
        let mut p = pipeline::load("pipeline.yaml", text.into()).model.unwrap();
        let c = check(t.path(), &p.stages.remove(0), &[]);
        let why: Vec<_> = c.missing.iter().map(|m| (m.path.as_str(), m.why)).collect();
        assert_eq!(
            why,
            [
                ("artifacts/backend/", Missing::NotADirectory),
                ("../outside.md", Missing::Outside),
                ("/etc/passwd", Missing::Outside)
            ]
        );
    }

    #[test]
    fn which_findings_block_the_exit() {
        let w = |sev: Severity| {
            let mut f = finding(Code::OutOfScope, "artifacts/backend/x.ts", Some("code"));
            f.diagnostic.severity = sev;
            f
        };
        let cases = [
            (finding(Code::UnauthorizedWrite, "artifacts/prd/sneaky.md", Some("code")), true),
            (finding(Code::UnauthorizedWrite, "artifacts/prd/sneaky.md", Some("prd")), false),
            (w(Severity::Error), true),
            (w(Severity::Warning), false),
            (finding(Code::PermissionsWidened, "policies/capability.matrix.md", Some("validation")), true),
            (finding(Code::MissingEvidence, ".factory/scope.yaml", None), true),
            (finding(Code::StaleScope, ".factory/scope.yaml", None), true),
            (finding(Code::MissingOutput, ".factory/state.json", Some("code")), false),
            (finding(Code::StageFailed, ".factory/state.json", Some("code")), false),
            (finding(Code::RetryLimit, ".factory/state.json", Some("code")), false),
            (finding(Code::DeletedOutput, "pipeline.yaml", Some("code")), false),
            (finding(Code::YamlSyntax, "pipeline.yaml", None), false),
        ];
        for (f, want) in &cases {
            assert_eq!(blocks_exit(f, "code"), *want, "{:?} {:?}", f.diagnostic.code, f.diagnostic.data.stage);
        }
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "artifacts/backend/a");
        write(t.path(), "artifacts/client/b");
        write(t.path(), "artifacts/notes.md");
        let all: Vec<Finding> = cases.iter().map(|(f, _)| f.clone()).collect();
        let c = check(t.path(), &stage().1, &all);
        assert!(!c.passes());
        let codes: Vec<_> = c.blockers.iter().map(|f| f.diagnostic.code.as_str()).collect();
        assert_eq!(
            codes,
            ["unauthorized-write", "out-of-scope", "permissions-widened", "missing-evidence", "stale-scope"]
        );
        assert_eq!(c.task()[0], "unauthorized-write artifacts/prd/sneaky.md: unauthorized-write here");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_never_a_directory_output() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "full/a.ts");
        std::fs::create_dir_all(t.path().join("artifacts")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("full"), t.path().join("artifacts/backend")).unwrap();
        let (_, st) = stage();
        let c = check(t.path(), &st, &[]);
        assert_eq!(c.missing[0].path, "artifacts/backend/");
        assert_eq!(c.missing[0].why, Missing::NotADirectory);
    }
}
