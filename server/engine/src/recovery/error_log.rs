//! `pipeline/error.log`: ERROR REPORT blocks in the factory's format (SPEC section 6).

use tollgate_text::TextRange;

const RULE: &str = "============================================";

/// One ERROR REPORT, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// RFC 3339 UTC.
    pub timestamp: String,
    pub stage: String,
    pub attempt: u32,
    pub max_attempts: u32,
    /// `FAILED` or `PAUSED`.
    pub status: String,
    pub error_type: String,
    pub error_message: String,
    /// Rendered unchecked; the section is left out when empty.
    pub exit_criteria: Vec<String>,
    /// Lines under `Failed Artifacts Moved To:`; left out when empty.
    pub moved_to: Vec<String>,
    /// Numbered in order.
    pub actions: Vec<String>,
}

/// Keeps one value on one line, so the block stays parseable.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

impl Report {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut line = |l: &str| {
            s.push_str(l);
            s.push('\n');
        };
        line(RULE);
        line("ERROR REPORT");
        line(RULE);
        line(&format!("Timestamp: {}", self.timestamp));
        line(&format!("Stage: {}", one_line(&self.stage)));
        line(&format!("Attempt: {}/{}", self.attempt, self.max_attempts));
        line(&format!("Status: {}", self.status));
        line("");
        line(&format!("Error Type: {}", one_line(&self.error_type)));
        line(&format!("Error Message: {}", one_line(&self.error_message)));
        line("");
        if !self.exit_criteria.is_empty() {
            line("Exit Criteria Failed:");
            for c in &self.exit_criteria {
                line(&format!("  - [ ] {}", one_line(c)));
            }
            line("");
        }
        if !self.moved_to.is_empty() {
            line("Failed Artifacts Moved To:");
            for m in &self.moved_to {
                line(&format!("  {}", one_line(m)));
            }
            line("");
        }
        line("Recommended Action:");
        for (i, a) in self.actions.iter().enumerate() {
            line(&format!("  {}. {}", i + 1, one_line(a)));
        }
        line(RULE);
        s
    }
}

/// The text to append to an error log holding `existing`: a blank line between blocks.
pub fn append_text(existing: &str, report: &Report) -> String {
    let sep = match existing {
        "" => "",
        t if t.ends_with("\n\n") => "",
        t if t.ends_with('\n') => "\n",
        _ => "\n\n",
    };
    format!("{sep}{}", report.render())
}

/// A path named in a block, with its byte range in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRef {
    pub path: String,
    pub range: TextRange,
}

/// One parsed ERROR REPORT block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// From the opening rule to the closing rule (or the end of the text).
    pub range: TextRange,
    pub timestamp: Option<String>,
    pub stage: Option<String>,
    pub attempt: Option<String>,
    pub status: Option<String>,
    pub error_type: Option<String>,
    /// The paths under `Failed Artifacts Moved To:` (both sides of `a -> b`).
    pub paths: Vec<PathRef>,
}

