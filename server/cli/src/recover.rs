//! `tollgate recover <action>`: the code actions' recovery steps from a terminal.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(args: Args) -> ExitCode {
    let _ = args;
    ExitCode::from(2)
}
