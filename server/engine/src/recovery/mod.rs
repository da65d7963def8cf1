//! Recovery actions (SPEC section 5): planned first, then carried out whole or not at all.
//!
//! `plan_*` reads what it needs (through `Files`, so the server can read open
//! buffers) and returns a `Plan`: ordered steps, a title, a description and the
//! fingerprint of every file read. Carrying it out: `apply_to_disk` (the CLI), or
//! `apply_fs_ops` + the caller's own text edits (the server, via `workspace/applyEdit`).

mod apply;
pub(crate) mod archive;
pub mod error_log;
mod expand_scope;
mod fs_ops;
mod grant_write;
pub mod json;
pub(crate) mod paths;
pub(crate) mod plan;
pub(crate) mod project;
pub(crate) mod quarantine;
mod return_to_build;
pub mod shell;
pub mod time;

#[cfg(test)]
mod tests;

pub use apply::{apply_to_disk, apply_with, begin_apply, Applied};
pub use archive::plan_archive_attempt;
pub use error_log::{parse_error_log, Block, PathRef, Report};
pub use expand_scope::{plan_expand_scope, ScopeRequest};
pub use fs_ops::{apply_fs_ops, apply_fs_ops_with, Failure, FsDone};
pub use grant_write::{grant_write, Grant};
pub use paths::clean_rel;
pub use plan::{
    apply_edits, sha256_hex, ActionKind, DiskFiles, Env, Files, Fingerprint, Plan, Refusal, Step, TextEdit,
};
pub use quarantine::plan_quarantine;
pub use return_to_build::plan_return_to_build;
