//! `tollgate status`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: crate::Format,
}

pub fn run(args: Args) -> ExitCode {
    let _ = (args.dir, args.format);
    ExitCode::from(2)
}
