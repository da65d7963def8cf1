//! Codex's `apply_patch` text: which files it writes, and what an updated file
//! would hold (`*** Begin Patch` … `*** Add File:` / `*** Update File:` (+
//! `*** Move to:`) / `*** Delete File:` … `*** End Patch`).

/// One `@@` hunk of an update: the lines it expects and the lines it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: Vec<String>,
    pub new: Vec<String>,
}

/// One file operation of a patch; paths as written (relative to the cwd).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    Add { path: String, text: String },
    Delete { path: String },
    Update { path: String, move_to: Option<String>, hunks: Vec<Hunk> },
}

/// The file operations of a patch; Err when it has none (not a patch we can read).
pub fn parse(patch: &str) -> Result<Vec<FileOp>, String> {
    let mut ops: Vec<FileOp> = Vec::new();
    for line in patch.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(p) = line.strip_prefix("*** Add File: ") {
            ops.push(FileOp::Add { path: p.trim().to_string(), text: String::new() });
        } else if let Some(p) = line.strip_prefix("*** Delete File: ") {
            ops.push(FileOp::Delete { path: p.trim().to_string() });
        } else if let Some(p) = line.strip_prefix("*** Update File: ") {
            ops.push(FileOp::Update { path: p.trim().to_string(), move_to: None, hunks: Vec::new() });
        } else if let Some(p) = line.strip_prefix("*** Move to: ") {
            match ops.last_mut() {
                Some(FileOp::Update { move_to, .. }) => *move_to = Some(p.trim().to_string()),
                _ => return Err("`*** Move to:` without an `*** Update File:` before it".into()),
            }
        } else if line.starts_with("*** ") {
            // *** Begin Patch, *** End Patch, *** End of File
        } else {
            match ops.last_mut() {
                Some(FileOp::Add { text, .. }) => {
                    if let Some(l) = line.strip_prefix('+') {
                        text.push_str(l);
                        text.push('\n');
                    }
                }
                Some(FileOp::Update { hunks, .. }) => {
                    if line.starts_with("@@") || hunks.is_empty() {
                        hunks.push(Hunk { old: Vec::new(), new: Vec::new() });
                        if line.starts_with("@@") {
                            continue;
                        }
                    }
                    let h = hunks.last_mut().expect("a hunk");
                    if let Some(l) = line.strip_prefix('-') {
                        h.old.push(l.to_string());
                    } else if let Some(l) = line.strip_prefix('+') {
                        h.new.push(l.to_string());
                    } else {
                        let l = line.strip_prefix(' ').unwrap_or(line);
                        h.old.push(l.to_string());
                        h.new.push(l.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if ops.is_empty() {
        return Err("the patch names no file (no `*** Add File:`, `*** Update File:` or `*** Delete File:`)".into());
    }
    Ok(ops)
}

/// A shell command that Codex applies as a patch itself, never running it:
/// `apply_patch <<'EOF'` … `EOF`, or `cd <dir> && apply_patch <<'EOF'` … `EOF`
/// (also `applypatch`), as the whole command. Codex gives such a command no
/// `PostToolUse`, so it is judged before, like its `apply_patch` tool. Returns
/// the heredoc's text and the `cd` directory; None for any other command (which
/// runs as a program, and is looked at after).
pub fn shell_invocation(command: &str) -> Option<(String, Option<String>)> {
    let blank = |c: char| c == ' ' || c == '\t';
    let mut s = command.trim_start();
    let mut dir = None;
    if let Some(rest) = s.strip_prefix("cd").filter(|r| r.starts_with(blank)) {
        let rest = rest.trim_start_matches(blank);
        let (path, rest) = word(rest, |c| c.is_whitespace() || c == '&')?;
        if path.is_empty() {
            return None;
        }
        s = rest.trim_start_matches(blank).strip_prefix("&&")?.trim_start();
        dir = Some(path.to_string());
    }
    let s = s.strip_prefix("apply_patch").or_else(|| s.strip_prefix("applypatch"))?;
    let s = s.trim_start_matches(blank).strip_prefix("<<")?;
    let (strip_tabs, s) = match s.strip_prefix('-') {
        Some(s) => (true, s),
        None => (false, s),
    };
    let s = s.trim_start_matches(blank);
    let (delimiter, s) = word(s, char::is_whitespace)?;
    let (first, body) = s.split_once('\n')?;
    if delimiter.is_empty() || !first.trim().is_empty() {
        return None;
    }
    let mut text = String::new();
    let mut lines = body.split_inclusive('\n');
    for line in lines.by_ref() {
        let bare = line.trim_end_matches('\n').trim_end_matches('\r');
        let bare = if strip_tabs { bare.trim_start_matches('\t') } else { bare };
        if bare == delimiter {
            // Only the heredoc: anything after it is another command, and Codex runs the whole as a program.
            return lines.all(|l| l.trim().is_empty()).then_some((text, dir));
        }
        text.push_str(if strip_tabs { line.trim_start_matches('\t') } else { line });
    }
    None
}

/// The shell word `s` starts with and what follows it: quoted (`'a b'`, `"a b"`,
/// the quotes dropped) or bare up to `ends`. None for an unclosed quote.
fn word(s: &str, ends: impl Fn(char) -> bool) -> Option<(&str, &str)> {
    match s.chars().next()? {
        q @ ('\'' | '"') => {
            let end = s[1..].find(q)? + 1;
            Some((&s[1..end], &s[end + 1..]))
        }
        _ => Some(s.split_at(s.find(ends).unwrap_or(s.len()))),
    }
}

/// `text` with each hunk's old lines replaced by its new ones, in order.
pub fn apply(text: &str, hunks: &[Hunk]) -> Result<String, String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut from = 0;
    for h in hunks.iter().filter(|h| !h.old.is_empty() || !h.new.is_empty()) {
        let at = if h.old.is_empty() {
            lines.len()
        } else {
            (from..=lines.len().saturating_sub(h.old.len()))
                .find(|&i| lines.get(i..i + h.old.len()).is_some_and(|w| w == h.old.as_slice()))
                .ok_or("a hunk's lines are not in the file")?
        };
        lines.splice(at..at + h.old.len(), h.new.iter().cloned());
        from = at + h.new.len();
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "*** Begin Patch\n*** Add File: artifacts/backend/a.ts\n+export const a = 1\n+\n\
        *** Update File: policies/capability.matrix.md\n*** Move to: policies/m2.md\n@@ | **code** |\n-| x | old |\n+| x | new |\n \
        keep\n*** Delete File: artifacts/prd/prd.md\n*** End Patch\n";

    #[test]
    fn files_and_hunks() {
        let ops = parse(PATCH).unwrap();
        assert_eq!(
            ops,
            [
                FileOp::Add { path: "artifacts/backend/a.ts".into(), text: "export const a = 1\n\n".into() },
                FileOp::Update {
                    path: "policies/capability.matrix.md".into(),
                    move_to: Some("policies/m2.md".into()),
                    hunks: vec![Hunk {
                        old: vec!["| x | old |".into(), "keep".into()],
                        new: vec!["| x | new |".into(), "keep".into()]
                    }],
                },
                FileOp::Delete { path: "artifacts/prd/prd.md".into() },
            ]
        );
        assert!(parse("echo hi").is_err());
    }

    #[test]
    fn patches_codex_applies_from_a_shell_command() {
        let body = "*** Begin Patch\n*** Add File: a.md\n+a\n*** End Patch\n";
        let inv = |c: &str| shell_invocation(c);
        assert_eq!(inv(&format!("apply_patch <<'EOF'\n{body}EOF\n")), Some((body.into(), None)));
        assert_eq!(inv(&format!("applypatch <<\"PATCH\"\n{body}PATCH")), Some((body.into(), None)));
        assert_eq!(inv(&format!("  apply_patch<<EOF\n{body}EOF\n\n")), Some((body.into(), None)));
        assert_eq!(
            inv(&format!("cd artifacts && apply_patch <<'EOF'\n{body}EOF\n")),
            Some((body.into(), Some("artifacts".into())))
        );
        assert_eq!(
            inv(&format!("cd 'my dir' &&\n apply_patch <<'EOF'\n{body}EOF\n")),
            Some((body.into(), Some("my dir".into())))
        );
        assert_eq!(
            inv(&format!("cd \"a b\"&& apply_patch <<'EOF'\n{body}EOF")),
            Some((body.into(), Some("a b".into())))
        );
        assert_eq!(
            inv("apply_patch <<-'EOF'\n\t*** Begin Patch\n\t*** Add File: a.md\n\t+a\n\t*** End Patch\n\tEOF\n"),
            Some((body.into(), None))
        );
        // Not Codex's forms: run as a program (and looked at after).
        assert_eq!(inv(&format!("echo hi; apply_patch <<'EOF'\n{body}EOF\n")), None);
        assert_eq!(inv(&format!("apply_patch <<'EOF'\n{body}EOF\necho done\n")), None);
        assert_eq!(inv(&format!("apply_patch <<'EOF' && echo done\n{body}EOF\n")), None);
        assert_eq!(inv(&format!("cd a || apply_patch <<'EOF'\n{body}EOF\n")), None);
        assert_eq!(inv(&format!("cat <<'EOF' > p\n{body}EOF\n")), None);
        assert_eq!(inv("apply_patch_helper <<'EOF'\nx\nEOF\n"), None);
        assert_eq!(inv("echo x > a.md"), None);
    }

    #[test]
    fn applying_hunks() {
        let h = |old: &[&str], new: &[&str]| Hunk {
            old: old.iter().map(|s| s.to_string()).collect(),
            new: new.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(apply("a\nb\nc\n", &[h(&["b"], &["B", "b2"])]), Ok("a\nB\nb2\nc\n".into()));
        assert_eq!(apply("a\nb\n", &[h(&["z"], &["y"])]), Err("a hunk's lines are not in the file".into()));
        assert_eq!(apply("a\n", &[h(&[], &["b"])]), Ok("a\nb\n".into()));
    }
}
