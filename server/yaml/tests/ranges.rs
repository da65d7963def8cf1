//! Exact byte ranges for every kind of node.

use tollgate_yaml::{parse, Limits, Node, ScalarStyle, TextRange};

fn root(text: &str) -> Node {
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.errors, vec![], "unexpected errors for {text:?}");
    parsed.root.expect("a root")
}

fn r(start: u32, end: u32) -> TextRange {
    TextRange::new(start, end)
}

#[test]
fn plain_scalar_excludes_trailing_blanks_and_comment() {
    let text = "plain: hello world   # comment\n";
    let doc = root(text);
    let (k, v) = doc.get_entry("plain").unwrap();
    assert_eq!(k.range, r(0, 5));
    assert_eq!(v.range, r(7, 18));
    assert_eq!(v.as_scalar().unwrap().style, ScalarStyle::Plain);
    assert_eq!(doc.range, r(0, 18));
}

#[test]
fn multi_line_plain_scalar_ends_at_its_last_word() {
    let text = "m: this is\n  multi line\nn: 1\n";
    let v = root(text).get("m").cloned().unwrap();
    assert_eq!(v.as_str(), Some("this is multi line"));
    assert_eq!(v.range, r(3, 23));
}

#[test]
fn quoted_scalars_include_their_quotes_only() {
    let text = "a: \"x\"\nb: 'it''s'  \nc: \"a\\\"b\"   # \"c\"\nd: 'a\n  b'\n";
    let doc = root(text);
    let a = doc.get("a").unwrap();
    assert_eq!((a.range, a.range.len()), (r(3, 6), 3));
    assert_eq!(a.as_scalar().unwrap().style, ScalarStyle::DoubleQuoted);
    let b = doc.get("b").unwrap();
    assert_eq!(b.range.slice(text), "'it''s'");
    assert_eq!(b.as_str(), Some("it's"));
    assert_eq!(b.as_scalar().unwrap().style, ScalarStyle::SingleQuoted);
    let c = doc.get("c").unwrap();
    assert_eq!(c.range.slice(text), "\"a\\\"b\"");
    assert_eq!(c.as_str(), Some("a\"b"));
    let d = doc.get("d").unwrap();
    assert_eq!(d.range.slice(text), "'a\n  b'");
    assert_eq!(d.as_str(), Some("a b"));
}

#[test]
fn block_scalars_run_from_indicator_to_content_end() {
    let text =
        "lit: |\n  line1\n  line2\n\nfold: >-\n  folded\n  text\nkeep: >+ # note | >\n\n  t\n\n\nempty: |\nlast: x\n";
    let doc = root(text);
    let lit = doc.get("lit").unwrap();
    assert_eq!(lit.range, r(5, 22));
    assert_eq!(lit.range.slice(text), "|\n  line1\n  line2");
    assert_eq!(lit.as_str(), Some("line1\nline2\n"));
    assert_eq!(lit.as_scalar().unwrap().style, ScalarStyle::Literal);
    let fold = doc.get("fold").unwrap();
    assert_eq!(fold.range.slice(text), ">-\n  folded\n  text");
    assert_eq!(fold.as_str(), Some("folded text"));
    assert_eq!(fold.as_scalar().unwrap().style, ScalarStyle::Folded);
    let keep = doc.get("keep").unwrap();
    assert_eq!(keep.range.slice(text), ">+ # note | >\n\n  t");
    assert_eq!(keep.as_str(), Some("\nt\n\n\n"));
    let empty = doc.get("empty").unwrap();
    assert_eq!(empty.range.slice(text), "|");
    assert_eq!(empty.as_str(), Some(""));
}

#[test]
fn block_scalars_with_properties_in_sequences_and_at_the_root() {
    let text = "a: !!str &x |\n  v\nb:\n  - |\n    a\n  - >\n    b\n";
    let doc = root(text);
    assert_eq!(doc.get("a").unwrap().range.slice(text), "|\n  v");
    let items = doc.get("b").unwrap().as_seq().unwrap();
    assert_eq!(items[0].range.slice(text), "|\n    a");
    assert_eq!(items[1].range.slice(text), ">\n    b");
    let text = "--- |\n  top\n";
    assert_eq!(root(text).range, r(4, 11));
}

#[test]
fn properties_are_not_part_of_a_scalar() {
    let text = "a: &x plain\nb: !!str \"q\"   # c\nc: *x\n";
    let doc = root(text);
    assert_eq!(doc.get("a").unwrap().range.slice(text), "plain");
    assert_eq!(doc.get("b").unwrap().range.slice(text), "\"q\"");
}

#[test]
fn empty_value_sits_at_its_colon_with_no_width() {
    let text = "empty:\nnext: 1\n";
    let v = root(text).get("empty").cloned().unwrap();
    assert!(v.is_null());
    assert_eq!(v.range, r(5, 5));
}

#[test]
fn nested_block_collections_cover_first_to_last_character() {
    let text = "a:\n  b: 1\n  c: [x, y]\nd:\n  - p\n  - q: 2\n    r: 3\ne:\n- i\n- j\n";
    let doc = root(text);
    assert_eq!(doc.range, r(0, text.len() as u32 - 1));
    let a = doc.get("a").unwrap();
    assert_eq!(a.range.slice(text), "b: 1\n  c: [x, y]");
    let d = doc.get("d").unwrap();
    assert_eq!(d.range.slice(text), "- p\n  - q: 2\n    r: 3");
    assert_eq!(d.as_seq().unwrap()[1].range.slice(text), "q: 2\n    r: 3");
    // An indentless sequence starts at its first `-`.
    assert_eq!(doc.get("e").unwrap().range.slice(text), "- i\n- j");
}

