//! Hostile workspaces (issue 7, item 3) over real JSON-RPC: one test per hostile
//! input, each on a temporary copy of the example project (an active run of
//! stage `code`). Each asserts the exact finding (or behaviour), that a request
//! sent afterwards (a hover on stage `code`) is answered within a stated bound,
//! and that the server's peak resident memory (`VmHWM`) stayed under a stated
//! bound. The bounds are for a debug build on a loaded 2-core machine; each
//! test prints what it measured (`cargo test --test lsp_hostile -- --nocapture`).
//! The limits themselves: `server/engine/tests/LIMITS.md`.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{Enc, Project, Publish, TestServer};

/// A hover after the hostile input has been dealt with: well under this.
const HOVER_BOUND: Duration = Duration::from_secs(2);

const MIB: u64 = 1024;

/// `  - id: code` in the fixture's pipeline.yaml: line 63, the id at columns 8..12.
const CODE_IN_PIPELINE: (u32, u32) = (62, 9);
/// `"currentStage": "code"` in the fixture's state.json.
const CODE_IN_STATE: (u32, u32) = (3, 20);

fn start(p: &Project) -> TestServer {
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    s.wait_ready();
    s.wait_for_watch_registration();
    s
}

/// Hovers stage `code` (in `rel` at `at`) and checks the answer names it as the
/// 5th of `stages` stages, within `HOVER_BOUND`. Returns how long it took.
fn hover_code(s: &mut TestServer, p: &Project, rel: &str, at: (u32, u32), stages: usize) -> Duration {
    let t = Instant::now();
    let id = s.send_request(
        "textDocument/hover",
        json!({"textDocument": {"uri": p.uri(rel)}, "position": {"line": at.0, "character": at.1}}),
    );
    let r = s.response(id, HOVER_BOUND);
    let took = t.elapsed();
    let md = r.as_ref().ok().and_then(|v| v["contents"]["value"].as_str()).unwrap_or_default().to_string();
    let want = format!("**stage `code`** · 5 of {stages}\n");
    assert!(md.starts_with(&want), "hover on {rel}: {r:?}, want it to start with {want:?}");
    assert!(took < HOVER_BOUND, "hover took {took:?}");
    assert!(s.alive(), "the server died:\n{}", s.stderr());
    took
}

/// The server's peak RSS so far, checked against `bound_mib`; returns it in MiB.
fn peak_under(s: &TestServer, bound_mib: u64) -> u64 {
    let peak = s.peak_rss_kb().expect("the server's /proc status") / MIB;
    assert!(peak < bound_mib, "peak RSS {peak} MiB is over {bound_mib} MiB");
    peak
}

fn report(name: &str, finding: Duration, hover: Duration, peak_mib: u64) {
    println!(
        "HOSTILE {name}: finding after {:.2}s, hover {:.0} ms, server peak RSS {peak_mib} MiB",
        finding.as_secs_f64(),
        hover.as_secs_f64() * 1000.0
    );
}

/// The first publish for `uri` since `mark` that satisfies `pred`, within `within`.
fn publish(s: &mut TestServer, uri: &str, within: Duration, pred: impl Fn(&Publish) -> bool) -> Publish {
    s.wait_for_diagnostics(uri, pred, within)
}

fn message(d: &Value) -> &str {
    d["message"].as_str().unwrap_or_default()
}

/// The one diagnostic of a publish, as (code, range, message).
fn only(pb: &Publish) -> (String, (u64, u64, u64, u64), String) {
    assert_eq!(pb.diagnostics.len(), 1, "{}:\n{}", pb.uri, support::describe(&pb.diagnostics));
    let d = &pb.diagnostics[0];
    (support::code(d).to_string(), support::drange(d), message(d).to_string())
}

/// The fixture's pipeline with generated stages appended until it is at least
/// `target` bytes; returns it and how many stages were added. Each has an agent
/// that exists and no matrix row: exactly one `matrix-missing-stage` each.
fn grown_pipeline(base: &str, target: usize) -> (String, usize) {
    let mut s = String::with_capacity(target + 1024);
    s.push_str(base);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    let mut n = 0;
    while s.len() < target {
        s.push_str(&format!(
            "\n  - id: gen{n}\n    description: >\n      第 {n} 步 😀 a generated stage whose description is long \
             enough to make a few hundred bytes per stage, so that five megabytes is about ten thousand stages\n    \
             agent: agents/code.agent.md\n    outputs:\n      - artifacts/gen/{n}/out.md\n    exit_criteria:\n      \
             - criterion {n}\n"
        ));
        n += 1;
    }
    (s, n)
}

