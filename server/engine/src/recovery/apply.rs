//! Carrying out a whole plan: moves first, text files last, everything undone on failure.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::fs_ops::{apply_fs_ops, Failure, FsDone};
use super::plan::{apply_edits, DiskFiles, Files, Plan, Step};

/// What was changed, root-relative.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub paths: Vec<String>,
}

/// The first half of carrying out a plan, for callers that write text their own
/// way (the server awaits `workspace/applyEdit` in between): refuses a stale plan,
/// then runs the moves and copies. If the text edits then fail, call `rollback`.
pub fn begin_apply(root: &Path, plan: &Plan, files: &dyn Files) -> Result<FsDone, Failure> {
    let stale = plan.stale(files);
    if !stale.is_empty() {
        return Err(Failure {
            message: format!(
                "{} changed since the action was planned; nothing was done, look again and retry",
                stale.join(", ")
            ),
            undone: true,
        });
    }
    // Text files too stay inside the root: a `.factory/` or `pipeline/` that is a
    // symlink leading out must not get state.json or error.log written through it.
    let canon = super::paths::canonical_root(root).map_err(|r| Failure { message: r.0, undone: true })?;
    for step in plan.text_steps() {
        let path = match step {
            Step::Edit(e) => &e.path,
            Step::CreateFile { path, .. } => path,
            _ => continue,
        };
        super::paths::check_inside(&canon, path).map_err(|r| Failure { message: r.0, undone: true })?;
    }
    apply_fs_ops(root, plan)
}

/// Refuses a stale plan, runs the moves and copies, then hands the text steps to
/// `write_text`; when that fails, the moves are undone.
pub fn apply_with(
    root: &Path,
    plan: &Plan,
    files: &dyn Files,
    write_text: &mut dyn FnMut(&[&Step]) -> Result<(), String>,
) -> Result<Applied, Failure> {
    let fs = begin_apply(root, plan, files)?;
    let text: Vec<&Step> = plan.text_steps().collect();
    if let Err(e) = write_text(&text) {
        return Err(match fs.rollback() {
            Ok(()) => Failure { message: format!("{e}; every move was undone, nothing changed"), undone: true },
            Err(left) => Failure { message: format!("{e}; undoing the moves failed too: {left}"), undone: false },
        });
    }
    let paths = plan
        .steps
        .iter()
        .map(|s| match s {
            Step::CreateDir { path } | Step::CreateFile { path, .. } => path.clone(),
            Step::Move { to, .. } | Step::Copy { to, .. } => to.clone(),
            Step::Edit(e) => e.path.clone(),
        })
        .collect();
    Ok(Applied { paths })
}

/// The CLI's way: everything on disk. Text files are replaced atomically
/// (temp file, fsync, rename) and restored if a later one fails.
pub fn apply_to_disk(root: &Path, plan: &Plan) -> Result<Applied, Failure> {
    let files = DiskFiles { root };
    apply_with(root, plan, &files, &mut |steps| write_texts(root, steps))
}

fn write_texts(root: &Path, steps: &[&Step]) -> Result<(), String> {
    let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    for step in steps {
        let r = match step {
            Step::Edit(e) => {
                let abs = root.join(&e.path);
                match fs::read_to_string(&abs) {
                    Ok(old) => {
                        let new = apply_edits(&old, &e.edits);
                        replace(&abs, new.as_bytes()).map(|()| done.push((abs, Some(old.into_bytes()))))
                    }
                    Err(err) => Err(err),
                }
                .map_err(|err| format!("could not write {}: {err}", e.path))
            }
            Step::CreateFile { path, text } => create(&root.join(path), text.as_bytes())
                .map(|created| done.extend(created.into_iter().map(|p| (p, None))))
                .map_err(|err| format!("could not create {path}: {err}")),
            _ => Ok(()),
        };
        if let Err(msg) = r {
            for (p, old) in done.into_iter().rev() {
                let _ = match old {
                    Some(bytes) => replace(&p, &bytes),
                    // Files and directories this action created hold only our own bytes.
                    None if p.is_dir() => fs::remove_dir(&p),
                    None => fs::remove_file(&p),
                };
            }
            return Err(msg);
        }
    }
    Ok(())
}

fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tollgate-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Ok(m) = fs::metadata(path) {
            f.set_permissions(m.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates the file (never over an existing one) and its missing parents; returns
/// what it created, the file last.
fn create(path: &Path, bytes: &[u8]) -> std::io::Result<Vec<PathBuf>> {
    let mut created = Vec::new();
    let mut missing = Vec::new();
    let mut p = path.parent();
    while let Some(d) = p {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        p = d.parent();
    }
    let result = (|| {
        for d in missing.into_iter().rev() {
            fs::create_dir(&d)?;
            created.push(d);
        }
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        created.push(path.to_path_buf());
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(created),
        Err(e) => {
            for p in created.into_iter().rev() {
                let _ = if p.is_dir() { fs::remove_dir(&p) } else { fs::remove_file(&p) };
            }
            Err(e)
        }
    }
}
