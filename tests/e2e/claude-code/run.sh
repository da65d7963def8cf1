#!/usr/bin/env bash
# The agent guard end to end with the real Claude Code CLI, offline against a local mock of the
# Messages API: installs @anthropic-ai/claude-code from npm into a cache when missing, then runs
# e2e.py against the release binary on the real fixture.
#
#   tests/e2e/claude-code/run.sh
#
# Env (all optional):
#   TOLLGATE_BIN   the binary (default: <repo>/target/release/tollgate; built if missing)
#   CC_VERSION     Claude Code version (default 2.1.197, the one this suite was proven with)
#   CC_PREFIX      npm prefix to install into (default: ~/.cache/tollgate-e2e/claude-code-$CC_VERSION)
#   WORKDIR        where the runs are kept (default: <repo>/tests/e2e/artifacts/claude-code)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
. "$here/../agent_cli.sh"
version="${CC_VERSION:-2.1.197}"
prefix="${CC_PREFIX:-$HOME/.cache/tollgate-e2e/claude-code-$version}"
claude="$(npm_cli @anthropic-ai/claude-code "$version" "$prefix" claude)"
if ! "$claude" --version >/dev/null 2>&1; then
  # The tarball ships bin/claude.exe as a stub that its postinstall replaces with the native
  # binary; when install scripts were blocked, run it by hand, else use the platform package.
  (cd "$prefix" && node node_modules/@anthropic-ai/claude-code/install.cjs) >&2 || true
  "$claude" --version >/dev/null 2>&1 ||
    claude="$(ls "$prefix"/node_modules/@anthropic-ai/claude-code-linux-*/claude 2>/dev/null | head -n1)"
fi
# Claude Code's sandbox on Linux runs commands in bubblewrap, with socat for its proxy.
if ! command -v bwrap >/dev/null 2>&1 || ! command -v socat >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap socat >/dev/null
fi
bin="$(tollgate_bin "$repo")"
work="${WORKDIR:-$repo/tests/e2e/artifacts/claude-code}"
mkdir -p "$work"
exec python3 "$here/e2e.py" "$claude" "$bin" "$repo/tests/fixtures/agent-app-factory" "$work"
