//! `pipeline.yaml`: stages in order (SPEC section 2).

use std::sync::Arc;

use super::schema::{first_key, head, item_range, line_of, Reader};
use super::{IdIndex, Loaded, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use tollgate_text::TextRange;
use tollgate_yaml::{Limits, Node, NodeKind};

pub const DEFAULT_MAX_ATTEMPTS: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `pipeline.max_attempts`, default 2 (one automatic retry).
    pub max_attempts: u32,
    pub max_attempts_range: Option<TextRange>,
    pub stages: Vec<Stage>,
    /// The first stage of each id: kept by `reindex` whenever stages change.
    ids: IdIndex,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The `-` item's first key: where a missing key of this stage is reported.
    pub anchor: TextRange,
    /// The whole item.
    pub range: TextRange,
    pub id: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub agent: Option<Spanned<String>>,
    pub inputs: Vec<Spanned<String>>,
    pub outputs: Vec<Spanned<String>>,
    pub exit_criteria: Vec<Spanned<String>>,
    pub on_failure: Option<OnFailure>,
    pub permissions: Option<Permissions>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnFailure {
    pub action: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
}

/// Per-stage `permissions: {read: [...], write: [...]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// The `permissions` key.
    pub key: TextRange,
    pub read: Vec<Spanned<String>>,
    /// None when `write` is absent (the matrix row then applies).
    pub write: Option<Vec<Spanned<String>>>,
    /// The `write` value node (the list), for edits that append to it.
    pub write_range: Option<TextRange>,
}

impl Pipeline {
    /// A pipeline of these stages, with the default `max_attempts`.
    pub fn new(stages: Vec<Stage>) -> Self {
        let mut p =
            Pipeline { max_attempts: DEFAULT_MAX_ATTEMPTS, max_attempts_range: None, stages, ids: IdIndex::default() };
        p.reindex();
        p
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stage_index(id).map(|i| &self.stages[i])
    }

    /// The first stage with this id.
    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.ids.get(id)
    }

    /// Rebuilds the id index after `stages` changed.
    pub fn reindex(&mut self) {
        self.ids = IdIndex::build(self.stages.iter().map(|s| s.id.as_ref().map(|i| i.value.as_str())));
    }

    pub fn stage_ids(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().filter_map(|s| s.id.as_ref().map(|i| i.value.as_str()))
    }
}

const TOP_KEYS: &[&str] = &["version", "pipeline", "stages"];
const PIPELINE_KEYS: &[&str] = &["name", "mode", "max_attempts"];
const STAGE_KEYS: &[&str] =
    &["id", "description", "agent", "inputs", "outputs", "exit_criteria", "on_failure", "permissions"];
const ON_FAILURE_KEYS: &[&str] = &["action", "message"];
pub const ON_FAILURE_ACTIONS: &[&str] = &["pause", "retry", "rollback"];
const PERMISSION_KEYS: &[&str] = &["read", "write"];
const STAGE_REQUIRED: &[&str] = &["id", "agent", "outputs"];

/// Reads `pipeline.yaml`.
pub fn load(path: &str, text: Arc<str>) -> Loaded<Pipeline> {
    load_with_layout(path, text).0
}

/// Reads `pipeline.yaml` and, when its stages are a block list, where each stage item
/// lies and which findings came from it: what [`plan`] needs to re-read one item alone.
pub fn load_with_layout(path: &str, text: Arc<str>) -> (Loaded<Pipeline>, Option<Layout>) {
    let (mut r, root) = Reader::open(&text, "`pipeline.yaml`");
    let Some(root) = root else {
        let diagnostics = r.diags;
        return (Loaded { path: path.to_string(), text, model: None, diagnostics }, None);
    };
    // Only duplicate keys so far (a syntax error leaves no root).
    let opened = std::mem::take(&mut r.diags);
    let mut items = Vec::new();
    let model = read_pipeline(&mut r, &root, &mut items);
    let read = std::mem::take(&mut r.diags);
    let mut layout = Layout::new(&text, &root, &items);
    let diagnostics = match &mut layout {
        // Duplicate keys inside an item go with that item's findings, so that each
        // item's findings are one contiguous run, as a re-read of the item alone gives.
        Some(layout) => layout.arrange(opened, read, &items),
        None => opened.into_iter().chain(read).collect(),
    };
    // Without its list of stages there is nothing to check the other files against:
    // no model (the last good one keeps serving in the editor), so that the state's
    // and the matrix's every stage name does not follow as a finding of its own.
    let model = root.get("stages").is_some().then_some(model);
    (Loaded { path: path.to_string(), text, model, diagnostics }, layout)
}

/// How one stage item was read: its node and the run of findings it gave.
struct ItemRead<'n> {
    node: &'n Node,
    diags: std::ops::Range<usize>,
    is_stage: bool,
}

