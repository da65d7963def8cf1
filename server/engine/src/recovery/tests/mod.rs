//! Recovery tests on a copy of the real fixture project, asserting bytes on disk.

mod archive;
mod expand_scope;
mod quarantine;
mod return_to_build;
mod safety;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::root::Root;

/// 2026-01-29T10:30:00Z
pub(super) const NOW: &str = "2026-01-29T10:30:00Z";

pub(super) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_769_682_600)
}

/// Stage `code` running after `tech` completed, as the orchestrator spells a state
/// (camelCase); one file for the policy, recovery and gate tests.
pub(super) const STATE_CODE_RUNNING: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/states/code-running.json"));

pub(super) struct Fx {
    _dir: tempfile::TempDir,
    pub root: Root,
}

const FILES: &[(&str, &str)] = &[
    ("input/idea.md", "# idea\n"),
    ("artifacts/prd/prd.md", "# PRD\n"),
    ("artifacts/ui/ui.schema.yaml", "pages: []\n"),
    ("artifacts/ui/preview.web/index.html", "<html></html>\n"),
    ("artifacts/tech/tech.md", "# tech\n"),
    ("artifacts/backend/prisma/schema.prisma", "model User { id Int @id }\n"),
    ("artifacts/backend/src/server.ts", "console.log('up');\n"),
    ("artifacts/backend/package.json", "{}\n"),
    ("artifacts/client/src/App.tsx", "export const App = () => null;\n"),
];

impl Fx {
    /// The real fixture's pipeline and matrix, the outputs of stages up to `code`, and `state`.
    pub fn new(state: &str) -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-app-factory");
        std::fs::create_dir_all(base.join("policies")).unwrap();
        std::fs::copy(fixture.join("pipeline.yaml"), base.join("pipeline.yaml")).unwrap();
        std::fs::copy(fixture.join("policies/capability.matrix.md"), base.join("policies/capability.matrix.md"))
            .unwrap();
        let fx = Fx { root: Root::at(&base).unwrap(), _dir: dir };
        for (p, t) in FILES {
            fx.write(p, t);
        }
        fx.write(".factory/state.json", state);
        fx
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.dir.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.path(rel)).is_ok()
    }

    pub fn plan<T>(&self, f: impl FnOnce(&Env) -> T) -> T {
        let files = DiskFiles { root: &self.root.dir };
        let env = Env { root: &self.root, files: &files, now: now() };
        f(&env)
    }

    pub fn apply(&self, plan: &Plan) -> Result<Applied, Failure> {
        apply_to_disk(&self.root.dir, plan)
    }

    /// Every file, link and directory under the root, with its bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.root.dir, &self.root.dir, &mut out);
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.file_type().is_symlink() {
            out.insert(rel, std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec());
        } else if m.is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
            walk(root, &p, out);
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}
