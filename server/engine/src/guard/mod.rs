//! The agent guard's decision core (SPEC 8): a write an agent proposes is judged
//! *before* it reaches the disk, by the same checks that judge it after the fact
//! (`unauthorized-write`, `out-of-scope`), and writes to the rule files
//! (pipeline, matrix, scope) by the box they would leave behind. Plain data in,
//! plain data out: the agents' hook formats live in the CLI.

mod exit;
mod paths;
mod rules;
#[cfg(test)]
mod tests;
mod text;
mod widen;

use std::path::Path;

use crate::analysis::{FileKind, Snapshot};
use crate::changes::Change;
use crate::diagnostic::{Code, Fix};
use crate::fs_view::DiskFs;
use crate::model::scope::Op;
use crate::root::{is_control, is_governance};
use tollgate_text::TextRange;

pub use exit::stop_check;
pub use paths::normalize;
pub use text::{apply_replacements, Replacement};

/// The text a file will hold after the write, from its text now (None: absent).
pub type After<'a> = &'a dyn Fn(Option<&str>) -> Result<String, String>;

/// One write a tool is about to make.
pub struct ProposedWrite<'a> {
    /// Where it writes (absolute; relative paths are resolved by the caller).
    pub path: &'a Path,
    /// A deletion (else a create or modify, told apart by the disk).
    pub delete: bool,
    /// The content after the write. Asked only for the rule files, whose
    /// judgment depends on it.
    pub after: After<'a>,
    /// The agent's working directory: where the settings of an agent outside
    /// any root are judged from.
    pub cwd: Option<&'a Path>,
    /// A private directory where the current stage's rules may be cached between
    /// calls (see `rules.rs`); None: read them every time.
    pub cache: Option<&'a Path>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow(Allowed),
    Deny(Deny),
}

/// Why a write may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// No factory root above the path.
    NoRoot,
    /// The root has no active run.
    NoActiveRun,
    /// A control or governance file (`.factory/state.json`, `pipeline/error.log`, ...).
    Control,
    /// A rule file whose box does not grow.
    RulesNotWidened,
    /// Inside the stage's write permissions and the retained scope.
    Inside,
}

/// Why a write is refused, in parts the caller phrases for its agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deny {
    pub code: Code,
    pub stage: String,
    /// Root-relative, `/`-separated.
    pub path: String,
    /// The stage, the rule and the return point.
    pub message: String,
    /// What the agent can do instead, within its box.
    pub instead: String,
    /// What a person can do to allow it, when there is such a step.
    pub fix: Option<Fix>,
}

/// The agents' own settings directories: an agent that edits them can lift its
/// own hooks and permissions.
pub const AGENT_SETTINGS: &[&str] = &[".claude", ".gemini", ".codex"];

fn is_agent_settings(path: &Path) -> bool {
    let mut parts: Vec<_> = path.components().collect();
    parts.pop(); // the file itself may be named anything
    parts.iter().any(|c| AGENT_SETTINGS.iter().any(|s| c.as_os_str() == *s))
}

