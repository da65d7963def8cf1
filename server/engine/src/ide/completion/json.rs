//! Completion in `.factory/state.json`: one pass over the text before the
//! cursor tracks the open objects and arrays and the key each hangs under, so
//! an unfinished file is fine.

use super::{item, range, stage_ids, values, Item, ItemKind};
use crate::analysis::Snapshot;
use crate::model::state::{Spelling, RUN_STATUSES};

const TOP: &[(&str, &str)] = &[
    ("version", "format version"),
    ("status", "idle | running | waiting_for_confirmation | paused | failed"),
    ("currentStage", "the stage being run"),
    ("completedStages", "stages done, in pipeline order"),
    ("failedStages", "stages whose attempt failed"),
    ("stageHistory", "one entry per attempt"),
    ("lastCheckpoint", "the last completed stage"),
    ("createdAt", "RFC 3339"),
    ("updatedAt", "RFC 3339"),
];
const HISTORY: &[(&str, &str)] = &[
    ("stageId", "the stage"),
    ("status", "running | completed | failed"),
    ("startTime", "RFC 3339"),
    ("endTime", "RFC 3339"),
    ("attempts", "the attempt's number"),
    ("outputs", "paths written"),
    ("error", "why it failed"),
];
const HISTORY_STATUSES: &[&str] = &["running", "completed", "failed"];

enum Frame<'t> {
    Obj { key: Option<&'t str>, after_colon: bool, under: Option<&'t str> },
    Arr { under: Option<&'t str> },
}

/// Is `key` the format's name `camel`, in either spelling?
fn is(key: Option<&str>, camel: &str) -> bool {
    key.is_some_and(|k| k == camel || k == Spelling::Snake.key(camel))
}

pub fn complete(snapshot: &Snapshot, text: &str, cursor: usize) -> Vec<Item> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut open_string = None;
    let mut i = 0;
    while i < cursor {
        match b[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < cursor && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= cursor {
                    open_string = Some(start.min(cursor));
                    break;
                }
                if let Some(Frame::Obj { key, after_colon, .. }) = stack.last_mut() {
                    // A key names what follows; a finished value needs no completion.
                    *key = if *after_colon { None } else { Some(&text[start..j]) };
                }
                i = j;
            }
            b':' => {
                if let Some(Frame::Obj { after_colon, .. }) = stack.last_mut() {
                    *after_colon = true;
                }
            }
            b',' => {
                if let Some(Frame::Obj { key, after_colon, .. }) = stack.last_mut() {
                    (*key, *after_colon) = (None, false);
                }
            }
            c @ (b'{' | b'[') => {
                let under = match stack.last() {
                    Some(Frame::Obj { key, after_colon: true, .. }) => *key,
                    Some(Frame::Arr { under }) => *under,
                    _ => None,
                };
                stack.push(if c == b'{' {
                    Frame::Obj { key: None, after_colon: false, under }
                } else {
                    Frame::Arr { under }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    let quoted = open_string.is_some();
    let start = open_string.unwrap_or_else(|| {
        let word = text[..cursor].trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        word.len()
    });
    let replace = range(start, cursor);
    let spelling = snapshot.state().map_or(Spelling::Camel, |s| s.spelling);
    let depth = stack.len();
    match stack.last() {
        Some(Frame::Obj { after_colon: false, under, .. }) => {
            let keys = if depth == 1 {
                TOP
            } else if depth == 3 && is(*under, "stageHistory") {
                HISTORY
            } else {
                return Vec::new();
            };
            keys.iter()
                .map(|(camel, detail)| {
                    let k = spelling.key(camel);
                    let insert = if quoted { k.to_string() } else { format!("\"{k}\": ") };
                    item(k, ItemKind::Key, Some(detail.to_string()), insert, replace)
                })
                .collect()
        }
        Some(Frame::Obj { after_colon: true, key, under }) => {
            let top = depth == 1;
            // The top object, the history array, the entry.
            let history = depth == 3 && is(*under, "stageHistory");
            if is(*key, "status") && top {
                values(RUN_STATUSES, "run status", replace, !quoted)
            } else if is(*key, "status") && history {
                values(HISTORY_STATUSES, "attempt status", replace, !quoted)
            } else if (top && (is(*key, "currentStage") || is(*key, "lastCheckpoint")))
                || (history && is(*key, "stageId"))
            {
                stage_ids(snapshot, replace, !quoted)
            } else {
                Vec::new()
            }
        }
        Some(Frame::Arr { under }) if depth == 2 && (is(*under, "completedStages") || is(*under, "failedStages")) => {
            stage_ids(snapshot, replace, !quoted)
        }
        _ => Vec::new(),
    }
}
