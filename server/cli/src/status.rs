//! `tollgate status`: the run as a person asks about it.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};
use tollgate_engine::analysis::Snapshot;
use tollgate_engine::diagnostic::{Fix, SeverityOverrides};
use tollgate_engine::fs_view::DiskFs;
use tollgate_engine::model::pipeline::DEFAULT_MAX_ATTEMPTS;
use tollgate_engine::{Finding, Severity};

use crate::output::Sources;
use crate::Format;

#[derive(clap::Args)]
pub struct Args {
    /// The factory root, or a directory below it (default: the current directory).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The shell command that carries out a fix, or what a person must do.
pub fn next_step(fix: &Fix) -> String {
    let q = shell_quote;
    match fix {
        Fix::ExpandScope { path } => format!("tollgate recover expand-scope --path {}", q(path)),
        Fix::Quarantine { path, stage } => format!("tollgate recover quarantine --path {} --stage {}", q(path), q(stage)),
        Fix::ReturnToBuild { stage } => format!("tollgate recover return-to-build --stage {}", q(stage)),
        Fix::ArchiveAttempt { stage } => format!("tollgate recover archive-attempt --stage {}", q(stage)),
        Fix::GrantWrite { stage, path } => format!("a person grants stage `{stage}` write access to `{path}`"),
        Fix::Replace { title, .. } => title.clone(),
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn subject(f: &Finding, snapshot: &Snapshot) -> String {
    let text = snapshot.text(&f.path);
    let slice = text.as_deref().map(|t| f.diagnostic.range.slice(t).trim_matches(['"', '\'']).to_string());
    match slice {
        Some(s) if !s.is_empty() && !s.contains('\n') => s,
        _ => f.path.clone(),
    }
}

pub fn run(args: Args) -> ExitCode {
    let root = match crate::find_root(args.dir) {
        Ok(r) => r,
        Err(e) => return crate::fail(2, &e),
    };
    let (snapshot, read_errors) = Snapshot::load(root);
    if let Some(e) = read_errors.first() {
        return crate::fail(2, &format!("{}: cannot read: {}", snapshot.root.dir.join(&e.path).display(), e.message));
    }
    let (changes, git) = snapshot.gather_changes();
    let fs = DiskFs::new(&snapshot.root.dir);
    let findings = snapshot.analyze(&fs, &changes, git.as_ref(), &SeverityOverrides::default());
    let report = report(&snapshot, &findings);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
        _ => print!("{}", render_text(&report)),
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
    let entry = |f: &Finding| {
        let d = &f.diagnostic;
        let blocker = d.code.blocker();
        let (start, _) = sources.positions(&f.path, d.range);
        json!({
            "code": d.code.as_str(),
            "severity": d.severity.as_str(),
            "class": blocker.class,
            "return_to": blocker.return_to,
            "subject": subject(f, snapshot),
            "path": f.path,
            "line": start.line + 1,
            "message": d.message,
            "next": d.data.fixes.first().map(next_step),
        })
    };
    let blockers: Vec<Value> =
        findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).map(&mut { entry }).collect();
    let mut sources2 = Sources::new(&snapshot.root.dir);
    let warnings: Vec<Value> = findings
        .iter()
        .filter(|f| f.diagnostic.severity == Severity::Warning)
        .map(|f| {
            let d = &f.diagnostic;
            let (start, _) = sources2.positions(&f.path, d.range);
            json!({"code": d.code.as_str(), "path": f.path, "line": start.line + 1, "message": d.message})
        })
        .collect();
    let next = blockers.iter().find_map(|b| b["next"].as_str().map(str::to_string)).or_else(|| {
        (!blockers.is_empty()).then(|| format!("fix {} (see the first blocker)", blockers[0]["path"].as_str().unwrap_or("")))
    });
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
    out.push_str(&format!("root:      {}\n", s(&r["root"])));
    out.push_str(&format!("pipeline:  {}\n", s(&r["pipeline"])));
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
                s(&b["path"]),
                b["line"],
                s(&b["message"])
            ));
        }
    }
    if !warnings.is_empty() {
        out.push_str(&format!("warnings:  {}\n", warnings.len()));
        for w in &warnings {
            out.push_str(&format!("  - {} ({}:{}) {}\n", s(&w["code"]), s(&w["path"]), w["line"], s(&w["message"])));
        }
    }
    out.push_str(&format!("next:      {}\n", r["next"].as_str().unwrap_or("nothing blocks the run")));
    out
}
