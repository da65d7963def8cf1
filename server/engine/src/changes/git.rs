//! Changed paths and facts from the `git` command.
//!
//! Why the CLI and not a crate: `git status` already uses the index's stat
//! cache, the untracked cache and fsmonitor, honours every ignore source and
//! config, and costs a few milliseconds per call; gix or git2 would add a large
//! dependency tree (or C code) to match it. Every call uses `-z` (paths verbatim:
//! spaces, non-ASCII, no quoting) and `GIT_OPTIONAL_LOCKS=0`, so a scan never
//! takes the index lock an agent's own `git` needs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{lines, Change, GitFacts};
use crate::model::scope::Op;
use crate::root::Root;

/// Largest file whose first changed line is computed.
const MAX_COMPARE_BYTES: u64 = 16 * 1024 * 1024;

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    // core.fsmonitor and filter drivers in the repository's config are commands
    // `git status` and `hash-object` would run: a workspace file must never make
    // us execute anything, so both are switched off for every call.
    c.arg("-C").arg(dir).args(["-c", "core.fsmonitor=false"]);
    for name in filter_drivers(dir) {
        for key in ["clean", "smudge", "process"] {
            c.arg("-c").arg(format!("filter.{name}.{key}="));
        }
        c.arg("-c").arg(format!("filter.{name}.required=false"));
    }
    c.env("GIT_OPTIONAL_LOCKS", "0").stdin(Stdio::null()).stderr(Stdio::piped());
    c
}

