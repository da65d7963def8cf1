#!/usr/bin/env bash
# CI: a short run of every fuzz target on its committed seed corpus (fuzz/corpus/<target>/).
# With cargo-fuzz and a nightly toolchain: libFuzzer, ${FUZZ_SECONDS:-15}s per target.
# Without them (or FUZZ_STABLE=1): the stable runner, seeds + random mutations.
# Exits non-zero on a crash; the failing input lands in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-fuzz}"
SECS="${FUZZ_SECONDS:-15}"
TARGETS=(yaml_tree models pattern error_log lsp_messages)
if [[ -z "${FUZZ_STABLE:-}" ]] && cargo fuzz --version >/dev/null 2>&1 && cargo +nightly --version >/dev/null 2>&1; then
  for t in "${TARGETS[@]}"; do
    echo "== fuzz $t (${SECS}s, libFuzzer)"
    mkdir -p "fuzz/corpus-run/$t"
    (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus-run/$t" "corpus/$t" -- -max_total_time="$SECS" -max_len=65536 -timeout=20 -rss_limit_mb=2048)
  done
  echo "5 passed, 0 failed"
else
  echo "== fuzz targets on stable (seed corpus + random inputs, ${SECS}s each)"
  FUZZ_SECONDS="$SECS" cargo test --release --manifest-path fuzz/Cargo.toml --no-default-features --test corpus
fi
