//! A stage's write permissions: its `permissions.write` when present, else its
//! matrix row (SPEC section 2).
//!
//! Entries are paths or patterns in the scope dialect (`crate::pattern`): a path
//! ending in `/` names a directory and everything under it; a path without a
//! trailing `/` names only itself. An entry that is not a valid pattern grants
//! nothing (its own file's checks report it).

use crate::model::matrix::Matrix;
use crate::model::pipeline::Pipeline;
use crate::model::{Loaded, Spanned};
use crate::pattern::{Pattern, PatternSet};
use tollgate_text::TextRange;

/// Where a stage's write permissions come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The stage's row in the capability matrix.
    Matrix,
    /// The stage's `permissions.write` in `pipeline.yaml`.
    Permissions,
}

/// One entry of a write set, as written.
#[derive(Clone, Debug)]
pub struct WriteRule {
    pub text: String,
    /// The entry's range in `WriteSet::file` (a matrix path: its backticks included).
    pub range: TextRange,
    /// None when the entry is not a valid pattern.
    pub pattern: Option<Pattern>,
}

/// The paths one stage may write.
#[derive(Clone, Debug)]
pub struct WriteSet {
    pub stage: String,
    pub origin: Origin,
    /// The file holding the rule, relative to the root.
    pub file: String,
    /// Matrix: the row's write cell. Permissions: the `write` list (else the `permissions` key).
    pub anchor: TextRange,
    /// Matrix: the row's stage cell. Permissions: the `permissions` key.
    pub rule_range: TextRange,
    pub rules: Vec<WriteRule>,
    set: PatternSet,
    /// Index in `set` -> index in `rules` (invalid rules are not in the set).
    set_rules: Vec<usize>,
}

impl WriteSet {
    /// The stage's write set: `permissions.write` when present, else its matrix
    /// row; None when it has neither (or the stage is unknown and has no row).
    pub fn for_stage(
        pipeline: Option<&Loaded<Pipeline>>,
        matrix: Option<&Loaded<Matrix>>,
        stage: &str,
    ) -> Option<WriteSet> {
        if let Some(p) = pipeline {
            let found = p.model.as_ref().and_then(|m| m.stage(stage));
            let perms = found.and_then(|s| s.permissions.as_ref());
            if let Some((perms, write)) = perms.and_then(|pm| pm.write.as_ref().map(|w| (pm, w))) {
                let anchor = perms.write_range.unwrap_or(perms.key);
                return Some(WriteSet::new(stage, Origin::Permissions, &p.path, anchor, perms.key, write));
            }
        }
        let m = matrix?;
        let row = m.model.as_ref()?.row(stage)?;
        Some(WriteSet::new(stage, Origin::Matrix, &m.path, row.write_cell, row.stage.range, &row.write))
    }

    /// A write set from its entries (also for comparing with a base version).
    pub fn new(
        stage: &str,
        origin: Origin,
        file: &str,
        anchor: TextRange,
        rule_range: TextRange,
        entries: &[Spanned<String>],
    ) -> WriteSet {
        let rules: Vec<WriteRule> = entries
            .iter()
            .map(|e| WriteRule {
                text: e.value.clone(),
                range: e.range,
                pattern: Pattern::compile(e.value.trim()).ok(),
            })
            .collect();
        let set_rules: Vec<usize> = (0..rules.len()).filter(|&i| rules[i].pattern.is_some()).collect();
        let set = PatternSet::new(set_rules.iter().filter_map(|&i| rules[i].pattern.as_ref()));
        WriteSet { stage: stage.to_string(), origin, file: file.to_string(), anchor, rule_range, rules, set, set_rules }
    }

    /// May the stage write the root-relative file `path`?
    pub fn allows(&self, path: &str) -> bool {
        self.set.is_match(normalize(path))
    }

    /// The first rule that allows `path`.
    pub fn rule_for(&self, path: &str) -> Option<&WriteRule> {
        self.set.first_match(normalize(path)).map(|i| &self.rules[self.set_rules[i]])
    }

    /// May the stage write everything under the directory `dir`?
    pub fn allows_dir(&self, dir: &str) -> bool {
        let dir = normalize(dir).trim_end_matches('/');
        self.rules.iter().filter_map(|r| r.pattern.as_ref()).any(|p| p.covers_dir(dir))
    }

    /// Is a pipeline output allowed? An output ending in `/` is a directory and
    /// is allowed when all of it lies inside the write set.
    pub fn allows_output(&self, output: &str) -> bool {
        let output = output.trim();
        if output.ends_with('/') {
            self.allows_dir(output)
        } else {
            self.allows(output)
        }
    }

    /// "matrix row `validation`" or "`permissions.write` of stage `validation`".
    pub fn rule_name(&self) -> String {
        match self.origin {
            Origin::Matrix => format!("matrix row `{}`", self.stage),
            Origin::Permissions => format!("`permissions.write` of stage `{}`", self.stage),
        }
    }

    /// "matrix row `validation` allows only `artifacts/validation/`".
    pub fn describe(&self) -> String {
        if self.rules.is_empty() {
            return format!("{} allows no writes", self.rule_name());
        }
        let list: Vec<String> = self.rules.iter().map(|r| format!("`{}`", r.text)).collect();
        format!("{} allows only {}", self.rule_name(), list.join(", "))
    }

    /// The rules of `self` that grant something `base` does not (so `self` is wider).
    /// Exact for paths and plain directories; a wildcard rule counts as covered
    /// when `base` covers the whole directory before its first wildcard.
    pub fn widened_rules(&self, base: &WriteSet) -> Vec<&WriteRule> {
        self.rules.iter().filter(|r| r.pattern.as_ref().is_some_and(|p| !base.covers(p))).collect()
    }

