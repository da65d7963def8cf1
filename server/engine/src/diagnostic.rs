//! The one diagnostic model that the server, the CLI and CI share.

use serde::{Deserialize, Serialize};
use tollgate_text::TextRange;

macro_rules! codes {
    ($($variant:ident = $name:literal, $sev:ident, $class:ident;)*) => {
        /// Every stable finding code (SPEC section 3).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }

            /// Why a run cannot go on, and where it returns to (SPEC 3.3).
            pub fn blocker(self) -> Blocker {
                match self { $(Code::$variant => BlockerClass::$class.blocker()),* }
            }
        }
    };
}

codes! {
    YamlSyntax = "yaml-syntax", Error, Definition;
    DuplicateKey = "duplicate-key", Error, Definition;
    UnknownKey = "unknown-key", Warning, Definition;
    InvalidValue = "invalid-value", Error, Definition;
    MissingKey = "missing-key", Error, Definition;
    DuplicateStage = "duplicate-stage", Error, Definition;
    AgentNotFound = "agent-not-found", Error, Definition;
    InputNotProduced = "input-not-produced", Warning, Definition;
    OutputOutsidePermissions = "output-outside-permissions", Error, Policy;
    MatrixUnknownStage = "matrix-unknown-stage", Warning, Definition;
    MatrixMissingStage = "matrix-missing-stage", Warning, Definition;
    MatrixMalformed = "matrix-malformed", Error, Definition;
    StateUnknownStage = "state-unknown-stage", Error, Definition;
    StateInconsistent = "state-inconsistent", Error, Definition;
    MissingOutput = "missing-output", Error, Build;
    StageFailed = "stage-failed", Error, Build;
    RetryLimit = "retry-limit", Error, Intervention;
    InvalidPattern = "invalid-pattern", Error, Definition;
    AmbiguousPattern = "ambiguous-pattern", Warning, Definition;
    MissingEvidence = "missing-evidence", Error, Evidence;
    StaleScope = "stale-scope", Warning, Scope;
    PermissionsWidened = "permissions-widened", Warning, Policy;
    UnauthorizedWrite = "unauthorized-write", Error, Policy;
    OutOfScope = "out-of-scope", Warning, Scope;
    DeletedOutput = "deleted-output", Warning, Build;
    StageSummary = "stage-summary", Information, Build;
    // Not in the contract: Claude Code's own permission rules (`.claude/settings*.json`).
    IneffectiveAgentRule = "ineffective-agent-rule", Warning, Definition;
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| format!("unknown code `{s}`"))
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockerClass {
    Scope,
    Policy,
    Build,
    Evidence,
    Intervention,
    Definition,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnTo {
    Exploration,
    User,
    Build,
}

impl ReturnTo {
    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnTo::Exploration => "exploration",
            ReturnTo::User => "user",
            ReturnTo::Build => "build",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Blocker {
    pub class: BlockerClass,
    pub return_to: ReturnTo,
}

impl BlockerClass {
    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockerClass::Scope => "scope",
            BlockerClass::Policy => "policy",
            BlockerClass::Build => "build",
            BlockerClass::Evidence => "evidence",
            BlockerClass::Intervention => "intervention",
            BlockerClass::Definition => "definition",
        }
    }

    pub fn blocker(self) -> Blocker {
        let return_to = match self {
            BlockerClass::Scope => ReturnTo::Exploration,
            BlockerClass::Build => ReturnTo::Build,
            _ => ReturnTo::User,
        };
        Blocker { class: self, return_to }
    }
}

/// A repair that a code action (or `tollgate recover`) can carry out.
/// It rides in the diagnostic's `data.fixes`, so code actions read it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Replace `range` of the diagnostic's own file with `new_text`.
    Replace {
        title: String,
        range: TextRange,
        new_text: String,
    },
    ExpandScope {
        path: String,
    },
    Quarantine {
        path: String,
        stage: String,
    },
    GrantWrite {
        stage: String,
        path: String,
    },
    ReturnToBuild {
        stage: String,
    },
    ArchiveAttempt {
        stage: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    /// Filled from the code when the diagnostic is made; never absent on the wire.
    pub blocker: Option<Blocker>,
    /// The stage the finding is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// One finding in one file. `range` is in bytes of that file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub range: TextRange,
    pub message: String,
    pub data: Data,
}

impl Diagnostic {
    pub fn new(code: Code, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            range,
            message: message.into(),
            data: Data { blocker: Some(code.blocker()), stage: None, fixes: Vec::new() },
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_stage(mut self, stage: impl Into<String>) -> Self {
        self.data.stage = Some(stage.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.data.fixes.push(fix);
        self
    }
}

/// A diagnostic and the file it belongs to (relative to the factory root, `/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Shared by a file's findings: one allocation, compared by pointer first.
    pub path: std::sync::Arc<str>,
    pub diagnostic: Diagnostic,
}

impl Finding {
    /// Is this finding in file `path`? By pointer first: a file's findings share it.
    pub fn is_in(&self, path: &std::sync::Arc<str>) -> bool {
        std::sync::Arc::ptr_eq(&self.path, path) || self.path == *path
    }
}

/// Per-code severity overrides (`tollgate.severity`, `--severity CODE=LEVEL`).
/// `None` as the level means "off".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeverityOverrides(pub std::collections::HashMap<Code, Option<Severity>>);

impl SeverityOverrides {
    /// Parses `error|warning|information|hint|off` (also `info`).
    pub fn parse_level(s: &str) -> Result<Option<Severity>, String> {
        match s {
            "error" => Ok(Some(Severity::Error)),
            "warning" => Ok(Some(Severity::Warning)),
            "information" | "info" => Ok(Some(Severity::Information)),
            "hint" => Ok(Some(Severity::Hint)),
            "off" => Ok(None),
            _ => Err(format!("unknown level `{s}` (expected error, warning, information, hint or off)")),
        }
    }

    /// Applies the overrides; findings of codes set to `off` are dropped.
    pub fn apply(&self, diags: &mut Vec<Diagnostic>) {
        diags.retain_mut(|d| self.adjust(d));
    }

    /// Sets `d`'s severity as overridden; false when its code is `off`.
    pub fn adjust(&self, d: &mut Diagnostic) -> bool {
        match self.0.get(&d.code) {
            None => true,
            Some(None) => false,
            Some(Some(sev)) => {
                d.severity = *sev;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_carry_their_blocker() {
        for c in Code::ALL {
            assert_eq!(c.as_str().parse::<Code>().unwrap(), *c);
        }
        assert_eq!(Code::ALL.len(), 27);
        let b = Code::OutOfScope.blocker();
        assert_eq!((b.class, b.return_to), (BlockerClass::Scope, ReturnTo::Exploration));
        assert_eq!(Code::MissingOutput.blocker().return_to, ReturnTo::Build);
        assert_eq!(Code::RetryLimit.blocker().class, BlockerClass::Intervention);
        assert_eq!(Code::YamlSyntax.blocker().class, BlockerClass::Definition);
        let json = serde_json::to_value(Diagnostic::new(Code::OutOfScope, TextRange::new(0, 1), "x").data).unwrap();
        assert_eq!(json, serde_json::json!({"blocker": {"class": "scope", "return_to": "exploration"}}));
    }

    #[test]
    fn wire_names_are_what_serde_writes() {
        use BlockerClass::*;
        for class in [Scope, Policy, Build, Evidence, Intervention, Definition] {
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
            let to = class.blocker().return_to;
            assert_eq!(serde_json::to_value(to).unwrap(), to.as_str());
        }
    }
}
