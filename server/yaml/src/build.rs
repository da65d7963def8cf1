//! saphyr events into a `Node` tree, with an explicit stack (no recursion on input depth).

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, ScanError};
use tollgate_text::TextRange;

use crate::map::MapBuilder;
use crate::offsets::{char_range_at, Offsets};
use crate::parse::Limits;
use crate::scan;
use crate::tree::{DuplicateKey, Node, NodeKind, Parsed, Scalar, ScalarStyle, SyntaxError};

struct Frame {
    start: usize,
    anchor: usize,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map(MapBuilder),
}

/// An anchored node, kept for its aliases with its size and height.
struct Anchor {
    node: Node,
    nodes: usize,
    height: usize,
}

struct Builder<'t> {
    text: &'t str,
    bytes: &'t [u8],
    offsets: Offsets<'t>,
    limits: Limits,
    stack: Vec<Frame>,
    /// Indexed by saphyr's anchor id (ids start at 1).
    anchors: Vec<Option<Anchor>>,
    /// Nodes created so far by alias expansion.
    copied: usize,
    /// End of the previous event's raw span: a block scalar's header lies after it.
    prev_end: usize,
    root: Option<Node>,
    duplicate_keys: Vec<DuplicateKey>,
}

pub(crate) fn build(text: &str, limits: &Limits) -> Parsed {
    let mut b = Builder {
        text,
        bytes: text.as_bytes(),
        offsets: Offsets::new(text),
        limits: *limits,
        stack: Vec::new(),
        anchors: Vec::new(),
        copied: 0,
        prev_end: 0,
        root: None,
        duplicate_keys: Vec::new(),
    };
    let result = b.run();
    let mut duplicate_keys = std::mem::take(&mut b.duplicate_keys);
    for d in &mut duplicate_keys {
        // An empty key (`: v`) has an empty range: report it on the character there.
        if d.range.is_empty() {
            let (start, end) = char_range_at(text, d.range.start as usize);
            d.range = range(start, end);
        }
    }
    match result {
        Ok(()) => Parsed { root: b.root, errors: Vec::new(), duplicate_keys },
        Err(err) => Parsed { root: None, errors: vec![err], duplicate_keys },
    }
}

