//! tollgate's analysis engine. It takes plain data (texts, paths, git facts) and
//! returns plain data (findings, recovery plans); it never sees an LSP type, so
//! the language server and the CLI share it and never disagree.

pub mod analysis;
pub mod changes;
pub mod checks;
pub mod diagnostic;
pub mod fs_view;
pub mod guard;
pub mod ide;
pub mod model;
pub mod pattern;
pub mod permissions;
pub mod policy;
pub mod recovery;
pub mod root;
pub mod sandbox;
pub mod status;
pub mod suggest;
pub mod workspace;

pub use diagnostic::{Code, Diagnostic, Finding, Severity};
pub use tollgate_text::{LineCol, LineIndex, PositionEncoding, TextRange};
