//! Anchors, aliases, merge keys, duplicate keys and the limits.

use tollgate_yaml::{parse, DuplicateKey, Limits, Node, TextRange};

fn root(text: &str) -> Node {
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.errors, vec![], "unexpected errors for {text:?}");
    parsed.root.expect("a root")
}

fn r(start: u32, end: u32) -> TextRange {
    TextRange::new(start, end)
}

fn keys(node: &Node) -> Vec<&str> {
    node.as_map().unwrap().iter().map(|(k, _)| k.as_str().unwrap()).collect()
}

#[test]
fn alias_copies_the_anchored_node_onto_the_alias_range() {
    let text = "base: &b {k: v, n: [1, 2]}\ncopy: *b\nword: &w hi\nagain: *w\n";
    let doc = root(text);
    let copy = doc.get("copy").unwrap();
    assert_eq!(copy.range, r(33, 35));
    assert_eq!(copy.range.slice(text), "*b");
    assert_eq!(keys(copy), vec!["k", "n"]);
    // Everything inside the copy sits on the alias too.
    assert_eq!(copy.get_entry("k").unwrap().0.range, r(33, 35));
    assert_eq!(copy.get("n").unwrap().as_seq().unwrap()[1].range, r(33, 35));
    // The original keeps its own ranges.
    assert_eq!(doc.get("base").unwrap().get("k").unwrap().range.slice(text), "v");
    let again = doc.get("again").unwrap();
    assert_eq!(again.as_str(), Some("hi"));
    assert_eq!(again.range.slice(text), "*w");
}

#[test]
fn a_redefined_anchor_is_used_from_then_on() {
    let text = "a: &x 1\nb: *x\nc: &x 2\nd: *x\n";
    let doc = root(text);
    assert_eq!(doc.get("b").unwrap().as_str(), Some("1"));
    assert_eq!(doc.get("d").unwrap().as_str(), Some("2"));
}

#[test]
fn merge_keys_come_after_explicit_ones_and_never_override() {
    let text = "base: &b\n  x: 1\n  y: 2\nitem:\n  y: 9\n  <<: *b\n  z: 3\n";
    let doc = root(text);
    let item = doc.get("item").unwrap();
    assert_eq!(keys(item), vec!["y", "z", "x"]);
    assert_eq!(item.get("y").unwrap().as_str(), Some("9"));
    assert_eq!(item.get("x").unwrap().as_str(), Some("1"));
    // A merged entry sits on the alias it came from.
    assert_eq!(item.get_entry("x").unwrap().0.range.slice(text), "*b");
    // The map's range is its explicit text.
    assert_eq!(item.range.slice(text), "y: 9\n  <<: *b\n  z: 3");
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.duplicate_keys, vec![]);
}

#[test]
fn merge_of_a_list_prefers_earlier_maps() {
    let text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, w: 2}\nc:\n  <<: [*a, *b, {v: 0}]\n  u: 5\n";
    let c = root(text).get("c").cloned().unwrap();
    assert_eq!(keys(&c), vec!["u", "x", "y", "w", "v"]);
    assert_eq!(c.get("y").unwrap().as_str(), Some("1"));
    assert_eq!(c.get("w").unwrap().as_str(), Some("2"));
    assert_eq!(c.get("v").unwrap().range.slice(text), "0");
}

#[test]
fn quoted_or_scalar_merge_key_is_an_ordinary_key() {
    let text = "a:\n  \"<<\": {x: 1}\n  b: 1\nc:\n  <<: plain\n";
    let doc = root(text);
    assert_eq!(keys(doc.get("a").unwrap()), vec!["<<", "b"]);
    assert_eq!(doc.get("c").unwrap().get("<<").unwrap().as_str(), Some("plain"));
}

#[test]
fn duplicate_keys_are_reported_and_the_first_is_kept() {
    let text = "a: 1\nb: 2\na: 3\n\"b\": 4\n";
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.errors, vec![]);
    let doc = parsed.root.unwrap();
    assert_eq!(keys(&doc), vec!["a", "b"]);
    assert_eq!(doc.get("a").unwrap().as_str(), Some("1"));
    assert_eq!(
        parsed.duplicate_keys,
        vec![
            DuplicateKey { key: "a".into(), range: r(10, 11), first: r(0, 1) },
            DuplicateKey { key: "b".into(), range: r(15, 18), first: r(5, 6) },
        ]
    );
}

