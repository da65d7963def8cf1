//! The scope pattern dialect (SPEC section 4), compiled with globset.
//!
//! Anchored at the factory root; a leading `/` says so explicitly; `*`, `?` and
//! `[...]` never cross `/`; `**` spans directories; a trailing `/` means `dir/**`;
//! `{a,b}` is allowed. `..` segments, `\`, a leading `~`, a drive letter, a
//! leading `!` and the empty pattern are invalid.
//!
//! A pattern without wildcards is a path and matches only itself: `src/auth`
//! is the file (or the directory entry) `src/auth`, not what lies under it;
//! write `src/auth/` for the directory and everything under it.
//!
//! Paths given to `matches` are root-relative and `/`-separated, without a
//! leading `/` (`artifacts/backend/src/a.ts`).

use std::sync::{Arc, OnceLock};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

type Cache<T> = std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, T>>>;

static PATTERNS: Cache<Result<Pattern, PatternError>> = std::sync::LazyLock::new(Default::default);
static SETS: Cache<PatternSet> = std::sync::LazyLock::new(Default::default);

/// Most distinct entries a cache keeps; past that it starts over (a scope file
/// rewritten many times must not grow memory without bound).
const CACHE_LIMIT: usize = 4096;

fn cached<T: Clone>(cache: &Cache<T>, key: String, make: impl FnOnce() -> T) -> T {
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let value = make();
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.insert(key, value.clone());
    value
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as written.
    pub source: String,
    /// The glob actually compiled (leading `/` dropped, trailing `/` made `/**`).
    pub glob: String,
    /// globset's form of `glob`: built by `compile` for a wildcard pattern (which
    /// also checks its syntax); for a path or a directory (`plain`), which cannot
    /// be wrong, only when a set mixing it with wildcards asks for it. Shared, as
    /// `matcher` is.
    compiled: Arc<OnceLock<Glob>>,
    /// Most patterns are a path or a directory: those match without an automaton.
    plain: Option<Plain>,
    /// Built on first use: a regex costs far more to build than to run, and most
    /// patterns never need one (see `plain`). Shared: every copy the cache hands
    /// out uses the one built.
    matcher: Arc<OnceLock<Matcher>>,
}

/// globset matches bytes: its `?` and `[...]` take one byte, so `?` would not
/// match `é` nor `初` (SPEC 4: one character). Patterns with either are matched by
/// globset's own regex read in Unicode mode instead (`unicode_regex`).
#[derive(Clone, Debug)]
enum Matcher {
    Glob(GlobMatcher),
    Chars(regex::Regex),
}

impl Matcher {
    fn new(glob: &Glob) -> Matcher {
        if counts_characters(glob.glob()) {
            if let Some(re) = unicode_regex(glob.regex()) {
                return Matcher::Chars(re);
            }
        }
        Matcher::Glob(glob.compile_matcher())
    }

    fn is_match(&self, path: &str) -> bool {
        match self {
            Matcher::Glob(m) => m.is_match(path),
            Matcher::Chars(re) => re.is_match(path),
        }
    }
}

/// Does the glob hold a `?` or a `[...]`, whose width is one character?
fn counts_characters(glob: &str) -> bool {
    glob.contains(['?', '['])
}

/// globset's regex (`(?-u)`, every non-ASCII character written as its UTF-8
/// bytes, `\xE5\x88\x9D`) as a Unicode regex: the same pattern with those
/// characters written back, so that `[^/]` and classes take whole characters.
fn unicode_regex(bytes_regex: &str) -> Option<regex::Regex> {
    let body = bytes_regex.strip_prefix("(?-u)")?;
    let mut out = String::with_capacity(body.len());
    let mut run: Vec<u8> = Vec::new();
    let mut chars = body.chars().peekable();
    let flush = |run: &mut Vec<u8>, out: &mut String| -> Option<()> {
        if !run.is_empty() {
            out.push_str(&regex::escape(std::str::from_utf8(run).ok()?));
            run.clear();
        }
        Some(())
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut run, &mut out)?;
            out.push(c);
            continue;
        }
        let next = chars.next()?;
        if next == 'x' {
            let hex: String = [chars.next()?, chars.next()?].iter().collect();
            run.push(u8::from_str_radix(&hex, 16).ok()?);
        } else {
            flush(&mut run, &mut out)?;
            out.push('\\');
            out.push(next);
        }
    }
    flush(&mut run, &mut out)?;
    regex::Regex::new(&out).ok()
}