/// The fixture's pipeline padded with comment lines to exactly `size` bytes.
fn padded_pipeline(base: &str, size: usize) -> String {
    let line = "# padding: a comment line that makes the pipeline large, 0123456789 abcdefghijklmnopqrstuvwxyz\n";
    let mut s = String::with_capacity(size);
    s.push_str(base);
    while s.len() + line.len() <= size {
        s.push_str(line);
    }
    s.push_str(&"#".repeat(size - s.len()));
    s
}

fn too_large(rel: &str, size: usize) -> String {
    format!("{rel} is too large to check: {size} bytes is over tollgate's limit of 8388608 bytes (8 MiB) for the files it parses")
}

/// The fixture pipeline's own findings, once published: its four outputs outside
/// their stages' permissions (`artifacts/backend/prisma/schema.prisma` of tech, ...).
fn fixture_findings(s: &mut TestServer, p: &Project) -> Vec<Value> {
    let pb = s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| pb.has("output-outside-permissions"));
    assert_eq!(pb.codes(), ["output-outside-permissions"; 4], "{}", support::describe(&pb.diagnostics));
    pb.diagnostics
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().nth(1)) == Some("0")
}

// ===========================================================================
// Large files
// ===========================================================================

#[test]
fn a_5_mb_pipeline_is_parsed_and_checked_whole() {
    let p = Project::example();
    let mut s = start(&p);
    let uri = p.uri("pipeline.yaml");
    let before = fixture_findings(&mut s, &p);
    let base = p.read("pipeline.yaml");
    let (text, n) = grown_pipeline(&base, 5 << 20);
    assert!(text.len() >= 5 << 20 && text.len() < 8 << 20);
    s.mark();
    let t = Instant::now();
    s.write_file(&p.path("pipeline.yaml"), &text);
    let pb = publish(&mut s, &uri, Duration::from_secs(60), |pb| pb.count("matrix-missing-stage") >= n);
    let finding = t.elapsed();
    // Every generated stage is checked: one `matrix-missing-stage` on each id...
    assert_eq!(pb.count("matrix-missing-stage"), n);
    let last = pb.with_code("matrix-missing-stage").into_iter().max_by_key(|d| support::drange(d).0).unwrap();
    let id = format!("gen{}", n - 1);
    let (line, _) = support::position(&text, support::find(&text, &format!("- id: {id}\n"), 0).0, Enc::Utf16);
    assert_eq!(support::drange(last), (line as u64, 8, line as u64, 8 + id.len() as u64));
    assert!(message(last).contains(&format!("`{id}`")), "{}", message(last));
    // ...and the fixture's own stages keep exactly the findings they had.
    let others = |diags: &[Value]| -> Vec<(String, (u64, u64, u64, u64))> {
        let mut v: Vec<_> = diags
            .iter()
            .filter(|d| support::code(d) != "matrix-missing-stage" || support::drange(d).0 < 100)
            .map(|d| (support::code(d).to_string(), support::drange(d)))
            .collect();
        v.sort();
        v
    };
    assert_eq!(others(&pb.diagnostics), others(&before));
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7 + n);
    let peak = peak_under(&s, 250);
    report(&format!("5 MB pipeline ({n} more stages)"), finding, hover, peak);
    s.shutdown_and_exit();
}

