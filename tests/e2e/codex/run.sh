#!/usr/bin/env bash
# The agent guard end to end with the real Codex CLI, offline against a local mock of the
# Responses API: installs @openai/codex from npm into a cache when missing, then runs e2e.py
# against the release binary on the real fixture.
#
#   tests/e2e/codex/run.sh
#
# Env (all optional):
#   TOLLGATE_BIN    the binary (default: <repo>/target/release/tollgate; built if missing)
#   CODEX_VERSION   Codex version (default 0.171.0, the one this suite was proven with)
#   CODEX_PREFIX    npm prefix to install into (default: ~/.cache/tollgate-e2e/codex-$CODEX_VERSION)
#   WORKDIR         where the runs are kept (default: <repo>/tests/e2e/artifacts/codex, or
#                   ~/.cache/tollgate-e2e/codex-runs when the repository is under the temp dir:
#                   Codex refuses its helper binaries (apply_patch) there)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
. "$here/../agent_cli.sh"
version="${CODEX_VERSION:-0.171.0}"
prefix="${CODEX_PREFIX:-$HOME/.cache/tollgate-e2e/codex-$version}"
# The native binary (with its own bubblewrap) comes in the platform package, an optional dependency.
codex="$(npm_cli @openai/codex "$version" "$prefix" codex)"
bin="$(tollgate_bin "$repo")"
work="${WORKDIR:-$repo/tests/e2e/artifacts/codex}"
tmp="$(cd "${TMPDIR:-/tmp}" && pwd -P)"
case "$(mkdir -p "$work" && cd "$work" && pwd -P)/" in
  # A clone under the temp dir: the runs go to the cache instead.
  "$tmp"/*) [ -z "${WORKDIR:-}" ] && work="$HOME/.cache/tollgate-e2e/codex-runs" ;;
esac
mkdir -p "$work"
exec python3 "$here/e2e.py" "$codex" "$bin" "$repo/tests/fixtures/agent-app-factory" "$work"
