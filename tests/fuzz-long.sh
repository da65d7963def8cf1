#!/usr/bin/env bash
# A long run of one fuzz target: tests/fuzz-long.sh TARGET SECONDS
# Targets: yaml_tree models pattern error_log lsp_messages.
# Uses libFuzzer (cargo-fuzz + nightly) when present, else the stable runner (or FUZZ_STABLE=1).
#   cargo install cargo-fuzz --locked        # once; about a minute
# The first libFuzzer build compiles every dependency with AddressSanitizer (about 4 minutes on
# 2 cores with CARGO_BUILD_JOBS=1); later targets reuse it. Optimized, with debug assertions and
# overflow checks (an overflow is a crash). FUZZ_SANITIZER=none builds without ASan (faster runs).
# New interesting inputs go to fuzz/corpus-run/TARGET (not committed); crashes to fuzz/artifacts/TARGET.
# Extra libFuzzer flags after the seconds: tests/fuzz-long.sh models 300 -seed=1
set -euo pipefail
cd "$(dirname "$0")/.."
T="${1:?usage: tests/fuzz-long.sh TARGET SECONDS [LIBFUZZER FLAGS...]}"
S="${2:-600}"
shift 2 || shift $#
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-fuzz}"
if [[ -z "${FUZZ_STABLE:-}" ]] && cargo fuzz --version >/dev/null 2>&1 && cargo +nightly --version >/dev/null 2>&1; then
  mkdir -p "fuzz/corpus-run/$T"
  extra=()
  # lsp_messages: each session leaves allocations behind in the shared runtime, so libFuzzer's leak
  # check scans the whole heap after every input (170 ms an input instead of 44 ms). A run with
  # it on found no leak. Pass -detect_leaks=1 after the seconds to turn it back on.
  [[ "$T" == lsp_messages ]] && extra+=(-detect_leaks=0)
  cd fuzz && exec cargo +nightly fuzz run -O -a -s "${FUZZ_SANITIZER:-address}" "$T" "corpus-run/$T" "corpus/$T" -- \
    -max_total_time="$S" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" "$@"
else
  FUZZ_TARGET="$T" FUZZ_SECONDS="$S" exec cargo test --release --manifest-path fuzz/Cargo.toml --no-default-features --test corpus
fi
