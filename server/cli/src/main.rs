//! `tollgate`: one binary, three faces (SPEC section 1).

mod check;
mod gate;
mod hook;
mod output;
mod picture;
mod recover;
mod setup;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "tollgate", version, about = "Keeps AI-agent pipelines honest: language server and CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server over stdio.
    Lsp {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Run every check once; exit 0 clean, 1 with errors, 2 on usage or I/O errors.
    Check(check::Args),
    /// Show the run: stage, status, attempts, open blockers and the next step.
    Status(status::Args),
    /// Carry out a recovery step, as the editor's code actions do.
    Recover(recover::Args),
    /// The stage's exit gate: record the checkpoint, or retry, pause or roll back by the failure policy.
    Gate(gate::Args),
    /// Answer one hook event of a coding agent (stdin), as its guard (SPEC 8).
    Hook(hook::Args),
    /// Install the agent guard's hooks into an agent's project settings.
    Setup(setup::Args),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

/// Resolves DIR (default: the current directory) to a factory root, or explains.
pub fn find_root(dir: Option<PathBuf>) -> Result<tollgate_engine::root::Root, String> {
    let dir = match dir {
        Some(d) => d,
        None => std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?,
    };
    let dir = std::fs::canonicalize(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    tollgate_engine::root::Root::find(&dir).ok_or_else(|| {
        format!("{}: no factory root here or above (no pipeline.yaml or .factory/pipeline.yaml)", dir.display())
    })
}

/// Loads the root at or above DIR, scans it and runs every check, through the
/// engine's `Workspace` as the language server does: what `check` and `status`
/// share. On failure the message is printed and the exit code returned.
pub fn analyze_dir(
    dir: Option<PathBuf>,
    overrides: &tollgate_engine::diagnostic::SeverityOverrides,
) -> Result<(tollgate_engine::analysis::Snapshot, Vec<tollgate_engine::Finding>), ExitCode> {
    let root = find_root(dir).map_err(|e| fail(2, &e))?;
    let (ws, read_errors) = tollgate_engine::workspace::Workspace::load_scanned(root);
    if !read_errors.is_empty() {
        for e in &read_errors {
            eprintln!("tollgate: {}: cannot read: {}", ws.root.dir.join(&e.path).display(), e.message);
        }
        return Err(ExitCode::from(2));
    }
    Ok(ws.into_findings(overrides))
}

/// Prints `tollgate: <message>` to stderr and returns `code`.
pub fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("tollgate: {message}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if !matches!(cli.command, Command::Lsp { .. }) {
        quiet_on_closed_pipe();
    }
    match cli.command {
        Command::Lsp { .. } => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("TOLLGATE_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            tollgate_lsp::run_stdio();
            ExitCode::SUCCESS
        }
        Command::Check(args) => check::run(args),
        Command::Status(args) => status::run(args),
        Command::Recover(args) => recover::run(args),
        Command::Gate(args) => gate::run(args),
        Command::Hook(args) => hook::run(args),
        Command::Setup(args) => setup::run(args),
    }
}

/// `tollgate check | head` must end quietly when `head` has read enough, as
/// other command-line tools do, not panic in `println!`: a closed pipe ends the
/// process again (Rust's runtime ignores SIGPIPE). Not for the language server,
/// which reports a lost client itself.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use tollgate_engine::recovery::ActionKind;

    /// Every action's terminal form is a real subcommand, and every `recover`
    /// subcommand is one of the actions: the two are declared once, here and in
    /// `ActionKind`, and cannot drift apart.
    #[test]
    fn every_action_is_a_subcommand_and_every_recover_subcommand_an_action() {
        let cli = super::Cli::command();
        for kind in ActionKind::ALL {
            let mut cmd = &cli;
            for word in kind.cli().split(' ') {
                cmd = cmd.find_subcommand(word).unwrap_or_else(|| panic!("`tollgate {}` is no subcommand", kind.cli()));
            }
        }
        let recover = cli.find_subcommand("recover").expect("recover");
        for sub in recover.get_subcommands() {
            let name = format!("recover {}", sub.get_name());
            assert!(ActionKind::ALL.iter().any(|k| k.cli() == name), "`tollgate {name}` is no action");
        }
    }
}
