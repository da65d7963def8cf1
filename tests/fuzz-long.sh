#!/usr/bin/env bash
# A long run of one fuzz target: tests/fuzz-long.sh TARGET SECONDS
# Targets: yaml_tree models pattern error_log lsp_messages.
# Uses libFuzzer (cargo-fuzz + nightly) when present, else the stable runner.
# New interesting inputs go to fuzz/corpus-run/TARGET (not committed); crashes to fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${1:?usage: tests/fuzz-long.sh TARGET SECONDS}"
S="${2:-600}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-fuzz}"
if [[ -z "${FUZZ_STABLE:-}" ]] && cargo fuzz --version >/dev/null 2>&1 && cargo +nightly --version >/dev/null 2>&1; then
  mkdir -p "fuzz/corpus-run/$T"
  cd fuzz && exec cargo +nightly fuzz run -O "$T" "corpus-run/$T" "corpus/$T" -- -max_total_time="$S" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
else
  FUZZ_TARGET="$T" FUZZ_SECONDS="$S" exec cargo test --release --manifest-path fuzz/Cargo.toml --no-default-features --test corpus
fi
