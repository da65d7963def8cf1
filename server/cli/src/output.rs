//! Rendering findings as text (rustc style), JSON, SARIF 2.1.0 and GitHub annotations.
//!
//! Ranges are bytes inside the engine; here they become 0-based LSP positions
//! (UTF-16 columns) for JSON, and 1-based lines and UTF-16 columns for text,
//! SARIF and GitHub (so every format agrees with what an editor shows).
//!
//! Paths: findings hold root-relative paths. JSON keeps them and names the root;
//! text, GitHub and SARIF show them relative to the current directory (as ruff,
//! ESLint and actionlint do), so an annotation made from a repository's top lands
//! on `sub/factory/pipeline.yaml` when the factory root is `sub/factory`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use tollgate_engine::analysis::read_text;
use tollgate_engine::{Code, Finding, LineCol, LineIndex, PositionEncoding, Severity, TextRange};

/// Texts of the files findings point into, read once each, and how their paths are shown.
pub struct Sources<'a> {
    root: &'a Path,
    texts: HashMap<String, (Arc<str>, LineIndex)>,
    /// The current directory (canonical), what shown paths are relative to.
    base: PathBuf,
}

impl<'a> Sources<'a> {
    pub fn new(root: &'a Path) -> Self {
        let base = std::env::current_dir().and_then(std::fs::canonicalize).unwrap_or_else(|_| root.to_path_buf());
        Sources { root, texts: HashMap::new(), base }
    }

    /// `rel` (root-relative, `/`-separated) as seen from the current directory:
    /// `sub/factory/pipeline.yaml` from above the root, `sneaky.md` from `artifacts/prd/`.
    pub fn shown(&self, rel: &str) -> String {
        relative_path(&self.base, &self.root.join(rel))
    }

    /// The root itself, as `check` names it: its full path.
    pub fn root(&self) -> &Path {
        self.root
    }

    /// Adds a text the caller already holds (so it is not read again).
    pub fn insert(&mut self, path: &str, text: Arc<str>) {
        let index = LineIndex::new(&text);
        self.texts.insert(path.to_string(), (text, index));
    }

    fn get(&mut self, path: &str) -> &(Arc<str>, LineIndex) {
        if !self.texts.contains_key(path) {
            // A deleted or unreadable file has no text: positions then fall on 1:1.
            let text = read_text(self.root, path).ok().flatten().unwrap_or_else(|| Arc::from(""));
            self.insert(path, text);
        }
        &self.texts[path]
    }

    /// Start and end of `range` in `path`, 0-based, UTF-16 columns.
    pub fn positions(&mut self, path: &str, range: TextRange) -> (LineCol, LineCol) {
        let (text, index) = self.get(path);
        (
            index.position(text, range.start, PositionEncoding::Utf16),
            index.position(text, range.end, PositionEncoding::Utf16),
        )
    }

    /// The text of a 0-based line, without its ending.
    pub fn line(&mut self, path: &str, line: u32) -> String {
        let (text, index) = self.get(path);
        index.line_range(text, line).map(|r| r.slice(text).to_string()).unwrap_or_default()
    }
}

/// `target` as seen from the directory `base` (both absolute and canonical), `/`-separated:
/// `sub/factory/x`, `../x`, empty for `base` itself; the full path when they share nothing.
pub fn relative_path(base: &Path, target: &Path) -> String {
    let from: Vec<Component> = base.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

pub fn lsp_range(start: LineCol, end: LineCol) -> Value {
    json!({
        "start": {"line": start.line, "character": start.col},
        "end": {"line": end.line, "character": end.col},
    })
}

pub fn json(findings: &[Finding], sources: &mut Sources) -> String {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            let (start, end) = sources.positions(&f.path, d.range);
            json!({
                "code": d.code.as_str(),
                "severity": d.severity.as_str(),
                "message": d.message,
                "path": &*f.path,
                "range": lsp_range(start, end),
                "data": d.data,
            })
        })
        .collect();
    let root = sources.root().display().to_string();
    serde_json::to_string_pretty(&json!({"version": 1, "root": root, "findings": items})).unwrap_or_default()
}

