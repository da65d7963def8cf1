//! Live edit checks (issue 4) over real JSON-RPC, on the example project (the
//! real pipeline and matrix, an active run of stage `code`, a scope), in a git
//! repository and outside one, with the client watching files for the server
//! (dynamic registration, `workspace/didChangeWatchedFiles`) and without (the
//! server watches the disk itself).

mod support;

use serde_json::json;
use support::{drange, find, range_of, Enc, Project, Publish, TestServer, TIMEOUT};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vcs {
    Git,
    Plain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watch {
    /// The client registers the watcher and sends `didChangeWatchedFiles`.
    Client,
    /// The client cannot: the server watches the disk itself.
    Server,
}

/// The scenarios run with the client watching; the server's own watcher has tests of its own below.
const ALL: [(Vcs, Watch); 2] = [(Vcs::Git, Watch::Client), (Vcs::Plain, Watch::Client)];

const EDIT_CODES: [&str; 4] = ["unauthorized-write", "out-of-scope", "deleted-output", "stage-summary"];

/// The example project, `prepare`d, committed (git) or with old mtimes (plain),
/// and a server on it whose first scan is done.
fn start(vcs: Vcs, watch: Watch, prepare: impl FnOnce(&Project)) -> (Project, TestServer) {
    let p = Project::example();
    prepare(&p);
    match vcs {
        Vcs::Git => {
            p.git_init();
        }
        Vcs::Plain => {
            for (rel, _) in p.snapshot().iter().filter(|(k, _)| !k.ends_with('/')) {
                support::set_old_mtime(&p.path(rel));
            }
        }
    }
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).dynamic_watch(watch == Watch::Client).start();
    if watch == Watch::Client {
        s.wait_for_watch_registration();
    }
    // The first scan publishes pipeline.yaml's file findings (4 output-outside-permissions).
    let pipeline = p.uri("pipeline.yaml");
    s.wait_for_diagnostics(&pipeline, |pb| pb.has("output-outside-permissions"), TIMEOUT);
    assert_no_edit_findings(&mut s, &p, "at start");
    (p, s)
}

fn assert_no_edit_findings(s: &mut TestServer, p: &Project, when: &str) {
    let mut latest = std::collections::BTreeMap::new();
    for pb in s.all_publishes() {
        latest.insert(pb.path.clone(), pb);
    }
    for (path, pb) in latest {
        let edit: Vec<&str> = pb.codes().into_iter().filter(|c| EDIT_CODES.contains(c)).collect();
        assert!(edit.is_empty(), "{when}: {} has {edit:?} under {}", path.display(), p.root.display());
    }
}

/// The edit findings now published for `rel` (its latest publish; none if never published).
fn edit_codes(s: &mut TestServer, p: &Project, rel: &str) -> Vec<String> {
    s.latest(&p.uri(rel))
        .map(|pb| pb.codes().into_iter().filter(|c| EDIT_CODES.contains(c)).map(str::to_string).collect())
        .unwrap_or_default()
}

fn wait_unauthorized(s: &mut TestServer, p: &Project, rel: &str) -> Publish {
    s.wait_for_latest(&p.uri(rel), |pb| pb.has("unauthorized-write"))
}

/// The same, once the finding sits on `range`: a watcher may see a file created
/// before its bytes are in, and publish the empty file's finding first.
fn wait_unauthorized_on(s: &mut TestServer, p: &Project, rel: &str, range: (u64, u64, u64, u64)) -> Publish {
    s.wait_for_latest(&p.uri(rel), |pb| pb.with_code("unauthorized-write").first().is_some_and(|d| drange(d) == range))
}

