//! `tollgate hook <agent>`: one hook event on stdin, one answer in that agent's
//! format (SPEC 8). Each agent's file turns its event into a [`Request`] and a
//! [`Answer`] back into its output; the judging is shared (`judge.rs`), and the
//! decision itself is the engine's (`tollgate_engine::guard`).
//!
//! It always answers: stdin is read with a size and a time bound, and a panic is
//! caught. A write it cannot judge is refused ("tollgate could not decide: …"),
//! because every agent lets a write through when its hook crashes or times out;
//! an error after a command or at a stop lets the agent go on, said on stderr.

pub mod claude_code;
pub mod codex;
pub mod gemini_cli;
mod judge;
mod memory;
mod patch;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    ClaudeCode,
    GeminiCli,
    Codex,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    agent: Agent,
}

/// Largest event read (the engine's limit for the files it parses): a larger
/// one is refused, not read into memory.
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;
/// How long stdin may take to end. The agents close it after writing the event;
/// one that holds it open gets an answer all the same.
pub const STDIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What an event asks, whatever the agent.
#[derive(Debug)]
pub enum Request {
    /// A file tool is about to write.
    Write { writes: Vec<WriteReq>, cwd: Option<PathBuf> },
    /// A tool that is not a file tool (a shell command) has run.
    AfterTool { session: String, cwd: PathBuf },
    /// The agent ends its turn.
    Stop { active: bool, cwd: PathBuf },
    /// An event or tool the guard has no say on.
    Nothing,
}

#[derive(Debug)]
pub struct WriteReq {
    pub path: PathBuf,
    pub delete: bool,
    pub after: AfterSpec,
}

/// How to get a file's text after the write (asked only for rule files).
#[derive(Debug)]
pub enum AfterSpec {
    Text(String),
    /// `old_string` -> `new_string` replacements (`all`: every occurrence).
    Replace(Vec<(String, String, bool)>),
    /// The hunks of a patch's `*** Update File:`.
    Patch(Vec<patch::Hunk>),
    /// A patch's `*** Move to:` destination: the source's text with the hunks
    /// applied (read only when asked, and bounded: most moves are not rule files).
    Moved {
        from: PathBuf,
        hunks: Vec<patch::Hunk>,
    },
    /// The tool's effect on the text is not known (why).
    Unknown(String),
}

/// The guard's answer, before an agent's format.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// Nothing on stdout.
    Quiet,
    /// Refuse the write, with the reason.
    Deny(String),
    /// Tell the agent after a command.
    Report(String),
    /// Do not let the agent stop yet.
    Block(String),
    /// Let the agent go on; say why on stderr.
    Warn(String),
}

/// Which answer an event can take when it cannot be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    BeforeWrite,
    AfterTool,
    Stop,
}

/// An agent's names for the events after a tool and at a stop.
pub struct Events {
    pub after: &'static [&'static str],
    pub stop: &'static [&'static str],
}

impl Events {
    /// Which part of the contract an event is (a broken event is a write's).
    pub fn phase(&self, event: &Value) -> Phase {
        match text(event, "hook_event_name") {
            Some(n) if self.after.contains(&n) => Phase::AfterTool,
            Some(n) if self.stop.contains(&n) => Phase::Stop,
            _ => Phase::BeforeWrite,
        }
    }

    /// After a tool of `own_tools` nothing (it was judged before it ran); after
    /// any other, what it may have written; at a stop, the exit check.
    pub fn after_or_stop(
        &self,
        name: &str,
        tool: Option<&str>,
        event: &Value,
        own_tools: &[&str],
    ) -> Result<Request, String> {
        if self.after.contains(&name) {
            let tool = tool.ok_or(format!("a {name} event without `tool_name`"))?;
            if own_tools.contains(&tool) {
                return Ok(Request::Nothing);
            }
            return Ok(Request::AfterTool { session: session(event), cwd: cwd_of(event)? });
        }
        if self.stop.contains(&name) {
            let active = event.get("stop_hook_active").and_then(Value::as_bool).unwrap_or(false);
            return Ok(Request::Stop { active, cwd: cwd_of(event)? });
        }
        Ok(Request::Nothing)
    }
}

fn session(event: &Value) -> String {
    text(event, "session_id").unwrap_or_default().to_string()
}

/// An agent's side of the contract.
pub trait Format {
    /// The phase an event's name belongs to (a broken event is a write's).
    fn phase(event: &Value) -> Phase;
    fn parse(event: &Value) -> Result<Request, String>;
    /// stdout for an answer (None: nothing).
    fn render(answer: &Answer) -> Option<Value>;
}

