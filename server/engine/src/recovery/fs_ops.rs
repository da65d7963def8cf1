//! Carrying out a plan's directory creations, moves and copies, all or nothing.
//!
//! Moves never overwrite (check, then rename(2)); across filesystems (EXDEV) a
//! move falls back to copy + fsync + remove. Every completed step is recorded, so
//! a failure part-way moves everything back and the action fails whole.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::paths::{canonical_root, check_inside};
use super::plan::{Plan, Step};

/// Why carrying out a plan failed. `undone` tells whether every completed step was reverted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub undone: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

enum Undo {
    /// Directories this action created, removed again only while empty.
    Dir(PathBuf),
    Moved {
        from: PathBuf,
        to: PathBuf,
    },
    /// A copy this action made (only our own bytes are ever removed).
    Copied(PathBuf),
}

/// Completed file-system steps; `rollback` reverts them (e.g. when the text edits fail).
pub struct FsDone {
    undo: Vec<Undo>,
}

impl FsDone {
    /// Reverts every step in reverse order; returns what could not be reverted.
    pub fn rollback(self) -> Result<(), String> {
        let mut problems = Vec::new();
        for u in self.undo.into_iter().rev() {
            let r = match &u {
                Undo::Dir(d) => match fs::remove_dir(d) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                },
                Undo::Moved { from, to } => move_path(to, from),
                Undo::Copied(p) => remove_copy(p),
            };
            if let Err(e) = r {
                let what = match &u {
                    Undo::Dir(d) => format!("remove the new directory {}", d.display()),
                    Undo::Moved { from, to } => format!("move {} back to {}", to.display(), from.display()),
                    Undo::Copied(p) => format!("remove the copy {}", p.display()),
                };
                problems.push(format!("could not {what}: {e}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Carries out the plan's `CreateDir`, `Move` and `Copy` steps (text steps are skipped).
pub fn apply_fs_ops(root: &Path, plan: &Plan) -> Result<FsDone, Failure> {
    apply_fs_ops_with(root, plan, &mut |_, _| Ok(()))
}

/// As `apply_fs_ops`, calling `before` ahead of each step; an error from it fails
/// that step (a fault-injection hook for tests).
pub fn apply_fs_ops_with(
    root: &Path,
    plan: &Plan,
    before: &mut dyn FnMut(usize, &Step) -> io::Result<()>,
) -> Result<FsDone, Failure> {
    let canon = canonical_root(root).map_err(|r| Failure { message: r.0, undone: true })?;
    let mut done = FsDone { undo: Vec::new() };
    for (i, step) in plan.fs_steps().enumerate() {
        if let Err(msg) = run_step(&canon, i, step, before, &mut done.undo) {
            let message = match done.rollback() {
                Ok(()) => format!("{msg}; every completed step was undone, nothing changed"),
                Err(left) => {
                    return Err(Failure {
                        message: format!("{msg}; undoing the completed steps failed too: {left}"),
                        undone: false,
                    })
                }
            };
            return Err(Failure { message, undone: true });
        }
    }
    Ok(done)
}

fn run_step(
    canon: &Path,
    i: usize,
    step: &Step,
    before: &mut dyn FnMut(usize, &Step) -> io::Result<()>,
    undo: &mut Vec<Undo>,
) -> Result<(), String> {
    // The disk may have changed since planning: check containment again.
    let inside = |rel: &str| check_inside(canon, rel).map_err(|r| r.0);
    match step {
        Step::CreateDir { path } => {
            inside(path)?;
            let abs = canon.join(path);
            let fail = |e: io::Error| format!("could not create {path}/: {e}");
            before(i, step).map_err(fail)?;
            make_parents(&abs, undo).map_err(fail)?;
            fs::create_dir(&abs).map_err(fail)?;
            undo.push(Undo::Dir(abs));
        }
        Step::Move { from, to } => {
            inside(from)?;
            inside(to)?;
            let (src, dst) = (canon.join(from), canon.join(to));
            let fail = |e: io::Error| format!("could not move {from} to {to}: {e}");
            before(i, step).map_err(fail)?;
            fs::symlink_metadata(&src).map_err(fail)?;
            if fs::symlink_metadata(&dst).is_ok() {
                return Err(format!("could not move {from} to {to}: {to} already exists (never overwritten)"));
            }
            make_parents(&dst, undo).map_err(fail)?;
            move_path(&src, &dst).map_err(fail)?;
            undo.push(Undo::Moved { from: src, to: dst });
        }
        Step::Copy { from, to } => {
            inside(from)?;
            inside(to)?;
            let (src, dst) = (canon.join(from), canon.join(to));
            let fail = |e: io::Error| format!("could not copy {from} to {to}: {e}");
            before(i, step).map_err(fail)?;
            fs::symlink_metadata(&src).map_err(fail)?;
            if fs::symlink_metadata(&dst).is_ok() {
                return Err(format!("could not copy {from} to {to}: {to} already exists (never overwritten)"));
            }
            make_parents(&dst, undo).map_err(fail)?;
            if let Err(e) = copy_tree(&src, &dst) {
                let _ = remove_copy(&dst);
                return Err(fail(e));
            }
            undo.push(Undo::Copied(dst));
        }
        Step::CreateFile { .. } | Step::Edit(_) => {}
    }
    Ok(())
}

/// Creates the missing ancestors of `path`, recording each for rollback.
fn make_parents(path: &Path, undo: &mut Vec<Undo>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut p = path.parent();
    while let Some(d) = p {
        if fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        p = d.parent();
    }
    for d in missing.into_iter().rev() {
        fs::create_dir(&d)?;
        undo.push(Undo::Dir(d));
    }
    Ok(())
}

fn is_exdev(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::CrossesDevices
}

/// rename(2); across filesystems, copy + fsync + remove the source.
fn move_path(src: &Path, dst: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dst).is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} already exists", dst.display())));
    }
    match fs::rename(src, dst) {
        Err(e) if is_exdev(&e) => {
            if let Err(e) = copy_tree(src, dst) {
                let _ = remove_copy(dst);
                return Err(e);
            }
            remove_copy(src)
        }
        r => r,
    }
}

/// Copies a file, symlink (as a link, never followed) or directory tree; files are fsynced.
fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src)?;
        #[cfg(unix)]
        return std::os::unix::fs::symlink(target, dst);
        #[cfg(not(unix))]
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("cannot copy the symlink to {}", target.display()),
        ));
    }
    if meta.is_dir() {
        fs::create_dir(dst)?;
        for entry in fs::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
        }
        return Ok(());
    }
    let mut from = fs::File::open(src)?;
    let mut to = fs::OpenOptions::new().write(true).create_new(true).open(dst)?;
    io::copy(&mut from, &mut to)?;
    to.set_permissions(meta.permissions())?;
    to.sync_all()
}

/// Removes a copy this action made (a file, link or tree).
fn remove_copy(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