#[test]
fn a_50_mb_pipeline_gets_one_finding_naming_its_size_and_the_limit() {
    let p = Project::example();
    let mut s = start(&p);
    let uri = p.uri("pipeline.yaml");
    let base = p.read("pipeline.yaml");
    let size = 50 << 20;
    let text = padded_pipeline(&base, size);
    s.mark();
    let t = Instant::now();
    s.write_file(&p.path("pipeline.yaml"), &text);
    let pb = publish(&mut s, &uri, Duration::from_secs(30), |pb| pb.has("yaml-syntax"));
    let finding = t.elapsed();
    // One finding, on its first line (`version: 1`), naming its size and the limit.
    assert_eq!(only(&pb), ("yaml-syntax".into(), (0, 0, 0, 10), too_large("pipeline.yaml", size)));
    assert_eq!(pb.diagnostics[0]["severity"], 1);
    // The last good model serves the rest: state.json stays clean, hovers know the stage,
    // and a write outside code's permissions is still flagged.
    assert!(s.latest(&p.uri(".factory/state.json")).is_none_or(|pb| pb.diagnostics.is_empty()));
    let hover = hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 7);
    s.write_file(&p.path("artifacts/prd/late.md"), "late\n");
    let late = s.wait_for_latest(&p.uri("artifacts/prd/late.md"), |pb| pb.has("unauthorized-write"));
    assert_eq!(support::drange(late.one("unauthorized-write")), (0, 0, 0, 4));

    // The same 50 MB opened in the editor: refused in the buffer too, without parsing it.
    let t = Instant::now();
    s.open_text(&uri, &text);
    let pb = s.wait_for_diagnostics(&uri, |pb| pb.version == Some(1), Duration::from_secs(30));
    let open = t.elapsed();
    assert_eq!(only(&pb), ("yaml-syntax".into(), (0, 0, 0, 10), too_large("pipeline.yaml", size)));
    drop(text);
    // Any other YAML buffer over the limit: the same finding, on its first line (named
    // by its file name, as its syntax findings are).
    let over = padded_pipeline("a: 1\n", (8 << 20) + 1);
    let data = p.uri("data/huge.yaml");
    s.open_text(&data, &over);
    let pb = s.wait_for_diagnostics(&data, |pb| pb.version == Some(1), Duration::from_secs(30));
    let d = pb.one("yaml-syntax");
    assert_eq!((support::drange(d), message(d)), ((0, 0, 0, 4), too_large("huge.yaml", over.len()).as_str()));
    // (It is also a creation outside code's permissions, like any new buffer during the run.)
    assert!(pb.has("unauthorized-write"));
    let hover = hover.max(hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 7));
    let peak = peak_under(&s, 450);
    report(&format!("50 MB pipeline (on disk; opened: {:.2}s)", open.as_secs_f64()), finding, hover, peak);
    s.shutdown_and_exit();
}

#[test]
fn exactly_8_mib_is_parsed_one_byte_more_is_not() {
    let p = Project::example();
    let mut s = start(&p);
    let uri = p.uri("pipeline.yaml");
    let before = fixture_findings(&mut s, &p);
    let base = p.read("pipeline.yaml");
    // One more stage, with no matrix row: a finding that shows the file was checked.
    let extra = format!("{base}\n  - id: extra\n    agent: agents/code.agent.md\n    outputs: [artifacts/extra/]\n");
    let at_limit = padded_pipeline(&extra, 8 << 20);
    let (line, _) = support::position(&extra, support::find(&extra, "id: extra", 0).0, Enc::Utf16);
    s.mark();
    let t = Instant::now();
    s.write_file(&p.path("pipeline.yaml"), &at_limit);
    // At the limit: parsed and checked.
    let pb = publish(&mut s, &uri, Duration::from_secs(30), |_| true);
    let finding = t.elapsed();
    let d = pb.one("matrix-missing-stage");
    assert_eq!(support::drange(d), (line as u64, 8, line as u64, 13), "{}", support::describe(&pb.diagnostics));
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 8);
    // One byte more: one finding, and no model of it (a hover in it finds no stage).
    let over = format!("{at_limit}#");
    s.mark();
    s.write_file(&p.path("pipeline.yaml"), &over);
    let pb = publish(&mut s, &uri, Duration::from_secs(30), |_| true);
    assert_eq!(only(&pb), ("yaml-syntax".into(), (0, 0, 0, 10), too_large("pipeline.yaml", (8 << 20) + 1)));
    let r = s.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": CODE_IN_PIPELINE.0, "character": CODE_IN_PIPELINE.1}}),
    );
    assert_eq!(r, Ok(Value::Null));
    // The last good model (8 stages) still serves state.json.
    let hover = hover.max(hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 8));
    // Back under the limit: checked again.
    s.mark();
    s.write_file(&p.path("pipeline.yaml"), &base);
    let pb = publish(&mut s, &uri, Duration::from_secs(30), |_| true);
    assert_eq!(pb.diagnostics, before);
    let hover = hover.max(hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7));
    let peak = peak_under(&s, 200);
    report("8 MiB pipeline, then 8 MiB + 1 byte", finding, hover, peak);
    s.shutdown_and_exit();
}

