//! The text after an edit tool's replacements (Claude Code's `Edit`, Gemini
//! CLI's `replace`): the guard judges a rule file by what it would hold.

/// One `old_string` -> `new_string` replacement.
pub struct Replacement<'a> {
    pub old: &'a str,
    pub new: &'a str,
    /// Every occurrence (else exactly one must exist, as the tools require).
    pub all: bool,
}

/// Applies the replacements in order, as the tools do; Err when one does not
/// apply (the tool would refuse it too, but the guard cannot judge a text it
/// cannot build).
pub fn apply_replacements(current: Option<&str>, edits: &[Replacement]) -> Result<String, String> {
    let mut text = current.unwrap_or_default().to_string();
    for e in edits {
        if e.old.is_empty() {
            // An empty old string creates the file (Claude Code's Edit of a new file).
            if text.is_empty() {
                text = e.new.to_string();
                continue;
            }
            return Err("an empty old_string on a file that is not empty".into());
        }
        let count = text.matches(e.old).count();
        if count == 0 {
            return Err("old_string is not in the file".into());
        }
        if count > 1 && !e.all {
            return Err(format!("old_string occurs {count} times and replace_all is not set"));
        }
        text = text.replace(e.old, e.new);
    }
    Ok(text)
}
