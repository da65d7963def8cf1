//! The answers, whatever the agent: a proposed write through the engine's
//! guard, a finished command through a full analysis (what `tollgate check`
//! reports), a stop through the gate's exit check.

use std::path::Path;

use tollgate_engine::analysis::Snapshot;
use tollgate_engine::diagnostic::{Fix, SeverityOverrides};
use tollgate_engine::guard::{self, Decision, Deny, ProposedWrite, Replacement};
use tollgate_engine::root::Root;
use tollgate_engine::workspace::Workspace;
use tollgate_engine::{Code, Finding};

use super::{could_not_decide, memory, patch, AfterSpec, Answer, Request, WriteReq};
use tollgate_engine::status::{is_command, next_step};

/// Claude Code caps a hook's output strings at 10,000 characters.
const MAX_REASON_CHARS: usize = 9_000;

pub fn answer(request: Request) -> Answer {
    match request {
        Request::Nothing => Answer::Quiet,
        Request::Write { writes, cwd } => {
            for w in &writes {
                match judge_write(w, cwd.as_deref()) {
                    Ok(Decision::Allow(_)) => {}
                    Ok(Decision::Deny(d)) => return Answer::Deny(deny_reason(&d)),
                    Err(why) => return Answer::Deny(could_not_decide(&why)),
                }
            }
            Answer::Quiet
        }
        Request::AfterTool { session, cwd } => match after_tool(&session, &cwd) {
            Ok(Some(reason)) => Answer::Report(reason),
            Ok(None) => Answer::Quiet,
            Err(why) => Answer::Warn(format!("could not check the command's writes: {why}")),
        },
        Request::Stop { active: true, .. } => Answer::Quiet,
        Request::Stop { active: false, cwd } => match stop(&cwd) {
            Ok(Some(reason)) => Answer::Block(reason),
            Ok(None) => Answer::Quiet,
            Err(why) => Answer::Warn(format!("could not check the stage's exit, letting the agent stop: {why}")),
        },
    }
}

fn judge_write(w: &WriteReq, cwd: Option<&Path>) -> Result<Decision, String> {
    let after = |now: Option<&str>| -> Result<String, String> {
        match &w.after {
            AfterSpec::Text(t) => Ok(t.clone()),
            AfterSpec::Replace(edits) => {
                let edits: Vec<Replacement> =
                    edits.iter().map(|(old, new, all)| Replacement { old, new, all: *all }).collect();
                guard::apply_replacements(now, &edits)
            }
            AfterSpec::Patch(hunks) => patch::apply(now.unwrap_or_default(), hunks),
            AfterSpec::Moved { from, hunks } => patch::apply(&moved_source(from)?, hunks),
            AfterSpec::Unknown(why) => Err(why.clone()),
        }
    };
    let cache = memory::private_dir();
    guard::decide(&ProposedWrite { path: &w.path, delete: w.delete, after: &after, cwd, cache: cache.as_deref() })
}

/// The text a `*** Move to:` takes along, read with the bound of a modelled
/// file (a larger rule file could not be judged after the move either).
fn moved_source(from: &Path) -> Result<String, String> {
    use std::io::Read;
    let limit = tollgate_engine::analysis::MAX_MODELLED_BYTES;
    let file = std::fs::File::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut buf = Vec::new();
    file.take(limit + 1).read_to_end(&mut buf).map_err(|e| format!("{}: {e}", from.display()))?;
    if buf.len() as u64 > limit {
        return Err(format!("{} is over {limit} bytes", from.display()));
    }
    String::from_utf8(buf).map_err(|_| format!("{} is not UTF-8 text", from.display()))
}

/// "<code>: <stage, rule, return point> Next valid step: …" (SPEC 8).
pub fn deny_reason(d: &Deny) -> String {
    let person = match &d.fix {
        Some(fix) if is_command(fix) => format!(", or stop and ask a person to run `{}`", next_step(fix)),
        Some(fix) => format!(", or stop and ask a person: {}", next_step(fix)),
        None => String::new(),
    };
    let stop = if d.message.ends_with('.') { "" } else { "." };
    format!("{}: {}{stop} Next valid step: {}{person}.", d.code.as_str(), d.message, d.instead)
}