// ===========================================================================
// Nesting, alias bombs, binary and invalid UTF-8, FIFOs
// ===========================================================================

#[test]
fn ten_thousand_levels_of_nesting_stop_at_the_depth_limit() {
    let p = Project::example();
    let mut s = start(&p);
    let t = Instant::now();
    // Block nesting: the 257th `- ` (byte 512) is where tollgate's limit of 256 stops it.
    let uri = p.uri("data/deep.yaml");
    s.open_text(&uri, &format!("{}x\n", "- ".repeat(10_000)));
    let pb = s.wait_for_version(&uri, 1);
    let d = pb.one("yaml-syntax");
    assert_eq!(support::drange(d), (0, 512, 0, 513));
    assert_eq!(message(d), "syntax error in deep.yaml: nesting is deeper than 256 levels");
    let finding = t.elapsed();
    // Flow nesting: saphyr stops at the 256th bracket (byte 255 * 5 of `{"a":`).
    let uri = p.uri("data/deep.json");
    s.open_text(&uri, &format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)));
    let pb = s.wait_for_version(&uri, 1);
    let d = pb.one("yaml-syntax");
    assert_eq!(support::drange(d), (0, 1275, 0, 1276));
    assert_eq!(
        message(d),
        "syntax error in deep.json: YAML syntax error: nesting is too deep (more than 255 levels of brackets)"
    );
    // The pipeline itself, on disk: its finding, and its last good model serves the rest.
    let puri = p.uri("pipeline.yaml");
    s.mark();
    s.write_file(&p.path("pipeline.yaml"), format!("stages: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)));
    let pb = publish(&mut s, &puri, Duration::from_secs(10), |pb| pb.has("yaml-syntax"));
    assert_eq!(
        only(&pb),
        (
            "yaml-syntax".into(),
            (0, 263, 0, 264),
            "syntax error in `pipeline.yaml`: YAML syntax error: nesting is too deep (more than 255 levels of brackets)"
                .into()
        )
    );
    let hover = hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 7);
    let peak = peak_under(&s, 100);
    report("10,000 levels of nesting", finding, hover, peak);
    s.shutdown_and_exit();
}

/// Ten anchors, each a list of ten aliases of the one before: 10^10 nodes once expanded.
fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("stages: *a9\n");
    text
}

#[test]
fn a_billion_laughs_stops_at_the_alias_limit() {
    let p = Project::example();
    let mut s = start(&p);
    let text = billion_laughs();
    // Nodes made by aliases: a1 copies a0 (11 nodes) 10 times = 110, a2 1,110, a3 11,110
    // (12,330 in all); each `*a3` in a4 adds 11,111: the 8th passes 100,000. There it stops.
    let at = support::range_of(&text, "*a3", 7, Enc::Utf16);
    let want = support::quad(&at);
    let t = Instant::now();
    let puri = p.uri("pipeline.yaml");
    s.mark();
    s.write_file(&p.path("pipeline.yaml"), &text);
    let pb = publish(&mut s, &puri, Duration::from_secs(10), |pb| pb.has("yaml-syntax"));
    let finding = t.elapsed();
    assert_eq!(
        only(&pb),
        (
            "yaml-syntax".into(),
            want,
            "syntax error in `pipeline.yaml`: aliases expand to more than 100000 nodes".into()
        )
    );
    // In a buffer of another YAML file: the same.
    let uri = p.uri("data/lol.yaml");
    s.open_text(&uri, &text);
    let pb = s.wait_for_version(&uri, 1);
    let d = pb.one("yaml-syntax");
    assert_eq!(
        (support::drange(d), message(d)),
        (want, "syntax error in lol.yaml: aliases expand to more than 100000 nodes")
    );
    let hover = hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 7);
    let peak = peak_under(&s, 100);
    report("a billion laughs", finding, hover, peak);
    s.shutdown_and_exit();
}

