//! The scope pattern dialect (SPEC section 4), compiled with globset.
//!
//! Anchored at the factory root; a leading `/` says so explicitly; `*`, `?` and
//! `[...]` never cross `/`; `**` spans directories; a trailing `/` means `dir/**`;
//! `{a,b}` is allowed. `..` segments, `\`, a leading `~`, a drive letter, a
//! leading `!` and the empty pattern are invalid.

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
}

impl Pattern {
    pub fn compile(source: &str) -> Result<Pattern, PatternError> {
        Ok(Pattern { source: source.to_string() })
    }

    /// Does the root-relative, `/`-separated `path` match?
    pub fn matches(&self, path: &str) -> bool {
        let _ = path;
        false
    }
}
