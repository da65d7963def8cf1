//! The run as one self-contained HTML page: the graph as inline SVG laid out
//! here (stages in a column, archived attempts and quarantine to the right of
//! their stage), then the blockers, the archived attempts and every stage.
//! Nothing is loaded from elsewhere and no script runs; light and dark follow
//! `prefers-color-scheme`. Every text goes through `escape`.

use std::fmt::Write;

use tollgate_engine::status::{Report, StageState};

use super::{class, collapsed, rows, sides, stage_lines, state_text, Row, Side};

const MARGIN: usize = 24;
const STAGE_W: usize = 380;
const SIDE_W: usize = 270;
const GAP_X: usize = 32;
const GAP_Y: usize = 30;
const LINE_H: usize = 18;
const PAD: usize = 12;
/// Characters that fit on a line of a box (13 px sans-serif), wide ones counting two.
const STAGE_CHARS: usize = 50;
const SIDE_CHARS: usize = 34;

const STYLE: &str = r#"
:root { color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2937; --muted: #6b7280; --line: #9ca3af; --panel: #f9fafb;
  --done-bg: #dcfce7; --done-st: #15803d; --current-bg: #dbeafe; --current-st: #1d4ed8;
  --failed-bg: #fee2e2; --failed-st: #b91c1c; --notreached-bg: #f3f4f6; --notreached-st: #9ca3af;
  --archived-bg: #fef3c7; --archived-st: #b45309; --quarantined-bg: #fae8ff; --quarantined-st: #a21caf; }
@media (prefers-color-scheme: dark) { :root {
  --bg: #111827; --fg: #e5e7eb; --muted: #9ca3af; --line: #6b7280; --panel: #1f2937;
  --done-bg: #14532d; --done-st: #4ade80; --current-bg: #1e3a8a; --current-st: #60a5fa;
  --failed-bg: #7f1d1d; --failed-st: #f87171; --notreached-bg: #1f2937; --notreached-st: #6b7280;
  --archived-bg: #78350f; --archived-st: #fbbf24; --quarantined-bg: #701a75; --quarantined-st: #e879f9; } }
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 24px 0 8px; }
a { color: var(--current-st); }
code, .path { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.run dt { color: var(--muted); } dl.run dd { margin: 0; }
.graph { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
svg text { fill: var(--fg); font: 13px system-ui, -apple-system, "Segoe UI", sans-serif; }
svg text.id { font-weight: 700; } svg text.path { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
svg .edge { stroke: var(--line); stroke-width: 1.5; fill: none; } svg .side-edge { stroke: var(--line); stroke-dasharray: 4 3; fill: none; }
svg #arrow path { fill: var(--line); }
svg rect { stroke-width: 1.5; }
.done rect { fill: var(--done-bg); stroke: var(--done-st); }
.current rect { fill: var(--current-bg); stroke: var(--current-st); stroke-width: 3; }
.failed rect { fill: var(--failed-bg); stroke: var(--failed-st); stroke-width: 2; }
.notreached rect { fill: var(--notreached-bg); stroke: var(--notreached-st); stroke-dasharray: 5 3; }
.archived rect { fill: var(--archived-bg); stroke: var(--archived-st); }
.quarantined rect { fill: var(--quarantined-bg); stroke: var(--quarantined-st); }
.state { font-weight: 600; } .state.done { color: var(--done-st); } .state.current { color: var(--current-st); }
.state.failed { color: var(--failed-st); } .state.notreached { color: var(--muted); }
"#;

pub fn render(report: &Report) -> String {
    let mut h = String::with_capacity(4096 + report.stages.len() * 600 + report.blockers.len() * 600);
    let e = escape;
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>tollgate: {}</title>", e(&report.root));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>tollgate status</h1>");
    let or = |v: Option<&str>| v.map(e).unwrap_or_else(|| "-".to_string());
    // The current stage links to its node (an in-page anchor): 5,000 stages stay navigable.
    let stage_link = match report.stage.as_deref() {
        Some(id) if report.stages.iter().any(|s| s.id == id) => {
            format!("<a href=\"#stage-{}\">{}</a>", e_attr(id), e(id))
        }
        other => or(other),
    };
    let attempts = report.attempts.map(|a| format!(" (attempt {a} of {})", report.max_attempts)).unwrap_or_default();
    let _ = writeln!(
        h,
        "<dl class=\"run\"><dt>root</dt><dd class=\"path\">{}</dd><dt>pipeline</dt><dd class=\"path\">{}</dd>\
         <dt>stage</dt><dd>{}{attempts}</dd><dt>status</dt><dd>{}</dd><dt>blockers</dt><dd>{}</dd>\
         <dt>next</dt><dd><code>{}</code></dd></dl>",
        e(&report.root),
        or(report.pipeline.as_deref()),
        stage_link,
        or(report.status),
        report.blockers.len(),
        e(report.next.as_deref().unwrap_or("nothing blocks the run")),
    );
    let _ = writeln!(h, "<h2>Stages</h2>\n<div class=\"graph\">");
    svg(&mut h, report);
    h.push_str("</div>\n");
    blockers(&mut h, report);
    archived(&mut h, report);
    all_stages(&mut h, report);
    h.push_str("</body>\n</html>\n");
    h
}

struct Box {
    y: usize,
    h: usize,
}

fn svg(h: &mut String, report: &Report) {
    let rows = rows(report);
    let mut body = String::new();
    let mut y = MARGIN;
    let mut width = MARGIN + STAGE_W + MARGIN;
    let mut prev: Option<Box> = None;
    for row in &rows {
        let (cls, title, lines, sides, in_order, anchor): (&str, String, Vec<String>, Vec<Side>, bool, Option<String>) =
            match row {
                Row::Stage(s) => {
                    (class(s.state), s.id.clone(), stage_lines(report, s), sides(s), s.in_pipeline, Some(s.id.clone()))
                }
                Row::Collapsed(run) => {
                    let (cls, a, b) = collapsed(run);
                    (cls, a, vec![b], Vec::new(), true, None)
                }
            };
        let stage_h = PAD * 2 + LINE_H * (1 + lines.len());
        let side_h = sides.iter().map(|s| PAD * 2 + LINE_H * (2 + s.lines.len())).max().unwrap_or(0);
        let row_h = stage_h.max(side_h);
        if let (Some(p), true) = (&prev, in_order) {
            let x = MARGIN + STAGE_W / 2;
            let _ =
                writeln!(body, "<path class=\"edge\" d=\"M{x} {} V{}\" marker-end=\"url(#arrow)\"/>", p.y + p.h, y - 2);
        }
        let id_attr = anchor.map(|a| format!(" id=\"stage-{}\"", e_attr(&a))).unwrap_or_default();
        let _ = writeln!(body, "<g class=\"{cls}\"{id_attr}><title>{}</title>", escape(&full(&title, &lines)));
        let _ = writeln!(body, "<rect x=\"{MARGIN}\" y=\"{y}\" width=\"{STAGE_W}\" height=\"{stage_h}\" rx=\"8\"/>");
        text(&mut body, MARGIN + PAD, y + PAD, &title, &lines, STAGE_CHARS, "id");
        body.push_str("</g>\n");
        for (k, side) in sides.iter().enumerate() {
            let x = MARGIN + STAGE_W + GAP_X + k * (SIDE_W + GAP_X / 2);
            let sh = PAD * 2 + LINE_H * (2 + side.lines.len());
            let _ = writeln!(
                body,
                "<path class=\"side-edge\" d=\"M{} {} H{x}\"/>",
                if k == 0 { MARGIN + STAGE_W } else { x - GAP_X / 2 },
                y + PAD + LINE_H / 2
            );
            let _ = writeln!(
                body,
                "<g class=\"{}\"><title>{}</title>",
                side.class,
                escape(&full(&side.title, &side.lines))
            );
            let _ = writeln!(body, "<rect x=\"{x}\" y=\"{y}\" width=\"{SIDE_W}\" height=\"{sh}\" rx=\"8\"/>");
            let mut lines = vec![side.path.clone()];
            lines.extend(side.lines.iter().cloned());
            text(&mut body, x + PAD, y + PAD, &side.title, &lines, SIDE_CHARS, "id");
            body.push_str("</g>\n");
            width = width.max(x + SIDE_W + MARGIN);
        }
        if in_order {
            prev = Some(Box { y, h: stage_h });
        }
        y += row_h + GAP_Y;
    }
    if rows.is_empty() {
        let _ =
            writeln!(body, "<text x=\"{MARGIN}\" y=\"{}\">no stages: no pipeline or no run state</text>", MARGIN + 14);
        y += LINE_H + MARGIN;
    }
    let height = y.saturating_sub(GAP_Y) + MARGIN;
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"stages of the run\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\"/></marker></defs>"
    );
    h.push_str(&body);
    h.push_str("</svg>\n");
}

fn full(title: &str, lines: &[String]) -> String {
    let mut s = title.to_string();
    for l in lines {
        s.push('\n');
        s.push_str(l);
    }
    s
}

/// A bold first line and the others under it, each cut to `max` cells with `…`.
fn text(out: &mut String, x: usize, y: usize, title: &str, lines: &[String], max: usize, first_class: &str) {
    let _ = write!(out, "<text x=\"{x}\" y=\"{}\" class=\"{first_class}\">{}</text>", y + 13, escape(&cut(title, max)));
    for (i, l) in lines.iter().enumerate() {
        let cls = if l.contains('/') && !l.contains(' ') { " class=\"path\"" } else { "" };
        let _ = write!(out, "<text x=\"{x}\" y=\"{}\"{cls}>{}</text>", y + 13 + LINE_H * (i + 1), escape(&cut(l, max)));
    }
    out.push('\n');
}

/// `s` cut to `max` display cells (CJK and other wide characters take two), ending in `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    let width = |c: char| if crate::output::is_wide(c) { 2 } else { 1 };
    if s.chars().map(width).sum::<usize>() <= max {
        return s.to_string();
    }
    let mut cells = 0;
    let mut out = String::new();
    for c in s.chars() {
        if cells + width(c) > max.saturating_sub(1) {
            break;
        }
        cells += width(c);
        out.push(c);
    }
    out.push('…');
    out
}

fn blockers(h: &mut String, report: &Report) {
    let _ = writeln!(h, "<h2>Blockers ({})</h2>", report.blockers.len());
    if report.blockers.is_empty() {
        h.push_str("<p>Nothing blocks the run.</p>\n");
        return;
    }
    h.push_str("<table class=\"blockers\">\n<tr><th>class</th><th>code</th><th>subject</th><th>where</th><th>return to</th><th>next step</th></tr>\n");
    for b in &report.blockers {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"path\">{}</td><td class=\"path\">{}:{}</td><td>{}</td><td><code>{}</code><br><small>{}</small></td></tr>",
            escape(b.class),
            escape(b.code),
            escape(&b.subject),
            escape(&b.path),
            b.line,
            escape(b.return_to),
            escape(&b.next),
            escape(&b.message)
        );
    }
    h.push_str("</table>\n");
}

fn archived(h: &mut String, report: &Report) {
    let attempts: Vec<_> = report.stages.iter().flat_map(|s| s.archived.iter().map(move |a| (s, a))).collect();
    let _ = writeln!(h, "<h2>Archived attempts ({})</h2>", attempts.len());
    if attempts.is_empty() {
        h.push_str("<p>None.</p>\n");
    }
    for (s, a) in attempts {
        let _ = writeln!(
            h,
            "<h3>{} · attempt {} <span class=\"path\">{}</span></h3>\n<ul>",
            escape(&s.id),
            a.attempt,
            escape(&a.folder.path)
        );
        for f in &a.folder.files {
            let _ =
                writeln!(h, "<li class=\"path\">{} <small>(now {})</small></li>", escape(&f.path), escape(&f.current));
        }
        if a.folder.more > 0 {
            let _ = writeln!(h, "<li>… {} more files</li>", a.folder.more);
        }
        h.push_str("</ul>\n");
    }
    let quarantined: Vec<_> = report.stages.iter().filter_map(|s| s.quarantined.as_ref().map(|q| (s, q))).collect();
    if !quarantined.is_empty() {
        let _ = writeln!(h, "<h2>Quarantined files</h2>");
        for (s, q) in quarantined {
            let _ = writeln!(h, "<h3>{} <span class=\"path\">{}</span></h3>\n<ul>", escape(&s.id), escape(&q.path));
            for f in &q.files {
                let _ = writeln!(
                    h,
                    "<li class=\"path\">{} <small>(was {})</small></li>",
                    escape(&f.path),
                    escape(&f.current)
                );
            }
            if q.more > 0 {
                let _ = writeln!(h, "<li>… {} more files</li>", q.more);
            }
            h.push_str("</ul>\n");
        }
    }
}

fn all_stages(h: &mut String, report: &Report) {
    let open = if report.stages.len() <= 50 { " open" } else { "" };
    let _ = writeln!(
        h,
        "<details{open}><summary><h2 style=\"display:inline\">Every stage ({})</h2></summary>",
        report.stages.len()
    );
    h.push_str("<table class=\"stages\">\n<tr><th>#</th><th>stage</th><th>state</th><th>attempts</th><th>blockers</th><th>archived</th></tr>\n");
    for (i, s) in report.stages.iter().enumerate() {
        let attempts = s.attempts.map(|a| format!("{a} of {}", report.max_attempts)).unwrap_or_else(|| "-".into());
        let note = if s.in_pipeline { "" } else { " (not in the pipeline)" };
        let state =
            if s.state == StageState::Current { state_text(report, s) } else { s.state.as_str().replace('_', " ") };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code>{note}</td><td class=\"state {}\">{}</td><td>{attempts}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape(&s.id),
            class(s.state),
            escape(&state),
            s.blockers.len(),
            s.archived.len()
        );
    }
    h.push_str("</table>\n</details>\n");
}

/// HTML text and attribute escaping (`&`, `<`, `>`, `"`, `'`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn e_attr(s: &str) -> String {
    escape(&s.replace(char::is_whitespace, "_"))
}

#[cfg(test)]
mod tests {
    use super::{cut, escape};

    #[test]
    fn cut_counts_wide_characters_twice() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(cut("阶段阶段", 8), "阶段阶段");
        assert_eq!(cut("阶段阶段x", 8), "阶段阶…");
        assert_eq!(cut("", 3), "");
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(escape("a\u{1}b"), "a\u{FFFD}b");
    }
}