#[test]
fn binary_and_invalid_utf8_files_get_findings_not_crashes() {
    let p = Project::example();
    let mut s = start(&p);
    // A governance file that is not UTF-8: a finding on its first line (`version: 1`, the
    // part that can be read) naming why; its last good model is kept.
    s.mark();
    let t = Instant::now();
    s.write_file(&p.path(".factory/scope.yaml"), b"version: 1\nid: \xff\xfe\x00bad\n");
    let suri = p.uri(".factory/scope.yaml");
    let pb = publish(&mut s, &suri, Duration::from_secs(10), |pb| pb.has("yaml-syntax"));
    let finding = t.elapsed();
    assert_eq!(
        only(&pb),
        ("yaml-syntax".into(), (0, 0, 0, 10), ".factory/scope.yaml cannot be read: the file is not valid UTF-8".into())
    );
    // Binary and Latin-1 files written during the run: changed paths like any other, on line 1,
    // and still held to the (last good) scope.
    let mut binary = vec![0u8, 159, 146, 150, 0xff, 0xfe, 0, 0, b'\n'];
    binary.extend((0..=255u8).cycle().take(1 << 20));
    s.write_file(&p.path("artifacts/prd/blob.bin"), &binary);
    s.write_file(&p.path("artifacts/prd/latin1.md"), b"caf\xe9 cr\xe8me\n");
    for rel in ["artifacts/prd/blob.bin", "artifacts/prd/latin1.md"] {
        let pb = s.wait_for_latest(&p.uri(rel), |pb| pb.has("unauthorized-write") && pb.has("out-of-scope"));
        let (l0, _, l1, _) = support::drange(pb.one("unauthorized-write"));
        assert_eq!((l0, l1), (0, 0), "{rel}");
        assert!(message(pb.one("unauthorized-write")).contains(&format!("created `{rel}`")));
    }
    // NUL and control characters in a buffer: valid UTF-8, so parsed: an unclosed flow list.
    let uri = p.uri("data/nul.yaml");
    s.open_text(&uri, "a: \u{0}\u{1}\u{7f}\nb: [\u{0}\n");
    let pb = s.wait_for_version(&uri, 1);
    assert!(pb.has("yaml-syntax"), "{}", support::describe(&pb.diagnostics));
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    let peak = peak_under(&s, 100);
    report("binary and invalid UTF-8", finding, hover, peak);
    s.shutdown_and_exit();
}

#[cfg(unix)]
#[test]
fn a_fifo_is_never_read() {
    let p = Project::example();
    let mut s = start(&p);
    let mkfifo = |rel: &str| {
        let st = std::process::Command::new("mkfifo").arg(p.path(rel)).status().expect("mkfifo runs");
        assert!(st.success(), "mkfifo {rel}");
    };
    // A FIFO an agent leaves among the files it writes: opening or reading it would block
    // the analysis (and so the server) forever. It is a changed path with no text.
    let t = Instant::now();
    mkfifo("artifacts/prd/pipe");
    s.file_events(&[(&p.path("artifacts/prd/pipe"), 1)]);
    let pb = s.wait_for_latest(&p.uri("artifacts/prd/pipe"), |pb| pb.has("unauthorized-write"));
    let finding = t.elapsed();
    assert_eq!(support::drange(pb.one("unauthorized-write")), (0, 0, 0, 0));
    // In place of a modelled file: treated as absent, never opened.
    std::fs::remove_file(p.path(".factory/evidence.jsonl")).unwrap();
    mkfifo(".factory/evidence.jsonl");
    s.file_events(&[(&p.path(".factory/evidence.jsonl"), 2)]);
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    // The other files are still checked.
    s.write_file(&p.path("artifacts/prd/after.md"), "after\n");
    s.wait_for_latest(&p.uri("artifacts/prd/after.md"), |pb| pb.has("unauthorized-write"));
    let peak = peak_under(&s, 100);
    report("a FIFO among the outputs", finding, hover, peak);
    s.shutdown_and_exit();
}

// ===========================================================================
// Symlink loops, unreadable directories
// ===========================================================================