    /// Is `self` wider than `base` (grants a path that `base` does not)?
    pub fn is_wider_than(&self, base: &WriteSet) -> bool {
        !self.widened_rules(base).is_empty()
    }

    fn covers(&self, p: &Pattern) -> bool {
        self.rules.iter().filter_map(|r| r.pattern.as_ref()).any(|q| q.covers(p))
    }
}

fn normalize(path: &str) -> &str {
    path.strip_prefix("./").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::matrix;
    use crate::model::pipeline::{Permissions, Stage};
    use std::sync::Arc;

    fn spanned(items: &[&str]) -> Vec<Spanned<String>> {
        items
            .iter()
            .enumerate()
            .map(|(i, s)| Spanned::new(s.to_string(), TextRange::new(i as u32, i as u32 + 1)))
            .collect()
    }

    fn set(items: &[&str]) -> WriteSet {
        WriteSet::new("code", Origin::Matrix, "m.md", TextRange::new(0, 1), TextRange::new(0, 1), &spanned(items))
    }

    #[test]
    fn paths_directories_and_outputs() {
        let w = set(&["artifacts/backend/", "artifacts/client/", "README.md", "docs/*.md"]);
        assert!(w.allows("artifacts/backend/src/a.ts"));
        assert!(w.allows("./artifacts/client/x"));
        assert!(!w.allows("artifacts/backend2/a"));
        assert!(w.allows("README.md") && !w.allows("README.md/x"));
        assert!(w.allows_output("artifacts/backend/"));
        assert!(w.allows_output("artifacts/backend/src/"));
        assert!(w.allows_output("artifacts/backend/prisma/schema.prisma"));
        assert!(!w.allows_output("artifacts/"));
        assert!(!w.allows_output("docs/"), "docs/*.md does not cover all of docs/");
        assert!(w.allows_output("docs/a.md"));
        assert_eq!(w.rule_for("artifacts/client/a").map(|r| r.text.as_str()), Some("artifacts/client/"));
        assert!(w.rule_for("nope").is_none());
        assert_eq!(
            w.describe(),
            "matrix row `code` allows only `artifacts/backend/`, `artifacts/client/`, `README.md`, `docs/*.md`"
        );
        assert_eq!(set(&[]).describe(), "matrix row `code` allows no writes");
        assert!(!set(&["../x/", "a\\b"]).allows("a\\b"));
    }

    #[test]
    fn widening() {
        let base = set(&["artifacts/backend/", "docs/a.md"]);
        assert!(!set(&["artifacts/backend/src/", "artifacts/backend/*.ts", "docs/a.md"]).is_wider_than(&base));
        assert!(!set(&[]).is_wider_than(&base));
        let wider = set(&["artifacts/backend/", "artifacts/client/", "docs/*.md"]);
        let got: Vec<&str> = wider.widened_rules(&base).iter().map(|r| r.text.as_str()).collect();
        assert_eq!(got, ["artifacts/client/", "docs/*.md"]);
        assert!(set(&["**"]).is_wider_than(&base));
        assert!(!set(&["artifacts/backend/"]).is_wider_than(&set(&["**"])));
    }

    #[test]
    fn permissions_write_wins_over_the_matrix_row() {
        let mtext = "| Stage | Read | Write |\n|---|---|---|\n| code | - | `src/` |\n| prd | - | `docs/` |\n";
        let m = matrix::load("policies/capability.matrix.md", Arc::from(mtext));
        let stage = |id: &str, write: Option<Vec<Spanned<String>>>| Stage {
            anchor: TextRange::new(0, 1),
            range: TextRange::new(0, 1),
            id: Some(Spanned::new(id.to_string(), TextRange::new(0, 1))),
            description: None,
            agent: None,
            inputs: vec![],
            outputs: vec![],
            exit_criteria: vec![],
            on_failure: None,
            permissions: Some(Permissions {
                key: TextRange::new(5, 16),
                read: vec![],
                write_range: write.as_ref().map(|_| TextRange::new(20, 30)),
                write,
            }),
        };
        let pipeline =
            Pipeline::new(vec![stage("code", Some(spanned(&["lib/"]))), stage("prd", None), stage("x", None)]);
        let p = Loaded {
            path: "pipeline.yaml".to_string(),
            text: Arc::from(""),
            model: Some(pipeline),
            diagnostics: vec![],
        };
        let code = WriteSet::for_stage(Some(&p), Some(&m), "code").unwrap();
        assert_eq!(
            (code.origin, code.file.as_str(), code.anchor),
            (Origin::Permissions, "pipeline.yaml", TextRange::new(20, 30))
        );
        assert!(code.allows("lib/a.rs") && !code.allows("src/a.rs"));
        assert_eq!(code.rule_name(), "`permissions.write` of stage `code`");
        let prd = WriteSet::for_stage(Some(&p), Some(&m), "prd").unwrap();
        assert_eq!(prd.origin, Origin::Matrix);
        assert_eq!(prd.rules[0].range.slice(mtext), "`docs/`");
        assert_eq!(prd.anchor.slice(mtext), "`docs/`");
        assert_eq!(prd.rule_range.slice(mtext), "prd");
        assert!(WriteSet::for_stage(Some(&p), Some(&m), "x").is_none());
        assert!(WriteSet::for_stage(None, Some(&m), "code").unwrap().allows("src/a"));
        assert!(WriteSet::for_stage(Some(&p), None, "prd").is_none());
    }
}
