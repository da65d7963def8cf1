//! Finding factory roots and the files in them (SPEC section 2).

use std::path::{Path, PathBuf};

/// Where a root keeps each of its files, relative to the root, `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub pipeline: String,
    pub matrix: String,
    pub state: String,
    pub scope: String,
    pub evidence: String,
    pub error_log: String,
}

pub const STATE: &str = ".factory/state.json";
pub const SCOPE: &str = ".factory/scope.yaml";
pub const EVIDENCE: &str = ".factory/evidence.jsonl";
pub const ERROR_LOG: &str = "pipeline/error.log";

/// Governance files: they define the rules, so they are never edit findings.
pub const GOVERNANCE: &[&str] = &[
    "pipeline.yaml",
    ".factory/",
    "policies/",
    "agents/",
    "skills/",
    "pipeline/",
    ".git/",
    "artifacts/_failed/",
    "artifacts/_untrusted/",
    // The coding agents' own project settings: the factory's CLI rewrites
    // `.claude/settings.local.json` on `init` and `continue`, mid-run.
    ".claude/",
    ".codex/",
    ".gemini/",
    ".opencode/",
];

/// Control files: never checked as edits.
pub const CONTROL: &[&str] = &[".git/", ".factory/", "pipeline/", "artifacts/_failed/", "artifacts/_untrusted/"];

fn under_any(rel: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| match p.strip_suffix('/') {
        Some(dir) => rel == dir || rel.starts_with(p),
        None => rel == *p,
    })
}

pub fn is_governance(rel: &str) -> bool {
    under_any(rel, GOVERNANCE)
}

pub fn is_control(rel: &str) -> bool {
    under_any(rel, CONTROL)
}

/// A factory root: a directory holding `pipeline.yaml` or `.factory/pipeline.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    pub dir: PathBuf,
    pub layout: Layout,
}

impl Root {
    /// The root at exactly `dir`, if it is one. `.factory/` wins over the top level.
    pub fn at(dir: &Path) -> Option<Root> {
        let pipeline = if dir.join(".factory/pipeline.yaml").is_file() {
            ".factory/pipeline.yaml"
        } else if dir.join("pipeline.yaml").is_file() {
            "pipeline.yaml"
        } else {
            return None;
        };
        let matrix = if dir.join(".factory/policies/capability.matrix.md").is_file() {
            ".factory/policies/capability.matrix.md"
        } else {
            "policies/capability.matrix.md"
        };
        Some(Root {
            dir: dir.to_path_buf(),
            layout: Layout {
                pipeline: pipeline.into(),
                matrix: matrix.into(),
                state: STATE.into(),
                scope: SCOPE.into(),
                evidence: EVIDENCE.into(),
                error_log: ERROR_LOG.into(),
            },
        })
    }

    /// The nearest root at or above `start` (a file or a directory).
    pub fn find(start: &Path) -> Option<Root> {
        let mut dir = if start.is_dir() { Some(start) } else { start.parent() };
        while let Some(d) = dir {
            if let Some(root) = Root::at(d) {
                return Some(root);
            }
            dir = d.parent();
        }
        None
    }

    /// `path` relative to the root, `/`-separated; None when outside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        Some(parts.join("/"))
    }

    pub fn absolute(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_governance_prefixes() {
        assert!(is_control(".factory/state.json"));
        assert!(is_control("artifacts/_untrusted/code/a.md"));
        assert!(!is_control("artifacts/prd/prd.md"));
        assert!(is_governance("pipeline.yaml"));
        assert!(is_governance("agents/code.agent.md"));
        assert!(!is_governance("pipeline.yaml.bak"));
        assert!(!is_governance("artifacts/backend/x.ts"));
        for settings in [".claude/settings.local.json", ".codex/config.toml", ".gemini/settings.json", ".opencode/x"] {
            assert!(is_governance(settings), "{settings}");
        }
        assert!(!is_governance(".claude.md") && !is_governance("docs/.claude/x"));
    }

    #[test]
    fn factory_dir_wins_and_nearest_root_is_found() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("pipeline.yaml"), "").unwrap();
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        let r = Root::find(&t.path().join("a/b")).unwrap();
        assert_eq!(r.dir, t.path());
        assert_eq!(r.layout.pipeline, "pipeline.yaml");
        std::fs::create_dir_all(t.path().join(".factory")).unwrap();
        std::fs::write(t.path().join(".factory/pipeline.yaml"), "").unwrap();
        assert_eq!(Root::at(t.path()).unwrap().layout.pipeline, ".factory/pipeline.yaml");
        assert_eq!(r.relative(&t.path().join("a/b/c d.md")).as_deref(), Some("a/b/c d.md"));
    }
}
