#!/usr/bin/env bash
# The run as a picture, rendered by real renderers: `tollgate status --format mermaid`
# through the Mermaid CLI (11.x, driving Debian's chromium: no browser download) and
# `--format html` in headless chromium, on a copy of the example with an active run,
# an archived attempt, a quarantined file and a blocker. Screenshots land in
# tests/e2e/artifacts/picture/. Needs TOLLGATE_BIN (default target/release/tollgate).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BIN=${TOLLGATE_BIN:-$REPO/target/release/tollgate}
OUT="$REPO/tests/e2e/artifacts/picture"
mkdir -p "$OUT"

if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/wqy ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
(cd "$HERE" && [ -x node_modules/.bin/mmdc ] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
CHROMIUM=$(command -v chromium)
PPT=$(mktemp); WORK=$(mktemp -d); trap 'rm -rf "$PPT" "$WORK"' EXIT
printf '{"executablePath": "%s", "args": ["--no-sandbox", "--disable-gpu"]}\n' "$CHROMIUM" > "$PPT"

# The project: the example at attempt 2 of `code`, attempt 1 archived, a file quarantined, a stray write.
P="$WORK/project"
cp -r "$REPO/tests/fixtures/example" "$P"
sed -i 's/"status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1/"status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 2/' "$P/.factory/state.json"
(cd "$P" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm base)
mkdir -p "$P/artifacts/_failed/code/attempt-1/backend/src" "$P/artifacts/_untrusted/code/prd"
echo "export const v = 1;" > "$P/artifacts/_failed/code/attempt-1/backend/src/app.ts"
echo "moved here" > "$P/artifacts/_untrusted/code/prd/notes.md"
echo "not yours" > "$P/artifacts/prd/sneaky.md"

fail() { echo "picture: $*" >&2; exit 1; }
set +e; "$BIN" status "$P" --format mermaid > "$OUT/run.mmd"; code=$?; set -e
[ "$code" = 1 ] || fail "status --format mermaid exited $code, expected 1 (blocked)"
"$BIN" status "$P" --format html > "$OUT/run.html" || true

# Mermaid: its own parser and renderer must accept the text; the SVG holds every stage.
"$HERE/node_modules/.bin/mmdc" -q -p "$PPT" -i "$OUT/run.mmd" -o "$OUT/mermaid.svg" || fail "mmdc rejected run.mmd"
"$HERE/node_modules/.bin/mmdc" -q -p "$PPT" -i "$OUT/run.mmd" -o "$OUT/mermaid.png" -b white -s 1.5 || fail "mmdc png"
for id in bootstrap prd ui tech code validation preview "attempt 1 archived" quarantined \
          "current: running · attempt 2 of 2" "unauthorized-write: artifacts/prd/sneaky.md"; do
  grep -qF "$id" "$OUT/mermaid.svg" || fail "the rendered Mermaid lacks '$id'"
done
n=$(grep -o 'class="node default [a-z]*' "$OUT/mermaid.svg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
echo "picture: mermaid nodes by class: $n"
[ "$(grep -o 'class="node default done' "$OUT/mermaid.svg" | wc -l)" = 4 ] || fail "4 done nodes expected"
[ "$(grep -o 'class="node default current' "$OUT/mermaid.svg" | wc -l)" = 1 ] || fail "1 current node expected"

# HTML: light and dark screenshots, and the DOM chromium built holds every stage and blocker.
for scheme in light dark; do
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1500 \
    --force-prefers-color-scheme=$scheme \
    --blink-settings=preferredColorScheme=$([ $scheme = dark ] && echo 0 || echo 1) \
    --screenshot="$OUT/html-$scheme.png" "file://$OUT/run.html" 2>/dev/null
  [ -s "$OUT/html-$scheme.png" ] || fail "no $scheme screenshot"
done
"$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom "file://$OUT/run.html" 2>/dev/null > "$OUT/run.dom.html"
for id in bootstrap prd ui tech code validation preview unauthorized-write output-outside-permissions \
          "artifacts/_failed/code/attempt-1/" "artifacts/_untrusted/code/"; do
  grep -qF "$id" "$OUT/run.dom.html" || fail "the HTML as chromium read it lacks '$id'"
done
echo "picture: ok ($OUT)"
