//! Path safety: every path an action touches is relative, has no `..`, and
//! resolves inside the factory root (symlinks that lead out are refused).

use std::path::{Path, PathBuf};

use super::plan::{refuse, Refusal};

/// Normalises a user-given root-relative path (`./a//b/` -> `a/b`), refusing
/// absolute paths, `..`, backslashes and drive letters.
pub fn clean_rel(input: &str) -> Result<String, Refusal> {
    let s = input.trim();
    if s.is_empty() {
        return refuse("the path is empty");
    }
    if s.contains('\0') {
        return refuse(format!("`{s}` contains a NUL character"));
    }
    if s.starts_with('/') || s.starts_with('\\') || s.starts_with('~') || s.as_bytes().get(1) == Some(&b':') {
        return refuse(format!("`{s}` is absolute; give a path relative to the factory root"));
    }
    if s.contains('\\') {
        return refuse(format!("`{s}` contains a backslash; use `/`"));
    }
    let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.contains(&"..") {
        return refuse(format!("`{s}` contains `..`; paths must stay inside the factory root"));
    }
    if parts.is_empty() {
        return refuse(format!("`{s}` names the factory root itself"));
    }
    Ok(parts.join("/"))
}

/// The root as the filesystem sees it (symlinks resolved).
pub fn canonical_root(root: &Path) -> Result<PathBuf, Refusal> {
    std::fs::canonicalize(root).map_err(|e| Refusal(format!("{}: {e}", root.display())))
}

/// Refuses `rel` when it, or its deepest existing ancestor, resolves outside `canon_root`.
/// A path that does not exist yet is checked through the directory it would be created in.
pub fn check_inside(canon_root: &Path, rel: &str) -> Result<(), Refusal> {
    let full = canon_root.join(rel);
    let mut probe: &Path = &full;
    loop {
        match std::fs::symlink_metadata(probe) {
            Ok(_) => break,
            Err(_) => match probe.parent() {
                Some(p) => probe = p,
                None => return refuse(format!("{rel}: no existing directory above it")),
            },
        }
    }
    let resolved = match std::fs::canonicalize(probe) {
        Ok(p) => p,
        Err(_) => {
            let shown = probe.strip_prefix(canon_root).unwrap_or(probe).display().to_string();
            return refuse(format!("{shown} is a symlink that leads nowhere; refusing to touch {rel}"));
        }
    };
    if !resolved.starts_with(canon_root) {
        let shown = probe.strip_prefix(canon_root).unwrap_or(probe).display().to_string();
        return refuse(format!(
            "{shown} resolves to {}, outside the factory root; refusing to touch {rel}",
            resolved.display()
        ));
    }
    Ok(())
}

/// `artifacts/backend/src/a.ts` -> `backend/src/a.ts`; `input/idea.md` stays.
pub fn less_artifacts(rel: &str) -> &str {
    rel.strip_prefix("artifacts/").unwrap_or(rel)
}

/// True when `rel` is `out` or lies under it (an output ending in `/` names a directory).
pub fn is_under(rel: &str, out: &str) -> bool {
    let dir = out.trim_end_matches('/');
    rel == dir || (rel.len() > dir.len() && rel.starts_with(dir) && rel.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_rel_refuses_hostile_paths() {
        assert_eq!(clean_rel("./artifacts//prd/x.md").unwrap(), "artifacts/prd/x.md");
        assert_eq!(clean_rel("artifacts/backend/").unwrap(), "artifacts/backend");
        for bad in ["", "/etc/passwd", "../x", "a/../../b", "a\\b", "C:/x", "~/x", ".", "a/.."] {
            assert!(clean_rel(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn under_and_less_artifacts() {
        assert!(is_under("artifacts/backend/prisma/schema.prisma", "artifacts/backend/"));
        assert!(is_under("artifacts/backend", "artifacts/backend/"));
        assert!(!is_under("artifacts/backend2/x", "artifacts/backend/"));
        assert_eq!(less_artifacts("artifacts/prd/sneaky.md"), "prd/sneaky.md");
        assert_eq!(less_artifacts("input/idea.md"), "input/idea.md");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_leading_out_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let t = tempfile::tempdir().unwrap();
        let root = canonical_root(t.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("artifacts")).unwrap();
        assert!(check_inside(&root, "artifacts/_failed/code/attempt-1").is_err());
        assert!(check_inside(&root, "artifacts").is_err());
        std::fs::create_dir(root.join("input")).unwrap();
        std::os::unix::fs::symlink(root.join("input"), root.join("inside")).unwrap();
        assert!(check_inside(&root, "inside/idea.md").is_ok());
        assert!(check_inside(&root, "new/dir/file").is_ok());
    }
}