/// Reads every ERROR REPORT block, tolerating hand edits (unknown lines are skipped).
pub fn parse_error_log(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<(Block, u32)> = None; // the block and the rules seen after its title
    let mut section = String::new();
    let mut prev_rule: Option<u32> = None;
    let mut offset = 0u32;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len() as u32;
        let line = raw.trim_end_matches(['\n', '\r']);
        let end = start + line.len() as u32;
        let is_rule = line.len() >= 10 && line.bytes().all(|b| b == b'=');
        if line.trim() == "ERROR REPORT" {
            let from = prev_rule.unwrap_or(start);
            if let Some((mut b, _)) = current.take() {
                // The rule above this title opens the new block: blocks never overlap.
                if b.range.end > from {
                    b.range = TextRange::new(b.range.start, from.max(b.range.start));
                }
                blocks.push(b);
            }
            current = Some((Block { range: TextRange::new(from, end), ..Block::default() }, 0));
            section.clear();
            prev_rule = None;
            continue;
        }
        prev_rule = if is_rule { Some(start) } else { None };
        let Some((block, rules)) = current.as_mut() else { continue };
        block.range = TextRange::new(block.range.start, end);
        if is_rule {
            *rules += 1;
            if *rules >= 2 {
                if let Some((b, _)) = current.take() {
                    blocks.push(b);
                }
                prev_rule = None;
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            if let Some(h) = line.strip_suffix(':') {
                section = h.to_string();
                continue;
            }
            section.clear();
            if let Some((k, v)) = line.split_once(':') {
                let v = Some(v.trim().to_string());
                match k {
                    "Timestamp" => block.timestamp = v,
                    "Stage" => block.stage = v,
                    "Attempt" => block.attempt = v,
                    "Status" => block.status = v,
                    "Error Type" => block.error_type = v,
                    _ => {}
                }
            }
            continue;
        }
        if section == "Failed Artifacts Moved To" {
            let mut at = start + (line.len() - line.trim_start().len()) as u32;
            for part in line.trim().split(" -> ") {
                let trimmed = part.trim();
                let lead = (part.len() - part.trim_start().len()) as u32;
                if !trimmed.is_empty() {
                    let s = at + lead;
                    block.paths.push(PathRef {
                        path: trimmed.to_string(),
                        range: TextRange::new(s, s + trimmed.len() as u32),
                    });
                }
                at += part.len() as u32 + 4;
            }
        }
    }
    if let Some((b, _)) = current {
        blocks.push(b);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_BLOCK: &str = "============================================
ERROR REPORT
============================================
Timestamp: 2026-01-29T10:30:00Z
Stage: code
Attempt: 2/2
Status: FAILED

Error Type: Missing Output
Error Message: artifacts/client/ does not exist

Exit Criteria Failed:
  - [ ] backend starts without major errors

Failed Artifacts Moved To:
  artifacts/_failed/code/attempt-2/

Recommended Action:
  1. Return to Build: re-open stage code and fix on top of the archived attempt
============================================
";

    fn spec_report() -> Report {
        Report {
            timestamp: "2026-01-29T10:30:00Z".into(),
            stage: "code".into(),
            attempt: 2,
            max_attempts: 2,
            status: "FAILED".into(),
            error_type: "Missing Output".into(),
            error_message: "artifacts/client/ does not exist".into(),
            exit_criteria: vec!["backend starts without major errors".into()],
            moved_to: vec!["artifacts/_failed/code/attempt-2/".into()],
            actions: vec!["Return to Build: re-open stage code and fix on top of the archived attempt".into()],
        }
    }

    #[test]
    fn renders_the_spec_example_byte_for_byte() {
        assert_eq!(spec_report().render(), SPEC_BLOCK);
    }

    #[test]
    fn parses_blocks_with_path_ranges() {
        let mut q = spec_report();
        q.status = "PAUSED".into();
        q.exit_criteria.clear();
        q.moved_to = vec!["artifacts/prd/sneaky.md -> artifacts/_untrusted/code/prd/sneaky.md".into()];
        let text = format!("{SPEC_BLOCK}{}", append_text(SPEC_BLOCK, &q));
        let blocks = parse_error_log(&text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].range, TextRange::new(0, SPEC_BLOCK.len() as u32 - 1));
        assert_eq!(blocks[0].stage.as_deref(), Some("code"));
        assert_eq!(blocks[0].attempt.as_deref(), Some("2/2"));
        let p = &blocks[0].paths;
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].range.slice(&text), "artifacts/_failed/code/attempt-2/");
        assert_eq!(blocks[1].status.as_deref(), Some("PAUSED"));
        let p: Vec<_> = blocks[1].paths.iter().map(|p| p.range.slice(&text)).collect();
        assert_eq!(p, ["artifacts/prd/sneaky.md", "artifacts/_untrusted/code/prd/sneaky.md"]);
        assert_eq!(blocks[1].paths[1].path, "artifacts/_untrusted/code/prd/sneaky.md");
    }

    #[test]
    fn blocks_never_overlap_when_a_rule_opens_the_next_title() {
        // Found by the error_log fuzz target: an unclosed block's last rule is the next block's opening rule.
        for text in ["ERROR REPORT\nERROR REPORT\n==========\nERROR REPORT\n", &format!("{SPEC_BLOCK}\n{SPEC_BLOCK}")] {
            let blocks = parse_error_log(text);
            for pair in blocks.windows(2) {
                assert!(pair[0].range.end <= pair[1].range.start, "{blocks:?}");
            }
        }
        let blocks = parse_error_log("ERROR REPORT\nStage: a\n==========\nERROR REPORT\nStage: b\n");
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].stage.as_deref(), blocks[1].stage.as_deref()), (Some("a"), Some("b")));
        assert_eq!(blocks[1].range.start, blocks[0].range.end);
    }

    #[test]
    fn append_separates_blocks_and_values_stay_on_one_line() {
        assert_eq!(append_text("", &spec_report()), SPEC_BLOCK);
        assert!(append_text("x", &spec_report()).starts_with("\n\n===="));
        let mut r = spec_report();
        r.error_message = "two\nlines".into();
        assert!(r.render().contains("Error Message: two lines\n"));
        assert!(parse_error_log("garbage\n===\n").is_empty());
    }
}
