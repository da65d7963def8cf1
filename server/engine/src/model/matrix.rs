//! `policies/capability.matrix.md`: a Markdown table of stage, readable dirs,
//! writable dirs, notes (SPEC section 2).
//!
//! Only the first table with recognisable readable and writable columns is read;
//! prose, headings, fenced code and other tables are ignored. Ranges: a stage is
//! its trimmed cell, markup (`**`) included; a path is its code span, backticks
//! included (a path written without backticks: its trimmed text).

use super::{IdIndex, Loaded, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::pattern;
use tollgate_text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    pub rows: Vec<MatrixRow>,
    /// The first row of each stage id.
    ids: IdIndex,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixRow {
    /// The stage id without markup; `range` is the trimmed cell, markup (`**`) included.
    pub stage: Spanned<String>,
    pub read: Vec<Spanned<String>>,
    pub write: Vec<Spanned<String>>,
    /// The trimmed write cell (for edits that grant access).
    pub write_cell: TextRange,
    /// The whole row line, without its line ending.
    pub line: TextRange,
}

impl Matrix {
    pub fn new(rows: Vec<MatrixRow>) -> Self {
        let ids = IdIndex::build(rows.iter().map(|r| Some(r.stage.value.as_str())));
        Matrix { rows, ids }
    }

    pub fn row(&self, stage: &str) -> Option<&MatrixRow> {
        self.ids.get(stage).map(|i| &self.rows[i])
    }

    pub fn stage_ids(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|r| r.stage.value.as_str())
    }
}

/// Reads the capability matrix. The model is None when the text holds no usable
/// table (then a `matrix-malformed` finding says why, when there is text to put it on).
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Matrix> {
    let mut diagnostics = Vec::new();
    let model = parse(&text, &mut diagnostics);
    Loaded { path: path.to_string(), text, model, diagnostics }
}

/// One trimmed table cell.
#[derive(Clone, Copy, Debug)]
struct Cell<'a> {
    text: &'a str,
    start: usize,
}

impl Cell<'_> {
    fn range(&self) -> TextRange {
        range(self.start, self.start + self.text.len())
    }
}

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(start as u32, end as u32)
}

/// Lines with their start offsets, line endings (`\n`, `\r\n`, a lone `\r`) dropped.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            out.push((start, &text[start..i]));
            i += if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            start = i;
        } else {
            i += 1;
        }
    }
    if start < b.len() {
        out.push((start, &text[start..]));
    }
    out
}

/// Trims `s` (which starts at `at`) and returns the trimmed slice with its start.
fn trimmed(s: &str, at: usize) -> Cell<'_> {
    let t = s.trim_start();
    let start = at + (s.len() - t.len());
    Cell { text: t.trim_end(), start }
}

/// The cells of a table row (GFM: outer pipes optional, `\|` escapes a pipe),
/// in one pass over the line's bytes (`|` and `\` are ASCII, never part of a
/// longer UTF-8 sequence): a 5,000-row matrix is read on each edit of it.
fn split_row(at: usize, line: &str) -> Option<Vec<Cell<'_>>> {
    let mut cells = Vec::new();
    let (mut from, mut prev, mut pipes) = (0, 0u8, 0usize);
    for (i, &c) in line.as_bytes().iter().enumerate() {
        if c == b'|' && prev != b'\\' {
            let cell = trimmed(&line[from..i], at + from);
            // A leading pipe opens the row: the blank before it is no cell.
            if pipes > 0 || !cell.text.is_empty() {
                cells.push(cell);
            }
            pipes += 1;
            from = i + 1;
        }
        prev = c;
    }
    if pipes == 0 {
        return None;
    }
    // A trailing pipe closes it: the blank after it is no cell (`|` alone is one empty cell).
    let last = trimmed(&line[from..], at + from);
    if cells.is_empty() || !last.text.is_empty() {
        cells.push(last);
    }
    Some(cells)
}

fn is_separator(cells: &[Cell]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim_start_matches(':').trim_end_matches(':');
            !t.is_empty() && t.chars().all(|ch| ch == '-')
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Read,
    Write,
}