#[test]
fn duplicate_keys_in_a_large_map_use_the_index() {
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("k{i}: {i}\n"));
    }
    let dup_at = text.len() as u32;
    text.push_str("k42: again\n");
    let parsed = parse(&text, &Limits::default());
    assert_eq!(parsed.root.as_ref().unwrap().as_map().unwrap().len(), 100);
    assert_eq!(parsed.root.as_ref().unwrap().get("k42").unwrap().as_str(), Some("42"));
    assert_eq!(
        parsed.duplicate_keys,
        vec![DuplicateKey { key: "k42".into(), range: r(dup_at, dup_at + 3), first: r(316, 319) }]
    );
}

#[test]
fn duplicate_keys_in_json_and_nested_maps() {
    let text = "{\"s\": {\"x\": 1, \"x\": 2}, \"s\": 3}";
    let parsed = parse(text, &Limits::default());
    let got: Vec<_> = parsed.duplicate_keys.iter().map(|d| (d.key.as_str(), d.range.slice(text), d.first)).collect();
    assert_eq!(got, vec![("x", "\"x\"", r(7, 10)), ("s", "\"s\"", r(1, 4))]);
}

#[test]
fn depth_limit_stops_at_the_offending_collection() {
    let limits = Limits { max_depth: 3, ..Limits::default() };
    let ok = parse("a: {b: [1]}", &limits);
    assert!(ok.root.is_some());
    let text = "a: {b: [1, {c: 2}]}";
    let parsed = parse(text, &limits);
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "nesting is deeper than 3 levels");
    assert_eq!(parsed.errors[0].range, r(11, 12));
}

#[test]
fn depth_limit_counts_alias_copies() {
    let limits = Limits { max_depth: 3, ..Limits::default() };
    let text = "a: &x [[1]]\nb: [*x]\n";
    let parsed = parse(text, &limits);
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors[0].message, "nesting is deeper than 3 levels");
    assert_eq!(parsed.errors[0].range.slice(text), "*x");
}

#[test]
fn ten_thousand_open_brackets_stop_at_the_bracket_limit() {
    // saphyr counts flow levels in a u8; its error comes before our depth limit.
    let text = "[".repeat(10_000);
    let parsed = parse(&text, &Limits::default());
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "YAML syntax error: nesting is too deep (more than 255 levels of brackets)");
    assert_eq!(parsed.errors[0].range, r(255, 256));
    let closed = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(parse(&closed, &Limits::default()).errors[0].range, r(255, 256));
}

#[test]
fn ten_thousand_block_levels_hit_the_depth_limit() {
    let text = "- ".repeat(10_000) + "x\n";
    let parsed = parse(&text, &Limits::default());
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "nesting is deeper than 256 levels");
    assert_eq!(parsed.errors[0].range, r(512, 513));
}

#[test]
fn alias_limit_counts_copied_nodes() {
    let limits = Limits { max_alias_nodes: 6, ..Limits::default() };
    // Each copy of x is 3 nodes: the list and its two items.
    let text = "x: &x [1, 2]\na: *x\nb: *x\nc: *x\n";
    let parsed = parse(text, &limits);
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "aliases expand to more than 6 nodes");
    assert_eq!(parsed.errors[0].range, r(28, 30));
    assert!(parse("x: &x [1, 2]\na: *x\nb: *x\n", &limits).root.is_some());
}

#[test]
fn billion_laughs_stays_fast_and_small() {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, name) = (w[0], w[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let parsed = parse(&text, &Limits::default());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors[0].message, "aliases expand to more than 100000 nodes");
    assert_eq!(parsed.errors[0].range.slice(&text), "*e");
}

#[test]
fn recursive_alias_is_an_error() {
    let text = "a: &x [*x]";
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.root, None);
    assert_eq!(parsed.errors[0].message, "alias refers to a node that contains it");
    assert_eq!(parsed.errors[0].range, r(7, 9));
}