/// Judges one proposed write. Err: the write could not be judged (an unreadable
/// rule or state file, a path that cannot be resolved); callers deny then.
pub fn decide(w: &ProposedWrite) -> Result<Decision, String> {
    let settings = is_agent_settings(&normalize(w.path));
    let located = paths::locate(w.path)?;
    let (root, rel, escapes) = match located {
        Some(l) => (l.root, l.rel, l.escapes),
        None => {
            // A settings file outside any root (the git top level above it, the
            // user's own) is judged by the run of the root the agent works in.
            let cwd_root = w.cwd.filter(|_| settings).and_then(|c| paths::locate(c).ok().flatten());
            let Some(c) = cwd_root else { return Ok(Decision::Allow(Allowed::NoRoot)) };
            (c.root, w.path.display().to_string(), None)
        }
    };
    // The run's state and scope first: most writes need nothing else but the
    // current stage's rules (`rules.rs`), and no write is judged without a run.
    let mut snap = run_snapshot(root)?;
    let Some(stage) = active_stage(&snap) else { return Ok(Decision::Allow(Allowed::NoActiveRun)) };
    let deny = |code, message: String, instead: &str, fix| {
        Ok(Decision::Deny(Deny {
            code,
            stage: stage.clone(),
            path: rel.clone(),
            message,
            instead: instead.into(),
            fix,
        }))
    };
    if let Some(real) = escapes {
        let msg = format!(
            "stage `{stage}` may not write `{rel}`: it leads out of the factory root through a symlink (to `{}`), \
             where no stage may write. Return point: user (a person decides about the link)",
            real.display()
        );
        return deny(Code::UnauthorizedWrite, msg, "write inside the stage's box, not through the link", None);
    }
    if settings {
        let msg = format!(
            "stage `{stage}` may not edit the agent's own settings `{rel}`: hooks and permissions there hold \
             the stage's box, and a stage cannot widen its own box. Return point: user (a person edits the settings)"
        );
        return deny(Code::PermissionsWidened, msg, "leave the agent's settings as they are", None);
    }
    let kind = snap.root.kind_of(&rel);
    if matches!(kind, FileKind::Pipeline | FileKind::Matrix | FileKind::Scope) {
        // The file as it is now, read once: what the write leaves is made from it,
        // and the matrix's rows are judged on it.
        let now = if w.delete && kind != FileKind::Matrix { None } else { Some(read_now(&snap, &rel)?) };
        let after = match &now {
            Some(now) if !w.delete => Some(after_text(&rel, now.as_deref(), w.after)?),
            _ => None,
        };
        if let (FileKind::Matrix, Some(text)) = (kind, now) {
            // The rows alone first: when no row grows, no stage's box does (a
            // stage's `permissions.write` only ever replaces its row), and a
            // 5,000-stage pipeline need not be parsed.
            let mut rows = snap.clone();
            rows.set(&rel, text);
            if widen::judge(&rows, &rel, kind, after.as_deref(), &stage).is_none() {
                return Ok(Decision::Allow(Allowed::RulesNotWidened));
            }
        }
        let (full, errors) =
            if kind == FileKind::Scope { (snap, Vec::new()) } else { Snapshot::load(snap.root.clone()) };
        if let Some(e) = errors.first() {
            return Err(format!("{} cannot be read: {}", full.root.dir.join(&e.path).display(), e.message));
        }
        let snap = full;
        return Ok(match widen::judge(&snap, &rel, kind, after.as_deref(), &stage) {
            Some(message) => Decision::Deny(Deny {
                code: Code::PermissionsWidened,
                stage,
                path: rel,
                message,
                instead: "leave the rules as they are; widening them is a person's decision".into(),
                fix: None,
            }),
            None => Decision::Allow(Allowed::RulesNotWidened),
        });
    }
    if is_control(&rel) || is_governance(&rel) {
        return Ok(Decision::Allow(Allowed::Control));
    }
    rules::load_for_stage(&mut snap, &stage, w.cache)?;
    let op = if w.delete {
        Op::Delete
    } else if std::fs::symlink_metadata(snap.root.dir.join(&rel)).is_ok() {
        Op::Modify
    } else {
        Op::Create
    };
    // The range is never read here: the finding is about to be phrased, not placed.
    // Like an unsaved buffer, the write is not on disk yet: while the run waits for
    // a person it is the person's (as `check` judges it after the write), else the stage's.
    let change =
        Change { path: rel.clone(), op, first_line: None, line_range: Some(TextRange::empty(0)), in_editor: true };
    let fs = DiskFs::new(&snap.root.dir);
    let findings = snap.path_findings(&fs, &[change]);
    let Some(first) = findings.first() else { return Ok(Decision::Allow(Allowed::Inside)) };
    let messages: Vec<String> =
        findings.iter().map(|f| before_the_fact(&f.diagnostic.message, &stage, &rel, op)).collect();
    let code = first.diagnostic.code;
    let (instead, fix) = match code {
        Code::UnauthorizedWrite => (
            "write only inside the stage's write permissions",
            first.diagnostic.data.fixes.iter().find(|f| matches!(f, Fix::GrantWrite { .. })).cloned(),
        ),
        _ => (
            "stay inside the retained scope",
            first.diagnostic.data.fixes.iter().find(|f| matches!(f, Fix::ExpandScope { .. })).cloned(),
        ),
    };
    // Each finding a sentence of its own ("… access). Also: …").
    let sentences: Vec<String> =
        messages.into_iter().map(|m| if m.ends_with('.') { m } else { format!("{m}.") }).collect();
    deny(code, sentences.join(" Also: "), instead, fix)
}