fn read_pipeline<'n>(r: &mut Reader, root: &'n Node, items: &mut Vec<ItemRead<'n>>) -> Pipeline {
    r.unknown_keys(root, TOP_KEYS, "the top level of `pipeline.yaml`");
    let mut p = Pipeline::new(Vec::new());
    if let Some(v) = root.get("version") {
        if v.as_scalar().is_none() {
            r.push(
                Code::InvalidValue,
                head(r.text, v.range),
                format!("`version` must be a number or a string, found {}", v.kind_name()),
            );
        }
    }
    if let Some(meta) = root.get("pipeline").and_then(|n| r.mapping(n, "pipeline")) {
        r.unknown_keys(meta, PIPELINE_KEYS, "`pipeline`");
        for (k, v) in meta.as_map().unwrap_or_default() {
            match k.as_str() {
                Some(key @ ("name" | "mode")) => {
                    r.string(v, &format!("pipeline.{key}"), true, k.range);
                }
                Some("max_attempts") => {
                    if let Some(n) = r.int(v, "pipeline.max_attempts", 1) {
                        p.max_attempts = u32::try_from(n.value).unwrap_or(u32::MAX);
                        p.max_attempts_range = Some(n.range);
                    }
                }
                _ => {}
            }
        }
    }
    match root.get_entry("stages") {
        Some((_, list)) => {
            for item in r.list(list, "stages") {
                let from = r.diags.len();
                let stage = read_stage(r, item, p.stages.len() + 1);
                items.push(ItemRead { node: item, diags: from..r.diags.len(), is_stage: stage.is_some() });
                p.stages.extend(stage);
            }
        }
        // A misspelt `stages:` already has its unknown-key "did you mean `stages`": one
        // finding says it all.
        None if r.diags.iter().any(|d| d.code == Code::UnknownKey && d.message.contains("did you mean `stages`")) => {}
        None => {
            let at = first_key(r.text, root);
            r.push(
                Code::MissingKey,
                at,
                "`pipeline.yaml` is missing the required key `stages` (the list of stages, in order)".into(),
            );
        }
    }
    p.reindex();
    p
}

fn read_stage(r: &mut Reader, item: &Node, number: usize) -> Option<Stage> {
    let Some(map) = item.as_map() else {
        r.push(
            Code::InvalidValue,
            head(r.text, item.range),
            format!("stage #{number} must be a mapping with `id`, `agent` and `outputs`, found {}", item.kind_name()),
        );
        return None;
    };
    let anchor = first_key(r.text, item);
    let mut s = Stage {
        anchor,
        range: item_range(r.text, item),
        id: None,
        description: None,
        agent: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        exit_criteria: Vec::new(),
        on_failure: None,
        permissions: None,
    };
    if let Some((k, v)) = item.get_entry("id") {
        s.id = r.string(v, "id", false, k.range);
    }
    let place = match &s.id {
        Some(id) => format!("stage `{}`", id.value),
        None => format!("stage #{number}"),
    };
    r.unknown_keys(item, STAGE_KEYS, &place);
    r.required(item, STAGE_REQUIRED, anchor, &place);
    for (k, v) in map {
        match k.as_str().unwrap_or_default() {
            "description" => s.description = r.string(v, "description", true, k.range),
            "agent" => s.agent = r.string(v, "agent", false, k.range),
            "inputs" => s.inputs = r.strings(v, "inputs"),
            "outputs" => s.outputs = r.strings(v, "outputs"),
            "exit_criteria" => s.exit_criteria = r.strings(v, "exit_criteria"),
            "on_failure" => s.on_failure = read_on_failure(r, v),
            "permissions" => s.permissions = read_permissions(r, k, v),
            _ => {}
        }
    }
    Some(s)
}

fn read_on_failure(r: &mut Reader, node: &Node) -> Option<OnFailure> {
    let map = r.mapping(node, "on_failure")?;
    r.unknown_keys(map, ON_FAILURE_KEYS, "`on_failure`");
    let mut f = OnFailure { action: None, message: None };
    if let Some((k, v)) = map.get_entry("action") {
        f.action = r.one_of(v, "on_failure.action", ON_FAILURE_ACTIONS, k.range);
    }
    if let Some((k, v)) = map.get_entry("message") {
        f.message = r.string(v, "on_failure.message", true, k.range);
    }
    Some(f)
}

fn read_permissions(r: &mut Reader, key: &Node, node: &Node) -> Option<Permissions> {
    let map = r.mapping(node, "permissions")?;
    r.unknown_keys(map, PERMISSION_KEYS, "`permissions`");
    let mut p = Permissions { key: key.range, read: Vec::new(), write: None, write_range: None };
    if let Some(v) = map.get("read") {
        p.read = r.strings(v, "permissions.read");
    }
    if let Some(v) = map.get("write") {
        p.write = Some(r.strings(v, "permissions.write"));
        p.write_range = Some(v.range);
    }
    Some(p)
}

// ----- incremental re-reading -------------------------------------------------
//
// A keystroke inside one stage item of a block `stages:` list changes nothing but
// that item: `plan` finds the item around the change, checks that the item's
// bounds still hold, parses the item's lines alone (an indented block sequence with
// one item) and reads that one stage; `apply` puts it in place and shifts every
// later range by the length change. Anything else is left to a full `load`. The
// result is exactly what `load_with_layout` gives for the new text.

