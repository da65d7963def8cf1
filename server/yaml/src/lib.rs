//! YAML and JSON into our own spanned tree.
//!
//! saphyr-parser gives events with character positions; `parse` turns them into a
//! `Node` tree whose every key and value keeps its byte range (quotes included for
//! quoted scalars). Anchors, aliases and `<<` merge keys are resolved here, with
//! limits, so a billion-laughs file costs bounded time and memory. Duplicate keys
//! are reported, not fatal. A syntax error is reported at the offending token.

mod build;
mod map;
mod offsets;
mod parse;
mod scan;
mod tree;

pub use parse::{parse, Limits};
pub use tollgate_text::TextRange;
pub use tree::{DuplicateKey, Node, NodeKind, Parsed, Scalar, ScalarStyle, SyntaxError};
