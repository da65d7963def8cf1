//! YAML and JSON into our own spanned tree.
//!
//! saphyr-parser gives events with character positions; `parse` turns them into a
//! `Node` tree whose every key and value keeps its byte range (quotes included for
//! quoted scalars). Anchors, aliases and `<<` merge keys are resolved here, with
//! limits, so a billion-laughs file costs bounded time and memory. Duplicate keys
//! are reported, not fatal. A syntax error is reported at the offending token.
//!
//! Details callers may rely on:
//! - Every node copied from an alias (the copy's root and everything inside it,
//!   also entries merged through `<<: *x`) has the alias's range.
//! - An empty value (`key:` with nothing after it) is a plain null scalar with an
//!   empty range at the `:`. Put findings about it on the key.
//! - Tags are read but not applied (`!!str 1` is a plain `1`).
//! - Only the first document is read; later ones are ignored, errors included.
//! - saphyr allows at most 255 nested brackets; deeper flow nesting is a syntax
//!   error before `Limits::max_depth` applies.

mod build;
mod map;
mod offsets;
mod parse;
mod scan;
mod tree;

pub use parse::{parse, Limits};
pub use tollgate_text::TextRange;
pub use tree::{DuplicateKey, Node, NodeKind, Parsed, Scalar, ScalarStyle, SyntaxError};
