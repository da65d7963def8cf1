//! Property test: scope matching (`pattern::Pattern`, globset underneath) agrees
//! with a small, obviously-correct recursive matcher for the dialect of SPEC 4 on
//! random patterns and paths. More cases: `PROPTEST_CASES=20000 cargo test -p
//! tollgate-engine --test pattern_props`.

use proptest::prelude::*;
use tollgate_engine::pattern::{Pattern, PatternSet};

// ----- the reference -------------------------------------------------------

#[derive(Clone, Debug)]
enum Tok {
    Lit(char),
    /// `*`: any run of characters but `/`.
    Star,
    /// `?`: one character but `/`.
    One,
    /// `[...]` / `[!...]`: one character (never `/`) in (or not in) the set.
    Class(bool, Vec<(char, char)>),
    /// `{a,b}`: one of the alternatives.
    Alt(Vec<Vec<Tok>>),
}

fn parse_seg(s: &[char]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '[' => {
                let close = s[i + 1..].iter().position(|&c| c == ']').map(|p| p + i + 1).expect("closed class");
                let mut body = &s[i + 1..close];
                let neg = body.first() == Some(&'!');
                if neg {
                    body = &body[1..];
                }
                let mut ranges = Vec::new();
                let mut j = 0;
                while j < body.len() {
                    if j + 2 < body.len() && body[j + 1] == '-' {
                        ranges.push((body[j], body[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((body[j], body[j]));
                        j += 1;
                    }
                }
                out.push(Tok::Class(neg, ranges));
                i = close;
            }
            '{' => {
                let close = s[i + 1..].iter().position(|&c| c == '}').map(|p| p + i + 1).expect("closed alternation");
                let alts = s[i + 1..close].split(|&c| c == ',').map(parse_seg).collect();
                out.push(Tok::Alt(alts));
                i = close;
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

fn match_toks(toks: &[Tok], s: &[char]) -> bool {
    let Some((first, rest)) = toks.split_first() else { return s.is_empty() };
    match first {
        Tok::Lit(c) => s.first() == Some(c) && match_toks(rest, &s[1..]),
        Tok::One => !s.is_empty() && s[0] != '/' && match_toks(rest, &s[1..]),
        Tok::Class(neg, ranges) => {
            !s.is_empty()
                && s[0] != '/'
                && ranges.iter().any(|&(lo, hi)| lo <= s[0] && s[0] <= hi) != *neg
                && match_toks(rest, &s[1..])
        }
        Tok::Star => (0..=s.len()).take_while(|&k| k == 0 || s[k - 1] != '/').any(|k| match_toks(rest, &s[k..])),
        Tok::Alt(alts) => alts.iter().any(|alt| {
            let mut joined = alt.clone();
            joined.extend_from_slice(rest);
            match_toks(&joined, s)
        }),
    }
}

fn match_segs(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        // A trailing `**` is what lies under the directory: one segment at least.
        Some((&"**", [])) => !path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|k| match_segs(rest, &path[k..])),
        Some((seg, rest)) => {
            !path.is_empty() && {
                let p: Vec<char> = seg.chars().collect();
                let s: Vec<char> = path[0].chars().collect();
                match_toks(&parse_seg(&p), &s) && match_segs(rest, &path[1..])
            }
        }
    }
}

/// SPEC 4: anchored at the root, a leading `/` says so, a trailing `/` means `dir/**`.
fn reference(pattern: &str, path: &str) -> bool {
    let mut body = pattern.strip_prefix('/').unwrap_or(pattern).to_string();
    if body.is_empty() {
        body = "**".into();
    } else if body.ends_with('/') {
        body.push_str("**");
    }
    let pat: Vec<&str> = body.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    match_segs(&pat, &path)
}

// ----- generators ------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "ab", "ba", "a.x", "b.x", ".x", "x", "初", "初a", "😀", "é.x", "a-b", "aa"])
        .prop_map(str::to_string)
}

fn pattern_seg() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => name(),
        2 => Just("*".to_string()),
        2 => Just("**".to_string()),
        1 => Just("?".to_string()),
        1 => Just("*.x".to_string()),
        1 => Just("a*".to_string()),
        1 => Just("*a".to_string()),
        1 => Just("?.x".to_string()),
        1 => Just("[ab]".to_string()),
        1 => Just("[!a]".to_string()),
        1 => Just("[a-c]*".to_string()),
        1 => Just("{a,b}".to_string()),
        1 => Just("{a,初a}.x".to_string()),
        1 => Just("{*.x,b}".to_string()),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(pattern_seg(), 1..5), any::<bool>()).prop_map(|(lead, segs, trail)| {
        let mut s = segs.join("/");
        if lead {
            s.insert(0, '/');
        }
        if trail && !s.ends_with("**") {
            s.push('/');
        }
        s
    })
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(name(), 1..6).prop_map(|v| v.join("/"))
}