/// Where each stage item of a loaded `pipeline.yaml` lies, and which of the
/// file's findings came from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Findings before the items' runs: duplicate keys outside items, then the top level's.
    head: usize,
    /// The column of the items' `-`.
    indent: u32,
    items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    /// From the start of the `-` line to the start of the next item's line (or, for
    /// the last item, of the first later line at or left of the `-`; else the text's end).
    start: u32,
    end: u32,
    dash: u32,
    /// How many findings the item gave (a contiguous run after the head's).
    diags: usize,
    /// Did it give a stage (a mapping)?
    is_stage: bool,
}

/// The re-read of one item, ready to put in place.
#[derive(Debug)]
pub struct Plan {
    /// None: the text did not change at all.
    item: Option<usize>,
    stage: Option<Stage>,
    diags: Vec<Diagnostic>,
    delta: i64,
}

/// Spaces at the line's start, and whether the line is blank or only a comment.
fn line_shape(line: &[u8]) -> (usize, bool) {
    let spaces = line.iter().take_while(|b| **b == b' ').count();
    let rest = line[spaces..].iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    let quiet = match rest {
        None => true,
        Some(i) => line[spaces + i] == b'#',
    };
    (spaces, quiet)
}

fn line_start(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
}

/// Does the span hold something that may tie it to the rest of the file or that a
/// line scan would misread: an anchor or alias token, a lone CR (a line break to
/// YAML), a byte order mark?
fn entangled(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'&' | b'*' => {
            let token_start = i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',');
            let named =
                bytes.get(i + 1).is_some_and(|n| !matches!(n, b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}'));
            token_start && named
        }
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        0xEF => bytes.get(i + 1..i + 3) == Some(&[0xBB, 0xBF][..]),
        _ => false,
    })
}

impl Layout {
    fn new(text: &str, root: &Node, items: &[ItemRead]) -> Option<Layout> {
        let bytes = text.as_bytes();
        let (_, list) = root.get_entry("stages")?;
        if !matches!(list.kind, NodeKind::Seq(_)) || bytes.get(list.range.start as usize) != Some(&b'-') {
            return None;
        }
        let mut out: Vec<Item> = Vec::with_capacity(items.len());
        let mut indent = None;
        for it in items {
            let dash = item_range(text, it.node).start as usize;
            if bytes.get(dash) != Some(&b'-') {
                return None;
            }
            let start = line_start(bytes, dash);
            if bytes[start..dash].iter().any(|b| *b != b' ') || *indent.get_or_insert(dash - start) != dash - start {
                return None;
            }
            if let Some(prev) = out.last_mut() {
                prev.end = start as u32;
            }
            let diags = it.diags.len();
            out.push(Item { start: start as u32, end: 0, dash: dash as u32, diags, is_stage: it.is_stage });
        }
        let indent = indent?;
        // The last item runs to the first later line with content at or left of its `-`.
        let last = items.last()?;
        let mut pos = (last.node.range.end as usize).max(out.last()?.dash as usize + 1);
        pos = bytes[pos..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| pos + i + 1);
        while pos < bytes.len() {
            let eol = bytes[pos..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| pos + i + 1);
            let (spaces, quiet) = line_shape(&bytes[pos..eol]);
            if !quiet && spaces <= indent {
                break;
            }
            pos = eol;
        }
        out.last_mut()?.end = pos as u32;
        Some(Layout { head: 0, indent: indent as u32, items: out })
    }

    /// The file's findings in layout order (the head's, then each item's run), and
    /// the runs' lengths recorded.
    fn arrange(&mut self, opened: Vec<Diagnostic>, read: Vec<Diagnostic>, items: &[ItemRead]) -> Vec<Diagnostic> {
        // Which item each duplicate key lies in (items are sorted by start).
        let mut per_item: Vec<Vec<Diagnostic>> = vec![Vec::new(); self.items.len()];
        let mut out = Vec::with_capacity(opened.len() + read.len());
        for d in opened {
            let i = self.items.partition_point(|it| it.start <= d.range.start);
            match i.checked_sub(1).filter(|&i| d.range.start < self.items[i].end) {
                Some(i) => per_item[i].push(d),
                None => out.push(d),
            }
        }
        let first_item = items.first().map_or(read.len(), |it| it.diags.start);
        let mut read = read.into_iter();
        out.extend(read.by_ref().take(first_item));
        self.head = out.len();
        for ((it, dups), slot) in items.iter().zip(per_item).zip(&mut self.items) {
            slot.diags = dups.len() + it.diags.len();
            out.extend(dups);
            out.extend(read.by_ref().take(it.diags.len()));
        }
        // read_pipeline reports nothing after the items.
        debug_assert!(read.len() == 0);
        out.extend(read);
        out
    }
}

