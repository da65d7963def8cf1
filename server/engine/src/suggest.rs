//! "Did you mean" for near-miss keys and stage ids.

/// The closest candidate within a small edit distance (optimal string
/// alignment: Levenshtein plus adjacent swaps), if any; the first of equals.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = (len / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // The distance is at least the difference in length: most of thousands of
        // stage ids are ruled out here without computing it.
        let bound = best.map_or(limit, |(d, _)| d - 1);
        if c == word || c.chars().count().abs_diff(len) > bound {
            continue;
        }
        let d = strsim::osa_distance(word, c);
        if d <= bound {
            best = Some((d, c));
            if d == 1 {
                break;
            }
        }
    }
    best.map(|(_, c)| c)
}

/// " (did you mean `x`?)" or "".
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn near_misses() {
        assert_eq!(super::did_you_mean("agnet", ["agent", "inputs"]), Some("agent"));
        assert_eq!(super::did_you_mean("retyr", ["pause", "retry", "rollback"]), Some("retry"));
        assert_eq!(super::did_you_mean("zzzzzz", ["agent"]), None);
        // Adjacent swaps count one; the nearest wins, and the first of equals.
        assert_eq!(super::did_you_mean("stgae", ["stages", "stage"]), Some("stage"));
        assert_eq!(super::did_you_mean("code-2", ["code-1", "code-3"]), Some("code-1"));
        assert_eq!(super::did_you_mean("abcdefghi", ["abcdefXYZ", "abcdefgXY"]), Some("abcdefgXY"));
        assert_eq!(super::did_you_mean("初始化", ["初始", "完成了"]), Some("初始"));
    }
}