/// `PROPTEST_CASES` when set (for long runs), else `default` (fast in CI).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn pattern_agrees_with_the_reference(pat in pattern(), paths in prop::collection::vec(path(), 1..12)) {
        let p = Pattern::compile(&pat).expect("generated patterns are valid");
        let set = PatternSet::new([&p]);
        for path in &paths {
            let want = reference(&pat, path);
            prop_assert_eq!(p.matches(path), want, "pattern {:?} (glob {:?}) vs path {:?}", pat, p.glob, path);
            prop_assert_eq!(set.is_match(path), want);
        }
    }

    #[test]
    fn a_path_pattern_matches_itself_and_its_directory_form_everything_below(path in path(), below in path()) {
        let p = Pattern::compile(&path).unwrap();
        prop_assert!(p.matches(&path));
        let under = format!("{path}/{below}");
        prop_assert!(!p.matches(&under), "a literal path is not a directory");
        let d = Pattern::compile(&format!("{path}/")).unwrap();
        prop_assert!(d.matches(&under) && !d.matches(&path));
        prop_assert!(d.covers_dir(&path));
    }

    /// `pattern::check` (which builds no glob for a path or a directory) answers
    /// as compiling does; a valid pattern in a set with a wildcard, which makes
    /// even a plain pattern build its glob, answers as the pattern alone does.
    #[test]
    fn check_answers_as_compile_and_a_mixed_set_as_the_pattern(
        src in "[ab/.,{}*?!~é 初\\[\\]\\\\-]{0,7}",
        path in path(),
    ) {
        let compiled = Pattern::compile(&src);
        prop_assert_eq!(tollgate_engine::pattern::check(&src), compiled.clone().map(|_| ()));
        if let Ok(p) = compiled {
            let star = Pattern::compile("zz/*.x").unwrap();
            let set = PatternSet::new([&p, &star]);
            for q in [path.as_str(), p.glob.as_str(), src.as_str(), "a/b", "a"] {
                prop_assert_eq!(set.first_match(q) == Some(0), p.matches(q), "{:?} vs {:?}", src, q);
            }
        }
    }
}

#[test]
fn reference_sanity() {
    for (pat, path, want) in [
        ("*.py", "a.py", true),
        ("*.py", "src/a.py", false),
        ("**/*.py", "a.py", true),
        ("src/**", "src", false),
        ("src/**/t", "src/t", true),
        ("a/", "a/b/c", true),
        ("{a,b}/x", "b/x", true),
        ("[!a]", "b", true),
        ("[!a]", "a", false),
        ("/", "x/y", true),
    ] {
        assert_eq!(reference(pat, path), want, "{pat} vs {path}");
    }
}

/// Found by `pattern_agrees_with_the_reference`: globset's `?` and `[...]` match one
/// *byte*, so `?` never matched `é`, `初` or `😀` (and `??` matched `é`). SPEC 4's
/// `?` is one character; such patterns now match through a Unicode regex.
#[test]
fn question_mark_and_classes_match_one_character_not_one_byte() {
    for (pat, path, want) in [
        ("?", "初", true),
        ("?", "é", true),
        ("??", "é", false),
        ("a?b", "a😀b", true),
        ("[!a]", "初", true),
        ("[é初]", "初", true),
        ("[é初]", "e", false),
        ("[à-ü].md", "é.md", true),
        ("[à-ü].md", "a.md", false),
        ("输入/?.md", "输入/想.md", true),
        ("输入/?.md", "输入/想法.md", false),
        ("**/?/x", "a/初/x", true),
        ("{?,ab}.x", "😀.x", true),
        ("?", "a/b", false),
        ("a.?", "a.x", true),
        ("a\\?", "a\\b", false),
    ] {
        let p = Pattern::compile(pat);
        if pat.contains('\\') {
            assert!(p.is_err(), "a backslash is invalid");
            continue;
        }
        let p = p.unwrap();
        assert_eq!(p.matches(path), want, "{pat} vs {path}");
        assert_eq!(PatternSet::new([&p]).is_match(path), want, "{pat} (as a set) vs {path}");
        assert_eq!(reference(pat, path), want, "the reference agrees: {pat} vs {path}");
    }
}