/// Plans re-reading only the stage item that an edit from `old` to `new` falls in.
/// None when it cannot be done exactly that way: a full `load` is needed.
pub fn plan(old: &str, layout: &Layout, new: &str) -> Option<Plan> {
    let (o, n) = (old.as_bytes(), new.as_bytes());
    let p = common_prefix(o, n);
    if p == o.len() && p == n.len() {
        return Some(Plan { item: None, stage: None, diags: Vec::new(), delta: 0 });
    }
    let s = common_suffix(&o[p..], &n[p..]);
    let (old_end, new_end) = (o.len() - s, n.len() - s);
    let delta = n.len() as i64 - o.len() as i64;

    let items = &layout.items;
    let mut i = items.partition_point(|it| it.start as usize <= p).checked_sub(1)?;
    if p < items[i].dash as usize + 2 && p == items[i].start as usize && old_end == p && i > 0 {
        // An insertion right at an item's line start belongs to the item before.
        i -= 1;
    }
    let item = &items[i];
    let (start, end) = (item.start as usize, item.end as usize);
    if p < item.dash as usize + 2 || p < start || old_end > end || !item.is_stage {
        return None;
    }
    let new_item_end = usize::try_from(end as i64 + delta).ok()?;
    if new_item_end < new_end || (new_item_end < n.len() && n[new_item_end - 1] != b'\n') {
        return None;
    }
    // The item's lines after its first stay right of its `-` (blank and comment lines aside).
    let span = &n[start..new_item_end];
    let indent = layout.indent as usize;
    let mut lines = span.split(|b| *b == b'\n');
    lines.next();
    if lines.any(|line| {
        let (spaces, quiet) = line_shape(line);
        !quiet && spaces <= indent
    }) {
        return None;
    }
    if entangled(span) || entangled(&o[start..end]) {
        return None;
    }
    // Duplicate-key messages name a line: a later one would need a new message.
    let lines_moved =
        o[p..old_end].iter().filter(|b| **b == b'\n').count() != n[p..new_end].iter().filter(|b| **b == b'\n').count();
    if lines_moved {
        return None;
    }

    // Parse the item alone: an indented block sequence with one item. In the file
    // it sits one level deeper (under the top-level mapping).
    let limits = Limits { max_depth: Limits::default().max_depth - 1, ..Limits::default() };
    let parsed = tollgate_yaml::parse(&new[start..new_item_end], &limits);
    if !parsed.errors.is_empty() {
        return None;
    }
    let mut root = parsed.root?;
    shift_node(&mut root, start as i64);
    let NodeKind::Seq(nodes) = &root.kind else { return None };
    let [node] = nodes.as_slice() else { return None };
    if node.as_map().is_none() || item_range(new, node).start != item.dash {
        return None;
    }
    let mut r = Reader { text: new, diags: Vec::new() };
    for d in &parsed.duplicate_keys {
        let (range, first) = (shift_range(d.range, start as i64), shift_range(d.first, start as i64));
        let line = line_of(new, first.start);
        r.diags.push(Diagnostic::new(
            Code::DuplicateKey,
            range,
            format!("key `{}` is repeated in this mapping (first on line {line}); keys must be unique and the first one counts", d.key),
        ));
    }
    let number = items[..i].iter().filter(|it| it.is_stage).count() + 1;
    let stage = read_stage(&mut r, node, number)?;
    Some(Plan { item: Some(i), stage: Some(stage), diags: r.diags, delta })
}

/// Puts a planned re-read in place: `loaded` and `layout` become what a full load of `new` gives.
pub fn apply(plan: Plan, loaded: &mut Loaded<Pipeline>, layout: &mut Layout, new: Arc<str>) -> Option<StageEdit> {
    loaded.text = new;
    let i = plan.item?;
    let start = layout.items[i].start;
    let delta = plan.delta;
    let old_end = layout.items[i].end;
    // Findings: the head's after the list, the item's run, every later run.
    let run_start = layout.head + layout.items[..i].iter().map(|it| it.diags).sum::<usize>();
    let run_end = run_start + layout.items[i].diags;
    for d in loaded.diagnostics[..layout.head].iter_mut() {
        if d.range.start >= old_end {
            d.range = shift_range(d.range, delta);
        }
    }
    for d in loaded.diagnostics[run_end..].iter_mut() {
        d.range = shift_range(d.range, delta);
    }
    layout.items[i].diags = plan.diags.len();
    loaded.diagnostics.splice(run_start..run_end, plan.diags);
    // The model.
    let mut edit = None;
    if let Some(p) = loaded.model.as_mut() {
        if let Some(r) = p.max_attempts_range.as_mut() {
            if r.start >= old_end {
                *r = shift_range(*r, delta);
            }
        }
        let j = layout.items[..i].iter().filter(|it| it.is_stage).count();
        if let Some(stage) = plan.stage {
            let old = std::mem::replace(&mut p.stages[j], stage);
            if old.id.as_ref().map(|i| &i.value) != p.stages[j].id.as_ref().map(|i| &i.value) {
                p.reindex();
            }
            edit = Some(StageEdit { stage: j, old, start, old_end, delta });
        }
        for s in &mut p.stages[j + 1..] {
            s.shift(delta);
        }
    }
    layout.items[i].end = shift(layout.items[i].end, delta);
    for it in &mut layout.items[i + 1..] {
        it.start = shift(it.start, delta);
        it.end = shift(it.end, delta);
        it.dash = shift(it.dash, delta);
    }
    edit
}