/// The filter drivers git's configuration names for `dir`, read once per
/// version of the repository's config file.
fn filter_drivers(dir: &Path) -> Vec<String> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    type Key = (PathBuf, Option<std::time::SystemTime>);
    type Cache = HashMap<PathBuf, (Key, Vec<String>)>;
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);
    // The nearest `.git/config` above (the root may sit below the worktree's top).
    let config = dir.ancestors().map(|d| d.join(".git/config")).find(|c| c.is_file()).unwrap_or_default();
    let stamp = std::fs::metadata(&config).and_then(|m| m.modified()).ok();
    let key = (config, stamp);
    if let Some((k, names)) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        if *k == key {
            return names.clone();
        }
    }
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["config", "--null", "--get-regexp", r"^filter\."])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let mut names: Vec<String> = out
        .map(|o| o.stdout)
        .unwrap_or_default()
        .split(|&b| b == 0)
        .filter_map(|rec| {
            let key = String::from_utf8_lossy(rec.split(|&b| b == b'\n').next()?).into_owned();
            let rest = key.strip_prefix("filter.")?;
            Some(rest.rsplit_once('.')?.0.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    CACHE.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf(), (key, names.clone()));
    names
}

/// Runs git; Some(stdout) on success.
fn run(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = git(dir).args(args).output();
    match out {
        Ok(o) if o.status.success() => Some(o.stdout),
        Ok(o) => {
            tracing::debug!("git {args:?} failed: {}", String::from_utf8_lossy(&o.stderr).trim());
            None
        }
        Err(e) => {
            tracing::warn!("cannot run git: {e}");
            None
        }
    }
}

fn line(bytes: Vec<u8>) -> Option<String> {
    let s = String::from_utf8(bytes).ok()?;
    let s = s.trim_end_matches(['\n', '\r']);
    (!s.is_empty()).then(|| s.to_string())
}

fn commit_of(dir: &Path, rev: &str) -> Option<String> {
    line(run(dir, &["rev-parse", "--verify", "-q", "--end-of-options", &format!("{rev}^{{commit}}")])?)
}

impl GitFacts {
    /// Reads what the checks need from git, once per analysis. None outside a git
    /// worktree (or without git). `scope_base` is scope.yaml's `base.commit`.
    pub fn gather(root: &Root, scope_base: Option<&str>) -> Option<GitFacts> {
        let dir = &root.dir;
        let out = String::from_utf8(run(dir, &["rev-parse", "--show-toplevel", "--show-prefix"])?).ok()?;
        let mut it = out.lines();
        let toplevel = PathBuf::from(it.next()?);
        let prefix = it.next().unwrap_or("").to_string();
        let head = commit_of(dir, "HEAD");
        let scope_base = scope_base.map(str::trim).filter(|s| !s.is_empty());
        let scope_commit = scope_base.and_then(|b| commit_of(dir, b));
        let scope_base_is_ancestor = match (scope_base, &scope_commit, &head) {
            (None, _, _) => None,
            // Unknown to this repository: it cannot be an ancestor of HEAD.
            (Some(_), None, _) => Some(false),
            (Some(_), Some(_), None) => Some(false),
            (Some(_), Some(base), Some(head)) => {
                let st = git(dir).args(["merge-base", "--is-ancestor", base, head]).stderr(Stdio::null()).status();
                match st.ok().and_then(|s| s.code()) {
                    Some(0) => Some(true),
                    Some(1) => Some(false),
                    _ => None,
                }
            }
        };
        let base = scope_commit.clone().or_else(|| head.clone());
        let mut facts = GitFacts {
            scope_base_is_ancestor,
            base_pipeline: None,
            base_matrix: None,
            toplevel,
            prefix,
            head,
            base,
            base_is_head: scope_commit.is_none(),
            scope_base_found: scope_base.map(|_| scope_commit.is_some()),
        };
        if let Some(base) = facts.base.clone() {
            let l = &root.layout;
            let objs = [facts.object(&base, &l.pipeline), facts.object(&base, &l.matrix)];
            let mut blobs = cat_file(dir, &objs).into_iter();
            let text = |b: Option<Vec<u8>>| b.and_then(|b| String::from_utf8(b).ok()).map(std::sync::Arc::from);
            facts.base_pipeline = text(blobs.next().flatten());
            facts.base_matrix = text(blobs.next().flatten());
        }
        Some(facts)
    }

    /// `<rev>:<path from the worktree top>` for a root-relative path.
    fn object(&self, rev: &str, rel: &str) -> String {
        format!("{rev}:{}{rel}", self.prefix)
    }

    /// Root-relative form of a worktree-relative path; None when outside the root.
    fn to_rel(&self, top_rel: &str) -> Option<String> {
        let rel = top_rel.strip_prefix(self.prefix.as_str())?;
        (!rel.is_empty()).then(|| rel.trim_end_matches('/').to_string())
    }
}

/// Reads blobs with one `git cat-file --batch`; None for a missing object.
/// An object name holding a newline cannot be asked for and reads as None.
fn cat_file(dir: &Path, objs: &[String]) -> Vec<Option<Vec<u8>>> {
    let asked: Vec<&String> = objs.iter().filter(|o| !o.contains('\n')).collect();
    let mut answers = Vec::new();
    if !asked.is_empty() {
        answers = cat_file_batch(dir, &asked).unwrap_or_default();
    }
    let mut answers = answers.into_iter();
    objs.iter().map(|o| if o.contains('\n') { None } else { answers.next().flatten() }).collect()
}

fn cat_file_batch(dir: &Path, objs: &[&String]) -> Option<Vec<Option<Vec<u8>>>> {
    let mut child = git(dir).args(["cat-file", "--batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().ok()?;
    let mut stdin = child.stdin.take()?;
    let input: Vec<u8> = objs.iter().flat_map(|o| format!("{o}\n").into_bytes()).collect();
    // Write from another thread: git answers while it reads, and both pipes can fill.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = Vec::new();
    child.stdout.take()?.read_to_end(&mut out).ok()?;
    let _ = writer.join();
    let _ = child.wait();
    let mut blobs = Vec::with_capacity(objs.len());
    let mut pos = 0;
    for _ in objs {
        let nl = pos + out.get(pos..)?.iter().position(|&b| b == b'\n')?;
        let header = std::str::from_utf8(&out[pos..nl]).ok()?;
        pos = nl + 1;
        let mut parts = header.rsplitn(3, ' ');
        let (size, kind) = (parts.next()?, parts.next()?);
        match size.parse::<usize>() {
            Ok(n) if parts.next().is_some() => {
                let body = out.get(pos..pos + n)?;
                blobs.push((kind == "blob").then(|| body.to_vec()));
                pos += n + 1;
            }
            // "<name> missing" or "<name> ambiguous".
            _ => blobs.push(None),
        }
    }
    Some(blobs)
}

/// `:(literal)` pathspec for a root-relative path (the whole root when None).
fn pathspec(rel: Option<&str>) -> String {
    match rel {
        Some(r) => format!(":(literal){r}"),
        None => ".".to_string(),
    }
}

/// Changes against the base, under `rel` (a file or a directory) or the whole root.
pub(super) fn scan(root: &Root, facts: &GitFacts, rel: Option<&str>) -> Vec<Change> {
    let dir = &root.dir;
    let spec = pathspec(rel);
    let mut changes = Vec::new();
    let status = run(
        dir,
        &[
            "status",
            "--porcelain=v2",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--ignore-submodules=dirty",
            "--",
            &spec,
        ],
    );
    let Some(status) = status else { return changes };
    let tracked_from_status = facts.base_is_head;
    parse_status(&status, tracked_from_status, &mut |p, op| {
        if let Some(rel) = facts.to_rel(p) {
            changes.push(Change::new(rel, op, None));
        }
    });
    if !facts.base_is_head {
        if let Some(base) = &facts.base {
            let diff = run(dir, &["diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", base, "--", &spec]);
            parse_name_status(&diff.unwrap_or_default(), &mut |p, op| {
                if let Some(rel) = facts.to_rel(p) {
                    changes.push(Change::new(rel, op, None));
                }
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    // Untracked in the index yet present in the base: the two listings disagree; it is a modification.
    changes.dedup_by(|later, kept| {
        let same = later.path == kept.path;
        if same && later.op != kept.op {
            kept.op = Op::Modify;
        }
        same
    });
    locate(root, facts, &mut changes);
    changes
}

/// Parses `git status --porcelain=v2 -z`. Tracked entries only when `tracked`
/// (the base is HEAD); untracked (`?`) always.
fn parse_status(out: &[u8], tracked: bool, f: &mut dyn FnMut(&str, Op)) {
    let mut recs = out.split(|&b| b == 0).map(String::from_utf8_lossy);
    while let Some(rec) = recs.next() {
        let fields = |n: usize| rec.splitn(n, ' ').collect::<Vec<_>>();
        match rec.as_bytes().first() {
            Some(b'?') => f(&rec[2.min(rec.len())..], Op::Create),
            Some(b'1') if tracked => {
                // 1 XY sub mH mI mW hH hI path
                let v = fields(9);
                if v.len() == 9 {
                    if let Some(op) = op_from_modes(v[3], v[5]) {
                        f(v[8], op);
                    }
                }
            }
            Some(b'2') => {
                // 2 XY sub mH mI mW hH hI Xscore path NUL origPath (a rename: delete + create).
                let v = fields(10);
                let orig = recs.next();
                if tracked && v.len() == 10 {
                    f(v[9], Op::Create);
                    if let Some(o) = orig {
                        f(&o, Op::Delete);
                    }
                }
            }
            Some(b'u') if tracked => {
                // u XY sub m1 m2 m3 mW h1 h2 h3 path
                let v = fields(11);
                if v.len() == 11 {
                    f(v[10], if v[6] == "000000" { Op::Delete } else { Op::Modify });
                }
            }
            _ => {}
        }
    }
}

/// HEAD mode and worktree mode: 000000 means absent.
fn op_from_modes(head: &str, work: &str) -> Option<Op> {
    match (head == "000000", work == "000000") {
        (true, true) => None,
        (true, false) => Some(Op::Create),
        (false, true) => Some(Op::Delete),
        (false, false) => Some(Op::Modify),
    }
}

/// Parses `git diff --name-status -z`: `S NUL path NUL` (no renames asked).
fn parse_name_status(out: &[u8], f: &mut dyn FnMut(&str, Op)) {
    let mut it = out.split(|&b| b == 0).filter(|s| !s.is_empty());
    while let (Some(st), Some(path)) = (it.next(), it.next()) {
        let path = String::from_utf8_lossy(path);
        let op = match st.first() {
            Some(b'A') => Op::Create,
            Some(b'D') => Op::Delete,
            _ => Op::Modify,
        };
        f(&path, op);
        if matches!(st.first(), Some(b'R' | b'C')) {
            it.next(); // a rename despite --no-renames: skip its second path
        }
    }
}

/// Fills `first_line` and `line_range`: line 0 for creations, the first line that
/// differs from the base blob for modifications (one `cat-file` for all of them).
fn locate(root: &Root, facts: &GitFacts, changes: &mut [Change]) {
    let modified: Vec<usize> = (0..changes.len()).filter(|&i| changes[i].op == Op::Modify).collect();
    let blobs = match &facts.base {
        Some(base) if !modified.is_empty() => {
            let objs: Vec<String> = modified.iter().map(|&i| facts.object(base, &changes[i].path)).collect();
            cat_file(&root.dir, &objs)
        }
        _ => Vec::new(),
    };
    let mut blobs = blobs.into_iter();
    for c in changes.iter_mut() {
        let old = if c.op == Op::Modify { blobs.next().flatten() } else { None };
        if c.op == Op::Delete {
            continue;
        }
        let path = root.dir.join(&c.path);
        if c.op == Op::Create {
            // Only the first line is needed: many new files (a generated tree) stay cheap.
            c.first_line = Some(0);
            c.line_range = read_head(&path).and_then(|t| lines::mark_range(&t, 0));
            continue;
        }
        let Some(text) = read_small(&path) else { continue };
        c.first_line = old.and_then(|old| lines::first_diff_line(&old, &text));
        c.line_range = c.first_line.and_then(|l| lines::mark_range(&text, l));
    }
}

/// Opens a regular file for reading; None for anything else. Never opens a FIFO
/// or a device: opening a FIFO blocks until a writer comes, reading one blocks
/// until it writes.
fn open_regular(path: &Path) -> Option<std::fs::File> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        // O_NONBLOCK: a FIFO swapped in after the check still cannot block the open.
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(0o4000);
    }
    let file = opts.open(path).ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

/// The start of a file, through its first line ending (at most 64 KiB).
pub(crate) fn read_head(path: &Path) -> Option<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while buf.len() < 64 * 1024 {
        let n = file.read(&mut chunk).ok()?;
        buf.extend_from_slice(&chunk[..n]);
        if n == 0 || chunk[..n].contains(&b'\n') {
            break;
        }
    }
    Some(buf)
}

/// A whole regular file of at most `MAX_COMPARE_BYTES` (16 MiB).
pub(crate) fn read_small(path: &Path) -> Option<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata().ok()?.len();
    if len > MAX_COMPARE_BYTES {
        return None;
    }
    let mut buf = Vec::with_capacity(len as usize);
    // A file that grows while read stops at the limit all the same.
    file.take(MAX_COMPARE_BYTES + 1).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= MAX_COMPARE_BYTES).then_some(buf)
}

/// One file's change, without reading the index: `git status -- <path>` still
/// loads the whole index (80 ms at 100,000 files), while the base's blob, the
/// ignore rules and the file's own hash are a few milliseconds whatever the size.
/// None when it cannot answer (no base commit, a directory, git failed): the
/// caller then falls back to `scan`.
pub(super) fn single(root: &Root, facts: &GitFacts, rel: &str) -> Option<Option<Change>> {
    let base = facts.base.as_ref()?;
    let path = root.dir.join(rel);
    let meta = std::fs::symlink_metadata(&path);
    if meta.as_ref().is_ok_and(|m| m.is_dir()) || rel.contains('\n') {
        return None;
    }
    let object = facts.object(base, rel);
    let base_blob =
        line(run(&root.dir, &["rev-parse", "--verify", "-q", "--end-of-options", &object]).unwrap_or_default());
    let exists = meta.is_ok();
    let mut change = match (base_blob, exists) {
        (None, false) => return Some(None),
        (Some(_), false) => Change::new(rel, Op::Delete, None),
        (None, true) => {
            let ignored = git(&root.dir)
                .args(["check-ignore", "-q", "--no-index", "--", rel])
                .stdout(Stdio::null())
                .status()
                .ok()?
                .code()?;
            match ignored {
                0 => return Some(None),
                1 => Change::new(rel, Op::Create, None),
                _ => return None,
            }
        }
        (Some(blob), true) => {
            let now = line(run(&root.dir, &["hash-object", "--", rel])?)?;
            if now == blob {
                return Some(None);
            }
            Change::new(rel, Op::Modify, None)
        }
    };
    locate(root, facts, std::slice::from_mut(&mut change));
    Some(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_porcelain_v2() {
        let out = b"1 .M N... 100644 100644 100644 aa aa a b/c d.md\x001 A. N... 000000 100644 100644 00 bb new.md\x00\
1 D. N... 100644 000000 000000 aa 00 gone.md\x00? un tracked/\xe4\xb8\xad.md\x00! ignored.log\x00\
2 R. N... 100644 100644 100644 aa aa R100 to.md\x00from.md\x00";
        let mut got = Vec::new();
        parse_status(out, true, &mut |p, op| got.push((p.to_string(), op)));
        assert_eq!(
            got,
            vec![
                ("a b/c d.md".into(), Op::Modify),
                ("new.md".into(), Op::Create),
                ("gone.md".into(), Op::Delete),
                ("un tracked/中.md".into(), Op::Create),
                ("to.md".into(), Op::Create),
                ("from.md".into(), Op::Delete),
            ]
        );
        got.clear();
        parse_status(out, false, &mut |p, op| got.push((p.to_string(), op)));
        assert_eq!(got, vec![("un tracked/中.md".into(), Op::Create)]);
    }

    #[test]
    fn parses_name_status() {
        let mut got = Vec::new();
        parse_name_status(b"M\x00a b.md\x00A\x00n.md\x00D\x00d.md\x00T\x00t\x00", &mut |p, op| {
            got.push((p.to_string(), op))
        });
        assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), vec![Op::Modify, Op::Create, Op::Delete, Op::Modify]);
        assert_eq!(got[0].0, "a b.md");
    }
}
