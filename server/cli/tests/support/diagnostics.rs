//! Diagnostics.

use super::*;

/// One `textDocument/publishDiagnostics`.
#[derive(Clone, Debug)]
pub struct Publish {
    /// Position in the order of all publishes.
    pub seq: usize,
    pub uri: String,
    pub path: PathBuf,
    pub version: Option<i64>,
    pub diagnostics: Vec<Value>,
}

impl Publish {
    pub fn codes(&self) -> Vec<&str> {
        self.diagnostics.iter().map(code).collect()
    }
    pub fn with_code(&self, c: &str) -> Vec<&Value> {
        self.diagnostics.iter().filter(|d| code(d) == c).collect()
    }
    pub fn count(&self, c: &str) -> usize {
        self.with_code(c).len()
    }
    pub fn has(&self, c: &str) -> bool {
        self.count(c) > 0
    }
    /// The one diagnostic with code `c`.
    pub fn one(&self, c: &str) -> &Value {
        let found = self.with_code(c);
        assert_eq!(found.len(), 1, "expected one `{c}` in {}: {:#?}", self.uri, self.diagnostics);
        found[0]
    }
}

pub fn code(d: &Value) -> &str {
    d["code"].as_str().unwrap_or("")
}

/// A short line per diagnostic: `code sev [l:c-l:c] message`.
pub fn describe(diags: &[Value]) -> String {
    diags
        .iter()
        .map(|d| {
            let (a, b, c, e) = quad(&d["range"]);
            format!("  {} sev{} [{a}:{b}-{c}:{e}] {}", code(d), d["severity"], d["message"].as_str().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
