//! `tollgate check`: every check once, for CI.
//!
//! Exit codes (SPEC section 1): 0 when no finding is an error (after
//! `--severity` overrides), 1 when one is, 2 on a usage error, when DIR holds
//! no factory root, and when a file of the root cannot be read: an I/O error,
//! or a file that is not UTF-8 (tollgate cannot say where a finding sits in
//! text it cannot decode, so it names the file on stderr instead of guessing).

use std::path::PathBuf;
use std::process::ExitCode;

use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::Severity;

use crate::output::{self, Sources};
use crate::Format;

#[derive(clap::Args)]
pub struct Args {
    /// The factory root, or a directory below it (default: the current directory).
    dir: Option<PathBuf>,
    /// Output format. Paths in text, github and sarif are relative to the current
    /// directory; json keeps root-relative paths and names the root.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Override a code's severity: CODE=error|warning|information|hint|off (repeatable;
    /// `--list-codes` shows every code and its default).
    #[arg(long = "severity", value_name = "CODE=LEVEL")]
    severity: Vec<String>,
    /// List every finding code with its default severity, blocker class and meaning, then exit
    /// (text or json).
    #[arg(long, conflicts_with_all = ["dir", "severity"])]
    list_codes: bool,
}

pub fn parse_overrides(items: &[String]) -> Result<SeverityOverrides, String> {
    let mut overrides = SeverityOverrides::default();
    for item in items {
        let (code, level) = item
            .split_once('=')
            .ok_or_else(|| format!("--severity `{item}`: expected CODE=LEVEL, e.g. stale-scope=off"))?;
        let code = code.trim().parse().map_err(|e| format!("--severity `{item}`: {e}"))?;
        let level = SeverityOverrides::parse_level(level.trim()).map_err(|e| format!("--severity `{item}`: {e}"))?;
        overrides.0.insert(code, level);
    }
    Ok(overrides)
}

pub fn run(args: Args) -> ExitCode {
    if args.list_codes {
        return match args.format {
            Format::Text | Format::Json => {
                output::emit(&output::codes(args.format == Format::Json));
                ExitCode::SUCCESS
            }
            _ => crate::fail(2, "--list-codes prints `--format text` or `--format json`"),
        };
    }
    let overrides = match parse_overrides(&args.severity) {
        Ok(o) => o,
        Err(e) => return crate::fail(2, &e),
    };
    let (snapshot, findings) = match crate::analyze_dir(args.dir, &overrides) {
        Ok(done) => done,
        Err(code) => return code,
    };

    let mut sources = Sources::new(&snapshot.root.dir);
    let l = &snapshot.root.layout;
    for rel in [&l.pipeline, &l.matrix, &l.state, &l.scope, &l.evidence] {
        if let Some(text) = snapshot.text(rel) {
            sources.insert(rel, text);
        }
    }
    let rendered = match args.format {
        Format::Text => output::text(&findings, &mut sources),
        Format::Json => output::json(&findings, &mut sources),
        Format::Sarif => output::sarif(&findings, &mut sources),
        Format::Github => output::github(&findings, &mut sources),
    };
    if rendered.is_empty() || rendered.ends_with('\n') {
        output::emit(&rendered);
    } else {
        output::emit(&format!("{rendered}\n"));
    }
    if findings.iter().any(|f| f.diagnostic.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
