#!/usr/bin/env bash
# Times changed-path detection on a generated factory root: `tollgate check`
# (git facts + changed paths + every check) next to the bare `git status` it is
# built on, then the same root outside git (the mtime walk).
#
# Usage: tests/bench/changed_paths.sh [FILES] [MODIFIED] [UNTRACKED] [RUNS]
#   defaults: 20000 tracked files, 200 modified, 200 untracked (+2000 ignored), 5 runs
# TOLLGATE=/path/to/tollgate picks the binary; else a release build is made in
# ${CARGO_TARGET_DIR:-target}.
set -euo pipefail

FILES=${1:-20000}
MODIFIED=${2:-200}
UNTRACKED=${3:-200}
RUNS=${4:-5}
HERE=$(cd "$(dirname "$0")/../.." && pwd)

if [[ -z "${TOLLGATE:-}" ]]; then
  (cd "$HERE" && cargo build --release -q -p tollgate)
  TOLLGATE="${CARGO_TARGET_DIR:-$HERE/target}/release/tollgate"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/app"
mkdir -p "$ROOT/.factory" "$ROOT/policies"
cp "$HERE/tests/fixtures/agent-app-factory/pipeline.yaml" "$ROOT/" 2>/dev/null ||
  printf 'stages:\n  - id: code\n    agent: a.md\n    outputs: [artifacts/backend/]\n' >"$ROOT/pipeline.yaml"
cp "$HERE/tests/fixtures/agent-app-factory/policies/capability.matrix.md" "$ROOT/policies/" 2>/dev/null || true
printf 'node_modules/\n' >"$ROOT/.gitignore"

# Tracked files spread over 100 directories (half allowed for `code`, half not).
awk -v n="$FILES" -v root="$ROOT" 'BEGIN {
  for (d = 0; d < 100; d++) {
    dir = (d % 2 ? "artifacts/backend/m" : "artifacts/prd/m") d
    system("mkdir -p \"" root "/" dir "\" \"" root "/node_modules/" dir "\"")
    dirs[d] = dir
  }
  for (i = 0; i < n; i++) {
    f = root "/" dirs[i % 100] "/file " i ".ts"
    printf "// file %d\nexport const v%d = %d;\n", i, i, i > f
    close(f)
  }
}'
git -C "$WORK" init -q
git -C "$WORK" add -A
git -C "$WORK" -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -q -m base

cat >"$ROOT/.factory/state.json" <<'JSON'
{"version": "1.0", "status": "running", "currentStage": "code", "completedStages": ["bootstrap", "prd", "ui", "tech"],
 "failedStages": [], "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2000-01-01T00:00:00Z", "attempts": 1}]}
JSON
awk -v m="$MODIFIED" -v u="$UNTRACKED" -v n="$FILES" -v root="$ROOT" 'BEGIN {
  for (i = 0; i < m && i < n; i++) {
    d = i % 100; dir = (d % 2 ? "artifacts/backend/m" : "artifacts/prd/m") d
    f = root "/" dir "/file " i ".ts"; printf "// file %d\nexport const v%d = -1;\n", i, i > f; close(f)
  }
  for (i = 0; i < u; i++) { f = root "/artifacts/prd/新 " i ".md"; print "new" > f; close(f) }
  for (i = 0; i < 2000; i++) { f = root "/node_modules/x" i ".js"; print "ignored" > f; close(f) }
}'

ms() { date +%s%N; }
bench() { # name, command...
  local name=$1 best=999999 total=0 t0 t1 d
  shift
  for ((r = 0; r < RUNS; r++)); do
    t0=$(ms)
    "$@" >/dev/null 2>&1 || true
    t1=$(ms)
    d=$(((t1 - t0) / 1000000))
    ((d < best)) && best=$d
    total=$((total + d))
  done
  printf '%-34s best %5d ms   mean %5d ms\n' "$name" "$best" $((total / RUNS))
}

echo "root: $FILES tracked, $MODIFIED modified, $UNTRACKED untracked, 2000 ignored; $RUNS runs each"
FINDINGS=$("$TOLLGATE" check "$ROOT" --format json 2>/dev/null | grep -o '"code": *"unauthorized-write"' | wc -l || true)
echo "unauthorized-write findings: $FINDINGS (expected $((MODIFIED / 2 + UNTRACKED)))"
bench "git status --porcelain=v2 -z" git -C "$ROOT" status --porcelain=v2 -z --untracked-files=all --no-renames -- .
bench "tollgate check (git)" "$TOLLGATE" check "$ROOT" --format json
mv "$WORK/.git" "$WORK/.git.off"
bench "tollgate check (mtime walk)" "$TOLLGATE" check "$ROOT" --format json
mv "$WORK/.git.off" "$WORK/.git"