#[test]
fn a_file_written_in_prd_is_an_unauthorized_write_and_one_in_backend_src_is_not() {
    for (vcs, watch) in ALL {
        let (p, mut s) = start(vcs, watch, |_| {});
        let ctx = format!("{vcs:?}/{watch:?}");
        // First a write inside the permissions and the scope, then one outside both.
        s.write_file(&p.path("artifacts/backend/src/routes.ts"), "export const routes = [];\n");
        s.write_file(&p.path("artifacts/prd/sneaky.md"), "# sneaky\nmore\n");
        let pb = wait_unauthorized_on(&mut s, &p, "artifacts/prd/sneaky.md", (0, 0, 0, 8));
        let d = pb.one("unauthorized-write");
        assert_eq!(d["severity"], 1, "{ctx}");
        assert_eq!(drange(d), (0, 0, 0, 8), "{ctx}: on the first line, `# sneaky`");
        let msg = d["message"].as_str().unwrap();
        assert!(msg.contains("stage `code`") && msg.contains("artifacts/prd/sneaky.md"), "{ctx}: {msg}");
        assert!(msg.contains("Return point: user"), "{ctx}: {msg}");
        assert_eq!(d["data"]["blocker"], json!({"class": "policy", "return_to": "user"}), "{ctx}");
        // Outside the scope too (`*.md` is the root only): both findings, the scope one a warning.
        let o = pb.one("out-of-scope");
        assert_eq!(o["severity"], 2, "{ctx}");
        assert_eq!(o["data"]["blocker"], json!({"class": "scope", "return_to": "exploration"}), "{ctx}");
        // The backend file was handled before the prd one: it has nothing.
        assert!(edit_codes(&mut s, &p, "artifacts/backend/src/routes.ts").is_empty(), "{ctx}");
        // Removed again: cleared.
        s.remove_file(&p.path("artifacts/prd/sneaky.md"));
        s.wait_for_latest(&p.uri("artifacts/prd/sneaky.md"), |pb| pb.diagnostics.is_empty());
        s.shutdown_and_exit();
    }
}

#[test]
fn stage_summary_sits_on_the_current_stage_id() {
    for (vcs, watch) in ALL {
        let (p, mut s) = start(vcs, watch, |_| {});
        let ctx = format!("{vcs:?}/{watch:?}");
        for rel in ["artifacts/prd/a.md", "artifacts/prd/b.md", "artifacts/tech/c.md", "artifacts/backend/notes.txt"] {
            s.write_file(&p.path(rel), "x\n");
        }
        let uri = p.uri("pipeline.yaml");
        // The four writes arrive as separate events: wait for the picture after the last.
        let pb = s.wait_for_latest(&uri, |pb| {
            pb.with_code("stage-summary")
                .first()
                .is_some_and(|d| d["message"].as_str().unwrap().ends_with("4 outside the scope"))
        });
        let d = pb.one("stage-summary");
        let text = p.read("pipeline.yaml");
        let (at, _) = find(&text, "- id: code", 0);
        let expected = support::range(&text, (at + 6, at + 10), Enc::Utf16);
        assert_eq!(d["range"], expected, "{ctx}");
        assert_eq!(d["severity"], 3, "{ctx}");
        assert_eq!(d["message"], "stage `code` wrote 3 files outside its permissions, 4 outside the scope", "{ctx}");
        assert_eq!(d["data"]["blocker"], json!({"class": "build", "return_to": "build"}), "{ctx}");
        s.shutdown_and_exit();
    }
}

