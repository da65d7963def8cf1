//! A JSON value that keeps key order, so rewriting state.json changes only what
//! the action changes (serde_json's `preserve_order` would change key order for
//! every crate in the workspace, so we keep our own small type instead).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use tollgate_text::TextRange;
use tollgate_yaml::{Node, NodeKind};

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn str(s: &str) -> Json {
        Json::Str(s.to_string())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Num(n) => n.as_u64(),
            Json::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` in place, or appends it at the end of the object.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Obj(m) = self {
            match m.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => m.push((key.to_string(), value)),
            }
        }
    }

    /// The strings of an array (other items are ignored).
    pub fn strings(&self) -> Vec<String> {
        match self {
            Json::Arr(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Json, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Pretty text with `indent` per level, as JSON files are usually written.
    pub fn to_pretty(&self, indent: &str) -> String {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        // Serialising our own tree into a Vec cannot fail.
        let _ = self.serialize(&mut ser);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Num(n) => n.serialize(s),
            Json::Str(v) => s.serialize_str(v),
            Json::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Obj(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v).map(Json::Num).ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = a.next_element()? {
            items.push(v);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some((k, v)) = a.next_entry::<String, Json>()? {
            // A repeated key: the last one wins, as JSON parsers commonly do.
            entries.retain(|(key, _)| *key != k);
            entries.push((k, v));
        }
        Ok(Json::Obj(entries))
    }
}

/// Edits that turn `text` (which reads as `old`) into `new` while keeping its layout:
/// only values that change are rewritten, in place; a one-line array or object stays
/// on one line; a new key or item follows its siblings' style (one line, or one a
/// line at their indent). An empty array takes the file's style: one line when the
/// file has a one-line array with items, else one item a line (as `JSON.stringify(s,
/// null, 2)`, the factory CLI's writer, prints them). `unit`: the file's indent.
/// None when the text and `old` do not line up (a repeated key): the caller then
/// rewrites the whole value.
pub fn layout_edits(text: &str, old: &Json, new: &Json, unit: &str) -> Option<Vec<(TextRange, String)>> {
    let parsed = tollgate_yaml::parse(text, &tollgate_yaml::Limits::default());
    let root = parsed.root.filter(|_| parsed.errors.is_empty() && parsed.duplicate_keys.is_empty())?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let w = Writer { text, unit, nl, one_line: has_one_line_array(text, &root) };
    let mut edits = Vec::new();
    w.walk(&root, old, new, &mut edits)?;
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    // The result must read back as `new`, or it is not used.
    (Json::parse(&crate::recovery::apply_edits(text, &edits)).ok()? == *new).then_some(edits)
}

fn has_one_line_array(text: &str, node: &Node) -> bool {
    match &node.kind {
        NodeKind::Seq(items) => {
            (!items.is_empty() && !node.range.slice(text).contains('\n'))
                || items.iter().any(|i| has_one_line_array(text, i))
        }
        NodeKind::Map(entries) => entries.iter().any(|(_, v)| has_one_line_array(text, v)),
        NodeKind::Scalar(_) => false,
    }
}

struct Writer<'t> {
    text: &'t str,
    unit: &'t str,
    /// The file's line ending.
    nl: &'static str,
    /// The file's style for a container that has none of its own yet.
    one_line: bool,
}

impl Writer<'_> {
    fn walk(&self, node: &Node, old: &Json, new: &Json, edits: &mut Vec<(TextRange, String)>) -> Option<()> {
        if old == new {
            return Some(());
        }
        match (&node.kind, old, new) {
            (NodeKind::Map(entries), Json::Obj(o), Json::Obj(n)) if !entries.is_empty() => {
                // Same keys in the same order, new ones at the end; nothing removed.
                let keys: Vec<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
                let old_keys: Vec<&str> = o.iter().map(|(k, _)| k.as_str()).collect();
                if keys != old_keys || n.len() < o.len() || n.iter().zip(o).any(|((a, _), (b, _))| a != b) {
                    return None;
                }
                for ((_, v), ((_, ov), (_, nv))) in entries.iter().zip(o.iter().zip(n)) {
                    self.walk(v, ov, nv, edits)?;
                }
                let (last_key, last_value) = entries.last()?;
                let added: Vec<String> = n[o.len()..]
                    .iter()
                    .map(|(k, v)| {
                        let key = serde_json::to_string(k).unwrap_or_default();
                        if self.is_one_line(node) {
                            format!(", {key}: {}", one_line(v))
                        } else {
                            let at = self.indent_at(last_key.range.start);
                            format!(",{}{at}{key}: {}", self.nl, self.pretty(v, &at))
                        }
                    })
                    .collect();
                if !added.is_empty() {
                    edits.push((TextRange::empty(last_value.range.end), added.concat()));
                }
                Some(())
            }
            (NodeKind::Seq(items), Json::Arr(o), Json::Arr(n)) if !items.is_empty() && !self.is_one_line(node) => {
                if items.len() != o.len() {
                    return None;
                }
                for ((item, ov), nv) in items.iter().zip(o).zip(n) {
                    self.walk(item, ov, nv, edits)?;
                }
                if n.len() < o.len() {
                    let from = if n.is_empty() { node.range.start + 1 } else { items[n.len() - 1].range.end };
                    let to = if n.is_empty() { node.range.end - 1 } else { items.last()?.range.end };
                    edits.push((TextRange::new(from, to), String::new()));
                }
                let last = items.last()?;
                let added: Vec<String> = n
                    .iter()
                    .skip(o.len())
                    .map(|v| {
                        let at = self.indent_at(last.range.start);
                        let one = !last.range.slice(self.text).contains('\n');
                        format!(",{}{at}{}", self.nl, if one { one_line(v) } else { self.pretty(v, &at) })
                    })
                    .collect();
                if !added.is_empty() {
                    edits.push((TextRange::empty(last.range.end), added.concat()));
                }
                Some(())
            }
            _ => {
                // A scalar, a changed type, an empty container or a one-line one: its text anew.
                let one = match &node.kind {
                    NodeKind::Map(e) if !e.is_empty() => self.is_one_line(node),
                    NodeKind::Seq(i) if !i.is_empty() => self.is_one_line(node),
                    _ => self.one_line,
                };
                let text = if one { one_line(new) } else { self.pretty(new, &self.indent_at(node.range.start)) };
                edits.push((node.range, text));
                Some(())
            }
        }
    }

    fn is_one_line(&self, node: &Node) -> bool {
        !node.range.slice(self.text).contains('\n')
    }

    /// The leading white space of the line holding `at`.
    fn indent_at(&self, at: u32) -> String {
        let at = (at as usize).min(self.text.len());
        let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        self.text[start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect()
    }

    /// Pretty text of `v` placed on a line indented by `base`.
    fn pretty(&self, v: &Json, base: &str) -> String {
        v.to_pretty(self.unit).replace('\n', &format!("{}{base}", self.nl))
    }
}

/// `["a", "b"]`, `{"k": 1, "l": [2]}`: one line, with the spaces people write.
pub fn one_line(v: &Json) -> String {
    match v {
        Json::Arr(a) => format!("[{}]", a.iter().map(one_line).collect::<Vec<_>>().join(", ")),
        Json::Obj(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap_or_default(), one_line(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_round_trips() {
        let text = "{\n  \"z\": 1,\n  \"a\": [\n    \"x\"\n  ],\n  \"m\": null,\n  \"f\": 1.5\n}";
        let v = Json::parse(text).unwrap();
        assert_eq!(v.to_pretty("  "), text);
        let mut v = v;
        v.set("a", Json::Arr(vec![]));
        v.set("new", Json::Bool(true));
        assert_eq!(
            v.to_pretty("  "),
            "{\n  \"z\": 1,\n  \"a\": [],\n  \"m\": null,\n  \"f\": 1.5,\n  \"new\": true\n}"
        );
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;
    use crate::recovery::apply_edits;

    fn rewrite(text: &str, change: impl FnOnce(&mut Json)) -> (String, Vec<(TextRange, String)>) {
        let old = Json::parse(text).unwrap();
        let mut new = old.clone();
        change(&mut new);
        let edits = layout_edits(text, &old, &new, "  ").expect("lines up");
        (apply_edits(text, &edits), edits)
    }

    #[test]
    fn only_changed_values_are_rewritten_and_one_line_arrays_stay_on_one_line() {
        let text = "{\n  \"version\": 1,\n  \"status\": \"running\",\n  \"currentStage\": \"code\",\n  \"completedStages\": [\"bootstrap\", \"prd\"],\n  \"failedStages\": [],\n  \"stageHistory\": [\n    {\"stageId\": \"prd\", \"status\": \"completed\", \"attempts\": 1},\n    {\"stageId\": \"code\", \"status\": \"running\", \"startTime\": \"2026-01-29T10:00:00Z\", \"attempts\": 1}\n  ],\n  \"updatedAt\": \"2026-01-29T10:00:00Z\"\n}\n";
        let (out, edits) = rewrite(text, |j| {
            j.set("status", Json::str("failed"));
            j.set("failedStages", Json::Arr(vec![Json::str("code")]));
            j.set("completedStages", Json::Arr(vec![Json::str("bootstrap")]));
            if let Some(Json::Arr(h)) = j.get_mut("stageHistory") {
                h[1].set("status", Json::str("failed"));
                h[1].set("endTime", Json::str("2026-01-29T10:30:00Z"));
                h.push(Json::Obj(vec![
                    ("stageId".into(), Json::str("code")),
                    ("attempts".into(), Json::Num(2.into())),
                ]));
            }
            j.set("updatedAt", Json::str("2026-01-29T10:30:00Z"));
        });
        assert_eq!(
            out,
            "{\n  \"version\": 1,\n  \"status\": \"failed\",\n  \"currentStage\": \"code\",\n  \"completedStages\": [\"bootstrap\"],\n  \"failedStages\": [\"code\"],\n  \"stageHistory\": [\n    {\"stageId\": \"prd\", \"status\": \"completed\", \"attempts\": 1},\n    {\"stageId\": \"code\", \"status\": \"failed\", \"startTime\": \"2026-01-29T10:00:00Z\", \"attempts\": 1, \"endTime\": \"2026-01-29T10:30:00Z\"},\n    {\"stageId\": \"code\", \"attempts\": 2}\n  ],\n  \"updatedAt\": \"2026-01-29T10:30:00Z\"\n}\n"
        );
        // Each edit lies on one line: the lines that did not change are not touched.
        let changed: Vec<usize> =
            edits.iter().map(|(r, _)| text[..r.start as usize].matches('\n').count() + 1).collect();
        assert_eq!(changed, [3, 5, 6, 9, 9, 9, 11]);
    }

    #[test]
    fn json_stringify_layout_is_kept_for_factory_init_files() {
        // `factory init` / `factory run`: JSON.stringify(state, null, 2), an empty array as `[]`.
        let text = "{\n  \"version\": 1,\n  \"status\": \"running\",\n  \"current_stage\": \"prd\",\n  \"completed_stages\": [],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T09:00:00.000Z\"\n}";
        let (out, _) = rewrite(text, |j| {
            j.set("status", Json::str("paused"));
            j.set("completed_stages", Json::Arr(vec![Json::str("bootstrap"), Json::str("prd")]));
            j.set("failed_stages", Json::Arr(vec![Json::str("prd")]));
        });
        assert_eq!(
            out,
            "{\n  \"version\": 1,\n  \"status\": \"paused\",\n  \"current_stage\": \"prd\",\n  \"completed_stages\": [\n    \"bootstrap\",\n    \"prd\"\n  ],\n  \"started_at\": null,\n  \"last_updated\": \"2026-01-29T09:00:00.000Z\",\n  \"failed_stages\": [\n    \"prd\"\n  ]\n}"
        );
        // Items removed from a one-item-a-line array.
        let (out, _) = rewrite(&out, |j| j.set("completed_stages", Json::Arr(vec![Json::str("bootstrap")])));
        assert!(out.contains("\"completed_stages\": [\n    \"bootstrap\"\n  ],\n"), "{out}");
        let (out, _) = rewrite(&out, |j| j.set("completed_stages", Json::Arr(vec![])));
        assert!(out.contains("\"completed_stages\": [],\n"), "{out}");
    }

    #[test]
    fn a_repeated_key_does_not_line_up() {
        let text = "{\"status\": \"idle\", \"status\": \"running\"}";
        let old = Json::parse(text).unwrap();
        let mut new = old.clone();
        new.set("status", Json::str("paused"));
        assert_eq!(layout_edits(text, &old, &new, "  "), None);
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        let text = "{\r\n  \"status\": \"idle\",\r\n  \"completed_stages\": []\r\n}\r\n";
        let (out, _) = rewrite(text, |j| j.set("completed_stages", Json::Arr(vec![Json::str("prd")])));
        assert_eq!(out, "{\r\n  \"status\": \"idle\",\r\n  \"completed_stages\": [\r\n    \"prd\"\r\n  ]\r\n}\r\n");
    }
}
