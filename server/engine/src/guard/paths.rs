//! Where a write lands: the path without `.` and `..`, symlinks followed, and
//! the factory root it belongs to.

use std::path::{Component, Path, PathBuf};

use crate::root::Root;

/// `path` without `.` and `..` components, lexically (`..` at the top stays at the top).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The path a write to `path` really reaches: a symlink at the path itself is
/// followed (a write goes to its target), and the part that exists is resolved.
pub fn real_target(path: &Path) -> Result<PathBuf, String> {
    let mut p = normalize(path);
    let mut hops = 0;
    while std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
        hops += 1;
        if hops > 40 {
            return Err(format!("{}: too many levels of symbolic links", path.display()));
        }
        let target = std::fs::read_link(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
        p = normalize(&base.join(target));
    }
    // The deepest part that exists, resolved; the rest appended as it is.
    let mut base = p.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(base) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return Ok(out);
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            _ => return Ok(p),
        }
    }
}

/// A path's root and its place in it.
pub struct Located {
    pub root: Root,
    /// Root-relative, `/`-separated.
    pub rel: String,
    /// Set when the path lies in `root` as written but a symlink takes the
    /// write out of it: where it really lands.
    pub escapes: Option<PathBuf>,
}

/// The root a write to `path` belongs to; None when there is none above it.
pub fn locate(path: &Path) -> Result<Option<Located>, String> {
    if !path.is_absolute() {
        return Err(format!("`{}` is not an absolute path", path.display()));
    }
    let lexical = normalize(path);
    let real = real_target(&lexical)?;
    let real_root = Root::find(&real);
    if let Some(l) = Root::find(&lexical) {
        let dir = std::fs::canonicalize(&l.dir).map_err(|e| format!("{}: {e}", l.dir.display()))?;
        if !real.starts_with(&dir) {
            let root = Root::at(&dir).ok_or_else(|| format!("{}: the factory root moved", dir.display()))?;
            let rel = l.relative(&lexical).unwrap_or_default();
            return Ok(Some(Located { root, rel, escapes: Some(real) }));
        }
    }
    Ok(real_root.and_then(|root| Some(Located { rel: root.relative(&real)?, root, escapes: None })))
}