#[test]
fn collection_properties_are_skipped_but_a_first_key_anchor_is_kept() {
    let text = "&k key: v\nm: &m\n  a: 1\ns: !!seq\n  - 1\n";
    let doc = root(text);
    assert_eq!(doc.range.start, 0);
    assert_eq!(doc.get_entry("key").unwrap().0.range, r(3, 6));
    assert_eq!(doc.get("m").unwrap().range.slice(text), "a: 1");
    assert_eq!(doc.get("s").unwrap().range.slice(text), "- 1");
}

#[test]
fn nested_sequences_start_at_their_own_dash() {
    let text = "- - a\n  - b\n- c\n";
    let doc = root(text);
    assert_eq!(doc.range, r(0, 15));
    assert_eq!(doc.as_seq().unwrap()[0].range.slice(text), "- a\n  - b");
}

#[test]
fn flow_collections_cover_their_brackets() {
    let text = "f: &A [a, \"b\", {c: d}]  # c\ng: {}\nh: [[1], [2] ]\n";
    let doc = root(text);
    let f = doc.get("f").unwrap();
    assert_eq!(f.range.slice(text), "[a, \"b\", {c: d}]");
    let items = f.as_seq().unwrap();
    assert_eq!(items[1].range.slice(text), "\"b\"");
    assert_eq!(items[2].range.slice(text), "{c: d}");
    assert_eq!(items[2].get_entry("c").unwrap().0.range, r(16, 17));
    assert_eq!(doc.get("g").unwrap().range.slice(text), "{}");
    let h = doc.get("h").unwrap();
    assert_eq!(h.range.slice(text), "[[1], [2] ]");
    assert_eq!(h.as_seq().unwrap()[1].range.slice(text), "[2]");
}

#[test]
fn cjk_and_emoji_lines_give_byte_ranges() {
    let text = "名字: 中文值 # 注释\nemoji: \"😀 ok\"\n列表:\n  - 项目一\n  - '😀'\n";
    let doc = root(text);
    let (k, v) = doc.get_entry("名字").unwrap();
    assert_eq!(k.range, r(0, 6));
    assert_eq!(v.range, r(8, 17));
    assert_eq!(v.range.slice(text), "中文值");
    let e = doc.get("emoji").unwrap();
    assert_eq!(e.range, r(34, 43));
    assert_eq!(e.range.slice(text), "\"😀 ok\"");
    let items = doc.get("列表").unwrap().as_seq().unwrap();
    assert_eq!(items[0].range.slice(text), "项目一");
    assert_eq!(items[1].range.slice(text), "'😀'");
    assert_eq!(items[1].range, r(70, 76));
}

#[test]
fn byte_order_mark_and_crlf_keep_ranges_exact() {
    let text = "\u{feff}a: 中\r\nb: |\r\n  x\r\n  y\r\nc: \"2\"\r\n";
    let doc = root(text);
    assert_eq!(doc.get_entry("a").unwrap().0.range, r(3, 4));
    assert_eq!(doc.get("a").unwrap().range, r(6, 9));
    assert_eq!(doc.get("b").unwrap().range.slice(text), "|\r\n  x\r\n  y");
    assert_eq!(doc.get("c").unwrap().range.slice(text), "\"2\"");
}

#[test]
fn pretty_json_with_spaces_has_exact_string_ranges() {
    let text = "{\n  \"version\": \"1.0\",\n  \"status\": \"running\",\n  \"completedStages\": [\n    \"bootstrap\",\n    \"prd\"\n  ],\n  \"attempts\": 2,\n  \"error\": null\n}\n";
    let doc = root(text);
    assert_eq!(doc.range, r(0, text.len() as u32 - 1));
    let (k, v) = doc.get_entry("status").unwrap();
    assert_eq!(k.range.slice(text), "\"status\"");
    assert_eq!(v.range.slice(text), "\"running\"");
    assert_eq!(v.range, r(34, 43));
    let done = doc.get("completedStages").unwrap();
    assert_eq!(done.range.slice(text), "[\n    \"bootstrap\",\n    \"prd\"\n  ]");
    assert_eq!(done.as_seq().unwrap()[1].range.slice(text), "\"prd\"");
    assert_eq!(doc.get("attempts").unwrap().as_i64(), Some(2));
    assert!(doc.get("error").unwrap().is_null());
}

#[test]
fn json_indented_with_tabs_parses() {
    let text = "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t\"x\"\n\t]\n}\n";
    let doc = root(text);
    assert_eq!(doc.get("b").unwrap().as_seq().unwrap()[0].range, r(21, 24));
    assert_eq!(doc.range, r(0, 29));
}

#[test]
fn json_with_cjk_strings() {
    let text = "{\"stageId\": \"验证\", \"outputs\": [\"artifacts/😀/\"]}";
    let doc = root(text);
    assert_eq!(doc.get("stageId").unwrap().range.slice(text), "\"验证\"");
    let out = &doc.get("outputs").unwrap().as_seq().unwrap()[0];
    assert_eq!(out.range.slice(text), "\"artifacts/😀/\"");
}

#[test]
fn only_the_first_document_is_modelled() {
    let text = "a: 1\n---\nb: [\n";
    let parsed = parse(text, &Limits::default());
    assert_eq!(parsed.errors, vec![]);
    let doc = parsed.root.unwrap();
    assert_eq!(doc.range, r(0, 4));
    assert!(doc.get("b").is_none());
}
