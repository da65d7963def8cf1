#!/usr/bin/env bash
# The whole benchmark suite, one command: the engine (`cargo bench`), the language
# server beside yaml-language-server and the bare-parse floor (`lsp.sh`), live edit
# checks on a 100,000-file git repository beside `git status` (`live_writes.py`),
# and changed-path detection beside `git status` (`changed_paths.sh`).
#
#   tests/bench/all.sh                 # everything (about 15 minutes on 2 cores)
#   EDITS=50 tests/bench/all.sh        # fewer keystrokes per server in lsp.sh
#
# Output goes to stdout and to tests/bench/last-run.txt (not committed). The
# figures in README.md and RESULTS.md come from this command.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$HERE"
OUT="$HERE/tests/bench/last-run.txt"
{
  echo "== $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== engine: cargo bench -p tollgate-engine"
  cargo bench -q -p tollgate-engine
  echo
  echo "== language server: tests/bench/lsp.sh ${LSP_SIZES:-100 1000 5000}"
  # shellcheck disable=SC2086
  bash tests/bench/lsp.sh ${LSP_SIZES:-100 1000 5000}
  echo
  echo "== live edit checks: tests/bench/live_writes.py"
  python3 tests/bench/live_writes.py
  echo
  echo "== changed paths: tests/bench/changed_paths.sh"
  bash tests/bench/changed_paths.sh
} 2>&1 | tee "$OUT"