#[cfg(unix)]
#[test]
fn symlink_loops_end() {
    use std::os::unix::fs::symlink;
    let p = Project::example();
    let mut s = start(&p);
    let dir = p.path("artifacts/prd/loop");
    std::fs::create_dir_all(&dir).unwrap();
    symlink(".", dir.join("self")).unwrap(); // to itself
    symlink("../../..", dir.join("up")).unwrap(); // to the root, an ancestor
    symlink("b", dir.join("a")).unwrap(); // a -> b -> a
    symlink("a", dir.join("b")).unwrap();
    std::fs::write(dir.join("real.md"), "real\n").unwrap();
    let t = Instant::now();
    s.file_events(&[(&dir, 1)]);
    let pb = s.wait_for_latest(&p.uri("artifacts/prd/loop/real.md"), |pb| pb.has("unauthorized-write"));
    let finding = t.elapsed();
    assert_eq!(support::drange(pb.one("unauthorized-write")), (0, 0, 0, 4));
    // The looping links are files the agent created (never followed): flagged, with no text.
    for rel in ["artifacts/prd/loop/a", "artifacts/prd/loop/b"] {
        let pb = s.wait_for_latest(&p.uri(rel), |pb| pb.has("unauthorized-write"));
        assert_eq!(support::drange(pb.one("unauthorized-write")), (0, 0, 0, 0), "{rel}");
    }
    // Links to directories that loop are not walked: nothing under them is reported.
    let walked: Vec<String> = s
        .all_publishes()
        .iter()
        .filter(|pb| pb.path.starts_with(dir.join("self")) || pb.path.starts_with(dir.join("up")))
        .map(|pb| pb.uri.clone())
        .collect();
    assert!(walked.is_empty(), "{walked:?}");
    // A modelled file that is a link to itself: a finding naming the loop.
    let scope = p.path(".factory/scope.yaml");
    std::fs::remove_file(&scope).unwrap();
    symlink("scope.yaml", &scope).unwrap();
    s.mark();
    s.file_events(&[(&scope, 2)]);
    let pb = publish(&mut s, &p.uri(".factory/scope.yaml"), Duration::from_secs(10), |pb| pb.has("yaml-syntax"));
    let (code, range, msg) = only(&pb);
    assert_eq!((code.as_str(), range), ("yaml-syntax", (0, 0, 0, 0)));
    assert!(msg.starts_with(".factory/scope.yaml cannot be read: Too many levels of symbolic links"), "{msg}");
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    let peak = peak_under(&s, 100);
    report("a symlink loop", finding, hover, peak);
    s.shutdown_and_exit();
}

#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_skipped_with_a_log_line() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::example();
    let mut s = start(&p);
    let locked = p.path("artifacts/prd/locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::write(locked.join("secret.md"), "secret\n").unwrap();
    std::fs::write(p.path("artifacts/prd/open.md"), "open\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let t = Instant::now();
    s.file_events(&[(&p.path("artifacts/prd"), 1)]);
    // The readable sibling is checked whatever happens to the locked directory.
    let pb = s.wait_for_latest(&p.uri("artifacts/prd/open.md"), |pb| pb.has("unauthorized-write"));
    let finding = t.elapsed();
    assert_eq!(support::drange(pb.one("unauthorized-write")), (0, 0, 0, 4));
    let secret = p.uri("artifacts/prd/locked/secret.md");
    if running_as_root() {
        // As root (CI) mode 000 does not stop reads: the file inside is seen and flagged.
        s.wait_for_latest(&secret, |pb| pb.has("unauthorized-write"));
    } else {
        // Otherwise the walk skips it with a warning, and the file is not reported.
        support::poll("the warning", Duration::from_secs(10), || {
            s.stderr().contains(&format!("skipping unreadable directory {}", locked.display()))
        });
        assert!(s.latest(&secret).is_none());
    }
    // An unreadable modelled file: as root still read (no finding); otherwise a finding naming why.
    let state = p.path(".factory/state.json");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o000)).unwrap();
    s.file_events(&[(&state, 2)]);
    if !running_as_root() {
        let pb = s.wait_for_latest(&p.uri(".factory/state.json"), |pb| pb.has("yaml-syntax"));
        assert!(message(pb.one("yaml-syntax")).contains("Permission denied"));
    }
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let peak = peak_under(&s, 100);
    report(&format!("an unreadable directory (as root: {})", running_as_root()), finding, hover, peak);
    s.shutdown_and_exit();
}

// ===========================================================================
// 100,000 files, a 4,000-character path, 100 writes a second
// ===========================================================================

