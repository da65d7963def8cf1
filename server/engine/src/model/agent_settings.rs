//! Claude Code's project settings at the factory root, `.claude/settings.json`
//! and `.claude/settings.local.json`: only their permission rules are read
//! (`permissions.deny`, `permissions.ask`, `permissions.allow`, arrays of strings
//! such as `"Edit(artifacts/prd/**)"` or `"Bash"`), each with the exact range of
//! its JSON string, quotes included. Every other key is Claude Code's business and
//! is left alone: no `unknown-key` here.

use super::schema::Reader;
use super::{Loaded, Spanned};

/// The settings files read, relative to the factory root (shared first, then local).
pub const FILES: [&str; 2] = [".claude/settings.json", ".claude/settings.local.json"];

/// Is `rel` one of [`FILES`]?
pub fn is_settings(rel: &str) -> bool {
    FILES.contains(&rel)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleList {
    Deny,
    Ask,
    Allow,
}

impl RuleList {
    pub const ALL: [RuleList; 3] = [RuleList::Deny, RuleList::Ask, RuleList::Allow];

    /// The key under `permissions`.
    pub fn key(self) -> &'static str {
        match self {
            RuleList::Deny => "deny",
            RuleList::Ask => "ask",
            RuleList::Allow => "allow",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub list: RuleList,
    /// The rule's text (unescaped) and its JSON string's range, quotes included.
    pub rule: Spanned<String>,
}

impl Rule {
    /// The tool name and, for a rule written `Tool(specifier)`, the specifier.
    pub fn parts(&self) -> (&str, Option<&str>) {
        let r = self.rule.value.as_str();
        match r.find('(') {
            Some(open) if r.ends_with(')') => (&r[..open], Some(&r[open + 1..r.len() - 1])),
            _ => (r, None),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentSettings {
    /// Every string rule, in file order within each list (deny, ask, allow).
    pub rules: Vec<Rule>,
}

/// Reads one settings file. A text that is not JSON gets the usual `yaml-syntax`
/// finding (in JSON's words) and no model; a top level that is not an object, an
/// `invalid-value`. Lists or items of another shape are skipped silently: Claude
/// Code validates its own settings.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<AgentSettings> {
    let what = format!("`{path}`");
    let (r, root) = Reader::open_json(&text, &what);
    let model = root.map(|root| {
        let mut rules = Vec::new();
        if let Some(perms) = root.get("permissions") {
            for list in RuleList::ALL {
                for item in perms.get(list.key()).and_then(|l| l.as_seq()).unwrap_or_default() {
                    let is_string =
                        item.as_scalar().is_some_and(|s| s.style == tollgate_yaml::ScalarStyle::DoubleQuoted);
                    if let (true, Some(s)) = (is_string, item.as_str()) {
                        rules.push(Rule { list, rule: Spanned::new(s.to_string(), item.range) });
                    }
                }
            }
        }
        AgentSettings { rules }
    });
    let diagnostics = r.diags;
    Loaded { path: path.to_string(), text, model, diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    #[test]
    fn rules_are_read_with_the_range_of_their_json_string() {
        let text = "{\n  \"permissions\": {\n    \"allow\": [\"Bash\", \"Edit(src/**)\"],\n    \"deny\": [ \"Write(文档/**)\" , 3, null ]\n  },\n  \"env\": {\"X\": \"Write(y)\"}\n}\n";
        let l = load(".claude/settings.json", text.into());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let rules = &l.model.as_ref().unwrap().rules;
        let got: Vec<(RuleList, &str, &str)> =
            rules.iter().map(|r| (r.list, r.rule.value.as_str(), r.rule.range.slice(text))).collect();
        assert_eq!(
            got,
            [
                (RuleList::Deny, "Write(文档/**)", "\"Write(文档/**)\""),
                (RuleList::Allow, "Bash", "\"Bash\""),
                (RuleList::Allow, "Edit(src/**)", "\"Edit(src/**)\""),
            ]
        );
        assert_eq!(rules[0].parts(), ("Write", Some("文档/**")));
        assert_eq!(rules[1].parts(), ("Bash", None));
    }

    #[test]
    fn an_escaped_rule_is_unescaped_and_its_range_keeps_the_escapes() {
        let text = r#"{"permissions": {"ask": ["Write(a\/b\u0020c)"]}}"#;
        let l = load(".claude/settings.local.json", text.into());
        let r = &l.model.as_ref().unwrap().rules[0];
        assert_eq!((r.rule.value.as_str(), r.rule.range.slice(text)), ("Write(a/b c)", r#""Write(a\/b\u0020c)""#));
    }

    #[test]
    fn invalid_json_is_a_syntax_finding_and_no_model() {
        let text = "{\"permissions\": {\"deny\": [\"Write(x)\",]}}";
        let l = load(".claude/settings.json", text.into());
        assert!(l.model.is_none());
        let d: Vec<(Code, &str)> = l.diagnostics.iter().map(|d| (d.code, d.range.slice(text))).collect();
        assert_eq!(d, [(Code::YamlSyntax, "]")]);
        assert!(
            l.diagnostics[0].message.starts_with("JSON syntax error in `.claude/settings.json`: "),
            "{}",
            l.diagnostics[0].message
        );
        let top = load(".claude/settings.json", "[1]".into());
        assert_eq!(top.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::InvalidValue]);
        assert!(top.model.is_none());
    }
}
