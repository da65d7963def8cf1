//! `tollgate setup <agent> [--root DIR] [--dry-run] [--remove]`: writes the
//! guard's hook entries into that agent's project settings (SPEC 8), merged
//! with what is there: every other key and hook is kept, in its order; a second
//! run changes no byte; a file that is not a JSON object (or whose `hooks` are
//! not in the agents' shape) is refused, nothing changed; `--remove` takes out
//! exactly the entries that run `tollgate hook <agent>`.
//!
//! All three agents share one shape: `hooks.<Event>` is a list of groups
//! `{"matcher": …, "hooks": [handler, …]}`; each agent's file says which events,
//! matchers and handler fields it uses.

mod claude_code;
mod codex;
mod gemini_cli;
mod sandbox;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tollgate_engine::recovery::json::Json;

use crate::hook::Agent;

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    agent: Agent,
    /// The factory root, or a directory below it (default: the current directory).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Print the settings file as it would be; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Take tollgate's hook entries (and sandbox lists) out again.
    #[arg(long)]
    remove: bool,
    /// Also write the running stage's box into the agent's OS sandbox for shell
    /// commands (Claude Code: `sandbox.filesystem.denyWrite`; Codex: a permission
    /// profile). It holds that stage's box: run it again when the stage changes.
    #[arg(long)]
    sandbox: bool,
}

/// One hook entry: the event, its matcher (None: every occurrence) and the handler.
pub struct Entry {
    pub event: &'static str,
    pub matcher: Option<String>,
    pub handler: Json,
}

/// What an agent's settings look like.
pub struct AgentSettings {
    /// Relative to the project directory.
    pub file: &'static str,
    /// The name after `tollgate hook`.
    pub name: &'static str,
    pub entries: fn(command: &str) -> Vec<Entry>,
    /// Where and how the agent's OS sandbox holds a box, when it can.
    pub sandbox: Option<sandbox::Writer>,
}

fn settings_of(agent: Agent) -> AgentSettings {
    match agent {
        Agent::ClaudeCode => claude_code::SETTINGS,
        Agent::GeminiCli => gemini_cli::SETTINGS,
        Agent::Codex => codex::SETTINGS,
    }
}

/// One settings file: as it is, and as it will be.
struct File {
    path: PathBuf,
    /// What tollgate keeps in it ("hook entries", …).
    what: String,
    old: Option<Vec<u8>>,
    text: String,
    touched: bool,
}

impl File {
    fn read(path: PathBuf, what: &str) -> Result<File, String> {
        let old = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let text = match &old {
            Some(b) => std::str::from_utf8(b)
                .map_err(|_| format!("{}: the file is not UTF-8 text; nothing changed", path.display()))?
                .to_string(),
            None => String::new(),
        };
        Ok(File { path, what: what.to_string(), old, text, touched: false })
    }

    /// Applies one change to the text; Err names the file.
    fn apply(&mut self, change: impl FnOnce(&str) -> Result<Option<String>, String>) -> Result<(), String> {
        if let Some(t) = change(&self.text).map_err(|e| format!("{}: {e}; nothing changed", self.path.display()))? {
            self.text = t;
            self.touched = true;
        }
        Ok(())
    }

    fn changed(&self) -> bool {
        self.touched && self.old.as_deref() != Some(self.text.as_bytes())
    }
}

pub fn run(args: Args) -> ExitCode {
    let agent = settings_of(args.agent);
    let root = match crate::find_root(args.root) {
        Ok(r) => r,
        Err(e) => return crate::fail(2, &e),
    };
    if args.sandbox && agent.sandbox.is_none() {
        return crate::fail(
            2,
            &format!(
                "{} has no per-path write list for shell commands that tollgate can write; nothing changed",
                agent.name
            ),
        );
    }
    let project = project_dir(&root.dir);
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => return crate::fail(1, &format!("cannot tell where this tollgate binary is: {e}")),
    };
    let command = format!("{} hook {}", tollgate_engine::status::shell_quote(&exe.display().to_string()), agent.name);
    // The box first: a rule file that cannot be read changes nothing.
    let shell_box = match args.sandbox && !args.remove {
        true => match tollgate_engine::sandbox::shell_box(root.clone()) {
            Ok(b) => Some(b),
            Err(e) => return crate::fail(1, &format!("{e}; nothing changed")),
        },
        false => None,
    };
    let mut files = match File::read(project.join(agent.file), "hook entries") {
        Ok(f) => vec![f],
        Err(e) => return crate::fail(1, &e),
    };
    if let Err(e) = files[0].apply(|t| merged(t, &agent, &command, args.remove)) {
        return crate::fail(1, &e);
    }
    let mut notes = Vec::new();
    if let Some(w) = agent.sandbox.as_ref().filter(|_| args.sandbox || args.remove) {
        let path = project.join(w.file);
        let at = match files.iter().position(|f| f.path == path) {
            Some(i) => {
                if args.sandbox {
                    files[i].what = "hook entries and sandbox lists".into();
                }
                i
            }
            None => match File::read(path, "sandbox profile") {
                Ok(f) => {
                    files.push(f);
                    files.len() - 1
                }
                Err(e) => return crate::fail(1, &e),
            },
        };
        let ctx = sandbox::Context {
            root: &root.dir,
            project: &project,
            shell_box: shell_box.as_ref().and_then(|b| b.as_ref()),
        };
        let mut said = Vec::new();
        if let Err(e) = files[at].apply(|t| (w.merge)(t, &ctx, &mut said)) {
            return crate::fail(1, &e);
        }
        notes.extend(said);
        if args.sandbox {
            notes.extend(sandbox::summary(&agent, shell_box.as_ref().and_then(|b| b.as_ref())));
        }
    }
    for (i, f) in files.iter().enumerate() {
        match () {
            // A sandbox file that never was: nothing to say.
            _ if i > 0 && !f.changed() && f.old.is_none() => {}
            _ if !f.changed() => println!(
                "tollgate: {} already {}; nothing changed",
                f.path.display(),
                if args.remove { format!("has no tollgate {}", f.what) } else { format!("has tollgate's {}", f.what) }
            ),
            _ if args.dry_run => {
                println!("tollgate: would write {} (dry run, nothing changed):", f.path.display());
                print!("{}", f.text);
            }
            _ => {}
        }
    }
    if !args.dry_run {
        // Every file was merged before any is written: a refusal changes nothing.
        for f in files.iter().filter(|f| f.changed()) {
            if let Err(e) = write_atomically(&f.path, f.text.as_bytes()) {
                return crate::fail(1, &format!("{}: {e}", f.path.display()));
            }
            match args.remove {
                true => println!("tollgate: removed tollgate's {} from {}", f.what, f.path.display()),
                false => println!("tollgate: installed tollgate's {} in {}", f.what, f.path.display()),
            }
        }
    }
    for n in notes {
        println!("tollgate: {n}");
    }
    ExitCode::SUCCESS
}