impl Builder<'_> {
    fn run(&mut self) -> Result<(), SyntaxError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            let start = self.offsets.byte(span.start.index());
            let end = self.offsets.byte(span.end.index()).max(start);
            match event {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
                Event::Scalar(value, style, anchor, _) => {
                    let node = self.scalar(value.into_owned(), style, start, end);
                    self.finish_node(node, anchor);
                }
                Event::Alias(id) => {
                    let node = self.alias(id, start, end)?;
                    self.finish_node(node, 0);
                }
                Event::SequenceStart(anchor, _) => self.open(Body::Seq(Vec::new()), anchor, start, end)?,
                Event::MappingStart(anchor, _) => self.open(Body::Map(MapBuilder::default()), anchor, start, end)?,
                Event::SequenceEnd | Event::MappingEnd => self.close(start, end),
            }
            self.prev_end = end;
        }
        Ok(())
    }

    fn scalar(&mut self, value: String, style: SaphyrStyle, start: usize, end: usize) -> Node {
        let bytes = self.bytes;
        let (from, to, style) = match style {
            SaphyrStyle::Plain => (scan::skip_props(bytes, start, end), end, ScalarStyle::Plain),
            SaphyrStyle::SingleQuoted | SaphyrStyle::DoubleQuoted => {
                let open = scan::skip_props(bytes, start, end);
                let close = scan::quoted_end(bytes, open).unwrap_or_else(|| scan::trim_back(bytes, open, end));
                let style = if style == SaphyrStyle::SingleQuoted {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                };
                (open, close, style)
            }
            SaphyrStyle::Literal | SaphyrStyle::Folded => {
                // The span starts at the properties, or at the content without them.
                let from = self.prev_end.min(start);
                let (from, header_end) = scan::block_header(bytes, from, end).unwrap_or((start, start));
                let content_end = scan::trim_back(bytes, header_end, end);
                let to = content_end.max(header_end);
                let style = if style == SaphyrStyle::Literal { ScalarStyle::Literal } else { ScalarStyle::Folded };
                (from, to.max(from), style)
            }
        };
        Node { kind: NodeKind::Scalar(Scalar { value, style }), range: range(from, to) }
    }

    fn alias(&mut self, id: usize, start: usize, end: usize) -> Result<Node, SyntaxError> {
        let at = range(start, end);
        let Some(anchor) = self.anchors.get(id).and_then(Option::as_ref) else {
            return Err(self.error("alias refers to a node that contains it", start, end));
        };
        if self.copied + anchor.nodes > self.limits.max_alias_nodes {
            let message = format!("aliases expand to more than {} nodes", self.limits.max_alias_nodes);
            return Err(self.error(&message, start, end));
        }
        if self.stack.len() + anchor.height > self.limits.max_depth {
            let message = format!("nesting is deeper than {} levels", self.limits.max_depth);
            return Err(self.error(&message, start, end));
        }
        self.copied += anchor.nodes;
        Ok(copy_at(&anchor.node, at))
    }

    fn open(&mut self, body: Body, anchor: usize, start: usize, end: usize) -> Result<(), SyntaxError> {
        let flow = end > start && matches!(self.bytes[end - 1], b'[' | b'{');
        let start = if flow {
            end - 1
        } else {
            // A non-empty span holds the collection's own properties; an empty one
            // sits on its first token, whose anchor (`&k key: v`) is the key's.
            let first = if end > start { scan::skip_props(self.bytes, start, end) } else { start };
            match body {
                Body::Seq(_) => scan::block_seq_start(self.bytes, first),
                Body::Map(_) => first,
            }
        };
        if self.stack.len() >= self.limits.max_depth {
            let message = format!("nesting is deeper than {} levels", self.limits.max_depth);
            return Err(self.error(&message, start, start + 1));
        }
        self.stack.push(Frame { start, anchor, body });
        Ok(())
    }

    fn close(&mut self, start: usize, end: usize) {
        let Some(frame) = self.stack.pop() else { return };
        // A flow end's span runs on over blanks and a comment; the bracket opens it.
        let closer = end > start && matches!(self.bytes[start], b']' | b'}');
        let (kind, last_end) = match frame.body {
            Body::Seq(items) => {
                let last = items.last().map(|n| n.range.end as usize);
                (NodeKind::Seq(items), last)
            }
            Body::Map(map) => {
                let last = map.entries.last().map(|(k, v)| k.range.end.max(v.range.end) as usize);
                (NodeKind::Map(map.finish()), last)
            }
        };
        let to = if closer { start + 1 } else { last_end.unwrap_or(frame.start) };
        let node = Node { kind, range: range(frame.start, to.max(frame.start)) };
        self.finish_node(node, frame.anchor);
    }

    /// Records an anchored node and hands the node to its parent (or makes it the root).
    fn finish_node(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let (nodes, height) = measure(&node);
            if self.anchors.len() <= anchor {
                self.anchors.resize_with(anchor + 1, || None);
            }
            self.anchors[anchor] = Some(Anchor { node: node.clone(), nodes, height });
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame { body: Body::Seq(items), .. }) => items.push(node),
            Some(Frame { body: Body::Map(map), .. }) => map.push(node, &mut self.duplicate_keys),
        }
    }

    fn scan_error(&mut self, err: &ScanError) -> SyntaxError {
        let at = self.offsets.byte(err.marker().index());
        let (start, end) = char_range_at(self.text, at);
        let info = match err.info() {
            "recursion limit exceeded" => "nesting is too deep (more than 255 levels of brackets)",
            info => info,
        };
        SyntaxError { message: format!("YAML syntax error: {info}"), range: range(start, end) }
    }

    /// An error on `start..end`, widened to one character when empty.
    fn error(&self, message: &str, start: usize, end: usize) -> SyntaxError {
        let (start, end) = if end > start { (start, end) } else { char_range_at(self.text, start) };
        SyntaxError { message: message.to_string(), range: range(start, end) }
    }
}

fn range(start: usize, end: usize) -> TextRange {
    let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    TextRange::new(clamp(start), clamp(end.max(start)))
}

/// Node count and collection height (a scalar has height 0).
fn measure(node: &Node) -> (usize, usize) {
    match &node.kind {
        NodeKind::Scalar(_) => (1, 0),
        NodeKind::Seq(items) => items.iter().fold((1, 1), |(n, h), i| {
            let (cn, ch) = measure(i);
            (n + cn, h.max(ch + 1))
        }),
        NodeKind::Map(entries) => entries.iter().fold((1, 1), |(n, h), (k, v)| {
            let (kn, kh) = measure(k);
            let (vn, vh) = measure(v);
            (n + kn + vn, h.max(kh + 1).max(vh + 1))
        }),
    }
}

/// A copy of an anchored node where every node sits on the alias.
fn copy_at(node: &Node, at: TextRange) -> Node {
    let kind = match &node.kind {
        NodeKind::Scalar(s) => NodeKind::Scalar(s.clone()),
        NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(|i| copy_at(i, at)).collect()),
        NodeKind::Map(entries) => {
            NodeKind::Map(entries.iter().map(|(k, v)| (copy_at(k, at), copy_at(v, at))).collect())
        }
    };
    Node { kind, range: at }
}

#[cfg(test)]
mod tests {
    use crate::{parse, Limits};

    #[test]
    fn a_repeated_empty_key_is_one_character_wide() {
        // Found by the `models` fuzz target: `: x` twice gave a zero-width duplicate.
        let text = "a: 1\n: x\n: y\n";
        let parsed = parse(text, &Limits::default());
        let d = &parsed.duplicate_keys[0];
        assert_eq!(d.key, "");
        assert_eq!(d.range.len(), 1, "{d:?}");
        assert!(d.range.end as usize <= text.len());
    }
}