fn classify(header: &str) -> Option<Column> {
    let h = header.to_lowercase();
    let read = h.contains("read") || h.contains('读');
    let write = h.contains("writ") || h.contains('写');
    match (read, write) {
        (true, false) => Some(Column::Read),
        (false, true) => Some(Column::Write),
        _ => None,
    }
}

struct Table<'a> {
    header: Vec<Cell<'a>>,
    header_line: TextRange,
    rows: Vec<(TextRange, Vec<Cell<'a>>)>,
}

/// Every table of the text: a header row, a separator row, then rows until a
/// line that is blank or has no pipe. Fenced code blocks are skipped.
fn tables(text: &str) -> Vec<Table<'_>> {
    let lines = lines(text);
    let mut out = Vec::new();
    let mut fence = false;
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
            i += 1;
            continue;
        }
        let header = if fence { None } else { split_row(at, line) };
        let sep = lines.get(i + 1).and_then(|&(a, l)| split_row(a, l));
        let (Some(header), Some(sep)) = (header, sep) else {
            i += 1;
            continue;
        };
        if !is_separator(&sep) {
            i += 1;
            continue;
        }
        let trimmed_line = trimmed(line, at);
        let mut table = Table { header, header_line: trimmed_line.range(), rows: Vec::new() };
        i += 2;
        while let Some(&(a, l)) = lines.get(i) {
            if l.trim().is_empty() {
                break;
            }
            let Some(cells) = split_row(a, l) else { break };
            table.rows.push((range(a, a + l.len()), cells));
            i += 1;
        }
        out.push(table);
    }
    out
}

fn malformed(r: TextRange, message: String) -> Diagnostic {
    Diagnostic::new(Code::MatrixMalformed, r, message)
}

fn parse(text: &str, diags: &mut Vec<Diagnostic>) -> Option<Matrix> {
    let tables = tables(text);
    let found = tables.iter().find_map(|t| {
        let col = |want| t.header.iter().skip(1).position(|c| classify(c.text) == Some(want)).map(|p| p + 1);
        Some((t, col(Column::Read)?, col(Column::Write)?))
    });
    let Some((table, read_col, write_col)) = found else {
        let (r, what) = match tables.first() {
            Some(t) => (t.header_line, "its header has no recognisable readable and writable columns"),
            None => match lines(text).into_iter().find(|(_, l)| !l.trim().is_empty()) {
                Some((at, l)) => (trimmed(l, at).range(), "it holds no Markdown table"),
                None => return None,
            },
        };
        diags.push(malformed(
            r,
            format!(
                "the capability matrix cannot be read: {what} (expected a stage column, then columns such as \
                 `可读取目录` / `可写入目录` or `Readable` / `Writable`)"
            ),
        ));
        return None;
    };
    let width = table.header.len();
    let mut rows = Vec::new();
    for (line, cells) in &table.rows {
        if cells.len() != width {
            let r = trimmed(&text[line.start as usize..line.end as usize], line.start as usize).range();
            diags.push(malformed(r, format!("this row has {} cells, the header has {width}", cells.len())));
        }
        let Some(stage_cell) = cells.first() else { continue };
        let stage = strip_markup(stage_cell.text);
        // Without a stage or a write cell the row grants nothing we could name.
        let Some(write_cell) = cells.get(write_col) else { continue };
        if stage.is_empty() {
            continue;
        }
        let read = cells.get(read_col).map(|c| paths(c, stage, "readable", diags)).unwrap_or_default();
        let write = paths(write_cell, stage, "writable", diags);
        rows.push(MatrixRow {
            stage: Spanned::new(stage.to_string(), stage_cell.range()),
            read,
            write,
            write_cell: write_cell.range(),
            line: *line,
        });
    }
    Some(Matrix::new(rows))
}

/// `**code**`, `__code__`, `*code*`, `` `code` `` -> `code`.
fn strip_markup(cell: &str) -> &str {
    let mut s = cell.trim();
    for m in ["**", "__", "*", "`"] {
        if s.len() >= 2 * m.len() && s.starts_with(m) && s.ends_with(m) {
            s = s[m.len()..s.len() - m.len()].trim();
        }
    }
    s
}

