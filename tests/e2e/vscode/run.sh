#!/usr/bin/env bash
# End-to-end test of the VS Code extension in real VS Code (code-server 4.100.3 = VS Code 1.100.3)
# driven by headless chromium. Screenshots of each step go to tests/e2e/artifacts/vscode/.
#
#   bash tests/e2e/vscode/run.sh
#
# Steps: (a) install code-server, playwright-core and chromium into a cache (skipped when there),
# (b) build the release binary and the .vsix, (c) make a throwaway copy of the example project
# with an active run, (d) serve it with the .vsix installed and `tollgate.path` set, and probe it:
# the unauthorized-write squiggle and Problems entry, the "Quarantine…" code action and the file
# moved on disk, the error-log grammar, the Tollgate view (stages, a blocker opening its finding,
# Compare with Current, a live update); then once more with a missing binary (the error message).
#
# Env: TOLLGATE_E2E_CACHE (install dir, default ~/.cache/tollgate-e2e/vscode), TOLLGATE_BIN (use this
# binary instead of building target/release/tollgate), TOLLGATE_E2E_SKIP_BUILD=1 (use the existing
# .vsix and binary), TOLLGATE_E2E_SCENARIOS ("main missing-binary"), TOLLGATE_E2E_KEEP=1 (keep temp dirs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${TOLLGATE_E2E_CACHE:-$HOME/.cache/tollgate-e2e/vscode}
SHOTS="$REPO/tests/e2e/artifacts/vscode"
SCENARIOS=${TOLLGATE_E2E_SCENARIOS:-main missing-binary}
T_START=$(date +%s)

# (a) code-server + playwright-core + chromium
bash "$HERE/setup.sh" "$CACHE"
CS="$CACHE/node_modules/.bin/code-server"

# (b) the binary and the .vsix
EXT="$REPO/editors/vscode"
if [ -n "${TOLLGATE_BIN:-}" ]; then
  BIN=$(realpath "$TOLLGATE_BIN")
elif [ "${TOLLGATE_E2E_SKIP_BUILD:-}" = 1 ]; then
  BIN="$REPO/target/release/tollgate"
else
  echo "e2e: cargo build --release (log: tests/e2e/artifacts/vscode-cargo-build.log)"
  mkdir -p "$SHOTS"
  (cd "$REPO" && env -u CARGO_TARGET_DIR cargo build --release) > "$SHOTS/../vscode-cargo-build.log" 2>&1 \
    || { tail -30 "$SHOTS/../vscode-cargo-build.log"; echo "e2e: cargo build --release failed"; exit 2; }
  BIN="$REPO/target/release/tollgate"
fi
[ -x "$BIN" ] || { echo "e2e: no tollgate binary at $BIN"; exit 2; }
if [ "${TOLLGATE_E2E_SKIP_BUILD:-}" != 1 ] || [ ! -f "$EXT/tollgate.vsix" ]; then
  echo "e2e: packaging the extension"
  (cd "$EXT" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run --silent package >/dev/null)
fi
VSIX="$EXT/tollgate.vsix"

rm -rf "$SHOTS"; mkdir -p "$SHOTS"
cp "$HERE/probe.mjs" "$CACHE/tollgate-probe.mjs"   # ESM resolves playwright-core next to the script

TOTAL_PASS=0; TOTAL_FAIL=0
run_scenario() {   # run_scenario NAME TOLLGATE_PATH
  local name=$1 tpath=$2 tmp ws profile port server rc=0
  tmp=$(mktemp -d /tmp/tollgate-e2e-XXXXXX)
  ws="$tmp/agent-app-factory"; profile="$tmp/profile"
  bash "$HERE/make-workspace.sh" "$ws"
  mkdir -p "$profile/user/User" "$profile/ext"
  printf 'auth: none\ncert: false\n' > "$profile/config.yaml"   # keeps code-server off ~/.config/code-server
  cat > "$profile/user/User/settings.json" <<JSON
{ "workbench.startupEditor": "none", "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "update.mode": "none",
  "security.workspace.trust.enabled": false, "git.enabled": false, "workbench.colorTheme": "Default Dark Modern",
  "editor.lightbulb.enabled": "on", "files.refactoring.autoSave": true,
  "tollgate.path": "$tpath", "tollgate.trace.server": "messages" }
JSON
  local common=(--config "$profile/config.yaml" --user-data-dir "$profile/user" --extensions-dir "$profile/ext")
  XDG_CONFIG_HOME="$profile" XDG_DATA_HOME="$profile" "$CS" "${common[@]}" --install-extension "$VSIX" >/dev/null
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  XDG_CONFIG_HOME="$profile" XDG_DATA_HOME="$profile" setsid "$CS" "${common[@]}" --bind-addr "127.0.0.1:$port" --auth none \
    --disable-telemetry --disable-update-check --disable-workspace-trust > "$profile/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
  echo "== scenario $name (tollgate.path=$tpath)"
  # A "broken" binary: exists and is executable, but fails (as a truncated download or a binary
  # for another platform would).
  printf '#!/bin/sh\necho "tollgate: cannot execute: Exec format error" >&2\nexit 126\n' > "$tmp/broken-tollgate"
  chmod +x "$tmp/broken-tollgate"
  node "$CACHE/tollgate-probe.mjs" --url "http://127.0.0.1:$port" --folder "$ws" --scenario "$name" \
    --shots "$SHOTS" --missing-path "$tpath" --broken-path "$tmp/broken-tollgate" \
    --settings-file "$ws/.vscode/settings.json" || rc=$?
  kill -- "-$server" 2>/dev/null || true
  sleep 0.5
  # The extension host's log (the language client's "Tollgate" channel) helps when a step fails.
  find "$profile/user/logs" -name '*-Tollgate.log' -exec cp {} "$SHOTS/$name-tollgate-output.log" \; 2>/dev/null || true
  cp "$profile/server.log" "$SHOTS/$name-code-server.log" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    echo "--- $name: tail of the Tollgate output"
    tail -20 "$SHOTS/$name-tollgate-output.log" 2>/dev/null || echo "(no Tollgate output log)"
  fi
  local counts
  counts=$(node -e 'const r=require(process.argv[1]);console.log(r.passed+" "+r.failed)' "$SHOTS/$name-results.json" 2>/dev/null || echo "0 1")
  TOTAL_PASS=$((TOTAL_PASS + ${counts% *})); TOTAL_FAIL=$((TOTAL_FAIL + ${counts#* }))
  if [ "${TOLLGATE_E2E_KEEP:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

for s in $SCENARIOS; do
  case $s in
    main) run_scenario main "$BIN" ;;
    missing-binary) run_scenario missing-binary "/nonexistent/tollgate-e2e/tollgate" ;;
    *) echo "unknown scenario $s"; exit 2 ;;
  esac
done
echo "e2e: screenshots and logs in ${SHOTS#$REPO/}/ ($(( $(date +%s) - T_START )) s)"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