#[test]
fn buffer_only_edits_outside_the_scope_warn_and_inside_an_exclude_error() {
    for vcs in [Vcs::Git, Vcs::Plain] {
        let (p, mut s) = start(vcs, Watch::Client, |p| {
            // Inside code's permissions (artifacts/backend/), outside every allow entry of the scope.
            p.write("artifacts/backend/package.json", "{\n  \"name\": \"api\"\n}\n");
        });
        let ctx = format!("{vcs:?}");
        // Open (same as disk): nothing. Edit without saving: out-of-scope, a warning, on the changed line.
        let uri = p.uri("artifacts/backend/package.json");
        s.open(&uri);
        s.wait_for_version(&uri, 1);
        assert!(edit_codes(&mut s, &p, "artifacts/backend/package.json").is_empty(), "{ctx}");
        let v = s.replace(&uri, "\"api\"", "\"api2\"");
        let pb = s.wait_for_version(&uri, v);
        let d = pb.one("out-of-scope");
        assert_eq!(d["severity"], 2, "{ctx}");
        assert_eq!(drange(d).0, 1, "{ctx}: on the first changed line");
        assert!(!pb.has("unauthorized-write"), "{ctx}");
        let msg = d["message"].as_str().unwrap();
        assert!(msg.contains("artifacts/backend/package.json") && msg.contains("exploration"), "{ctx}: {msg}");
        // Undone in the buffer: the buffer equals the disk again, nothing.
        let v = s.replace(&uri, "\"api2\"", "\"api\"");
        let pb = s.wait_for_version(&uri, v);
        assert!(!pb.has("out-of-scope"), "{ctx}: {}", support::describe(&pb.diagnostics));

        // Inside an exclude (artifacts/backend/prisma/**): an error, and no expand-scope fix.
        let uri = p.uri("artifacts/backend/prisma/schema.prisma");
        s.open(&uri);
        s.wait_for_version(&uri, 1);
        let v = s.replace(&uri, "  id Int @id\n", "  id Int @id\n  email String\n");
        let pb = s.wait_for_version(&uri, v);
        let d = pb.one("out-of-scope");
        assert_eq!(d["severity"], 1, "{ctx}");
        assert_eq!(drange(d).0, 2, "{ctx}: on the inserted line");
        assert!(d["message"].as_str().unwrap().contains("artifacts/backend/prisma/**"), "{ctx}: {d}");
        assert!(!pb.has("unauthorized-write"), "{ctx}");
        // A buffer edit of a file of an earlier stage outside code's permissions: both.
        let uri = p.uri("artifacts/prd/prd.md");
        s.open(&uri);
        s.wait_for_version(&uri, 1);
        let v = s.set_text(&uri, "# PRD (edited)\n");
        let pb = s.wait_for_version(&uri, v);
        assert!(
            pb.has("unauthorized-write") && pb.has("out-of-scope"),
            "{ctx}: {}",
            support::describe(&pb.diagnostics)
        );
        // Closed without saving: back to the disk, nothing.
        s.close(&uri);
        s.wait_for_latest(&uri, |pb| pb.diagnostics.is_empty());
        s.shutdown_and_exit();
    }
}

#[test]
fn a_rename_out_of_and_back_into_bounds() {
    rename_out_and_back(Vcs::Git);
}

/// Outside git a moved file keeps its old mtime: the server must still see the
/// rename it was told about (or use the ctime).
#[test]
fn a_rename_out_of_and_back_into_bounds_outside_git() {
    rename_out_and_back(Vcs::Plain);
}

fn rename_out_and_back(vcs: Vcs) {
    {
        let watch = Watch::Client;
        let (p, mut s) = start(vcs, watch, |_| {});
        let ctx = format!("{vcs:?}/{watch:?}");
        // A tracked file (git) / an old file (plain) of the code stage moves into prd.
        let (inside, outside) = (p.path("artifacts/backend/src/server.ts"), p.path("artifacts/prd/server.ts"));
        s.rename_file(&inside, &outside);
        let pb = wait_unauthorized(&mut s, &p, "artifacts/prd/server.ts");
        assert_eq!(drange(pb.one("unauthorized-write")), (0, 0, 0, 32), "{ctx}");
        // And back: cleared, and nothing left on the file's own place.
        s.rename_file(&outside, &inside);
        s.wait_for_latest(&p.uri("artifacts/prd/server.ts"), |pb| !pb.has("unauthorized-write"));
        s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| !pb.has("stage-summary"));
        assert!(edit_codes(&mut s, &p, "artifacts/backend/src/server.ts").is_empty(), "{ctx}");
        assert_no_edit_findings(&mut s, &p, &ctx);
        s.shutdown_and_exit();
    }
}

#[test]
fn deleting_a_completed_stage_output_is_deleted_output_on_its_pipeline_entry() {
    delete_output(Vcs::Git);
}

/// Outside git the server hears the deletion from the watcher all the same.
#[test]
fn deleting_a_completed_stage_output_outside_git() {
    delete_output(Vcs::Plain);
}