#[test]
fn a_hundred_thousand_files_in_one_folder() {
    const N: usize = 100_000;
    let p = Project::example();
    p.git_init();
    let mut s = start(&p);
    let flood = p.path("artifacts/flood");
    std::fs::create_dir_all(&flood).unwrap();
    let files: Vec<PathBuf> = (0..N).map(|i| flood.join(format!("f{i:06}.md"))).collect();
    for f in &files {
        std::fs::write(f, "x\n").unwrap();
    }
    // One event per file, as an editor's watcher reports a generator's output: asked of
    // git one by one (two processes each) this took 3 ms a file, 5 minutes in all.
    let t = Instant::now();
    s.mark();
    let events: Vec<(&Path, u8)> = files.iter().map(|f| (f.as_path(), 1)).collect();
    s.file_events(&events);
    let puri = p.uri("pipeline.yaml");
    let pb = publish(&mut s, &puri, Duration::from_secs(90), |pb| pb.has("stage-summary"));
    let d = pb.one("stage-summary");
    assert_eq!(message(d), "stage `code` wrote 100000 files outside its permissions, 100000 outside the scope");
    assert_eq!(support::drange(d), (62, 8, 62, 12));
    // Every file gets its own publish: outside code's permissions and the scope, on its line `x`.
    let last = p.uri(&format!("artifacts/flood/f{:06}.md", N - 1));
    let pb = publish(&mut s, &last, Duration::from_secs(90), |_| true);
    let finding = t.elapsed();
    assert_eq!(pb.codes(), ["unauthorized-write", "out-of-scope"]);
    assert_eq!(support::drange(&pb.diagnostics[0]), (0, 0, 0, 1));
    let flagged =
        s.all_publishes().iter().filter(|pb| pb.path.starts_with(&flood) && pb.has("unauthorized-write")).count();
    assert_eq!(flagged, N);
    let log = s.stderr();
    let scan = log.lines().find(|l| l.contains("100000 files changed at once in"));
    let scan = scan.unwrap_or_else(|| panic!("one scan, not 100,000 git calls:\n{log}"));
    println!("  (server: {})", scan.split_once("INFO ").map_or(scan, |(_, l)| l));
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    // Most of the memory is the 100,000 publishes queued for a client that reads them slower.
    let peak = peak_under(&s, 768);
    report("100,000 files in one folder (git, one event each)", finding, hover, peak);
    s.shutdown_and_exit();
}

#[test]
fn a_path_of_4000_characters() {
    let p = Project::example();
    let mut s = start(&p);
    // A file whose absolute path is 4,090 characters: just under PATH_MAX (4,096 with its
    // NUL), each name under NAME_MAX (255); over 4,000 characters below the root.
    let abs_len = 4090;
    let mut rel = String::from("artifacts/prd");
    while p.root.as_os_str().len() + 1 + rel.len() + 1 + 200 + 1 + 20 < abs_len {
        rel.push('/');
        rel.push_str(&"d".repeat(200));
    }
    let name_len = abs_len - (p.root.as_os_str().len() + 1 + rel.len() + 1);
    let rel = format!("{rel}/{}.md", "f".repeat(name_len - 3));
    assert_eq!(p.path(&rel).as_os_str().len(), abs_len);
    assert!(rel.len() > 4000, "{}", rel.len());
    let t = Instant::now();
    s.write_file(&p.path(&rel), "x\n");
    let uri = p.uri(&rel);
    let pb = s.wait_for_latest(&uri, |pb| pb.has("unauthorized-write"));
    let finding = t.elapsed();
    let d = pb.one("unauthorized-write").clone();
    assert_eq!(support::drange(&d), (0, 0, 0, 1));
    assert!(message(&d).contains(&format!("created `{rel}`")));
    // Quarantining it would move it to a path over PATH_MAX: refused whole, nothing moved.
    let actions = s.code_actions(&uri, d["range"].clone(), vec![d.clone()]);
    let quarantine = support::titles(&actions).into_iter().find(|t| t.starts_with("Quarantine ")).expect("offered");
    let before = p.snapshot();
    let err = s.execute(&support::action(&actions, &quarantine)["command"]).expect_err("cannot be done");
    let why = message(&err);
    assert!(why.starts_with(&format!("could not move {rel} to artifacts/_untrusted/code/prd/")), "{why}");
    assert!(why.ends_with(": File name too long (os error 36); every completed step was undone, nothing changed"));
    assert_eq!(p.snapshot(), before, "nothing moved, nothing written");
    let hover = hover_code(&mut s, &p, "pipeline.yaml", CODE_IN_PIPELINE, 7);
    let peak = peak_under(&s, 100);
    report("a path of 4,000 characters", finding, hover, peak);
    s.shutdown_and_exit();
}

