//! `tollgate gate`: the stage's exit gate and the failure policy (SPEC 9).
//! Exit 0 the stage passed, 1 it failed (the policy was carried out) or the
//! gate refused (nothing changed), 2 usage or I/O error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use serde_json::{json, Value};
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::policy::exit::Missing;
use tollgate_engine::policy::{self, Gate, Outcome};
use tollgate_engine::recovery::{self, DiskFiles, Env};

use crate::output::{self, Sources};

#[derive(clap::Args)]
pub struct Args {
    /// The stage to gate (default: the current stage, which must be running).
    #[arg(long, value_name = "ID")]
    stage: Option<String>,
    /// The factory root, or a directory under it (default: the current directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Print the decision and the plan; change nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value = "text")]
    format: GateFormat,
}

pub fn run(args: Args) -> ExitCode {
    let (snapshot, findings) = match crate::analyze_dir(args.root, &SeverityOverrides::default()) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let root = &snapshot.root;
    let files = DiskFiles { root: &root.dir };
    let env = Env { root, files: &files, now: SystemTime::now() };
    let gate = match policy::plan_gate(&env, args.stage.as_deref(), &findings) {
        Ok(g) => g,
        Err(r) => {
            if args.format == GateFormat::Json {
                output::emit(&format!("{}\n", json!({"version": 1, "refused": r.0})));
            }
            eprintln!("tollgate gate: refused: {r}\nnothing was changed");
            return ExitCode::from(1);
        }
    };
    let applied = if args.dry_run {
        Ok(false)
    } else {
        recovery::apply_to_disk(&root.dir, &gate.plan).map(|_| true).map_err(|f| f.message)
    };
    let mut sources = Sources::new(&root.dir);
    let pipeline = root.layout.pipeline.clone();
    match args.format {
        GateFormat::Json => {
            let mut v = report(&gate, &pipeline, &mut sources);
            v["root"] = json!(root.dir.display().to_string());
            v["dry_run"] = json!(args.dry_run);
            v["applied"] = json!(applied.as_ref().is_ok_and(|a| *a));
            if let Err(e) = &applied {
                v["error"] = json!(e);
            }
            output::emit(&format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default()));
        }
        GateFormat::Text => output::emit(&render_text(&gate, &pipeline, &mut sources, args.dry_run)),
    }
    match applied {
        Err(e) => {
            eprintln!("tollgate gate: failed: {e}");
            ExitCode::from(1)
        }
        Ok(_) if gate.outcome == Outcome::Pass => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
    }
}

fn why(m: Missing) -> &'static str {
    match m {
        Missing::Absent => "absent",
        Missing::Empty => "empty",
        Missing::NotADirectory => "not_a_directory",
        Missing::Outside => "outside",
    }
}

fn report(g: &Gate, pipeline: &str, sources: &mut Sources) -> Value {
    let missing: Vec<Value> = g
        .exit
        .missing
        .iter()
        .map(|m| {
            let (start, end) = sources.positions(pipeline, m.range);
            json!({"path": m.path, "why": why(m.why), "file": pipeline, "range": output::lsp_range(start, end)})
        })
        .collect();
    let blockers: Vec<Value> = g
        .exit
        .blockers
        .iter()
        .map(|f| json!({"code": f.diagnostic.code.as_str(), "path": &*f.path, "message": f.diagnostic.message}))
        .collect();
    json!({
        "version": 1,
        "stage": g.stage,
        "attempt": g.attempt,
        "max_attempts": g.max_attempts,
        "outcome": g.outcome.as_str(),
        "passed": g.outcome == Outcome::Pass,
        "missing": missing,
        "blockers": blockers,
        "present": g.exit.present,
        "task": g.exit.task(),
        "quarantined": g.quarantined.iter().map(|(f, t)| json!({"from": f, "to": t})).collect::<Vec<_>>(),
        "archive": g.archive.as_ref().map(|a| format!("{a}/")),
        "next_stage": g.next_stage,
        "actions": g.actions,
        "plan": {"title": g.plan.title, "steps": g.plan.description},
    })
}

fn render_text(g: &Gate, pipeline: &str, sources: &mut Sources, dry_run: bool) -> String {
    let mut out = String::new();
    let of = format!("attempt {} of {}", g.attempt, g.max_attempts);
    if g.outcome == Outcome::Pass {
        out.push_str(&format!("gate: stage `{}` passes ({of})\n", g.stage));
    } else {
        out.push_str(&format!("gate: stage `{}` is blocked ({of}); what to fix:\n", g.stage));
        for (m, line) in g.exit.missing.iter().zip(g.exit.task()) {
            let (start, _) = sources.positions(pipeline, m.range);
            out.push_str(&format!("  - {line} ({pipeline}:{}:{})\n", start.line + 1, start.col + 1));
        }
        for line in g.exit.task().into_iter().skip(g.exit.missing.len()) {
            out.push_str(&format!("  - {line}\n"));
        }
        if !g.exit.present.is_empty() {
            out.push_str(&format!("on top of: {}\n", g.exit.present.join(", ")));
        }
    }
    out.push_str(&format!("policy: {}", g.plan.render()));
    out.push_str(if dry_run { "dry run: nothing was changed\n" } else { "done\n" });
    match g.outcome {
        Outcome::Pass => match &g.next_stage {
            Some(n) => out.push_str(&format!("next stage: `{n}` (a person confirms before it starts)\n")),
            None => out.push_str("next stage: none, the pipeline is complete\n"),
        },
        Outcome::Retry => out.push_str(&format!(
            "next: attempt {} of {} fixes the list above on top of the existing artifacts\n",
            g.attempt + 1,
            g.max_attempts
        )),
        Outcome::Pause | Outcome::Rollback => {
            out.push_str("next:\n");
            for (i, a) in g.actions.iter().enumerate() {
                out.push_str(&format!("  {}. {a}\n", i + 1));
            }
        }
    }
    out
}

/// `gate` speaks to a person (text) or a script (JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GateFormat {
    Text,
    Json,
}