fn delete_output(vcs: Vcs) {
    {
        let watch = Watch::Client;
        let (p, mut s) = start(vcs, watch, |_| {});
        let ctx = format!("{vcs:?}/{watch:?}");
        s.remove_file(&p.path("artifacts/prd/prd.md"));
        let uri = p.uri("pipeline.yaml");
        let pb = s.wait_for_latest(&uri, |pb| pb.has("deleted-output"));
        let d = pb.one("deleted-output");
        let text = p.read("pipeline.yaml");
        // prd's output entry (the first mention of the path), not ui's or tech's input.
        assert_eq!(d["range"], range_of(&text, "artifacts/prd/prd.md", 0, Enc::Utf16), "{ctx}");
        assert_eq!(drange(d), (26, 8, 26, 28), "{ctx}");
        assert_eq!(d["severity"], 2, "{ctx}");
        assert_eq!(d["data"]["blocker"], json!({"class": "build", "return_to": "build"}), "{ctx}");
        // The deleted file's own URI carries the write finding all the same (git sees the deletion).
        if vcs == Vcs::Git {
            let pb = wait_unauthorized(&mut s, &p, "artifacts/prd/prd.md");
            assert!(pb.one("unauthorized-write")["message"].as_str().unwrap().contains("deleted"), "{ctx}");
        }
        // Restored: cleared.
        s.write_file(
            &p.path("artifacts/prd/prd.md"),
            support::fixtures()
                .join("example/artifacts/prd/prd.md")
                .to_str()
                .map(|f| std::fs::read(f).unwrap())
                .unwrap(),
        );
        if vcs == Vcs::Plain {
            support::set_old_mtime(&p.path("artifacts/prd/prd.md"));
            // The mtime changed after the event: tell the server again, as a watcher would.
            if watch == Watch::Client {
                s.file_events(&[(&p.path("artifacts/prd/prd.md"), 2)]);
            }
        }
        s.wait_for_latest(&uri, |pb| !pb.has("deleted-output"));
        s.shutdown_and_exit();
    }
}

#[test]
fn an_idle_run_gives_no_edit_findings_until_it_runs() {
    for vcs in [Vcs::Git, Vcs::Plain] {
        let (p, mut s) = start(vcs, Watch::Client, |p| {
            let state = p.read(".factory/state.json").replace("\"status\": \"running\"", "\"status\": \"idle\"");
            p.write(".factory/state.json", state);
        });
        let ctx = format!("{vcs:?}");
        s.write_file(&p.path("artifacts/prd/sneaky.md"), "x\n");
        s.remove_file(&p.path("artifacts/tech/tech.md"));
        // A barrier: a buffer edit after those events (notifications are handled in order).
        let uri = p.uri("pipeline.yaml");
        s.open(&uri);
        let v = s.replace(&uri, "version: 1\n", "version: 1 # idle\n");
        s.wait_for_version(&uri, v);
        assert_no_edit_findings(&mut s, &p, &ctx);
        // The run starts (state.json edited in its buffer): the same changes are findings now.
        let suri = p.uri(".factory/state.json");
        s.open(&suri);
        s.replace(&suri, "\"status\": \"idle\"", "\"status\": \"running\"");
        wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
        s.wait_for_latest(&uri, |pb| pb.has("stage-summary"));
        s.shutdown_and_exit();
    }
}

#[test]
fn control_and_governance_files_are_never_flagged() {
    for (vcs, watch) in ALL {
        let (p, mut s) = start(vcs, watch, |_| {});
        let ctx = format!("{vcs:?}/{watch:?}");
        let quiet = [
            ".factory/notes.md",
            "pipeline/error.log",
            "artifacts/_failed/code/attempt-1/backend/src/server.ts",
            "artifacts/_untrusted/code/prd/sneaky.md",
            "agents/extra.agent.md",
            "policies/extra.md",
            "skills/x/SKILL.md",
        ];
        for rel in quiet {
            s.write_file(&p.path(rel), "x\n");
        }
        // A buffer edit of a control file too.
        let e = p.uri("pipeline/error.log");
        s.open_text(&e, "edited, not saved\n");
        // Then one that is flagged: once it shows, the ones before were handled.
        s.write_file(&p.path("artifacts/prd/sneaky.md"), "x\n");
        wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
        for rel in quiet {
            assert!(edit_codes(&mut s, &p, rel).is_empty(), "{ctx}: {rel} flagged");
        }
        let pb = s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| pb.has("stage-summary"));
        assert_eq!(
            pb.one("stage-summary")["message"],
            "stage `code` wrote 1 file outside its permissions, 1 outside the scope",
            "{ctx}"
        );
        s.shutdown_and_exit();
    }
}

