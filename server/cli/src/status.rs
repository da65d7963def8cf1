//! `tollgate status`: the run as a person asks about it.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};
use tollgate_engine::analysis::Snapshot;
use tollgate_engine::diagnostic::Fix;
use tollgate_engine::model::pipeline::DEFAULT_MAX_ATTEMPTS;
use tollgate_engine::{Code, Finding, Severity};

use crate::output::{self, Sources};

#[derive(clap::Args)]
pub struct Args {
    /// The factory root, or a directory below it (default: the current directory).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
    /// Override a code's severity, as for `check`: CODE=error|warning|information|hint|off
    /// (repeatable). Only errors block the run.
    #[arg(long = "severity", value_name = "CODE=LEVEL")]
    severity: Vec<String>,
}

/// `status` speaks to a person (text) or a script (JSON); SARIF and GitHub
/// annotations are `check`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

/// The shell command that carries out a fix, or what a person must do.
pub fn next_step(fix: &Fix) -> String {
    let q = shell_quote;
    match fix {
        Fix::ExpandScope { path } => format!("tollgate recover expand-scope --path {}", q(path)),
        Fix::Quarantine { path, stage } => {
            format!("tollgate recover quarantine --path {} --stage {}", q(path), q(stage))
        }
        Fix::ReturnToBuild { stage } => format!("tollgate recover return-to-build --stage {}", q(stage)),
        Fix::ArchiveAttempt { stage } => format!("tollgate recover archive-attempt --stage {}", q(stage)),
        Fix::GrantWrite { stage, path } => format!("a person grants stage `{stage}` write access to `{path}`"),
        Fix::Replace { title, .. } => title.clone(),
    }
}