/// rustc-style: the header, the location, the source line with the range marked;
/// first the root that was checked, last the counts.
pub fn text(findings: &[Finding], sources: &mut Sources) -> String {
    let mut out = format!("root: {}\n", sources.root().display());
    if !findings.is_empty() {
        out.push('\n');
    }
    for f in findings {
        let d = &f.diagnostic;
        let (start, end) = sources.positions(&f.path, d.range);
        let line = sources.line(&f.path, start.line);
        let gutter = (start.line + 1).to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!("{}[{}]: {}\n", d.severity.as_str(), d.code.as_str(), d.message));
        out.push_str(&format!("{pad}--> {}:{}:{}\n", sources.shown(&f.path), start.line + 1, start.col + 1));
        out.push_str(&format!("{pad} |\n{gutter} | {line}\n"));
        let line_units = line.encode_utf16().count() as u32;
        let last = if end.line == start.line { end.col } else { line_units };
        // Wide characters (CJK) take two cells: mark with one caret per display cell.
        let marked: String = String::from_utf16_lossy(
            &line
                .encode_utf16()
                .skip(start.col as usize)
                .take(last.saturating_sub(start.col) as usize)
                .collect::<Vec<_>>(),
        );
        let carets = marked.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum::<usize>().max(1);
        let lead: usize = String::from_utf16_lossy(&line.encode_utf16().take(start.col as usize).collect::<Vec<_>>())
            .chars()
            .map(|c| if is_wide(c) { 2 } else { 1 })
            .sum();
        out.push_str(&format!("{pad} | {}{}\n\n", " ".repeat(lead), "^".repeat(carets)));
    }
    out.push_str(&summary(findings));
    out.push('\n');
    out
}

/// `2 errors, 1 warning, 1 other finding`; `no findings` when there are none.
pub fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings".to_string();
    }
    let errors = findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).count();
    let warnings = findings.iter().filter(|f| f.diagnostic.severity == Severity::Warning).count();
    let others = findings.len() - errors - warnings;
    let n = |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    format!("{}, {}, {}", n(errors, "error"), n(warnings, "warning"), n(others, "other finding"))
}