pub fn run(args: Args) -> ExitCode {
    match args.agent {
        Agent::ClaudeCode => run_as::<claude_code::ClaudeCode>(),
        Agent::GeminiCli => run_as::<gemini_cli::GeminiCli>(),
        Agent::Codex => run_as::<codex::Codex>(),
    }
}

fn run_as<F: Format>() -> ExitCode {
    let answer = match read_stdin() {
        Err(why) => Answer::Deny(could_not_decide(&why)),
        Ok(bytes) => answer_for::<F>(&bytes),
    };
    let stdout = F::render(&answer);
    if let Answer::Warn(why) = &answer {
        eprintln!("tollgate: {why}");
    }
    if let Some(v) = stdout {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }
    ExitCode::SUCCESS
}

/// The answer to one event (raw bytes); never panics.
pub fn answer_for<F: Format>(bytes: &[u8]) -> Answer {
    let event: Value =
        match std::str::from_utf8(bytes).map_err(|e| format!("the hook event is not UTF-8 text ({e})")).and_then(|s| {
            if s.trim().is_empty() {
                return Err("the hook event on stdin is empty".to_string());
            }
            serde_json::from_str(s).map_err(|e| format!("the hook event is not valid JSON ({e})"))
        }) {
            Ok(v) => v,
            Err(why) => return Answer::Deny(could_not_decide(&why)),
        };
    let phase = F::phase(&event);
    let result = std::panic::catch_unwind(|| {
        let request = F::parse(&event)?;
        Ok::<Answer, String>(judge::answer(request))
    });
    let failure = match result {
        Ok(Ok(answer)) => return answer,
        Ok(Err(why)) => why,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            format!("internal error ({what})")
        }
    };
    match phase {
        Phase::BeforeWrite => Answer::Deny(could_not_decide(&failure)),
        Phase::AfterTool => Answer::Warn(format!("could not check the command's writes: {failure}")),
        Phase::Stop => Answer::Warn(format!("could not check the stage's exit, letting the agent stop: {failure}")),
    }
}

pub fn could_not_decide(why: &str) -> String {
    format!(
        "tollgate could not decide: {why}. The write is refused until tollgate can judge it; \
         run `tollgate status` to see the run"
    )
}

/// stdin, bounded in size and time.
fn read_stdin() -> Result<Vec<u8>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let got = std::io::stdin().lock().take(MAX_EVENT_BYTES as u64 + 1).read_to_end(&mut buf);
        let _ = tx.send(got.map(|_| buf).map_err(|e| format!("cannot read the hook event: {e}")));
    });
    let bytes = rx
        .recv_timeout(STDIN_TIMEOUT)
        .map_err(|_| format!("the hook event did not end within {} s", STDIN_TIMEOUT.as_secs()))??;
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(format!("the hook event is over {MAX_EVENT_BYTES} bytes (8 MiB)"));
    }
    Ok(bytes)
}

/// A string field of an event.
pub fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The event's `cwd` (else the process's), absolute.
pub fn cwd_of(event: &Value) -> Result<PathBuf, String> {
    match text(event, "cwd") {
        Some(c) if !c.is_empty() => Ok(PathBuf::from(c)),
        _ => std::env::current_dir().map_err(|e| format!("no cwd in the event and none of its own: {e}")),
    }
}

/// A path from an event: absolute as given, else against `cwd`.
pub fn resolve(path: &str, cwd: &std::path::Path) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() {
        p
    } else {
        cwd.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format whose parsing panics: the internal error of SPEC 8.
    struct Panics;
    impl Format for Panics {
        fn phase(event: &Value) -> Phase {
            if event.get("stop").is_some() {
                Phase::Stop
            } else {
                Phase::BeforeWrite
            }
        }
        fn parse(_: &Value) -> Result<Request, String> {
            panic!("boom")
        }
        fn render(_: &Answer) -> Option<Value> {
            None
        }
    }

    #[test]
    fn a_panic_denies_a_write_and_lets_a_stop_go() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let write = answer_for::<Panics>(b"{}");
        let stop = answer_for::<Panics>(b"{\"stop\": 1}");
        std::panic::set_hook(prev);
        assert_eq!(write, Answer::Deny(could_not_decide("internal error (boom)")));
        assert_eq!(
            stop,
            Answer::Warn("could not check the stage's exit, letting the agent stop: internal error (boom)".into())
        );
    }
}
