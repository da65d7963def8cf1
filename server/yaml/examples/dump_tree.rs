//! Prints the tree `parse` builds, each node with its byte range and source text.
use tollgate_yaml::{parse, Limits, Node, NodeKind};

fn show(text: &str, node: &Node, depth: usize) {
    let pad = "  ".repeat(depth);
    let src = node.range.slice(text);
    match &node.kind {
        NodeKind::Scalar(s) => println!("{pad}{:?} {:?} {:?} {src:?}", s.value, s.style, node.range),
        NodeKind::Seq(items) => {
            println!("{pad}seq {:?}", node.range);
            items.iter().for_each(|i| show(text, i, depth + 1));
        }
        NodeKind::Map(entries) => {
            println!("{pad}map {:?}", node.range);
            for (k, v) in entries {
                show(text, k, depth + 1);
                show(text, v, depth + 2);
            }
        }
    }
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let parsed = parse(&text, &Limits::default());
    if let Some(root) = &parsed.root {
        show(&text, root, 0);
    }
    println!("errors: {:?}", parsed.errors);
    println!("duplicates: {:?}", parsed.duplicate_keys);
}