/// The git top level above the root when there is one (where the agents are
/// started and read their project settings), else the root.
fn project_dir(root: &Path) -> PathBuf {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(root)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let top = String::from_utf8_lossy(&o.stdout).trim().to_string();
            std::fs::canonicalize(&top).unwrap_or_else(|_| root.to_path_buf())
        }
        _ => root.to_path_buf(),
    }
}

/// Is a handler tollgate's own for this agent: a command running a `tollgate`
/// binary with `hook <agent>`?
fn is_ours(handler: &Json, agent: &str) -> bool {
    let Some(cmd) = handler.get("command").and_then(Json::as_str) else { return false };
    let Some(exe) = cmd.strip_suffix(&format!(" hook {agent}")) else { return false };
    let exe = exe.trim().trim_matches('\'').trim_matches('"');
    Path::new(exe).file_name().is_some_and(|n| n == "tollgate")
}

/// The settings text after the change; None when it would not change.
pub fn merged(text: &str, agent: &AgentSettings, command: &str, remove: bool) -> Result<Option<String>, String> {
    let mut doc = if text.trim().is_empty() {
        Json::Obj(Vec::new())
    } else {
        Json::parse(text).map_err(|e| format!("not valid JSON ({e})"))?
    };
    let before = doc.clone();
    let Json::Obj(top) = &mut doc else { return Err("not a JSON object".into()) };
    if !top.iter().any(|(k, _)| k == "hooks") {
        if remove {
            return Ok(None);
        }
        top.push(("hooks".into(), Json::Obj(Vec::new())));
    }
    let Some((_, Json::Obj(hooks))) = top.iter_mut().find(|(k, _)| k == "hooks") else {
        return Err("`hooks` is not an object".into());
    };
    // Out with ours (a group keeps its other handlers), then, unless removing, in at the end.
    for (event, groups) in hooks.iter_mut() {
        let Json::Arr(groups) = groups else { return Err(format!("`hooks.{event}` is not a list")) };
        for g in groups.iter_mut() {
            let Some(Json::Arr(handlers)) = g.get_mut("hooks") else {
                return Err(format!("a group of `hooks.{event}` has no `hooks` list"));
            };
            handlers.retain(|h| !is_ours(h, agent.name));
        }
        groups.retain(|g| !matches!(g.get("hooks"), Some(Json::Arr(h)) if h.is_empty()));
    }
    hooks.retain(|(_, groups)| !matches!(groups, Json::Arr(g) if g.is_empty()));
    if !remove {
        for e in (agent.entries)(command) {
            let mut group = Vec::new();
            if let Some(m) = e.matcher {
                group.push(("matcher".to_string(), Json::Str(m)));
            }
            group.push(("hooks".to_string(), Json::Arr(vec![e.handler])));
            match hooks.iter_mut().find(|(k, _)| k == e.event) {
                Some((_, Json::Arr(groups))) => groups.push(Json::Obj(group)),
                _ => hooks.push((e.event.to_string(), Json::Arr(vec![Json::Obj(group)]))),
            }
        }
    }
    if hooks.is_empty() {
        top.retain(|(k, _)| k != "hooks");
    }
    if doc == before {
        return Ok(None);
    }
    Ok(Some(format!("{}\n", doc.to_pretty(&indent_of(text)))))
}

/// The indentation the file uses (two spaces when it has none).
fn indent_of(text: &str) -> String {
    text.lines()
        .skip(1)
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .find(|i| !i.is_empty())
        .unwrap_or("  ")
        .to_string()
}

/// Written beside the file, then renamed over it: a reader never sees half.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tollgate-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("settings"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A handler object, its fields in order.
pub fn obj(fields: Vec<(&str, Json)>) -> Json {
    Json::Obj(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub fn num(n: u64) -> Json {
    Json::Num(n.into())
}
