use crate::tree::Parsed;

/// Bounds that keep hostile input cheap. Exceeding one is a `SyntaxError`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Total nodes created by alias expansion (billion laughs).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 256, max_alias_nodes: 100_000 }
    }
}

/// Parses the first document of `text`.
pub fn parse(text: &str, limits: &Limits) -> Parsed {
    let _ = (text, limits);
    Parsed::default()
}