#[test]
fn file_names_with_spaces_and_non_ascii_characters() {
    for (vcs, watch) in ALL {
        let (p, mut s) = start(vcs, watch, |p| {
            p.write("artifacts/backend/设计 notes.md", "旧\n");
        });
        let ctx = format!("{vcs:?}/{watch:?}");
        let rel = "artifacts/prd/my notes 草稿 #1.md";
        s.write_file(&p.path(rel), "草稿\n");
        let pb = wait_unauthorized(&mut s, &p, rel);
        assert_eq!(pb.path, p.path(rel), "{ctx}");
        // UTF-16: one unit per CJK character on the first line.
        assert_eq!(drange(pb.one("unauthorized-write")), (0, 0, 0, 2), "{ctx}");
        assert!(pb.one("unauthorized-write")["message"].as_str().unwrap().contains(rel), "{ctx}");
        // A buffer-only edit of a file with such a name (in the permissions, outside the scope).
        let uri = p.uri("artifacts/backend/设计 notes.md");
        s.open(&uri);
        let v = s.replace(&uri, "旧", "新的");
        let pb = s.wait_for_version(&uri, v);
        assert_eq!(pb.one("out-of-scope")["severity"], 2, "{ctx}");
        assert_eq!(drange(pb.one("out-of-scope")), (0, 0, 0, 2), "{ctx}");
        s.shutdown_and_exit();
    }
}

#[test]
fn gitignored_files_are_not_changes() {
    let (p, mut s) = start(Vcs::Git, Watch::Client, |p| {
        p.write(".gitignore", "artifacts/prd/*.log\n");
    });
    s.write_file(&p.path("artifacts/prd/debug.log"), "noise\n");
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "x\n");
    wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
    assert!(edit_codes(&mut s, &p, "artifacts/prd/debug.log").is_empty());
    s.shutdown_and_exit();
}

// ----- the server's own watcher (a client without dynamic registration) -----

/// Every publish so far is for a URI under the root.
fn assert_all_under_root(s: &mut TestServer, p: &Project, ctx: &str) {
    for pb in s.all_publishes() {
        assert!(pb.path.starts_with(&p.root), "{ctx}: published on {} outside the root {}", pb.uri, p.root.display());
    }
}

#[test]
fn the_server_watches_the_disk_when_the_client_cannot() {
    for vcs in [Vcs::Git, Vcs::Plain] {
        let (p, mut s) = start(vcs, Watch::Server, |_| {});
        let ctx = format!("{vcs:?}/server watcher");
        assert!(s.registrations().is_empty(), "{ctx}: nothing to register with this client");
        s.write_file(&p.path("artifacts/backend/src/routes.ts"), "export const routes = [];\n");
        s.write_file(&p.path("artifacts/prd/sneaky.md"), "# sneaky\n");
        let pb = wait_unauthorized_on(&mut s, &p, "artifacts/prd/sneaky.md", (0, 0, 0, 8));
        assert_eq!(drange(pb.one("unauthorized-write")), (0, 0, 0, 8), "{ctx}");
        let summary = s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| pb.has("stage-summary"));
        assert_eq!(
            summary.one("stage-summary")["message"],
            "stage `code` wrote 1 file outside its permissions, 1 outside the scope",
            "{ctx}"
        );
        assert!(edit_codes(&mut s, &p, "artifacts/backend/src/routes.ts").is_empty(), "{ctx}");
        // A rename out of bounds and back.
        s.rename_file(&p.path("artifacts/backend/src/routes.ts"), &p.path("artifacts/tech/routes.ts"));
        wait_unauthorized(&mut s, &p, "artifacts/tech/routes.ts");
        s.rename_file(&p.path("artifacts/tech/routes.ts"), &p.path("artifacts/backend/src/routes.ts"));
        s.wait_for_latest(&p.uri("artifacts/tech/routes.ts"), |pb| !pb.has("unauthorized-write"));
        // A delete.
        s.remove_file(&p.path("artifacts/prd/sneaky.md"));
        s.wait_for_latest(&p.uri("artifacts/prd/sneaky.md"), |pb| pb.diagnostics.is_empty());
        assert_all_under_root(&mut s, &p, &ctx);
        s.shutdown_and_exit();
    }
}

