//! The bundled copy of the real project's files (`tests/fixtures/agent-app-factory`, copied
//! verbatim from hyz1992/agent-app-factory, see its README) must stay byte-identical to what was
//! published: tests on the copy are tests on the real thing. The sha256 of each file was taken
//! when it was copied; the example project keeps the same two files unchanged too.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

const PUBLISHED: &[(&str, &str)] = &[
    ("pipeline.yaml", "e18a6c1dd8113cc28ca44d16435a98c8bef83d1d0cb207880ae729e7cd648e2f"),
    ("policies/capability.matrix.md", "326c1510d06306796dd5a8dfe57e75f31fe892b125314e277674a682ed0b47c8"),
];

fn sha256(path: &PathBuf) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn bundled_fixture_is_the_published_one_byte_for_byte() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for dir in ["tests/fixtures/agent-app-factory", "tests/fixtures/example"] {
        for (rel, want) in PUBLISHED {
            assert_eq!(sha256(&repo.join(dir).join(rel)), *want, "{dir}/{rel} differs from the published file");
        }
    }
}
