//! The bundled copy of the real project's files must stay byte-identical to the
//! shared fixture (`../shared/fixtures/agent-app-factory`), which is the real
//! pipeline and matrix as published: tests on the copy are tests on the real thing.

use std::path::PathBuf;

#[test]
fn bundled_fixture_is_the_shared_one_byte_for_byte() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = repo.join("../shared/fixtures/agent-app-factory");
    assert!(shared.is_dir(), "{} is missing: the shared folder must sit beside the repository", shared.display());
    for rel in ["pipeline.yaml", "policies/capability.matrix.md", "README.md"] {
        let ours = std::fs::read(repo.join("tests/fixtures/agent-app-factory").join(rel)).unwrap();
        let theirs = std::fs::read(shared.join(rel)).unwrap();
        assert!(ours == theirs, "tests/fixtures/agent-app-factory/{rel} differs from the shared fixture");
    }
    // The example project keeps the same two files unchanged too.
    for rel in ["pipeline.yaml", "policies/capability.matrix.md"] {
        let example = std::fs::read(repo.join("tests/fixtures/example").join(rel)).unwrap();
        assert!(example == std::fs::read(shared.join(rel)).unwrap(), "tests/fixtures/example/{rel} differs");
    }
}
