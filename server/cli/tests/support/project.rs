//! Projects.

use super::*;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A project in a temporary directory of its own, removed on drop.
pub struct Project {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Project {
    pub fn empty() -> Project {
        let dir = tempfile::Builder::new().prefix("tollgate-lsp-").tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
        Project { _dir: dir, root }
    }

    /// `tests/fixtures/example`: the real pipeline and matrix, the agents, an
    /// active run of stage `code` and a scope. Files get an mtime before the
    /// run's start.
    pub fn example() -> Project {
        Self::copy_of("example")
    }

    /// `tests/fixtures/agent-app-factory`: the real project's pipeline and matrix, unchanged.
    pub fn agent_app_factory() -> Project {
        Self::copy_of("agent-app-factory")
    }

    pub fn copy_of(fixture: &str) -> Project {
        let p = Project::empty();
        copy_tree(&fixtures().join(fixture), &p.root);
        p
    }

    /// `git init` and one commit of everything: later changes are the changed paths.
    pub fn git_init(&self) -> &Self {
        self.git(&["-c", "init.defaultBranch=main", "init", "-q"]);
        self.commit_all("fixture");
        self
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            message,
        ]);
    }

    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git").args(args).current_dir(&self.root).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.path(rel))
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.path(rel)).is_ok()
    }

    /// Every file (bytes), directory (`dir/`) and symlink (its target) under the root.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root)
    }
}

/// Every file, directory and symlink under `root`, by relative path.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(format!("{rel} ->"), std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec());
            } else if m.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

pub(super) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            set_old_mtime(&target);
        }
    }
}

pub fn set_old_mtime(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(OLD_MTIME)).unwrap();
}
