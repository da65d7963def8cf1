#!/usr/bin/env bash
# The agent guard end to end with the real Gemini CLI, offline against a local mock of the
# Gemini API: installs @google/gemini-cli from npm into a cache when missing, then runs e2e.py
# against the release binary on the real fixture.
#
#   tests/e2e/gemini-cli/run.sh
#
# Env (all optional):
#   TOLLGATE_BIN   the binary (default: <repo>/target/release/tollgate; built if missing)
#   GEMINI_VERSION Gemini CLI version (default 0.61.0, the one this suite was proven with)
#   GEMINI_PREFIX  npm prefix to install into (default: ~/.cache/tollgate-e2e/gemini-cli-$GEMINI_VERSION)
#   WORKDIR        where the runs are kept (default: <repo>/tests/e2e/artifacts/gemini-cli)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
. "$here/../agent_cli.sh"
version="${GEMINI_VERSION:-0.61.0}"
prefix="${GEMINI_PREFIX:-$HOME/.cache/tollgate-e2e/gemini-cli-$version}"
gemini="$(npm_cli @google/gemini-cli "$version" "$prefix" gemini)"
bin="$(tollgate_bin "$repo")"
work="${WORKDIR:-$repo/tests/e2e/artifacts/gemini-cli}"
mkdir -p "$work"
exec python3 "$here/e2e.py" "$gemini" "$bin" "$repo/tests/fixtures/agent-app-factory" "$work"
