//! The language server. The only crate that knows LSP types: it converts the
//! engine's plain data at the edge (`to_proto`, `from_proto`).

/// Serves LSP over stdin/stdout until `exit`.
pub fn run_stdio() {}
