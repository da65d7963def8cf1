//! `.factory/evidence.jsonl`: evidence records, one JSON object a line.

use super::Loaded;
use tollgate_text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub records: Vec<EvidenceRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: String,
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub subject: String,
    pub sha256: String,
    /// The record's line.
    pub line: TextRange,
}

impl Evidence {
    pub fn has(&self, id: &str) -> bool {
        self.records.iter().any(|r| r.id == id)
    }
}

/// Reads `.factory/evidence.jsonl`. A line that is not a JSON object is skipped.
pub fn load(path: &str, text: std::sync::Arc<str>) -> Loaded<Evidence> {
    let mut records = Vec::new();
    let mut start = 0usize;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(content) {
            let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            records.push(EvidenceRecord {
                id: get("id"),
                kind: get("kind"),
                actor: get("actor"),
                at: get("at"),
                subject: get("subject"),
                sha256: get("sha256"),
                line: TextRange::new(start as u32, (start + content.len()) as u32),
            });
        }
        start += line.len();
    }
    Loaded { path: path.to_string(), text, model: Some(Evidence { records }), diagnostics: Vec::new() }
}
