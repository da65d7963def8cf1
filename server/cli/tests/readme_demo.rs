//! The README's demo, as a reader pastes it: from the repository's top, twice in one shell.
//! The second paste must work as the first did (a new folder, the same finding, the same move).

use std::path::Path;
use std::process::Command;

/// The ```sh block that follows "To see the live part" in README.md.
fn demo() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let after = &readme[readme.find("To see the live part").expect("the demo's paragraph")..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    after[start..start + after[start..].find("```").unwrap()].to_string()
}

#[test]
fn the_readme_demo_can_be_pasted_twice() {
    let block = demo();
    // The demo runs the release build; here, the binary under test.
    let assignment = "T=./target/release/tollgate ";
    assert!(block.starts_with(assignment), "{block}");
    let block = block.replacen(assignment, &format!("T='{}' ", env!("CARGO_BIN_EXE_tollgate")), 1);
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{block}{block}"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!((out.status.code(), stderr.as_str()), (Some(0), ""), "{stdout}");
    // Each paste: status blocked on the write and naming the command, a dry run, the move.
    let count = |s: &str| stdout.matches(s).count();
    assert_eq!(count("  - [policy] unauthorized-write `artifacts/prd/sneaky.md`"), 2, "{stdout}");
    assert_eq!(count("next:      tollgate recover quarantine --path artifacts/prd/sneaky.md --stage code"), 2);
    assert_eq!(count("dry run: nothing was changed"), 2, "{stdout}");
    // Two folders, each with the file moved out of the stage's way.
    let folders: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    for d in folders {
        assert!(!d.join("artifacts/prd/sneaky.md").exists(), "{}", d.display());
        assert_eq!(std::fs::read_to_string(d.join("artifacts/_untrusted/code/prd/sneaky.md")).unwrap(), "not yours\n");
    }
}