/// A pattern without wildcards, matched by comparing strings.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plain {
    /// Exactly this path.
    Path(String),
    /// Everything under this directory (`dir/`, `dir/**`): paths that start `dir/`.
    Under(String),
}

impl Plain {
    /// A path or a directory, which globset would parse without fail: no
    /// wildcard, and no `}` (an alternation globset would find unopened).
    fn of(glob: &str) -> Option<Plain> {
        if !is_plain(glob) {
            return None;
        }
        match glob.strip_suffix("/**") {
            Some(dir) => Some(Plain::Under(format!("{dir}/"))),
            None => Some(Plain::Path(glob.to_string())),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Plain::Path(p) => path == p,
            Plain::Under(dir) => path.starts_with(dir.as_str()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

fn err(message: impl Into<String>) -> PatternError {
    PatternError { message: message.into() }
}

/// Why `source` is not a valid pattern, without compiling it.
pub fn validate(source: &str) -> Result<(), PatternError> {
    if source.trim().is_empty() {
        return Err(err("the pattern is empty"));
    }
    if source.contains('\\') {
        return Err(err("a backslash is not allowed; paths use `/`"));
    }
    if source.starts_with('!') {
        return Err(err("a leading `!` is not allowed; put exclusions in `exclude`"));
    }
    if source.starts_with('~') {
        return Err(err("a leading `~` is not allowed; patterns are relative to the factory root"));
    }
    let b = source.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(err("a drive letter is not allowed; patterns are relative to the factory root"));
    }
    if source.split('/').any(|seg| seg == "..") {
        return Err(err("a `..` segment is not allowed; patterns stay inside the factory root"));
    }
    Ok(())
}

/// The glob that `source` (already valid) compiles to.
fn to_glob(source: &str) -> String {
    let body = source.strip_prefix('/').unwrap_or(source);
    if body.is_empty() {
        // `/` alone: the root directory and everything under it.
        return "**".to_string();
    }
    if body.ends_with('/') {
        format!("{body}**")
    } else {
        body.to_string()
    }
}

fn build(glob: &str) -> Result<Glob, PatternError> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map_err(|e| err(format!("not a valid pattern: {}", e.kind())))
}

/// Does `s` hold a glob metacharacter?
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Is the glob a path (`a/b`) or a directory (`a/b/**`), matched by comparing
/// strings? Such a glob never fails to parse; a lone `}` would (`Plain::of`).
fn is_plain(glob: &str) -> bool {
    let path = match glob.strip_suffix("/**") {
        Some("") => return false,
        Some(dir) => dir,
        None => glob,
    };
    !has_wildcard(path) && !path.contains('}')
}

/// `is_plain(&to_glob(source))`, without making the glob.
fn is_plain_source(source: &str) -> bool {
    let body = source.strip_prefix('/').unwrap_or(source);
    match body.strip_suffix('/') {
        // `dir/` is the glob `dir/**`.
        Some(dir) => !dir.is_empty() && !has_wildcard(dir) && !dir.contains('}'),
        // `/` alone is `**`.
        None => !body.is_empty() && is_plain(body),
    }
}

/// Is `source` a valid pattern? The answer `Pattern::compile` gives, but a path
/// or a directory (most matrix cells: a 5,000-row matrix is read on each edit of
/// it) is only validated, with no glob built and no cache entry made.
pub fn check(source: &str) -> Result<(), PatternError> {
    validate(source)?;
    if is_plain_source(source) {
        return Ok(());
    }
    Pattern::compile(source).map(|_| ())
}

impl Pattern {
    /// Compiles `source`, from a process-wide cache: checks run on every
    /// keystroke, and building a glob's automaton costs far more than matching.
    pub fn compile(source: &str) -> Result<Pattern, PatternError> {
        cached(&PATTERNS, source.to_string(), || Pattern::compile_uncached(source))
    }

    fn compile_uncached(source: &str) -> Result<Pattern, PatternError> {
        validate(source)?;
        let glob = to_glob(source);
        let plain = Plain::of(&glob);
        let compiled = match plain {
            Some(_) => OnceLock::new(),
            None => OnceLock::from(build(&glob)?),
        };
        Ok(Pattern { source: source.to_string(), glob, compiled: Arc::new(compiled), plain, matcher: Arc::default() })
    }

    /// globset's form of the pattern (see `compiled`).
    fn compiled(&self) -> &Glob {
        // A plain glob always parses (`is_plain`); a wildcard one was built by `compile`.
        self.compiled.get_or_init(|| build(&self.glob).expect("a path or a directory is a valid glob"))
    }

    /// Does the root-relative, `/`-separated `path` match?
    pub fn matches(&self, path: &str) -> bool {
        match &self.plain {
            Some(plain) => plain.matches(path),
            None => self.matcher.get_or_init(|| Matcher::new(self.compiled())).is_match(path),
        }
    }

    /// Does the pattern name a directory and everything under it (`dir/`, `dir/**`)?
    pub fn is_directory(&self) -> bool {
        self.glob.ends_with("/**") && !has_wildcard(&self.glob[..self.glob.len() - 3]) || self.glob == "**"
    }

    /// The literal directory before the first wildcard segment (`a/b` for
    /// `a/b/*.ts`, `` for `*.ts`), without a trailing `/`.
    pub fn literal_prefix(&self) -> &str {
        literal_prefix(&self.glob)
    }

    /// Does the pattern match every path `other` matches? Exact for paths and plain
    /// directories; a wildcard `other` counts as covered when the whole directory
    /// before its first wildcard is.
    pub fn covers(&self, other: &Pattern) -> bool {
        if self.glob == other.glob {
            return true;
        }
        if other.is_directory() {
            return self.covers_dir(other.glob.strip_suffix("**").unwrap_or(""));
        }
        if !has_wildcard(&other.glob) {
            return self.matches(&other.glob);
        }
        self.covers_dir(other.literal_prefix())
    }

    /// Does the pattern cover the whole directory `dir` (every path under it)?
    /// Decided by probing with names no pattern would spell out.
    pub fn covers_dir(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        let (a, b) = probes(dir);
        self.matches(&a) && self.matches(&b)
    }
}

fn literal_prefix(glob: &str) -> &str {
    let mut end = 0;
    for (i, seg) in glob.split('/').enumerate() {
        if has_wildcard(seg) {
            break;
        }
        end = if i == 0 { seg.len() } else { end + 1 + seg.len() };
    }
    if end >= glob.len() {
        // No wildcard at all: the literal path's parent directory.
        return glob.rfind('/').map(|i| &glob[..i]).unwrap_or("");
    }
    &glob[..end]
}

const PROBE: &str = "\u{1}tollgate-probe\u{1}";

fn probes(dir: &str) -> (String, String) {
    if dir.is_empty() {
        (PROBE.to_string(), format!("{PROBE}/{PROBE}"))
    } else {
        (format!("{dir}/{PROBE}"), format!("{dir}/{PROBE}/{PROBE}"))
    }
}

/// Is this a slash-less wildcard such as `*.py`, which matches at the root
/// only here but at any depth in gitignore? `**` alone is not ambiguous.
pub fn is_ambiguous(source: &str) -> bool {
    !source.contains('/') && source.contains(['*', '?', '[']) && !source.contains("**")
}

/// Many patterns matched at once: globset's `GlobSet` (one pass per path), or,
/// when every pattern is a path or a directory (most write permissions), a few
/// string comparisons, with no automaton to build.
#[derive(Clone, Debug, Default)]
pub struct PatternSet {
    how: SetKind,
    len: usize,
}

#[derive(Clone, Debug, Default)]
enum SetKind {
    #[default]
    Empty,
    Plain(Vec<Plain>),
    Globs(GlobSet),
    /// Some pattern has a `?` or a `[...]` (see `Matcher`): one by one.
    Each(Vec<Pattern>),
}

impl PatternSet {
    /// Builds the set; index `i` in match results is `patterns[i]`.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> PatternSet {
        let patterns: Vec<&Pattern> = patterns.into_iter().collect();
        if patterns.is_empty() {
            return PatternSet::default();
        }
        if let Some(plain) = patterns.iter().map(|p| p.plain.clone()).collect::<Option<Vec<Plain>>>() {
            return PatternSet { how: SetKind::Plain(plain), len: patterns.len() };
        }
        if patterns.iter().any(|p| counts_characters(&p.glob)) {
            let len = patterns.len();
            return PatternSet { how: SetKind::Each(patterns.into_iter().cloned().collect()), len };
        }
        let key = patterns.iter().map(|p| p.glob.as_str()).collect::<Vec<_>>().join("\0");
        cached(&SETS, key, || {
            let mut b = GlobSetBuilder::new();
            for p in &patterns {
                b.add(p.compiled().clone());
            }
            let set = b.build().unwrap_or_else(|_| GlobSet::empty());
            PatternSet { how: SetKind::Globs(set), len: patterns.len() }
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_match(&self, path: &str) -> bool {
        match &self.how {
            SetKind::Empty => false,
            SetKind::Plain(all) => all.iter().any(|p| p.matches(path)),
            SetKind::Globs(set) => set.is_match(path),
            SetKind::Each(all) => all.iter().any(|p| p.matches(path)),
        }
    }

    /// Indices of the matching patterns, in ascending order.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        match &self.how {
            SetKind::Empty => Vec::new(),
            SetKind::Plain(all) => (0..all.len()).filter(|&i| all[i].matches(path)).collect(),
            SetKind::Globs(set) => set.matches(path),
            SetKind::Each(all) => (0..all.len()).filter(|&i| all[i].matches(path)).collect(),
        }
    }

    /// The lowest index that matches.
    pub fn first_match(&self, path: &str) -> Option<usize> {
        match &self.how {
            SetKind::Plain(all) => all.iter().position(|p| p.matches(path)),
            SetKind::Each(all) => all.iter().position(|p| p.matches(path)),
            _ => self.matches(path).into_iter().next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_table() {
        let table: &[(&str, &str, bool)] = &[
            ("*.py", "a.py", true),
            ("*.py", "src/a.py", false),
            ("/*.py", "a.py", true),
            ("/*.py", "src/a.py", false),
            ("**/*.py", "a.py", true),
            ("**/*.py", "src/deep/a.py", true),
            ("src/*.ts", "src/a.ts", true),
            ("src/*.ts", "src/x/a.ts", false),
            ("src/?.ts", "src/a.ts", true),
            ("src/?.ts", "src/ab.ts", false),
            ("src/[ab].ts", "src/b.ts", true),
            ("src/[ab].ts", "src/c.ts", false),
            ("src/**", "src/a/b/c.ts", true),
            ("src/**", "src", false),
            ("src/**", "srcx/a", false),
            ("src/**/test.ts", "src/test.ts", true),
            ("src/**/test.ts", "src/a/b/test.ts", true),
            ("artifacts/backend/", "artifacts/backend/src/a.ts", true),
            ("artifacts/backend/", "artifacts/backend2/a.ts", false),
            ("artifacts/backend/", "artifacts/client/a.ts", false),
            ("/artifacts/backend/", "artifacts/backend/a.ts", true),
            ("src/auth", "src/auth", true),
            ("src/auth", "src/auth/a.ts", false),
            ("src/{a,b}.ts", "src/b.ts", true),
            ("src/{a,b}.ts", "src/c.ts", false),
            ("{src,lib}/**", "lib/x/y", true),
            ("artifacts/*/", "artifacts/ui/x/y.html", true),
            ("artifacts/backend/prisma/schema.prisma", "artifacts/backend/prisma/schema.prisma", true),
            ("输入/", "输入/想法.md", true),
            ("/", "anything/at/all", true),
        ];
        for (pat, path, want) in table {
            let p = Pattern::compile(pat).unwrap_or_else(|e| panic!("{pat}: {e}"));
            assert_eq!(p.matches(path), *want, "{pat} vs {path}");
        }
    }

    #[test]
    fn invalid_patterns() {
        for bad in ["", "  ", "../x", "a/../b", "a/..", "a\\b", "~/x", "C:/x", "c:x", "!src/**", "src/[ab"] {
            assert!(Pattern::compile(bad).is_err(), "{bad:?} should be invalid");
        }
        for good in ["..a/x", "a..b", "/x", "x/~y", "a!b"] {
            assert!(Pattern::compile(good).is_ok(), "{good:?} should be valid");
        }
        assert_eq!(
            Pattern::compile("a/../b").unwrap_err().message,
            "a `..` segment is not allowed; patterns stay inside the factory root"
        );
    }

    #[test]
    fn ambiguity() {
        assert!(is_ambiguous("*.py"));
        assert!(is_ambiguous("test_?.rs"));
        assert!(!is_ambiguous("/*.py"));
        assert!(!is_ambiguous("**/*.py"));
        assert!(!is_ambiguous("**"));
        assert!(!is_ambiguous("src/*.py"));
        assert!(!is_ambiguous("Makefile"));
    }

    #[test]
    fn directories_and_prefixes() {
        let p = Pattern::compile("artifacts/backend/").unwrap();
        assert!(p.is_directory());
        assert!(p.covers_dir("artifacts/backend"));
        assert!(p.covers_dir("artifacts/backend/src/"));
        assert!(!p.covers_dir("artifacts"));
        assert!(!Pattern::compile("artifacts/backend/*.ts").unwrap().covers_dir("artifacts/backend"));
        assert!(!Pattern::compile("artifacts/backend/*").unwrap().covers_dir("artifacts/backend"));
        assert!(Pattern::compile("artifacts/**").unwrap().covers_dir("artifacts/backend"));
        assert!(Pattern::compile("**").unwrap().covers_dir(""));
        assert_eq!(Pattern::compile("a/b/*.ts").unwrap().literal_prefix(), "a/b");
        assert_eq!(Pattern::compile("*.ts").unwrap().literal_prefix(), "");
        assert_eq!(Pattern::compile("a/b/c.ts").unwrap().literal_prefix(), "a/b");
        assert_eq!(Pattern::compile("a/b/").unwrap().literal_prefix(), "a/b");
    }

    /// Paths and directories skip the automaton; they must answer as globset does.
    #[test]
    fn plain_patterns_match_as_their_globs_do() {
        let paths = [
            "a",
            "a/b",
            "a/b/c",
            "a/bc",
            "ab",
            "a/",
            "",
            "输入/想法.md",
            "输入",
            "x/a/b",
            "./a",
            "./a/b",
            "A",
            "A/b",
            "é/x",
            "e\u{301}/x",
            "É/x",
            "a,b",
            "a]b/c",
            "a b/ c",
        ];
        let plain = [
            "a",
            "a/b",
            "a/",
            "a/b/",
            "a/**",
            "/a/b",
            "输入/",
            "a/b/**",
            "./a",
            "./a/",
            "A/",
            "é/",
            "e\u{301}/",
            "a,b",
            "a]b/",
            "a b/ c",
            "a/./b",
        ];
        for pat in plain {
            let p = Pattern::compile(pat).unwrap();
            assert!(p.plain.is_some(), "{pat}");
            let glob = p.compiled().compile_matcher();
            for path in paths {
                assert_eq!(p.matches(path), glob.is_match(path), "{pat} vs {path:?}");
            }
        }
        for pat in ["a/*", "**", "/", "a/**/b", "{a,b}/", "a/[bc]/"] {
            assert!(Pattern::compile(pat).unwrap().plain.is_none(), "{pat}");
        }
    }

    /// `check` answers as compiling does (the same error too), though it builds no
    /// glob for a path or a directory.
    #[test]
    fn check_answers_as_compile_does() {
        let sources = [
            "a",
            "a/b",
            "a/",
            "/a/b/",
            "/",
            "./a",
            "./a/",
            "A/B",
            "输入/想法.md",
            "é/",
            "e\u{301}/",
            "a b/ c",
            "a,b",
            "a]b/",
            "a!b",
            "a}b",
            "a/}/",
            "a}/**",
            "{a,b}",
            "{a,b",
            "[",
            "src/[ab",
            "*.md",
            "a/**",
            "**",
            "a/**/",
            "//x",
            "//**",
            "",
            " ",
            "a\\b",
            "../x",
            "a/../b",
            "~/x",
            "C:/x",
            "!a",
            "//",
            "///",
            "a//",
            "/a/**",
            "a/b/**",
            "/a}/",
        ];
        for src in sources {
            let by_check = check(src);
            assert_eq!(by_check, Pattern::compile(src).map(|_| ()), "{src:?}");
            // The glob-compiled form: valid exactly when globset builds it.
            let by_glob = validate(src).and_then(|()| build(&to_glob(src)).map(|_| ()));
            assert_eq!(by_check, by_glob, "{src:?}");
            assert_eq!(is_plain_source(src), is_plain(&to_glob(src)), "{src:?}");
        }
        assert!(check("a}b").is_err() && check("a,b").is_ok() && check("./a").is_ok());
    }

    /// A path or a directory is compiled without a glob; a set that mixes it with
    /// wildcards builds it then, and answers as the patterns do one by one.
    #[test]
    fn plain_patterns_build_a_glob_only_for_a_mixed_set() {
        let dir = Pattern::compile("only-this-test/dir/").unwrap();
        let file = Pattern::compile("only-this-test/file.md").unwrap();
        assert!(dir.matches("only-this-test/dir/a") && file.matches("only-this-test/file.md"));
        assert!(dir.compiled.get().is_none() && file.compiled.get().is_none());
        let star = Pattern::compile("only-this-test/*.ts").unwrap();
        assert!(star.compiled.get().is_some(), "a wildcard is built (and so checked) at once");
        let set = PatternSet::new([&dir, &file, &star]);
        assert!(matches!(set.how, SetKind::Globs(_)));
        assert!(dir.compiled.get().is_some() && file.compiled.get().is_some());
        for path in
            ["only-this-test/dir/a/b", "only-this-test/file.md", "only-this-test/x.ts", "only-this-test/dir", "x"]
        {
            let one_by_one: Vec<usize> =
                [&dir, &file, &star].iter().enumerate().filter(|(_, p)| p.matches(path)).map(|(i, _)| i).collect();
            assert_eq!(set.matches(path), one_by_one, "{path}");
        }
    }

    /// The cache hands out copies; a matcher built through one is the others' too.
    #[test]
    fn copies_share_their_matcher() {
        let a = Pattern::compile("src/?*.rs").unwrap();
        assert!(a.matches("src/a.rs"));
        let b = Pattern::compile("src/?*.rs").unwrap();
        assert!(Arc::ptr_eq(&a.matcher, &b.matcher));
        assert!(b.matcher.get().is_some(), "built once, through the first copy");
    }

    #[test]
    fn sets_match_like_patterns() {
        let pats: Vec<Pattern> =
            ["artifacts/backend/", "*.md", "src/**/*.rs"].iter().map(|s| Pattern::compile(s).unwrap()).collect();
        let set = PatternSet::new(&pats);
        assert_eq!(set.len(), 3);
        assert_eq!(set.matches("artifacts/backend/a.ts"), vec![0]);
        assert_eq!(set.first_match("README.md"), Some(1));
        assert!(set.is_match("src/a/b.rs"));
        assert!(!set.is_match("docs/README.md"));
        assert!(!PatternSet::default().is_match("x"));
        // A set of paths and directories only: the same answers without globset.
        let plain: Vec<Pattern> =
            ["artifacts/ui/", "README.md", "artifacts/backend/"].iter().map(|s| Pattern::compile(s).unwrap()).collect();
        let set = PatternSet::new(&plain);
        assert!(matches!(set.how, SetKind::Plain(_)));
        assert_eq!(set.matches("artifacts/backend/a.ts"), vec![2]);
        assert_eq!(set.first_match("README.md"), Some(1));
        assert!(!set.is_match("artifacts/ui"));
        assert!(!set.is_match("docs/README.md"));
    }
}