/// Whether a fix is a `tollgate recover` command (something to run), rather
/// than an edit or a decision a person makes.
fn is_command(fix: &Fix) -> bool {
    matches!(
        fix,
        Fix::ExpandScope { .. } | Fix::Quarantine { .. } | Fix::ReturnToBuild { .. } | Fix::ArchiveAttempt { .. }
    )
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a finding is about, for a person: the written file for an edit
/// finding, the stage for `retry-limit` (whose range is an attempt count),
/// else the text at fault.
fn subject(f: &Finding, snapshot: &Snapshot) -> String {
    let l = &snapshot.root.layout;
    if ![&l.pipeline, &l.matrix, &l.state, &l.scope, &l.evidence].iter().any(|p| **p == *f.path) {
        return f.path.to_string();
    }
    if f.diagnostic.code == Code::RetryLimit {
        if let Some(stage) = &f.diagnostic.data.stage {
            return stage.clone();
        }
    }
    let text = snapshot.text(&f.path);
    let slice = text.as_deref().map(|t| f.diagnostic.range.slice(t).trim_matches(['"', '\'']).to_string());
    match slice {
        Some(s) if !s.is_empty() && !s.contains('\n') => s,
        _ => f.path.to_string(),
    }
}

/// The step that clears one blocker: its first fix that is a `tollgate
/// recover` command, else its first fix, else what its class asks for.
fn blocker_next(f: &Finding, line: u32) -> String {
    let d = &f.diagnostic;
    if d.code == Code::RetryLimit {
        let stage = d.data.stage.as_deref().unwrap_or("?");
        let q = shell_quote(stage);
        return format!(
            "a person decides whether stage `{stage}` gets another attempt \
             (`tollgate recover return-to-build --stage {q}` overrides the retry limit) \
             or sets it aside (`tollgate recover archive-attempt --stage {q}`)"
        );
    }
    if let Some(fix) = d.data.fixes.iter().find(|f| is_command(f)).or(d.data.fixes.first()) {
        return match fix {
            Fix::Replace { title, .. } => format!("{title} ({}:{line})", f.path),
            _ => next_step(fix),
        };
    }
    format!("fix {}:{line} ({})", f.path, d.code.as_str())
}

pub fn run(args: Args) -> ExitCode {
    let overrides = match crate::check::parse_overrides(&args.severity) {
        Ok(o) => o,
        Err(e) => return crate::fail(2, &e),
    };
    let (snapshot, findings) = match crate::analyze_dir(args.dir, &overrides) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let report = report(&snapshot, &findings);
    match args.format {
        StatusFormat::Json => output::emit(&format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default())),
        StatusFormat::Text => output::emit(&render_text(&report)),
    }
    if report["blockers"].as_array().is_some_and(|b| !b.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn report(snapshot: &Snapshot, findings: &[Finding]) -> Value {
    let mut sources = Sources::new(&snapshot.root.dir);
    let state = snapshot.state();
    let stage = state.and_then(|s| s.current_stage.as_ref()).map(|s| s.value.clone());
    let attempts = stage.as_deref().and_then(|id| state?.latest(id)?.attempts.as_ref()).map(|a| a.value);
    let max_attempts = snapshot.pipeline().map(|p| p.max_attempts).unwrap_or(DEFAULT_MAX_ATTEMPTS);
    let mut entry = |f: &Finding| {
        let d = &f.diagnostic;
        let blocker = d.code.blocker();
        let (start, _) = sources.positions(&f.path, d.range);
        let line = start.line + 1;
        json!({
            "code": d.code.as_str(),
            "severity": d.severity.as_str(),
            "class": blocker.class,
            "return_to": blocker.return_to,
            "subject": subject(f, snapshot),
            "path": &*f.path,
            "line": line,
            "message": d.message,
            "next": blocker_next(f, line),
        })
    };
    let blockers: Vec<Value> =
        findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).map(&mut entry).collect();
    let warnings: Vec<Value> =
        findings.iter().filter(|f| f.diagnostic.severity == Severity::Warning).map(&mut entry).collect();
    // A person's decision comes first (the failure policy stops the automation);
    // then the first blocker that a recovery command clears; then the first blocker.
    let next = blockers
        .iter()
        .find(|b| b["class"] == "intervention")
        .or_else(|| blockers.iter().find(|b| b["next"].as_str().is_some_and(|n| n.starts_with("tollgate recover "))))
        .or(blockers.first())
        .map(|b| b["next"].clone());
    json!({
        "root": snapshot.root.dir.display().to_string(),
        "pipeline": snapshot.pipeline.as_ref().map(|p| p.current.path.clone()),
        "stage": stage,
        "status": state.and_then(|s| s.status()).map(|s| s.as_str()),
        "active": snapshot.run_is_active(),
        "attempts": attempts,
        "max_attempts": max_attempts,
        "completed": state.map(|s| s.completed_stages.iter().map(|c| c.value.clone()).collect::<Vec<_>>()),
        "blockers": blockers,
        "warnings": warnings,
        "next": next,
    })
}

pub fn render_text(r: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| "-".to_string());
    // Paths as seen from the current directory, as `check` prints them (JSON keeps them root-relative).
    let base = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    let p = |v: &Value| match (&base, r["root"].as_str()) {
        (Some(base), Some(root)) => output::relative_path(base, &std::path::Path::new(root).join(s(v))),
        _ => s(v),
    };
    out.push_str(&format!("root:      {}\n", s(&r["root"])));
    out.push_str(&format!(
        "pipeline:  {}\n",
        if r["pipeline"].is_string() { p(&r["pipeline"]) } else { s(&r["pipeline"]) }
    ));
    let attempts = match r["attempts"].as_u64() {
        Some(a) => format!(" (attempt {a} of {})", r["max_attempts"]),
        None => String::new(),
    };
    out.push_str(&format!("stage:     {}{attempts}\n", s(&r["stage"])));
    out.push_str(&format!("status:    {}\n", s(&r["status"])));
    let blockers = r["blockers"].as_array().cloned().unwrap_or_default();
    let warnings = r["warnings"].as_array().cloned().unwrap_or_default();
    if blockers.is_empty() {
        out.push_str("blockers:  none\n");
    } else {
        out.push_str(&format!("blockers:  {}\n", blockers.len()));
        for b in &blockers {
            out.push_str(&format!(
                "  - [{}] {} `{}` -> return to {} ({}:{})\n      {}\n",
                s(&b["class"]),
                s(&b["code"]),
                s(&b["subject"]),
                s(&b["return_to"]),
                p(&b["path"]),
                b["line"],
                s(&b["message"])
            ));
        }
    }
    if !warnings.is_empty() {
        out.push_str(&format!("warnings:  {}\n", warnings.len()));
        for w in &warnings {
            out.push_str(&format!("  - {} ({}:{}) {}\n", s(&w["code"]), p(&w["path"]), w["line"], s(&w["message"])));
        }
    }
    out.push_str(&format!("next:      {}\n", r["next"].as_str().unwrap_or("nothing blocks the run")));
    out
}
