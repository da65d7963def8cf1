//! The run as a Mermaid `flowchart` (renders on GitHub and in `mmdc`).
//! Node ids are generated (`s0`, `s0a1`, `s0q`); every label is a quoted string
//! whose special characters are Mermaid entity codes, so stage ids and paths
//! with quotes, brackets, `#`, `<` or CJK cannot break the syntax.

use tollgate_engine::status::Report;

use super::{class, collapsed, rows, sides, stage_lines, Row};

const CLASSES: &str = "  classDef done fill:#dcfce7,stroke:#15803d,color:#14532d
  classDef current fill:#dbeafe,stroke:#1d4ed8,stroke-width:3px,color:#1e3a8a
  classDef failed fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#7f1d1d
  classDef notreached fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:4 3,color:#374151
  classDef archived fill:#fef3c7,stroke:#b45309,color:#78350f
  classDef quarantined fill:#fae8ff,stroke:#a21caf,color:#701a75
";

pub fn render(report: &Report) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut nodes = String::new();
    let mut edges = String::new();
    let mut side_edges = String::new();
    let mut prev: Option<String> = None;
    for (n, row) in rows(report).iter().enumerate() {
        let id = format!("s{n}");
        match row {
            Row::Stage(s) => {
                let mut label = format!("<b>{}</b>", escape(&s.id));
                for line in stage_lines(report, s) {
                    label.push_str("<br/>");
                    label.push_str(&escape(&line));
                }
                nodes.push_str(&format!("  {id}[\"{label}\"]:::{}\n", class(s.state)));
                for (k, side) in sides(s).iter().enumerate() {
                    let sid = format!("{id}x{k}");
                    let mut label = format!("<b>{}</b><br/>{}", escape(&side.title), escape(&side.path));
                    for line in &side.lines {
                        label.push_str("<br/>");
                        label.push_str(&escape(line));
                    }
                    nodes.push_str(&format!("  {sid}[(\"{label}\")]:::{}\n", side.class));
                    side_edges.push_str(&format!("  {id} -.- {sid}\n"));
                }
                // A stage the pipeline lacks has no place in the order.
                if !s.in_pipeline {
                    continue;
                }
            }
            Row::Collapsed(run) => {
                let (cls, a, b) = collapsed(run);
                nodes.push_str(&format!("  {id}[\"{}<br/>{}\"]:::{cls}\n", escape(&a), escape(&b)));
            }
        }
        if let Some(p) = prev {
            edges.push_str(&format!("  {p} --> {id}\n"));
        }
        prev = Some(id);
    }
    if report.stages.is_empty() {
        nodes.push_str("  empty[\"no stages: no pipeline or no run state\"]\n");
    }
    out.push_str(&nodes);
    out.push_str(&edges);
    out.push_str(&side_edges);
    out.push_str(CLASSES);
    out
}

/// Text for inside a quoted Mermaid label: the characters Mermaid or its HTML
/// labels read specially become entity codes (`#34;`), control characters spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '#' | '&' | '<' | '>' | '`' | '\\' | '|' | '{' | '}' | '[' | ']' | '(' | ')' | ';' => {
                out.push_str(&format!("#{};", c as u32))
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
