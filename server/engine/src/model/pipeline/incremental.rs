//! A keystroke inside one stage item of a block `stages:` list changes nothing but
//! that item: `plan` finds the item around the change, checks that the item's
//! bounds still hold, parses the item's lines alone (an indented block sequence with
//! one item) and reads that one stage; `apply` puts it in place and shifts every
//! later range by the length change. Anything else is left to a full `load`. The
//! result is exactly what `load_with_layout` gives for the new text.

use std::sync::Arc;

use super::*;

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
    pub(super) item: Option<usize>,
    pub(super) stage: Option<Stage>,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) delta: i64,
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
    pub(super) fn new(text: &str, root: &Node, items: &[ItemRead]) -> Option<Layout> {
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
    pub(super) fn arrange(
        &mut self,
        opened: Vec<Diagnostic>,
        read: Vec<Diagnostic>,
        items: &[ItemRead],
    ) -> Vec<Diagnostic> {
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
pub(super) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let min = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= min && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..min].iter().zip(&b[at..min]).position(|(x, y)| x != y).unwrap_or(min - at)
}

/// Length of the common suffix, the same way from the ends.
pub(super) fn common_suffix(a: &[u8], b: &[u8]) -> usize {
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
