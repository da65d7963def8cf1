//! `tollgate recover <action>`: the code actions' recovery steps from a terminal.
//! Exit 0 done, 1 refused or failed (nothing changed), 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use tollgate_engine::model::scope::Op;
use tollgate_engine::policy;
use tollgate_engine::recovery::{self, DiskFiles, Env, Plan, Refusal, ScopeRequest};

#[derive(clap::Args)]
pub struct Args {
    /// The factory root, or a directory under it (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Print the plan and change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Allow a pattern in .factory/scope.yaml, with the approval on record.
    ExpandScope {
        /// The pattern to allow (scope dialect, relative to the factory root).
        #[arg(long, value_name = "GLOB")]
        path: String,
        /// Operations to allow (default: modify,create).
        #[arg(long, value_delimiter = ',', value_parser = ["modify", "create", "delete"])]
        ops: Vec<String>,
        /// Why the scope grows (recorded in the entry).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Re-open a stage for another attempt on top of its artifacts.
    ReturnToBuild {
        /// The stage to re-open: its `id` in pipeline.yaml.
        #[arg(long, value_name = "ID")]
        stage: String,
    },
    /// Move a stage's outputs to artifacts/_failed/<stage>/attempt-N/ and mark it failed.
    ArchiveAttempt {
        /// The stage whose attempt is archived: its `id` in pipeline.yaml.
        #[arg(long, value_name = "ID")]
        stage: String,
    },
    /// Move an unauthorized write to artifacts/_untrusted/<stage>/ and pause the run.
    Quarantine {
        /// The file, relative to the factory root.
        #[arg(long, value_name = "PATH")]
        path: String,
        /// The stage that wrote it (default: the current stage).
        #[arg(long, value_name = "ID")]
        stage: Option<String>,
    },
    /// Re-execute from a checkpoint: archive the outputs of that stage and later ones, reset the run.
    Rollback {
        /// The stage to re-execute from (default: the latest checkpoint).
        #[arg(long, value_name = "ID")]
        to: Option<String>,
    },
    /// Go on with a paused run in the same attempt (refused while a person's blocker remains).
    Resume,
}

pub fn run(args: Args) -> ExitCode {
    let root = match crate::find_root(args.root) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tollgate recover: {e}");
            return ExitCode::from(2);
        }
    };
    let files = DiskFiles { root: &root.dir };
    let env = Env { root: &root, files: &files, now: SystemTime::now() };
    let planned: Result<Plan, Refusal> = match &args.action {
        Action::ExpandScope { path, ops, reason } => {
            let ops = ops.iter().filter_map(|o| Op::parse(o)).collect();
            recovery::plan_expand_scope(&env, &ScopeRequest { path, ops, reason: reason.as_deref() })
        }
        Action::ReturnToBuild { stage } => recovery::plan_return_to_build(&env, stage),
        Action::ArchiveAttempt { stage } => recovery::plan_archive_attempt(&env, stage),
        Action::Quarantine { path, stage } => recovery::plan_quarantine(&env, path, stage.as_deref()),
        Action::Rollback { to } => policy::plan_rollback(&env, to.as_deref()),
        Action::Resume => {
            // Resume asks the run's findings: a person's blocker still in place refuses it.
            let findings = match crate::analyze_dir(Some(root.dir.clone()), &Default::default()) {
                Ok((_, findings)) => findings,
                Err(code) => return code,
            };
            policy::plan_resume(&env, &findings)
        }
    };
    let plan = match planned {
        Ok(p) => p,
        Err(r) => {
            eprintln!("tollgate recover: refused: {r}\nnothing was changed");
            return ExitCode::from(1);
        }
    };
    print!("{}", plan.render());
    if args.dry_run {
        println!("dry run: nothing was changed");
        return ExitCode::SUCCESS;
    }
    match recovery::apply_to_disk(&root.dir, &plan) {
        Ok(_) => {
            println!("done");
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("tollgate recover: failed: {f}");
            ExitCode::from(1)
        }
    }
}
