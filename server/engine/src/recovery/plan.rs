//! What an action will do, computed before anything is touched.

use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tollgate_text::TextRange;

use crate::root::Root;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    ExpandScope,
    ReturnToBuild,
    ArchiveAttempt,
    Quarantine,
    Gate,
    Rollback,
    Resume,
}

impl ActionKind {
    /// Every action, in the order editors list them.
    pub const ALL: [ActionKind; 7] = [
        ActionKind::ExpandScope,
        ActionKind::ReturnToBuild,
        ActionKind::ArchiveAttempt,
        ActionKind::Quarantine,
        ActionKind::Gate,
        ActionKind::Rollback,
        ActionKind::Resume,
    ];

    /// The `workspace/executeCommand` id.
    pub fn command(self) -> &'static str {
        match self {
            ActionKind::ExpandScope => "tollgate.expandScope",
            ActionKind::ReturnToBuild => "tollgate.returnToBuild",
            ActionKind::ArchiveAttempt => "tollgate.archiveAttempt",
            ActionKind::Quarantine => "tollgate.quarantine",
            ActionKind::Gate => "tollgate.gate",
            ActionKind::Rollback => "tollgate.rollback",
            ActionKind::Resume => "tollgate.resume",
        }
    }

    /// The action of a command id.
    pub fn from_command(id: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.command() == id)
    }

    /// The subcommand of `tollgate` that carries it out in a terminal (the CLI's
    /// `recover` subcommands are checked against these by a test).
    pub fn cli(self) -> &'static str {
        match self {
            ActionKind::ExpandScope => "recover expand-scope",
            ActionKind::ReturnToBuild => "recover return-to-build",
            ActionKind::ArchiveAttempt => "recover archive-attempt",
            ActionKind::Quarantine => "recover quarantine",
            ActionKind::Gate => "gate",
            ActionKind::Rollback => "recover rollback",
            ActionKind::Resume => "recover resume",
        }
    }

    /// `tollgate <subcommand>`, for a person to run (arguments follow).
    pub fn shell(self) -> String {
        format!("tollgate {}", self.cli())
    }
}

/// Minimal edits to one existing text file; ranges are bytes of the text that was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// Root-relative, `/`-separated.
    pub path: String,
    /// Sorted, non-overlapping.
    pub edits: Vec<(TextRange, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A new directory (fails if it exists: attempt numbers never collide).
    CreateDir {
        path: String,
    },
    /// Rename on disk; never onto an existing path.
    Move {
        from: String,
        to: String,
    },
    /// Copy a file or tree (outputs that an earlier completed stage owns).
    Copy {
        from: String,
        to: String,
    },
    /// A new text file (parent directories are created).
    CreateFile {
        path: String,
        text: String,
    },
    Edit(TextEdit),
}

impl Step {
    pub fn is_fs_op(&self) -> bool {
        matches!(self, Step::CreateDir { .. } | Step::Move { .. } | Step::Copy { .. })
    }
}

/// A file the plan read, and what it held then (None: it did not exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub path: String,
    pub sha256: Option<String>,
}

impl Fingerprint {
    pub fn of(path: &str, text: Option<&str>) -> Fingerprint {
        Fingerprint { path: path.to_string(), sha256: text.map(|t| sha256_hex(t.as_bytes())) }
    }

