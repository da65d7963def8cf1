//! `tollgate check`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Format;

#[derive(clap::Args)]
pub struct Args {
    /// The factory root, or a directory below it (default: the current directory).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Override a code's severity: CODE=error|warning|information|hint|off (repeatable).
    #[arg(long = "severity", value_name = "CODE=LEVEL")]
    severity: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    let _ = (args.dir, args.format, args.severity);
    ExitCode::from(2)
}
