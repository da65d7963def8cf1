//! `tollgate status`: the run as a person asks about it.

use std::path::PathBuf;
use std::process::ExitCode;

use tollgate_engine::status::Report;

use crate::output;

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

/// `status` speaks to a person (text, or a picture: Mermaid, HTML) or a script
/// (JSON); SARIF and GitHub annotations are `check`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
    Mermaid,
    Html,
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
    let report = Report::build(&snapshot, &findings);
    match args.format {
        StatusFormat::Json => {
            output::emit(&format!("{}\n", serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()))
        }
        StatusFormat::Text => output::emit(&render_text(&report)),
        StatusFormat::Mermaid => output::emit(&crate::picture::mermaid::render(&report)),
        StatusFormat::Html => output::emit(&crate::picture::html::render(&report)),
    }
    if report.is_blocked() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    let s = |v: Option<&str>| v.unwrap_or("-").to_string();
    // Paths as seen from the current directory, as `check` prints them (JSON keeps them root-relative).
    let base = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    let p = |rel: &str| match &base {
        Some(base) => output::relative_path(base, &std::path::Path::new(&r.root).join(rel)),
        None => rel.to_string(),
    };
    out.push_str(&format!("root:      {}\n", r.root));
    out.push_str(&format!("pipeline:  {}\n", r.pipeline.as_deref().map_or_else(|| "-".to_string(), p)));
    let attempts = match r.attempts {
        Some(a) => format!(" (attempt {a} of {})", r.max_attempts),
        None => String::new(),
    };
    out.push_str(&format!("stage:     {}{attempts}\n", s(r.stage.as_deref())));
    out.push_str(&format!("status:    {}\n", s(r.status)));
    if r.blockers.is_empty() {
        out.push_str("blockers:  none\n");
    } else {
        out.push_str(&format!("blockers:  {}\n", r.blockers.len()));
        for b in &r.blockers {
            out.push_str(&format!(
                "  - [{}] {} `{}` -> return to {} ({}:{})\n      {}\n",
                b.class,
                b.code,
                b.subject,
                b.return_to,
                p(&b.path),
                b.line,
                b.message
            ));
        }
    }
    if !r.warnings.is_empty() {
        out.push_str(&format!("warnings:  {}\n", r.warnings.len()));
        for w in &r.warnings {
            out.push_str(&format!("  - {} ({}:{}) {}\n", w.code, p(&w.path), w.line, w.message));
        }
    }
    out.push_str(&format!("next:      {}\n", r.next.as_deref().unwrap_or("nothing blocks the run")));
    out
}