/// What `apply` changed: one stage, re-read in place. Everything of the old text
/// at or after `old_end` moved by `delta`; nothing before `start` moved.
#[derive(Clone, Debug)]
pub struct StageEdit {
    /// Index in `Pipeline::stages`.
    pub stage: usize,
    /// The stage as it was.
    pub old: Stage,
    /// The item's bytes in the old text.
    pub start: u32,
    pub old_end: u32,
    pub delta: i64,
}

impl StageEdit {
    /// What changed of what other stages' and files' checks read of this stage;
    /// None when whether it has `permissions.write` changed (that gates a check of
    /// every stage).
    pub fn changed_facets(&self, new: &Stage) -> Option<Facets> {
        fn same_list(a: &[Spanned<String>], b: &[Spanned<String>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value == y.value)
        }
        let old = &self.old;
        let (ow, nw) = (old.permissions.as_ref(), new.permissions.as_ref());
        let has_write = |p: Option<&Permissions>| p.is_some_and(|p| p.write.is_some());
        if has_write(ow) != has_write(nw) {
            return None;
        }
        let permissions = match (ow, nw) {
            (None, None) => false,
            (Some(a), Some(b)) => {
                !same_list(&a.read, &b.read)
                    || !match (&a.write, &b.write) {
                        (None, None) => true,
                        (Some(x), Some(y)) => same_list(x, y),
                        _ => false,
                    }
            }
            _ => true,
        };
        let id = old.id.as_ref().map(|i| &i.value) != new.id.as_ref().map(|i| &i.value);
        let outputs = !same_list(&old.outputs, &new.outputs);
        Some(Facets { id, outputs, permissions, files: id || outputs })
    }
}

/// Which parts of an edited stage that other stages or files depend on changed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Facets {
    pub id: bool,
    pub outputs: bool,
    pub permissions: bool,
    /// Findings of other files (state, matrix) may change: they read ids and outputs.
    pub files: bool,
}

/// Length of the common prefix: whole blocks compared with `==` (memcmp), then bytes.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let min = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= min && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..min].iter().zip(&b[at..min]).position(|(x, y)| x != y).unwrap_or(min - at)
}

/// Length of the common suffix, the same way from the ends.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let min = a.len().min(b.len());
    let (mut ea, mut eb, mut n) = (a.len(), b.len(), 0);
    while n + BLOCK <= min && a[ea - BLOCK..ea] == b[eb - BLOCK..eb] {
        (ea, eb, n) = (ea - BLOCK, eb - BLOCK, n + BLOCK);
    }
    n + a[..ea].iter().rev().zip(b[..eb].iter().rev()).position(|(x, y)| x != y).unwrap_or(min - n)
}

fn shift(v: u32, delta: i64) -> u32 {
    u32::try_from(i64::from(v) + delta).unwrap_or(0)
}

fn shift_range(r: TextRange, delta: i64) -> TextRange {
    TextRange { start: shift(r.start, delta), end: shift(r.end, delta) }
}

fn shift_node(node: &mut Node, delta: i64) {
    node.range = shift_range(node.range, delta);
    match &mut node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| shift_node(n, delta)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift_node(k, delta);
            shift_node(v, delta);
        }),
    }
}

fn shift_all(list: &mut [Spanned<String>], delta: i64) {
    list.iter_mut().for_each(|s| s.range = shift_range(s.range, delta));
}

fn shift_opt<T>(s: &mut Option<Spanned<T>>, delta: i64) {
    if let Some(s) = s {
        s.range = shift_range(s.range, delta);
    }
}