fn is_none_word(s: &str) -> bool {
    matches!(s.trim(), "无" | "-" | "—" | "–" | "") || s.trim().eq_ignore_ascii_case("none")
}

/// Splits at top-level `,` / `，` / `、` (not inside a code span or `{...}`).
fn pieces<'a>(cell: &Cell<'a>) -> Vec<Cell<'a>> {
    let mut out = Vec::new();
    let (mut code, mut depth, mut from) = (false, 0usize, 0usize);
    for (i, c) in cell.text.char_indices() {
        match c {
            '`' => code = !code,
            '{' if !code => depth += 1,
            '}' if !code => depth = depth.saturating_sub(1),
            ',' | '，' | '、' if !code && depth == 0 => {
                out.push(trimmed(&cell.text[from..i], cell.start + from));
                from = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(trimmed(&cell.text[from..], cell.start + from));
    out
}

/// The code spans of a piece: (inner text, range including the backticks).
fn code_spans<'a>(piece: &Cell<'a>) -> Vec<(&'a str, TextRange)> {
    let mut out = Vec::new();
    let s = piece.text;
    let mut rest = 0;
    while let Some(open) = s[rest..].find('`').map(|o| rest + o) {
        let Some(close) = s[open + 1..].find('`').map(|c| open + 1 + c) else { break };
        out.push((s[open + 1..close].trim(), range(piece.start + open, piece.start + close + 1)));
        rest = close + 1;
    }
    out
}

/// The paths of a read or write cell; bad ones are reported and left out.
fn paths(cell: &Cell, stage: &str, column: &str, diags: &mut Vec<Diagnostic>) -> Vec<Spanned<String>> {
    if is_none_word(cell.text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for piece in pieces(cell) {
        if is_none_word(piece.text) {
            continue;
        }
        let spans = code_spans(&piece);
        if spans.is_empty() {
            found.push((piece.text, piece.range()));
        } else {
            found.extend(spans);
        }
    }
    let mut out = Vec::new();
    for (path, r) in found {
        match check_path(path) {
            Ok(()) => out.push(Spanned::new(path.to_string(), r)),
            Err(why) => {
                diags.push(malformed(r, format!("path `{path}` in the {column} column of row `{stage}`: {why}")))
            }
        }
    }
    out
}

/// A matrix path is relative to the factory root and stays inside it.
fn check_path(path: &str) -> Result<(), String> {
    let b = path.as_bytes();
    let absolute = path.starts_with(['/', '\\', '~']) || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':');
    if absolute {
        return Err("an absolute path is not allowed; paths are relative to the factory root".into());
    }
    pattern::check(path).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn at(text: &str, needle: &str) -> TextRange {
        let s = text.find(needle).unwrap_or_else(|| panic!("{needle} not in text"));
        range(s, s + needle.len())
    }

    fn load_str(text: &str) -> Loaded<Matrix> {
        load("policies/capability.matrix.md", Arc::from(text))
    }

    /// The splitting as it was written first (pipes found, then cells cut, then the
    /// outer ones dropped): the one-pass `split_row` must cut every line the same.
    fn split_row_reference(at: usize, line: &str) -> Option<Vec<Cell<'_>>> {
        let mut pipes = Vec::new();
        let mut prev = '\0';
        for (i, c) in line.char_indices() {
            if c == '|' && prev != '\\' {
                pipes.push(i);
            }
            prev = c;
        }
        if pipes.is_empty() {
            return None;
        }
        let mut bounds = vec![0];
        for &p in &pipes {
            bounds.push(p);
            bounds.push(p + 1);
        }
        bounds.push(line.len());
        let mut cells: Vec<Cell> = bounds.chunks(2).map(|b| trimmed(&line[b[0]..b[1]], at + b[0])).collect();
        if line.trim_start().starts_with('|') {
            cells.remove(0);
        }
        if cells.len() > 1 && line.trim_end().ends_with('|') && cells.last().is_some_and(|c| c.text.is_empty()) {
            cells.pop();
        }
        Some(cells)
    }

    #[test]
    fn one_pass_split_cuts_rows_as_the_reference_does() {
        fn cells(c: Option<Vec<Cell<'_>>>) -> Option<Vec<(&str, usize)>> {
            c.map(|v| v.iter().map(|c| (c.text, c.start)).collect())
        }
        let lines = [
            "| **code** | `artifacts/` | `artifacts/code/` | notes |",
            "code | a | b",
            "| a | b\\|",
            "\\| a | b |",
            "  |  初  | é |  ",
            "|",
            "||",
            "| |",
            "a|",
            "|a",
            "no pipe at all",
            "\u{3000}| 全角 |\u{3000}",
            "",
        ];
        for line in lines {
            assert_eq!(cells(split_row(7, line)), cells(split_row_reference(7, line)), "{line:?}");
        }
        // Every line of up to 5 characters over an alphabet of the characters that matter.
        let alphabet = ['|', '\\', ' ', 'a', '初', '\t', '`'];
        let mut line = String::new();
        let mut n = 0;
        fn each(alphabet: &[char], line: &mut String, depth: usize, f: &mut dyn FnMut(&str)) {
            f(line);
            if depth == 0 {
                return;
            }
            for &c in alphabet {
                line.push(c);
                each(alphabet, line, depth - 1, f);
                line.pop();
            }
        }
        each(&alphabet, &mut line, 5, &mut |l| {
            n += 1;
            assert_eq!(cells(split_row(3, l)), cells(split_row_reference(3, l)), "{l:?}");
        });
        assert_eq!(n, (0..=5).map(|k| 7usize.pow(k)).sum::<usize>());
        // What the cuts are: outer pipes dropped, an escaped pipe kept, offsets past the line's start.
        assert_eq!(cells(split_row(10, "| a | b\\|c |")), Some(vec![("a", 12), ("b\\|c", 16)]));
        assert_eq!(cells(split_row(0, "|")), Some(vec![("", 1)]));
        assert_eq!(cells(split_row(0, "a \\| b")), None);
    }

    #[test]
    fn english_table_with_plain_and_bold_stages() {
        let text = "Intro | not a table\n\n| Stage | Readable | Writable | Notes |\n|:--|---|---|--|\n| **code** | `src/`, `docs/` | `artifacts/backend/`，`artifacts/client/` | x |\n| prd | none | - | |\n";
        let l = load_str(text);
        assert_eq!(l.diagnostics, vec![]);
        let m = l.model.unwrap();
        assert_eq!(m.rows.len(), 2);
        let code = m.row("code").unwrap();
        assert_eq!(code.stage.range, at(text, "**code**"));
        assert_eq!(code.read.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(), ["src/", "docs/"]);
        assert_eq!(code.write[1].value, "artifacts/client/");
        assert_eq!(code.write[1].range, at(text, "`artifacts/client/`"));
        assert_eq!(code.write_cell, at(text, "`artifacts/backend/`，`artifacts/client/`"));
        let prd = m.row("prd").unwrap();
        assert!(prd.read.is_empty() && prd.write.is_empty());
        assert_eq!(prd.stage.range, at(text, "prd"));
        assert_eq!(prd.line, at(text, "| prd | none | - | |"));
    }

    #[test]
    fn cell_count_and_bad_paths_are_malformed() {
        let text = "| Agent | 可读取目录 | 可写入目录 | 说明 |\n| --- | --- | --- | --- |\n| **ui** | 无 | `../out/`, `/etc/`, `C:/x`, `ok/` | 多 | extra |\n| code | — | `a/` |\n";
        let l = load_str(text);
        let got: Vec<(Code, TextRange)> = l.diagnostics.iter().map(|d| (d.code, d.range)).collect();
        assert_eq!(
            got,
            vec![
                (Code::MatrixMalformed, at(text, "| **ui** | 无 | `../out/`, `/etc/`, `C:/x`, `ok/` | 多 | extra |")),
                (Code::MatrixMalformed, at(text, "`../out/`")),
                (Code::MatrixMalformed, at(text, "`/etc/`")),
                (Code::MatrixMalformed, at(text, "`C:/x`")),
                (Code::MatrixMalformed, at(text, "| code | — | `a/` |")),
            ]
        );
        assert_eq!(l.diagnostics[0].message, "this row has 5 cells, the header has 4");
        assert!(l.diagnostics[1]
            .message
            .starts_with("path `../out/` in the writable column of row `ui`: a `..` segment"));
        assert!(l.diagnostics.iter().all(|d| d.severity == crate::Severity::Error));
        let m = l.model.unwrap();
        assert_eq!(m.row("ui").unwrap().write.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(), ["ok/"]);
        assert_eq!(m.row("code").unwrap().write[0].value, "a/");
    }

    #[test]
    fn header_without_read_and_write_columns() {
        let text = "# Matrix\n\n| Stage | Owner |\n|---|---|\n| code | me |\n";
        let l = load_str(text);
        assert!(l.model.is_none());
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].range, at(text, "| Stage | Owner |"));
        let prose = load_str("\n  just words  \n");
        assert_eq!(prose.diagnostics[0].range, at("\n  just words  \n", "just words"));
        assert!(load_str("").diagnostics.is_empty());
    }

    #[test]
    fn later_table_and_fenced_tables() {
        let text = "```\n| Stage | Read | Write |\n|---|---|---|\n| fake | a/ | b/ |\n```\n\n| k | v |\n|-|-|\n| a | b |\n\n| Stage | Read | Write |\n|---|---|---|\n| real | `a/` | `src/{a,b}/` |\n";
        let l = load_str(text);
        assert_eq!(l.diagnostics, vec![]);
        let m = l.model.unwrap();
        assert_eq!(m.stage_ids().collect::<Vec<_>>(), ["real"]);
        assert_eq!(m.rows[0].write[0].value, "src/{a,b}/");
    }

    #[test]
    fn real_fixture() {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/agent-app-factory/policies/capability.matrix.md"
        );
        let text = std::fs::read_to_string(p).unwrap();
        let l = load_str(&text);
        assert_eq!(l.diagnostics, vec![]);
        let m = l.model.unwrap();
        let ids: Vec<&str> = m.stage_ids().collect();
        assert_eq!(ids, ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
        let vals = |v: &[Spanned<String>]| v.iter().map(|p| p.value.clone()).collect::<Vec<_>>();
        let bootstrap = m.row("bootstrap").unwrap();
        assert!(bootstrap.read.is_empty());
        assert_eq!(vals(&bootstrap.write), ["input/"]);
        assert_eq!(bootstrap.stage.range, at(&text, "**bootstrap**"));
        let tech = m.row("tech").unwrap();
        assert_eq!(vals(&tech.write), ["artifacts/tech/", "artifacts/backend/prisma/"]);
        let code = m.row("code").unwrap();
        assert_eq!(vals(&code.read), ["artifacts/ui/", "artifacts/tech/", "artifacts/backend/prisma/"]);
        assert_eq!(vals(&code.write), ["artifacts/backend/", "artifacts/client/"]);
        let validation = m.row("validation").unwrap();
        assert_eq!(vals(&validation.read), ["artifacts/backend/", "artifacts/client/"]);
        assert_eq!(vals(&validation.write), ["artifacts/validation/"]);
        let w = &validation.write[0];
        assert_eq!(w.range.slice(&text), "`artifacts/validation/`");
        assert_eq!(validation.write_cell.slice(&text), "`artifacts/validation/`");
        assert_eq!(vals(&m.row("preview").unwrap().write), ["artifacts/preview/"]);
        assert_eq!(vals(&m.row("ui").unwrap().read), ["artifacts/prd/"]);
        assert_eq!(vals(&m.row("prd").unwrap().write), ["artifacts/prd/"]);
        // Byte offsets past CJK text: line 6 (0-based 5) is the first row.
        let idx = tollgate_text::LineIndex::new(&text);
        let pos = idx.position(&text, bootstrap.stage.range.start, tollgate_text::PositionEncoding::Utf16);
        assert_eq!((pos.line, pos.col), (6, 2));
    }
}