/// The current stage of the root's active run.
/// A snapshot of the root holding only the run's state and scope: what decides
/// whether, and against what, a write is judged. A state that cannot be read as
/// JSON is an error (the callers then deny a write, or let a stop through).
fn run_snapshot(root: crate::root::Root) -> Result<Snapshot, String> {
    let mut snap = Snapshot::empty(root);
    let l = snap.root.layout.clone();
    for rel in [&l.state, &l.scope] {
        let text = crate::analysis::read_text(&snap.root.dir, rel)
            .map_err(|e| format!("{} cannot be read: {e}", snap.root.dir.join(rel).display()))?;
        snap.set(rel, text);
    }
    if let Some(s) = snap.state.as_ref().filter(|s| s.current.model.is_none()) {
        let why = s.current.diagnostics.first().map(|d| d.message.clone()).unwrap_or_default();
        return Err(format!("{} cannot be read: {why}", l.state));
    }
    Ok(snap)
}

pub fn active_stage(snap: &Snapshot) -> Option<String> {
    let state = snap.state().filter(|s| s.is_active())?;
    state.current_stage.as_ref().map(|s| s.value.clone())
}

/// The rule file's text now (None: absent).
fn read_now(snap: &Snapshot, rel: &str) -> Result<Option<std::sync::Arc<str>>, String> {
    crate::analysis::read_text(&snap.root.dir, rel).map_err(|e| format!("{rel} cannot be read: {e}"))
}

fn after_text(rel: &str, now: Option<&str>, after: After) -> Result<String, String> {
    after(now).map_err(|e| format!("cannot tell what `{rel}` would hold after the write: {e}"))
}

/// A check phrases a finding after the fact ("stage `code` created `a.md` ...");
/// before the write it is "stage `code` may not create `a.md` ...".
fn before_the_fact(message: &str, stage: &str, rel: &str, op: Op) -> String {
    let past = format!("stage `{stage}` {} `{rel}`", crate::checks::edits::verb(op));
    let now = format!("stage `{stage}` may not {} `{rel}`", op.as_str());
    message.replacen(&past, &now, 1)
}

/// The edit findings a command left behind (`unauthorized-write`, `out-of-scope`,
/// `deleted-output`, `permissions-widened`), as a full analysis reports them,
/// for the root at or above `dir`; None without a root or an active run. When no
/// changed path is a deletion, the pipeline or the matrix, only the path checks
/// can find anything, and they run on the current stage's cached rules (a
/// 5,000-stage pipeline is then not parsed); else a full analysis.
pub fn command_findings(dir: &Path, cache: Option<&Path>) -> Result<Option<(Snapshot, Vec<crate::Finding>)>, String> {
    const CODES: &[Code] = &[Code::UnauthorizedWrite, Code::OutOfScope, Code::DeletedOutput, Code::PermissionsWidened];
    let Some(root) = crate::root::Root::find(dir) else { return Ok(None) };
    let mut snap = run_snapshot(root)?;
    let l = snap.root.layout.clone();
    let Some(stage) = active_stage(&snap) else { return Ok(None) };
    let (changes, git) = snap.gather_changes();
    let simple = changes.iter().all(|c| c.op != Op::Delete && c.path != l.pipeline && c.path != l.matrix);
    let fs = DiskFs::new(&snap.root.dir);
    let findings = if simple {
        rules::load_for_stage(&mut snap, &stage, cache)?;
        snap.path_findings(&fs, &changes)
    } else {
        // A deletion or a rule file among the changes: the whole workspace, as `check` reads it.
        let (mut ws, errors) = crate::workspace::Workspace::load(snap.root.clone());
        if let Some(e) = errors.first() {
            return Err(format!("{} cannot be read: {}", ws.root.dir.join(&e.path).display(), e.message));
        }
        ws.scan_done(crate::workspace::Scan { changes, git, baseline: None });
        let (full, all) = ws.into_findings(&crate::diagnostic::SeverityOverrides::default());
        snap = full;
        all.into_iter().filter(|f| CODES.contains(&f.diagnostic.code)).collect()
    };
    Ok(Some((snap, findings)))
}