#[test]
fn a_file_rewritten_100_times_a_second() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let p = Project::example();
    let mut s = start(&p);
    let fixture = fixture_findings(&mut s, &p);
    let good = p.read("pipeline.yaml");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (root, stop, good) = (p.root.clone(), stop.clone(), good.clone());
        // The client's watcher reports each write as it happens, from its own thread.
        let watcher = s.notifier();
        std::thread::spawn(move || {
            let extra =
                format!("{good}\n  - id: extra\n    agent: agents/code.agent.md\n    outputs: [artifacts/extra/]\n");
            let broken = format!("{}\n  - id: [unclosed\n", &good[..good.len() / 2]);
            let started = Instant::now();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // Truncate and write, as an agent does: a reader can see it empty or half written.
                let text = [&good, &extra, &broken][n as usize % 3];
                std::fs::write(root.join("pipeline.yaml"), text).unwrap();
                std::fs::write(root.join("artifacts/live.md"), format!("line {n}\n")).unwrap();
                watcher.file_events(&[(&root.join("pipeline.yaml"), 2), (&root.join("artifacts/live.md"), 2)]);
                n += 1;
                // 100 a second, on a fixed schedule.
                let next = started + Duration::from_millis(10 * u64::from(n));
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            n
        })
    };
    // Meanwhile requests keep being answered in time.
    let storm = Instant::now();
    let (mut hovers, mut slowest) = (0, Duration::ZERO);
    while storm.elapsed() < Duration::from_secs(2) {
        let t = Instant::now();
        let id = s.send_request(
            "textDocument/hover",
            json!({"textDocument": {"uri": p.uri(".factory/state.json")}, "position": {"line": CODE_IN_STATE.0, "character": CODE_IN_STATE.1}}),
        );
        let r = s.response(id, HOVER_BOUND).expect("a hover");
        slowest = slowest.max(t.elapsed());
        let md = r["contents"]["value"].as_str().unwrap_or_default();
        // 7 or 8 stages; none when the reader caught the file empty.
        let known =
            ["**stage `code`** · 5 of 7\n", "**stage `code`** · 5 of 8\n", "**stage `code`**\n\nnot a stage of"];
        assert!(known.iter().any(|k| md.starts_with(k)), "{md}");
        hovers += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    assert!(writes >= 180, "only {writes} writes in 2 s");
    assert!(slowest < HOVER_BOUND, "{slowest:?}");
    // When the writing stops, the picture settles on the last text of each file.
    let t = Instant::now();
    s.write_file(&p.path("pipeline.yaml"), &good);
    s.write_file(&p.path("artifacts/live.md"), "final line\n");
    // pipeline.yaml: its own findings as at the start, and the summary of the one file written.
    let pb = s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| {
        let own: Vec<Value> = pb.diagnostics.iter().filter(|d| support::code(d) != "stage-summary").cloned().collect();
        own == fixture && pb.has("stage-summary")
    });
    assert_eq!(
        message(pb.one("stage-summary")),
        "stage `code` wrote 1 file outside its permissions, 1 outside the scope"
    );
    let live = s.wait_for_latest(&p.uri("artifacts/live.md"), |pb| {
        pb.has("unauthorized-write") && support::drange(pb.one("unauthorized-write")) == (0, 0, 0, 10)
    });
    let finding = t.elapsed();
    assert!(message(live.one("unauthorized-write")).contains("created `artifacts/live.md`"));
    let hover = slowest.max(hover_code(&mut s, &p, ".factory/state.json", CODE_IN_STATE, 7));
    let peak = peak_under(&s, 100);
    println!("  ({writes} writes of each file, {hovers} hovers answered meanwhile, the slowest in {slowest:?})");
    report("a file rewritten 100 times a second", finding, hover, peak);
    s.shutdown_and_exit();
}