/// A full analysis of the root the agent works in; None without an active run.
fn analyze(cwd: &Path) -> Result<Option<(Snapshot, Vec<Finding>)>, String> {
    let dir = std::fs::canonicalize(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?;
    let Some(root) = Root::find(&dir) else { return Ok(None) };
    // The same road as `check` and the server: one workspace, scanned, analysed.
    let (mut ws, errors) = Workspace::load(root);
    if let Some(e) = errors.first() {
        return Err(format!("{} cannot be read: {}", ws.root.dir.join(&e.path).display(), e.message));
    }
    if !ws.snapshot.run_is_active() {
        return Ok(None);
    }
    ws.scan_now();
    Ok(Some(ws.into_findings(&SeverityOverrides::default())))
}

/// The step for a finding: its first `tollgate recover` command, else its first fix.
fn finding_next(f: &Finding) -> Option<String> {
    let fixes = &f.diagnostic.data.fixes;
    let first = fixes.iter().find(|x| !matches!(x, Fix::Replace { .. }));
    fixes.iter().find(|x| is_command(x)).or(first).map(next_step)
}

fn line(code: Code, path: &str, message: &str, next: Option<String>) -> String {
    let message = if message.ends_with('.') { message.to_string() } else { format!("{message}.") };
    let next = next.map(|n| format!(" Next: {}.", n.trim_end_matches('.'))).unwrap_or_default();
    format!("- {}: `{path}`: {message}{next}", code.as_str())
}

/// Joins lines up to the length an agent takes, saying how many were left out.
fn bounded(head: String, lines: &[String], tail: &str) -> String {
    let mut out = head;
    for (n, l) in lines.iter().enumerate() {
        if out.len() + l.len() + tail.len() > MAX_REASON_CHARS {
            out.push_str(&format!("\n- … and {} more (`tollgate status` lists them all)", lines.len() - n));
            break;
        }
        out.push('\n');
        out.push_str(l);
    }
    out.push_str(tail);
    out
}

fn after_tool(session: &str, cwd: &Path) -> Result<Option<String>, String> {
    let dir = std::fs::canonicalize(cwd).map_err(|e| format!("{}: {e}", cwd.display()))?;
    let cache = memory::private_dir();
    let Some((snap, findings)) = guard::command_findings(&dir, cache.as_deref())? else { return Ok(None) };
    // Only the edit findings an agent must hear of (`command_findings` keeps no others).
    let edits: Vec<&Finding> = findings.iter().collect();
    let keys: Vec<String> = edits.iter().map(|f| memory::key(&snap.root.dir, f)).collect();
    let fresh = memory::not_yet_told(session, &keys);
    if fresh.is_empty() {
        return Ok(None);
    }
    let stage = guard::active_stage(&snap).unwrap_or_default();
    let lines: Vec<String> = fresh
        .iter()
        .map(|&i| line(edits[i].diagnostic.code, &edits[i].path, &edits[i].diagnostic.message, finding_next(edits[i])))
        .collect();
    let head = format!(
        "tollgate: after this command, stage `{stage}` has {} new finding{} outside its box (the files are already \
         on disk: a program run from the shell is not stopped, only reported):",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" }
    );
    let tail = "\nDo not build on these writes; leave the files for a person to quarantine or approve, and keep \
                further writes inside the stage's box.";
    Ok(Some(bounded(head, &lines, tail)))
}

fn stop(cwd: &Path) -> Result<Option<String>, String> {
    let Some((snap, findings)) = analyze(cwd)? else { return Ok(None) };
    let Some(check) = guard::stop_check(&snap, &findings) else { return Ok(None) };
    if check.passes() {
        return Ok(None);
    }
    let pipeline = snap.root.layout.pipeline.clone();
    let mut lines: Vec<String> = check
        .missing
        .iter()
        .map(|m| {
            format!("- missing-output: `{}`: declared by stage `{}` in {pipeline}; produce it.", m.path, check.stage)
        })
        .collect();
    lines.extend(
        check.blockers.iter().map(|f| line(f.diagnostic.code, &f.path, &f.diagnostic.message, finding_next(f))),
    );
    let head = format!("tollgate: stage `{}` cannot end its turn yet; its exit gate would not pass:", check.stage);
    let tail = "\nFix these on top of the existing artifacts (do not start over), inside the stage's box; then \
                finish. Return point: build.";
    Ok(Some(bounded(head, &lines, tail)))
}
