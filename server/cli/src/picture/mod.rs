//! `tollgate status --format mermaid|html`: the run as a picture (SPEC section 10),
//! both drawn from the status report. What a node says is decided here once;
//! `mermaid.rs` and `html.rs` only differ in how they draw it.

pub mod html;
pub mod mermaid;

use tollgate_engine::status::{Report, StageState, StageView};

/// Runs of more than this many plain stages (same state, no blockers, no archive,
/// no quarantine) are drawn as first, "… N more …", last: 5,000 stages stay readable.
pub const COLLAPSE_OVER: usize = 6;
/// Blockers named inside a stage node; the rest are counted.
pub const BLOCKERS_SHOWN: usize = 3;
/// Files named in a side node; the rest are counted.
pub const FILES_SHOWN: usize = 3;

/// One node of the main column.
pub enum Row<'a> {
    Stage(&'a StageView),
    /// Plain stages between two shown ones: how many, their state, first and last id.
    Collapsed {
        count: usize,
        state: StageState,
        first: &'a str,
        last: &'a str,
    },
}

pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let plain = |s: &StageView| {
        s.in_pipeline
            && s.blockers.is_empty()
            && s.archived.is_empty()
            && s.quarantined.is_none()
            && s.state != StageState::Current
            && s.state != StageState::Failed
    };
    let stages = &report.stages;
    let mut out = Vec::new();
    let mut i = 0;
    while i < stages.len() {
        let s = &stages[i];
        let mut j = i;
        while j < stages.len() && plain(&stages[j]) && stages[j].state == s.state {
            j += 1;
        }
        let run = j - i;
        if run > COLLAPSE_OVER {
            out.push(Row::Stage(&stages[i]));
            let (first, last) = (&stages[i + 1], &stages[j - 2]);
            out.push(Row::Collapsed { count: run - 2, state: s.state, first: &first.id, last: &last.id });
            out.push(Row::Stage(&stages[j - 1]));
            i = j;
        } else {
            out.push(Row::Stage(s));
            i += 1;
        }
    }
    out
}

/// The class a state is drawn with (also its Mermaid `classDef` name).
pub fn class(state: StageState) -> &'static str {
    match state {
        StageState::Done => "done",
        StageState::Current => "current",
        StageState::Failed => "failed",
        StageState::NotReached => "notreached",
    }
}

/// `current: running`, `done`, `failed`, `not reached`.
pub fn state_text(report: &Report, s: &StageView) -> String {
    match s.state {
        StageState::Done => "done".to_string(),
        StageState::Failed => "failed".to_string(),
        StageState::NotReached => "not reached".to_string(),
        StageState::Current => format!("current: {}", report.status.unwrap_or("no status")),
    }
}

/// The lines of a stage node under its id.
pub fn stage_lines(report: &Report, s: &StageView) -> Vec<String> {
    let mut lines = Vec::new();
    let mut head = state_text(report, s);
    if let Some(a) = s.attempts {
        head.push_str(&format!(" · attempt {a} of {}", report.max_attempts));
    }
    lines.push(head);
    if !s.in_pipeline {
        lines.push("not in the pipeline".to_string());
    }
    if !s.blockers.is_empty() {
        let n = s.blockers.len();
        lines.push(format!("{n} open blocker{}", if n == 1 { "" } else { "s" }));
        for &b in s.blockers.iter().take(BLOCKERS_SHOWN) {
            let b = &report.blockers[b];
            lines.push(format!("{}: {}", b.code, b.subject));
        }
        if n > BLOCKERS_SHOWN {
            lines.push(format!("… {} more", n - BLOCKERS_SHOWN));
        }
    }
    lines
}

pub fn collapsed_lines(count: usize, state: StageState, first: &str, last: &str) -> (String, String) {
    let word = match state {
        StageState::NotReached => "not reached",
        other => other.as_str(),
    };
    (format!("… {count} more stages, {word}"), format!("{first} … {last}"))
}

/// A side node: title, then the files (some named, the rest counted).
pub struct Side {
    pub class: &'static str,
    pub title: String,
    pub path: String,
    pub lines: Vec<String>,
}

pub fn sides(s: &StageView) -> Vec<Side> {
    let files = |path: &str, files: &[tollgate_engine::status::FileView], more: usize| {
        let mut lines: Vec<String> =
            files.iter().take(FILES_SHOWN).map(|f| f.path.strip_prefix(path).unwrap_or(&f.path).to_string()).collect();
        let rest = files.len().saturating_sub(FILES_SHOWN) + more;
        if rest > 0 {
            lines.push(format!("… {rest} more file{}", if rest == 1 { "" } else { "s" }));
        }
        if files.is_empty() && more == 0 {
            lines.push("no files".to_string());
        }
        lines
    };
    let mut out: Vec<Side> = s
        .archived
        .iter()
        .map(|a| Side {
            class: "archived",
            title: format!("attempt {} archived", a.attempt),
            path: a.folder.path.clone(),
            lines: files(&a.folder.path, &a.folder.files, a.folder.more),
        })
        .collect();
    if let Some(q) = &s.quarantined {
        out.push(Side {
            class: "quarantined",
            title: "quarantined".to_string(),
            path: q.path.clone(),
            lines: files(&q.path, &q.files, q.more),
        });
    }
    out
}