    /// True when `current` (the buffer or the disk now) is what the plan saw.
    pub fn matches(&self, current: Option<&str>) -> bool {
        self.sha256.as_deref() == current.map(|t| sha256_hex(t.as_bytes())).as_deref()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: ActionKind,
    /// One line, for a code action or a prompt: says exactly what will happen.
    pub title: String,
    /// One line per step, for `--dry-run`.
    pub description: Vec<String>,
    /// In order: directories and moves first, text files last.
    pub steps: Vec<Step>,
    /// Every file the plan was computed from.
    pub reads: Vec<Fingerprint>,
}

impl Plan {
    pub fn fs_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.is_fs_op())
    }

    pub fn text_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.is_fs_op())
    }

    /// The files that changed since the plan was made ("stale view"), read through `files`.
    pub fn stale(&self, files: &dyn Files) -> Vec<String> {
        self.reads
            .iter()
            .filter(|f| match files.read(&f.path) {
                Ok(now) => !f.matches(now.as_deref()),
                Err(_) => true,
            })
            .map(|f| f.path.clone())
            .collect()
    }

    /// Refuses when the plan read `path` with other contents than `sha256` (the hash
    /// the server recorded when it computed the diagnostic this action repairs).
    pub fn expect(&self, path: &str, sha256: &str) -> Result<(), Refusal> {
        match self.reads.iter().find(|f| f.path == path) {
            Some(f) if f.sha256.as_deref() != Some(sha256) => {
                refuse(format!("{path} changed since the diagnostic was computed; look again and retry"))
            }
            _ => Ok(()),
        }
    }

    /// The plan as text: title, then one indented line per step.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for line in &self.description {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Why an action will not be planned. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

pub(crate) fn refuse<T>(msg: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(msg.into()))
}

/// Where plans read text from: the disk, or (in the server) open buffers over it.
pub trait Files {
    /// Ok(None) when the file does not exist.
    fn read(&self, rel: &str) -> Result<Option<String>, String>;
}

pub struct DiskFiles<'a> {
    pub root: &'a Path,
}

impl Files for DiskFiles<'_> {
    fn read(&self, rel: &str) -> Result<Option<String>, String> {
        match std::fs::read(self.root.join(rel)) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| format!("{rel} is not UTF-8 text")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{rel}: {e}")),
        }
    }
}

/// Everything a plan needs from outside: the root, its files and the time.
pub struct Env<'a> {
    pub root: &'a Root,
    pub files: &'a dyn Files,
    pub now: SystemTime,
}

impl Env<'_> {
    /// Reads a file and records its fingerprint for the staleness check.
    pub(crate) fn read(&self, rel: &str, reads: &mut Vec<Fingerprint>) -> Result<Option<String>, Refusal> {
        let text = self.files.read(rel).map_err(Refusal)?;
        if !reads.iter().any(|f| f.path == rel) {
            reads.push(Fingerprint::of(rel, text.as_deref()));
        }
        Ok(text)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `text` with `edits` applied (sorted, non-overlapping; bad ranges are skipped).
pub fn apply_edits(text: &str, edits: &[(TextRange, String)]) -> String {
    let mut sorted: Vec<_> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for (r, new) in sorted {
        let (s, e) = (r.start as usize, r.end as usize);
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(new);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// One edit replacing only what differs between `old` and `new` (common prefix and suffix kept).
pub fn diff_edit(old: &str, new: &str) -> Vec<(TextRange, String)> {
    if old == new {
        return Vec::new();
    }
    let mut pre = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(pre) || !new.is_char_boundary(pre) {
        pre -= 1;
    }
    let max_suf = old.len().min(new.len()) - pre;
    let mut suf = old.bytes().rev().zip(new.bytes().rev()).take(max_suf).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(old.len() - suf) || !new.is_char_boundary(new.len() - suf) {
        suf -= 1;
    }
    let range = TextRange::new(pre as u32, (old.len() - suf) as u32);
    vec![(range, new[pre..new.len() - suf].to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_edit_is_minimal_and_round_trips() {
        let (old, new) = ("{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n", "{\n  \"a\": 2,\n  \"b\": \"x\"\n}\n");
        let e = diff_edit(old, new);
        assert_eq!(e, vec![(TextRange::new(9, 10), "2".to_string())]);
        assert_eq!(apply_edits(old, &e), new);
        let (old, new) = ("aéb", "aüb");
        assert_eq!(apply_edits(old, &diff_edit(old, new)), new);
        assert_eq!(apply_edits("abc", &diff_edit("abc", "abcabc")), "abcabc");
        assert!(diff_edit("same", "same").is_empty());
    }

    #[test]
    fn fingerprint_tracks_absence_and_content() {
        let f = Fingerprint::of("x", None);
        assert!(f.matches(None));
        assert!(!f.matches(Some("")));
        let f = Fingerprint::of("x", Some("a"));
        assert!(f.matches(Some("a")) && !f.matches(Some("b")));
    }
}
