//! Building one mapping: duplicate keys and `<<` merge keys.

use std::collections::HashMap;

use crate::tree::{DuplicateKey, Node, NodeKind, ScalarStyle};

/// Past this many entries, key lookups go through a hash index instead of a scan.
const INDEX_FROM: usize = 8;

#[derive(Default)]
pub(crate) struct MapBuilder {
    pub(crate) entries: Vec<(Node, Node)>,
    /// A key waiting for its value.
    pub(crate) key: Option<Node>,
    /// `<<` values, merged in order once the explicit entries are known.
    merges: Vec<Node>,
    /// Hash of a scalar key to the index of the first entry with that hash.
    index: Option<HashMap<u64, usize>>,
}

impl MapBuilder {
    /// Takes the next node: a key, or the value of the waiting key.
    pub(crate) fn push(&mut self, node: Node, dups: &mut Vec<DuplicateKey>) {
        let Some(key) = self.key.take() else {
            self.key = Some(node);
            return;
        };
        if is_merge_key(&key) && is_merge_source(&node) {
            self.merges.push(node);
            return;
        }
        if let Some(name) = key.as_str() {
            if let Some(first) = self.find(name) {
                dups.push(DuplicateKey { key: name.to_string(), range: key.range, first: self.entries[first].0.range });
                return;
            }
        }
        self.insert(key, node);
    }

    /// The entries with merged keys appended after the explicit ones.
    pub(crate) fn finish(mut self) -> Vec<(Node, Node)> {
        if let Some(key) = self.key.take() {
            // A key without a value event cannot come from saphyr; keep it as null.
            let range = tollgate_text::TextRange::empty(key.range.end);
            let null = Node {
                kind: NodeKind::Scalar(crate::tree::Scalar { value: String::new(), style: ScalarStyle::Plain }),
                range,
            };
            self.insert(key, null);
        }
        for source in std::mem::take(&mut self.merges) {
            match source.kind {
                NodeKind::Map(entries) => self.merge(entries),
                NodeKind::Seq(items) => {
                    for item in items {
                        if let NodeKind::Map(entries) = item.kind {
                            self.merge(entries);
                        }
                    }
                }
                NodeKind::Scalar(_) => {}
            }
        }
        self.entries
    }

    fn merge(&mut self, entries: Vec<(Node, Node)>) {
        for (key, value) in entries {
            let known = key.as_str().is_some_and(|name| self.find(name).is_some());
            if !known {
                self.insert(key, value);
            }
        }
    }

    fn insert(&mut self, key: Node, value: Node) {
        let at = self.entries.len();
        if let Some(name) = key.as_str() {
            if let Some(index) = &mut self.index {
                index.entry(hash(name)).or_insert(at);
            }
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() >= INDEX_FROM {
            let mut index = HashMap::with_capacity(self.entries.len() * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                if let Some(name) = k.as_str() {
                    index.entry(hash(name)).or_insert(i);
                }
            }
            self.index = Some(index);
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        let same = |k: &Node| k.as_str() == Some(name);
        if let Some(index) = &self.index {
            let at = *index.get(&hash(name))?;
            if same(&self.entries[at].0) {
                return Some(at);
            }
            // A hash collision: rare, so a scan is fine.
        }
        self.entries.iter().position(|(k, _)| same(k))
    }
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, NodeKind::Scalar(s) if s.style == ScalarStyle::Plain && s.value == "<<")
}

fn is_merge_source(value: &Node) -> bool {
    match &value.kind {
        NodeKind::Map(_) => true,
        NodeKind::Seq(items) => items.iter().all(|i| matches!(i.kind, NodeKind::Map(_))),
        NodeKind::Scalar(_) => false,
    }
}

/// FNV-1a: keys are short, and this needs no allocation.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
