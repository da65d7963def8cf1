//! Syntax errors and hostile input: one error at the offending token, never a panic.

use tollgate_yaml::{parse, Limits, Parsed, SyntaxError, TextRange};

fn r(start: u32, end: u32) -> TextRange {
    TextRange::new(start, end)
}

fn error_of(text: &str) -> SyntaxError {
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.root, None, "no root expected for {text:?}");
    assert_eq!(parsed.errors.len(), 1, "one error expected for {text:?}");
    parsed.errors[0].clone()
}

#[test]
fn unclosed_flow_sequence_points_at_the_last_character() {
    let e = error_of("a: [1, 2");
    assert_eq!(e.message, "YAML syntax error: while parsing a flow sequence, expected ',' or ']'");
    assert_eq!(e.range, r(7, 8));
}

#[test]
fn dedented_key_is_not_an_expected_key() {
    let text = "a:\n  b: 1\n c: 2\n";
    let e = error_of(text);
    assert_eq!(e.message, "YAML syntax error: while parsing a block mapping, did not find expected key");
    assert_eq!(e.range, r(11, 12));
    assert_eq!(e.range.slice(text), "c");
}

#[test]
fn unterminated_quote_in_a_stage_list() {
    let text = "stages:\n  - id: x\n    agent: \"a\n  - id: y\n";
    let e = error_of(text);
    assert_eq!(e.message, "YAML syntax error: invalid indentation in quoted scalar");
    assert_eq!(e.range, r(29, 30));
}

#[test]
fn mapping_value_in_plain_scalar() {
    let e = error_of("a: b: c\n");
    assert_eq!(e.message, "YAML syntax error: mapping values are not allowed in this context");
    assert_eq!(e.range, r(4, 5));
}

#[test]
fn unterminated_quote_points_at_the_quote() {
    let e = error_of("a: \"x\n");
    assert_eq!(e.message, "YAML syntax error: while scanning a quoted scalar, found unexpected end of stream");
    assert_eq!(e.range, r(3, 4));
}

#[test]
fn bad_indentation_after_a_sequence() {
    let e = error_of("- a\nb: c\n");
    assert_eq!(e.message, "YAML syntax error: while parsing a block collection, did not find expected '-' indicator");
    assert_eq!(e.range, r(4, 5));
}

#[test]
fn block_mapping_missing_key() {
    let e = error_of("a: 1\n  b: 2\n");
    assert_eq!(e.message, "YAML syntax error: mapping values are not allowed in this context");
    assert_eq!(e.range, r(8, 9));
}

#[test]
fn trailing_bracket_after_json_is_reported() {
    let e = error_of("{\"a\": 1}}");
    assert_eq!(e.message, "YAML syntax error: misplaced bracket");
    assert_eq!(e.range, r(8, 9));
}

#[test]
fn unknown_alias() {
    let e = error_of("中: *nope\n");
    assert_eq!(e.message, "YAML syntax error: while parsing node, found unknown anchor");
    assert_eq!(e.range, r(5, 6));
}

#[test]
fn error_range_never_splits_a_character() {
    let text = "名: [中文, 😀";
    let e = error_of(text);
    assert!(text.is_char_boundary(e.range.start as usize));
    assert!(text.is_char_boundary(e.range.end as usize));
    assert_eq!(e.range.slice(text), "😀");
}

#[test]
fn error_after_multibyte_text_is_at_the_token() {
    let text = "描述: 中文\n  错: x\n";
    let e = error_of(text);
    assert_eq!(e.message, "YAML syntax error: mapping values are not allowed in this context");
    assert_eq!(e.range.slice(text), ":");
    assert_eq!(e.range, r(20, 21));
}

#[test]
fn tab_indentation_in_block_yaml_is_an_error() {
    let e = error_of("a:\n\tb: 1\n");
    assert!(e.message.starts_with("YAML syntax error: "), "{}", e.message);
    assert_eq!(e.range.len(), 1);
}

#[test]
fn empty_and_comment_only_texts_have_no_root_and_no_error() {
    for text in ["", "# only a comment\n", "\n\n   \n", "---\n", "\u{feff}"] {
        let parsed = parse(text, &Limits::default());
        let nothing = Parsed::default();
        assert!(parsed == nothing || parsed.root.as_ref().is_some_and(|n| n.is_null()), "{text:?}: {parsed:?}");
        assert_eq!(parsed.errors, vec![], "{text:?}");
    }
    assert_eq!(parse("", &Limits::default()), Parsed::default());
    assert_eq!(parse("# c\n", &Limits::default()), Parsed::default());
}

#[test]
fn garbage_never_panics_and_errors_are_one_character_or_more() {
    let samples = [
        "\u{0}\u{1}\u{2}\u{7f}",
        "@@@",
        "`x`",
        "%YAML 1.2\n%YAML 1.2\n",
        "!<tag> !<tag> x",
        "&a &b x",
        "? ? ? ?",
        "- - - -\n  -\n -",
        "{a: [}, ]",
        "\"\\u12\"",
        "'''",
        "|\n\t x",
        ">9\n x",
        "a: *",
        "a: &",
        "key: !!binary |\n  ====",
        "[a, b]: c: d",
        ":::",
        "\u{fffd}\u{fffd}: \u{10ffff}",
        "...\n...\n---\n---",
    ];
    for text in samples {
        let parsed = parse(text, &Limits::default());
        for e in &parsed.errors {
            assert!(!e.range.is_empty(), "{text:?}: {e:?}");
            assert!(text.is_char_boundary(e.range.start as usize) && text.is_char_boundary(e.range.end as usize));
            assert!(e.range.end as usize <= text.len());
        }
        assert!(parsed.errors.len() <= 1);
        assert!(parsed.errors.is_empty() || parsed.root.is_none());
    }
}

#[test]
fn pseudo_random_bytes_never_panic() {
    let alphabet: Vec<char> = "ab:-?[]{},#&*!|>'\"\\ \t\n\r%@`中😀".chars().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3000 {
        let len = (seed % 40) as usize;
        let mut text = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let parsed = parse(&text, &Limits::default());
        for e in &parsed.errors {
            assert!(!e.range.is_empty() || text.is_empty(), "{text:?}: {e:?}");
            assert!(text.is_char_boundary(e.range.start as usize) && text.is_char_boundary(e.range.end as usize));
        }
        if let Some(root) = &parsed.root {
            assert!(root.range.end as usize <= text.len(), "{text:?}");
            assert!(text.is_char_boundary(root.range.start as usize) && text.is_char_boundary(root.range.end as usize));
        }
    }
}

fn big_file_parses(size: usize) {
    let mut text = String::with_capacity(size + 100);
    text.push_str("items:\n");
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!("  - id: item-{i}\n    name: \"名称 {i} 😀\"\n    tags: [a, b, c]\n"));
        i += 1;
    }
    let parsed = parse(&text, &Limits::default());
    assert_eq!(parsed.errors, vec![]);
    let items = parsed.root.as_ref().unwrap().get("items").unwrap().as_seq().unwrap();
    assert_eq!(items.len(), i);
    let last = items.last().unwrap().get("name").unwrap();
    assert_eq!(last.range.slice(&text), format!("\"名称 {} 😀\"", i - 1));
}

#[test]
fn one_megabyte_file_parses() {
    big_file_parses(1_000_000);
}

/// Seconds in a debug build: run with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn five_megabyte_file_parses() {
    big_file_parses(5_000_000);
}