/// Writes to stdout; a closed pipe (`tollgate check | head`) is not an error
/// worth a panic: the reader has what it wanted.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// GitHub workflow commands: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn github(findings: &[Finding], sources: &mut Sources) -> String {
    let mut out = String::new();
    for f in findings {
        let d = &f.diagnostic;
        let (start, end) = sources.positions(&f.path, d.range);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information | Severity::Hint => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&sources.shown(&f.path)),
            start.line + 1,
            start.col + 1,
            end.line + 1,
            end.col + 1,
            escape_property(&format!("tollgate {}", d.code.as_str())),
            escape_data(&d.message)
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn sarif(findings: &[Finding], sources: &mut Sources) -> String {
    use serde_sarif::sarif;
    let rules: Vec<sarif::ReportingDescriptor> = Code::ALL
        .iter()
        .map(|c| {
            sarif::ReportingDescriptor::builder()
                .id(c.as_str().to_string())
                .name(c.as_str().to_string())
                .short_description(sarif::MultiformatMessageString::builder().text(rule_summary(*c)).build())
                .default_configuration(
                    sarif::ReportingConfiguration::builder().level(json!(sarif_level(c.default_severity()))).build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = findings
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            let (start, end) = sources.positions(&f.path, d.range);
            let level = match d.severity {
                Severity::Error => sarif::ResultLevel::Error,
                Severity::Warning => sarif::ResultLevel::Warning,
                Severity::Information | Severity::Hint => sarif::ResultLevel::Note,
            };
            let region = sarif::Region::builder()
                .start_line(start.line as i64 + 1)
                .start_column(start.col as i64 + 1)
                .end_line(end.line as i64 + 1)
                .end_column(end.col as i64 + 1)
                .build();
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(
                            sarif::ArtifactLocation::builder()
                                .uri(percent_encode_path(&sources.shown(&f.path)))
                                .uri_base_id("%SRCROOT%".to_string())
                                .build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            let mut props = std::collections::BTreeMap::new();
            props.insert("data".to_string(), serde_json::to_value(&d.data).unwrap_or(Value::Null));
            sarif::Result::builder()
                .rule_id(d.code.as_str().to_string())
                .level(level)
                .message(sarif::Message::builder().text(d.message.clone()).build())
                .locations(vec![location])
                .properties(sarif::PropertyBag::builder().additional_properties(props).build())
                .build()
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("tollgate".to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri("https://github.com/tollgate-dev/tollgate".to_string())
        .rules(rules)
        .build();
    // Artifact URIs are relative to %SRCROOT%, the directory `check` ran in (GitHub code
    // scanning resolves them against the repository's top, where a workflow runs).
    let base_ids = std::collections::BTreeMap::from([(
        "%SRCROOT%".to_string(),
        sarif::ArtifactLocation::builder().uri(dir_uri(&sources.base)).build(),
    )]);
    // Columns are UTF-16 code units, as in LSP (and SARIF's default): said explicitly.
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .original_uri_base_ids(base_ids)
        .column_kind(json!("utf16CodeUnits"))
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json".to_string())
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// `file:///abs/dir/`: a directory's URI ends with `/`, so references resolve inside it.
fn dir_uri(dir: &Path) -> String {
    let mut path = dir.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", percent_encode_path(&path))
}

/// A SARIF artifact URI is a URI reference: keep `/`, escape what URIs cannot hold.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `check --list-codes`: every code, its default severity and blocker class, what it means.
pub fn codes(as_json: bool) -> String {
    let rows: Vec<[String; 4]> = Code::ALL
        .iter()
        .map(|c| {
            let class = c.blocker().class.as_str();
            [c.as_str().to_string(), c.default_severity().as_str().to_string(), class.to_string(), rule_summary(*c)]
        })
        .collect();
    if as_json {
        let items: Vec<Value> = rows
            .iter()
            .map(|[code, severity, class, description]| {
                json!({"code": code, "severity": severity, "class": class, "description": description})
            })
            .collect();
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"version": 1, "codes": items})).unwrap_or_default()
        );
    }
    let header = ["code", "severity", "class", "description"].map(String::from);
    let width = |i: usize| rows.iter().chain([&header]).map(|r| r[i].len()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [code, severity, class, description] in [&header].into_iter().chain(&rows) {
        out.push_str(&format!("{code:<w0$}  {severity:<w1$}  {class:<w2$}  {description}\n"));
    }
    out
}

fn rule_summary(code: Code) -> String {
    let s = match code {
        Code::YamlSyntax => "A YAML or JSON syntax error",
        Code::DuplicateKey => "A key repeated in one mapping",
        Code::UnknownKey => "A key the format does not know",
        Code::InvalidValue => "A value of the wrong type or outside its set",
        Code::MissingKey => "A required key is absent",
        Code::DuplicateStage => "A stage id used twice",
        Code::AgentNotFound => "A stage's agent file does not exist",
        Code::InputNotProduced => "An input no earlier stage outputs and that does not exist",
        Code::OutputOutsidePermissions => "An output outside the stage's write permissions",
        Code::MatrixUnknownStage => "A matrix row for no stage of the pipeline",
        Code::MatrixMissingStage => "A stage with no matrix row and no permissions",
        Code::MatrixMalformed => "A malformed capability matrix row or header",
        Code::StateUnknownStage => "The run state names a stage the pipeline lacks",
        Code::StateInconsistent => "The run state contradicts itself or the pipeline order",
        Code::MissingOutput => "A completed stage's outputs are missing on disk",
        Code::StageFailed => "A stage has failed",
        Code::RetryLimit => "A stage reached its retry limit: a person decides",
        Code::InvalidPattern => "A scope pattern that cannot be used",
        Code::AmbiguousPattern => "A slash-less wildcard whose depth is ambiguous",
        Code::MissingEvidence => "A user-sourced scope entry without its evidence record",
        Code::StaleScope => "The scope's base commit is not an ancestor of HEAD",
        Code::PermissionsWidened => "A stage's write permissions widened during a run",
        Code::UnauthorizedWrite => "A write outside the current stage's permissions",
        Code::OutOfScope => "An edit outside the retained scope",
        Code::DeletedOutput => "A completed stage's output was deleted",
        Code::StageSummary => "What the current stage wrote outside its bounds",
        Code::IneffectiveAgentRule => "A Claude Code path rule it never consults for file writes",
    };
    s.to_string()
}
