//! `tollgate status --format mermaid|html`: the run as a picture (SPEC section 10),
//! both drawn from the status report. What a node says is decided here once;
//! `mermaid.rs` and `html.rs` only differ in how they draw it.

pub mod html;
pub mod mermaid;

use tollgate_engine::status::{Report, StageState, StageView};

/// Runs of more than this many plain stages (same state, no blockers, no archive,
/// no quarantine) are drawn as first, "… N more …", last: 5,000 stages stay readable.
pub const COLLAPSE_OVER: usize = 6;
/// Over this many stages, only the stages around the current one, failed ones and
/// those with archives or quarantine are drawn; the runs between (blocked or not)
/// become one node each, and the tables below the graph list every stage and blocker.
pub const BIG: usize = 200;
/// Stages drawn on each side of the current one in a big pipeline.
pub const AROUND_CURRENT: usize = 2;
/// Blockers named inside a stage node; the rest are counted.
pub const BLOCKERS_SHOWN: usize = 3;
/// Files named in a side node; the rest are counted.
pub const FILES_SHOWN: usize = 3;

/// One node of the main column.
pub enum Row<'a> {
    Stage(&'a StageView),
    /// Stages between two shown ones.
    Collapsed(&'a [StageView]),
}

pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let stages = &report.stages;
    let big = stages.len() > BIG;
    let current = stages.iter().position(|s| s.state == StageState::Current);
    let near = |i: usize| current.is_some_and(|c| i.abs_diff(c) <= AROUND_CURRENT);
    let always = |s: &StageView| {
        !s.in_pipeline
            || !s.archived.is_empty()
            || s.quarantined.is_some()
            || matches!(s.state, StageState::Current | StageState::Failed)
    };
    // Whether stage `i` may go into a collapsed run that started with state `first`.
    let foldable = |i: usize, first: StageState| {
        let s = &stages[i];
        if always(s) || near(i) {
            return false;
        }
        big || (s.blockers.is_empty() && s.state == first)
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < stages.len() {
        let mut j = i;
        while j < stages.len() && foldable(j, stages[i].state) {
            j += 1;
        }
        if j - i > COLLAPSE_OVER {
            out.push(Row::Stage(&stages[i]));
            out.push(Row::Collapsed(&stages[i + 1..j - 1]));
            out.push(Row::Stage(&stages[j - 1]));
            i = j;
        } else {
            out.push(Row::Stage(&stages[i]));
            i += 1;
        }
    }
    out
}

/// A collapsed run: its class (the state all share, else not reached) and two lines:
/// `… 2498 more stages, done` and `s1 … s2498` (with the blockers counted, if any).
pub fn collapsed(run: &[StageView]) -> (&'static str, String, String) {
    let n = run.len();
    let first = run.first().map(|s| s.id.as_str()).unwrap_or("");
    let last = run.last().map(|s| s.id.as_str()).unwrap_or("");
    let word = |s: StageState| match s {
        StageState::NotReached => "not reached",
        other => other.as_str(),
    };
    let blocked = run.iter().filter(|s| !s.blockers.is_empty()).count();
    let uniform = run.first().map(|s| s.state).filter(|st| run.iter().all(|s| s.state == *st));
    let mut head = match uniform {
        Some(st) => format!("… {n} more stages, {}", word(st)),
        None => {
            let count = |st: StageState| run.iter().filter(|s| s.state == st).count();
            let parts: Vec<String> = [StageState::Done, StageState::NotReached]
                .into_iter()
                .filter(|st| count(*st) > 0)
                .map(|st| format!("{} {}", count(st), word(st)))
                .collect();
            format!("… {n} more stages: {}", parts.join(", "))
        }
    };
    if blocked > 0 {
        head.push_str(&format!(" · {blocked} with blockers"));
    }
    (class(uniform.unwrap_or(StageState::NotReached)), head, format!("{first} … {last}"))
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