impl Stage {
    /// Moves every range of the stage by `delta` bytes.
    fn shift(&mut self, delta: i64) {
        self.anchor = shift_range(self.anchor, delta);
        self.range = shift_range(self.range, delta);
        shift_opt(&mut self.id, delta);
        shift_opt(&mut self.description, delta);
        shift_opt(&mut self.agent, delta);
        shift_all(&mut self.inputs, delta);
        shift_all(&mut self.outputs, delta);
        shift_all(&mut self.exit_criteria, delta);
        if let Some(f) = &mut self.on_failure {
            shift_opt(&mut f.action, delta);
            shift_opt(&mut f.message, delta);
        }
        if let Some(p) = &mut self.permissions {
            p.key = shift_range(p.key, delta);
            shift_all(&mut p.read, delta);
            if let Some(w) = &mut p.write {
                shift_all(w, delta);
            }
            p.write_range = p.write_range.map(|r| shift_range(r, delta));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    fn at(text: &str, r: TextRange) -> &str {
        &text[r.start as usize..r.end as usize]
    }

    fn codes(l: &Loaded<Pipeline>) -> Vec<&'static str> {
        l.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn reads_the_real_fixture_cleanly() {
        let text = include_str!("../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
        let l = load("pipeline.yaml", text.into());
        assert_eq!(codes(&l), Vec::<&str>::new());
        let p = l.model.expect("model");
        assert_eq!(p.max_attempts, 2);
        let ids: Vec<&str> = p.stage_ids().collect();
        assert_eq!(ids, ["bootstrap", "prd", "ui", "tech", "code", "validation", "preview"]);
        let v = p.stage("validation").expect("validation");
        assert_eq!(at(text, v.anchor), "id");
        assert!(at(text, v.range).starts_with("- id: validation\n"));
        assert!(at(text, v.range).trim_end().ends_with("了解详情\""));
        let outs: Vec<&str> = v.outputs.iter().map(|o| at(text, o.range)).collect();
        assert_eq!(outs, ["artifacts/validation/report.md", "artifacts/backend/", "artifacts/client/"]);
        let action = v.on_failure.as_ref().and_then(|f| f.action.as_ref()).expect("action");
        assert_eq!((action.value.as_str(), at(text, action.range)), ("pause", "pause"));
        assert_eq!(at(text, p.stages[0].agent.as_ref().expect("agent").range), "agents/bootstrap.agent.md");
        assert!(p.stages[0].inputs.is_empty());
        assert_eq!(p.stages[0].exit_criteria.len(), 3);
        assert!(p.stages[1].description.as_ref().expect("description").value.starts_with("将产品想法"));
    }

    #[test]
    fn wrong_enum_value_names_value_set_and_hint() {
        let text = "stages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n    on_failure:\n      action: \"retyr\"\n";
        let l = load("pipeline.yaml", text.into());
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        let d = &l.diagnostics[0];
        assert_eq!((d.code, d.severity), (Code::InvalidValue, Severity::Error));
        assert_eq!(at(text, d.range), "\"retyr\"");
        assert!(d.message.contains("`retyr`") && d.message.contains("`pause`, `retry`, `rollback`"), "{}", d.message);
        assert!(d.message.contains("did you mean `retry`"), "{}", d.message);
        // Best effort: the model keeps the value.
        let p = l.model.expect("model");
        assert_eq!(
            p.stages[0].on_failure.as_ref().and_then(|f| f.action.as_ref()).map(|a| a.value.as_str()),
            Some("retyr")
        );
    }

    #[test]
    fn missing_and_unknown_keys() {
        let text = "version: 1\nstages:\n  - description: no id\n    agnet: a.md\n";
        let l = load("pipeline.yaml", text.into());
        let mut found: Vec<(&str, &str, Severity)> =
            l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range), d.severity)).collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("missing-key", "description", Severity::Error),
                ("missing-key", "description", Severity::Error),
                ("missing-key", "description", Severity::Error),
                ("unknown-key", "agnet", Severity::Warning),
            ]
        );
        let unknown = l.diagnostics.iter().find(|d| d.code == Code::UnknownKey).expect("unknown");
        assert!(unknown.message.contains("did you mean `agent`"), "{}", unknown.message);
        assert!(l.diagnostics.iter().any(|d| d.message.contains("stage #1 is missing the required key `outputs`")));
        let p = l.model.expect("model");
        assert_eq!(at(text, p.stages[0].range), "- description: no id\n    agnet: a.md");
    }

    #[test]
    fn wrong_types_max_attempts_and_permissions() {
        let text = "pipeline:\n  max_attempts: 3\nstages:\n  - id: a\n    agent: {x: 1}\n    outputs: out.md\n    permissions:\n      write: [\"artifacts/a/\"]\n";
        let l = load("pipeline.yaml", text.into());
        let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
        assert_eq!(found, [("invalid-value", "{x: 1}"), ("invalid-value", "out.md")]);
        assert!(l.diagnostics[0].message.contains("`agent` must be a string, found a mapping"));
        let p = l.model.expect("model");
        assert_eq!(p.max_attempts, 3);
        assert_eq!(at(text, p.max_attempts_range.expect("range")), "3");
        let perms = p.stages[0].permissions.as_ref().expect("permissions");
        assert_eq!(at(text, perms.key), "permissions");
        assert_eq!(at(text, perms.write_range.expect("write range")), "[\"artifacts/a/\"]");
        assert_eq!(perms.write.as_ref().map(|w| w[0].value.as_str()), Some("artifacts/a/"));
        assert_eq!(p.stages[0].outputs.len(), 1, "a lone scalar is still read");
    }

    #[test]
    fn ranges_are_exact_after_cjk_text() {
        let text = "stages:\n  - id: 验证 # 注释\n    description: 验证代码质量 🚀\n    agent: a.md\n    outputs: [报告.md]\n    on_failure: {action: 暂停, mesage: 失败}\n";
        let l = load("pipeline.yaml", text.into());
        let found: Vec<(&str, &str)> = l.diagnostics.iter().map(|d| (d.code.as_str(), at(text, d.range))).collect();
        assert_eq!(found, [("unknown-key", "mesage"), ("invalid-value", "暂停")]);
        assert!(l.diagnostics[0].message.contains("did you mean `message`"));
        let p = l.model.expect("model");
        assert_eq!(at(text, p.stages[0].id.as_ref().expect("id").range), "验证");
        assert_eq!(at(text, p.stages[0].outputs[0].range), "报告.md");
    }

    #[test]
    fn empty_and_comment_only_files() {
        let l = load("pipeline.yaml", "".into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["invalid-value"]);
        let text = "# nothing yet\n";
        let l = load("pipeline.yaml", text.into());
        assert!(l.model.is_none());
        assert_eq!(at(text, l.diagnostics[0].range), "# nothing yet");
    }

    #[test]
    fn unusable_documents_have_no_model() {
        let l = load("pipeline.yaml", "stages: [\n".into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["yaml-syntax"]);
        let text = "- a\n- b\n";
        let l = load("pipeline.yaml", text.into());
        assert!(l.model.is_none());
        assert_eq!(codes(&l), ["invalid-value"]);
        assert_eq!(at(text, l.diagnostics[0].range), "- a");
    }

    #[test]
    fn duplicate_keys_on_the_second() {
        let text = "stages:\n  - id: a\n    id: b\n    agent: a.md\n    outputs: []\n";
        let l = load("pipeline.yaml", text.into());
        assert_eq!(codes(&l), ["duplicate-key"]);
        let d = &l.diagnostics[0];
        assert_eq!(d.range.start, text.find("id: b").expect("second") as u32);
        assert_eq!(at(text, d.range), "id");
        assert!(d.message.contains("`id`") && d.message.contains("line 2"), "{}", d.message);
    }

    // ----- incremental re-reading -------------------------------------------

    /// A small deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A pipeline shaped like `tests/bench/peer/gen_pipeline.py`'s, with the things a
    /// re-read must get right sprinkled in: findings, duplicate keys, CJK, comments,
    /// flow lists, quoted and block scalars, globs.
    fn generated(stages: usize) -> String {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut out = String::from("# generated\nversion: 1\npipeline:\n  name: big\n  mode: checkpoint\nstages:\n");
        for n in 0..stages {
            out.push_str(&format!("  - id: stage-{n:04}\n"));
            match rng.below(4) {
                0 => out
                    .push_str("    description: >\n      Draft the thing,\n      so that the next stage can start.\n"),
                1 => out.push_str("    description: \"生成 UI 结构 🚀\"\n"),
                2 => out.push_str("    description: |\n      line one\n        indented\n"),
                _ => {}
            }
            if rng.below(20) == 0 {
                out.push_str("    agnet: agents/x.agent.md\n");
            } else {
                out.push_str(&format!("    agent: agents/a{}.agent.md\n", n % 7));
            }
            if n > 0 {
                out.push_str(&format!("    inputs:\n      - artifacts/s{}/out.md\n", rng.below(n)));
            } else {
                out.push_str("    inputs: []\n");
            }
            if rng.below(25) == 0 {
                out.push_str(&format!("    outputs: artifacts/s{n}/out.md\n"));
            } else {
                out.push_str(&format!("    outputs: [artifacts/s{n}/out.md, 'artifacts/s{n}/notes/']\n"));
            }
            out.push_str("    exit_criteria:\n      - It exists # a comment\n\n      - 'It''s checked'\n");
            if rng.below(6) == 0 {
                out.push_str(
                    "    permissions:\n      read:\n        - artifacts/**\n      write:\n        - \"src/**/*.ts\"\n",
                );
            }
            if rng.below(4) == 0 {
                let action = ["pause", "retry", "rollback", "explode"][rng.below(4)];
                out.push_str(&format!("    on_failure: {{action: {action}, message: \"Check it.\"}}\n"));
            }
            if rng.below(30) == 0 {
                out.push_str("    agent: again.md\n");
            }
            if rng.below(10) == 0 {
                out.push_str("# between items\n\n");
            }
        }
        out
    }

    const EDIT_CHARS: &[&str] = &[
        "a", "z", "0", " ", " ", "\n", ":", "-", "#", "\"", "'", "[", "]", "{", "}", ",", "&", "*", "|", ">", "\t",
        "中", "\r", "\r\n", "- ", ": ",
    ];

    /// One random edit: insert, delete or replace one character.
    fn random_edit(rng: &mut Rng, text: &str, from: usize) -> String {
        let mut at = from + rng.below(text.len() - from + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let next = text[at..].chars().next().map_or(0, char::len_utf8);
        let ch = EDIT_CHARS[rng.below(EDIT_CHARS.len())];
        match rng.below(3) {
            0 => format!("{}{}{}", &text[..at], ch, &text[at..]),
            1 => format!("{}{}", &text[..at], &text[at + next..]),
            _ => format!("{}{}{}", &text[..at], ch, &text[at + next..]),
        }
    }

    /// Random edit chains from `base`: after every edit, re-reading incrementally
    /// (when planned) must give exactly the full load. Returns how many were incremental.
    fn incremental_equals_full(base: &str, trials: usize, seed: u64) -> (usize, usize) {
        let mut rng = Rng(seed);
        let from = base.find("stages:").expect("stages");
        let (mut planned, mut steps) = (0, 0);
        for _ in 0..trials {
            let (mut loaded, layout) = load_with_layout("pipeline.yaml", base.into());
            let mut layout = layout.expect("layout");
            for _ in 0..1 + rng.below(3) {
                let new = random_edit(&mut rng, &loaded.text, from);
                steps += 1;
                let (full, full_layout) = load_with_layout("pipeline.yaml", new.as_str().into());
                let Some(plan) = plan(&loaded.text, &layout, &new) else {
                    match (full.model.is_some(), full_layout) {
                        (true, Some(l)) => (loaded, layout) = (full, l),
                        _ => break,
                    }
                    continue;
                };
                planned += 1;
                apply(plan, &mut loaded, &mut layout, new.as_str().into());
                assert_eq!(loaded.model, full.model, "model after edit to {new:?}");
                assert_eq!(loaded.diagnostics, full.diagnostics, "findings after edit");
                assert_eq!(Some(&layout), full_layout.as_ref(), "layout after edit");
            }
        }
        (planned, steps)
    }

    #[test]
    fn incremental_reread_equals_full_load_on_a_generated_pipeline() {
        let text = generated(200);
        let l = load("pipeline.yaml", text.as_str().into());
        assert_eq!(l.model.as_ref().map(|p| p.stages.len()), Some(200));
        assert!(l.diagnostics.iter().any(|d| d.code == Code::DuplicateKey));
        assert!(l.diagnostics.iter().any(|d| d.code == Code::UnknownKey));
        let (planned, steps) = incremental_equals_full(&text, 40, 7);
        assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
    }

    #[test]
    fn incremental_reread_equals_full_load_on_the_real_fixture() {
        let text = include_str!("../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
        let (planned, steps) = incremental_equals_full(text, 400, 11);
        assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
    }

    /// Other line endings. Old Mac (`\r`): such a file gets no layout, so every
    /// edit is a full load (the item scan knows `\n` only). Windows (`\r\n`):
    /// incremental re-reads equal full loads.
    #[test]
    fn other_line_endings_give_what_a_full_load_gives() {
        let text = include_str!("../../../../tests/fixtures/agent-app-factory/pipeline.yaml");
        let cr = text.replace('\n', "\r");
        let (full, layout) = load_with_layout("pipeline.yaml", cr.as_str().into());
        assert_eq!(full.model.as_ref().map(|p| p.stages.len()), Some(7));
        assert!(layout.is_none());
        let crlf = text.replace('\n', "\r\n");
        let (planned, steps) = incremental_equals_full(&crlf, 200, 5);
        assert!(planned * 2 > steps, "only {planned} of {steps} edits were re-read incrementally");
    }

    #[test]
    fn common_prefix_and_suffix_over_blocks() {
        let a: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
        for at in [0, 1, 255, 256, 257, 1000, 1999] {
            let mut b = a.clone();
            b[at] ^= 1;
            assert_eq!(common_prefix(&a, &b), at);
            assert_eq!(common_suffix(&a, &b), 1999 - at);
            let mut c = a.clone();
            c.insert(at, 7);
            assert_eq!(common_prefix(&a, &a[..at]), at);
            assert!(common_prefix(&a, &c) >= at && common_suffix(&a, &c) >= 2000 - at - 1);
        }
        assert_eq!(common_prefix(&a, &a), 2000);
        assert_eq!(common_suffix(&a, &a[..0]), 0);
    }

    #[test]
    fn edits_outside_one_item_are_not_planned() {
        let text = "version: 1\nstages:\n  - id: a\n    agent: a.md\n    outputs: [x]\n  - id: b\n    agent: b.md\n    outputs: [y]\npipeline:\n  max_attempts: 3\n";
        let (_, layout) = load_with_layout("pipeline.yaml", text.into());
        let layout = layout.expect("layout");
        let edit = |from: &str, to: &str| text.replacen(from, to, 1);
        // Inside one item: planned, and the later stage moves.
        let new = edit("id: a", "id: aa");
        let p = plan(text, &layout, &new).expect("planned");
        assert_eq!(p.delta, 1);
        // Across items, at an item's `-`, outside the list, or a new item: full loads.
        for new in [
            edit("[x]\n  - id: b", "[x]\n  -id: b"),
            edit("outputs: [x]\n  - id: b", "outputs: [x]\n  - id: b\n  - id: c"),
            edit("version: 1", "version: 2"),
            edit("max_attempts: 3", "max_attempts: 4"),
            edit("  - id: b", "   - id: b"),
            edit("agent: a.md", "agent: *a"),
            edit("agent: a.md", "agent: &a a.md"),
            edit("    agent: a.md", "agent: a.md"),
            edit("[x]", "[x"),
            edit("a.md\n", "a.md\r"),
        ] {
            assert!(plan(text, &layout, &new).is_none(), "{new:?}");
        }
        // The same text: nothing to re-read.
        assert!(plan(text, &layout, text).is_some_and(|p| p.item.is_none()));
    }
}