/// Once the disk is quiet, the server is too: its own reads must not feed its watcher.
#[test]
fn the_server_watcher_settles_when_the_disk_is_quiet() {
    for vcs in [Vcs::Git, Vcs::Plain] {
        let (p, mut s) = start(vcs, Watch::Server, |_| {});
        let ctx = format!("{vcs:?}/server watcher");
        for rel in ["artifacts/prd/a.md", "artifacts/prd/b.md", "artifacts/tech/c.md", "artifacts/backend/notes.txt"] {
            s.write_file(&p.path(rel), "x\n");
        }
        s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| {
            pb.with_code("stage-summary")
                .first()
                .is_some_and(|d| d["message"].as_str().unwrap().starts_with("stage `code` wrote 3 files"))
        });
        // Bounded observation of an idle server: 1 s with no file touched.
        let before = s.all_publishes().len();
        let quiet_until = std::time::Instant::now() + std::time::Duration::from_millis(1000);
        while std::time::Instant::now() < quiet_until {
            std::thread::sleep(std::time::Duration::from_millis(50));
            s.drain();
        }
        let after = s.all_publishes().len();
        assert!(after - before <= 12, "{ctx}: {} publishes in 1 s with the disk quiet", after - before);
        let summary = s.latest(&p.uri("pipeline.yaml")).unwrap();
        assert_eq!(
            summary.one("stage-summary")["message"],
            "stage `code` wrote 3 files outside its permissions, 4 outside the scope",
            "{ctx}"
        );
        assert_all_under_root(&mut s, &p, &ctx);
        s.shutdown_and_exit();
    }
}

/// Editors send events for folders too (VS Code: a folder created, deleted or
/// renamed). One for the root folder itself must not invent changes.
#[test]
fn an_event_for_the_root_folder_itself_invents_nothing() {
    for vcs in [Vcs::Git, Vcs::Plain] {
        let (p, mut s) = start(vcs, Watch::Client, |_| {});
        let ctx = format!("{vcs:?}");
        s.write_file(&p.path("artifacts/prd/a.md"), "x\n");
        wait_unauthorized(&mut s, &p, "artifacts/prd/a.md");
        s.file_events(&[(&p.root, 2)]);
        s.write_file(&p.path("artifacts/prd/b.md"), "x\n");
        wait_unauthorized(&mut s, &p, "artifacts/prd/b.md");
        let summary = s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| {
            pb.with_code("stage-summary").first().is_some_and(|d| !d["message"].as_str().unwrap().contains(" 1 file"))
        });
        assert_eq!(
            summary.one("stage-summary")["message"],
            "stage `code` wrote 2 files outside its permissions, 2 outside the scope",
            "{ctx}"
        );
        assert_all_under_root(&mut s, &p, &ctx);
        s.shutdown_and_exit();
    }
}

/// Outside git, a file the run wrote before the server started is a change at the
/// first scan; removing it (a quarantine moves it away) restores the picture and
/// must not be reported as a deletion outside the permissions.
#[test]
fn removing_a_file_the_run_wrote_outside_git_leaves_no_finding() {
    let p = Project::example();
    for (rel, _) in p.snapshot().iter().filter(|(k, _)| !k.ends_with('/')) {
        support::set_old_mtime(&p.path(rel));
    }
    std::fs::write(p.path("artifacts/prd/sneaky.md"), "# Sneaky\n").unwrap();
    let mut s = TestServer::builder().root(&p.root).encoding(Enc::Utf16).dynamic_watch(true).start();
    s.wait_for_watch_registration();
    wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
    s.remove_file(&p.path("artifacts/prd/sneaky.md"));
    s.wait_for_latest(&p.uri("artifacts/prd/sneaky.md"), |pb| pb.diagnostics.is_empty());
    s.wait_for_latest(&p.uri("pipeline.yaml"), |pb| !pb.has("stage-summary"));
    assert_no_edit_findings(&mut s, &p, "after the removal");
    s.shutdown_and_exit();
}

/// A run made idle in an unsaved buffer, then the buffer closed: the disk's
/// state holds again, so the run is active and its changes are findings again.
#[test]
fn closing_an_unsaved_state_buffer_brings_the_run_back() {
    let (p, mut s) = start(Vcs::Git, Watch::Client, |_| {});
    s.write_file(&p.path("artifacts/prd/sneaky.md"), "x\n");
    wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
    let suri = p.uri(".factory/state.json");
    s.open(&suri);
    s.replace(&suri, "\"status\": \"running\"", "\"status\": \"idle\"");
    s.wait_for_latest(&p.uri("artifacts/prd/sneaky.md"), |pb| !pb.has("unauthorized-write"));
    s.close(&suri);
    wait_unauthorized(&mut s, &p, "artifacts/prd/sneaky.md");
    s.shutdown_and_exit();
}
