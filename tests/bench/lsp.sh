#!/usr/bin/env bash
# tollgate's language server beside yaml-language-server, in one run, on generated
# pipelines: keystroke -> diagnostics, open, init, memory, and the bare-parse floor.
#
#   tests/bench/lsp.sh                  # sizes 100 1000 5000, 200 edits each
#   EDITS=50 tests/bench/lsp.sh 100     # quicker
#   ROOT=realistic EDITS=100 tests/bench/lsp.sh 1000 5000
#                                       # a realistic root (gen_realistic.py: agents, a matrix
#                                       # row per stage, permissions on one in seven), with the
#                                       # keystrokes broken down by edit kind (keystrokes.py)
#
# Environment: EDITS (200), TIMEOUT (seconds per wait, 60), PEER=0 skips the peer,
# PEER_VERSION (2.0.0), PEER_DIR (where the peer is installed; default
# ~/.cache/tollgate-bench/peer, outside the repository), KEEP_TMP=1.
# Builds release into ${CARGO_TARGET_DIR:-target}; PROFILE=profiling builds the profile with
# symbols instead (same code and speed, for `perf record` on the server while it runs).
# Uses tests/bench/peer/{lspbench,gen_pipeline}.py (copies, see peer/ORIGIN.md).
#
# The peer runs as tests/bench/peer/run_peer.sh runs it (same settings, schema and
# checks): `stock` is the published package (it debounces validation by 200 ms),
# `nodelay` a copy with that delay patched to 0, the fair baseline for a server that
# does not debounce.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$HERE/tests/bench/peer"
EDITS=${EDITS:-200}
TIMEOUT=${TIMEOUT:-60}
VERSION=${PEER_VERSION:-2.0.0}
PEER_DIR=${PEER_DIR:-$HOME/.cache/tollgate-bench/peer}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100 1000 5000)
TARGET=${CARGO_TARGET_DIR:-$HERE/target}

PROFILE=${PROFILE:-release}
echo "building $PROFILE ..."
(cd "$HERE" && cargo build --profile "$PROFILE" -q -p tollgate && cargo build --profile "$PROFILE" -q -p tollgate-yaml --example bench)
TOLLGATE="$TARGET/$PROFILE/tollgate"
PARSE_BENCH="$TARGET/$PROFILE/examples/bench"

# --- the peer, installed as run_peer.sh does, into a directory of our own ----------
STOCK="$PEER_DIR/node_modules/yaml-language-server"
NODELAY="$PEER_DIR/node_modules/yaml-language-server-nodelay"
VARIANTS=()
if [ "${PEER:-1}" != 0 ]; then
    installed="$( [ -f "$STOCK/package.json" ] && node -p "require('$STOCK/package.json').version" 2>/dev/null || true)"
    if [ "$installed" != "$VERSION" ]; then
        echo "installing yaml-language-server@$VERSION into $PEER_DIR ..."
        mkdir -p "$PEER_DIR"
        [ -f "$PEER_DIR/package.json" ] || echo '{"private": true}' >"$PEER_DIR/package.json"
        npm install --prefix "$PEER_DIR" --no-audit --no-fund --loglevel=error "yaml-language-server@$VERSION"
        rm -rf "$NODELAY"
    fi
    if [ ! -d "$NODELAY" ]; then
        cp -r "$STOCK" "$NODELAY"
        js="$(grep -rl 'validationDelayMs = 200' "$NODELAY/out" --include='*.js' | head -n 1 || true)"
        if [ -n "$js" ]; then
            sed -i 's/validationDelayMs = 200;/validationDelayMs = 0;/' "$js"
        else
            echo "warning: validationDelayMs not found; no nodelay variant" >&2
            rm -rf "$NODELAY"
        fi
    fi
    VARIANTS=(stock)
    [ -d "$NODELAY" ] && VARIANTS+=(nodelay)
fi

server_cmd() {
    case "$1" in
        tollgate) echo "$TOLLGATE" lsp ;;
        stock) echo node "$STOCK/bin/yaml-language-server" --stdio ;;
        nodelay) echo node "$NODELAY/bin/yaml-language-server" --stdio ;;
    esac
}

PEER_SETTINGS="$(python3 -c '
import json, sys
print(json.dumps({"yaml": {"validate": True, "schemas": {sys.argv[1]: "pipeline.yaml"},
    "schemaStore": {"enable": False}, "kubernetesCRDStore": {"enable": False}}}))' "$BENCH/pipeline.schema.json")"

TMP="$(mktemp -d)"
if [ "${KEEP_TMP:-0}" != 1 ]; then trap 'rm -rf "$TMP"' EXIT; else echo "files kept in $TMP"; fi

# lspbench.py with one fix, for every server alike: it stamps a send *after* the
# write returns, and drops any publish its reader thread stamped before that; a
# server that answers in well under a millisecond (tollgate at 100 stages) loses
# that race whenever the main thread is descheduled right after its write, and the
# run times out waiting for a publish it has already received. The copy stamps the
# send just before the write (so a latency also includes writing the request).
LSPBENCH="$TMP/lspbench.py"
python3 - "$BENCH/lspbench.py" "$LSPBENCH" <<'PY'
import sys
src = open(sys.argv[1]).read()
old = """        with self.write_lock:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                time.sleep(0.1)                   # let the exit code arrive
                raise BenchError(f"cannot write to the server ({exc})"
                                 + self._exit_hint()) from exc
        return time.perf_counter()
"""
new = old.replace("            try:\n", "            sent = time.perf_counter()\n            try:\n", 1)
new = new.replace("        return time.perf_counter()\n", "        return sent\n")
if src.count(old) != 1:
    sys.exit("lsp.sh: lspbench.py's _send is not as expected; update the fix in lsp.sh")
open(sys.argv[2], "w").write(src.replace(old, new))
PY
RESULTS="$TMP/results.jsonl"
FLOORS="$TMP/floors.txt"
: >"$RESULTS"
: >"$FLOORS"

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $EDITS edits," \
    "node $(node --version 2>/dev/null || echo -), yaml-language-server $VERSION"
ROOT=${ROOT:-bare}
for size in "${SIZES[@]}"; do
    dir="$TMP/$size"
    mkdir -p "$dir"
    if [ "$ROOT" = realistic ]; then
        python3 "$HERE/tests/bench/gen_realistic.py" --stages "$size" -o "$dir"
    else
        python3 "$BENCH/gen_pipeline.py" --stages "$size" -o "$dir/pipeline.yaml"
    fi
    # The floor: a bare saphyr event loop over the same file (best wall ms of 10).
    floor="$("$PARSE_BENCH" "$dir/pipeline.yaml" 10 bare | sed -n 's/.*bare saphyr event loop: *\([0-9.]*\) ms wall.*/\1/p')"
    echo "$size $floor" >>"$FLOORS"
    if [ ${#VARIANTS[@]} -gt 0 ]; then
        # As run_peer.sh: the schema must really apply, else the peer's figures mean nothing.
        mkdir -p "$dir/bad"
        python3 "$BENCH/gen_pipeline.py" --stages "$size" --violations 3 -o "$dir/bad/pipeline.yaml"
        # shellcheck disable=SC2046
        count="$(python3 "$BENCH/lspbench.py" --json --edits 0 --timeout "$TIMEOUT" --root "$dir/bad" \
            --file "$dir/bad/pipeline.yaml" --settings "$PEER_SETTINGS" -- $(server_cmd stock) |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["open_diagnostics"])')"
        if [ "$count" -eq 0 ]; then
            echo "error: the peer reported no diagnostics for an invalid file; its schema is not applied" >&2
            exit 1
        fi
    fi
    for server in tollgate "${VARIANTS[@]}"; do
        echo "  $size stages: $server (load $(cut -d' ' -f1 /proc/loadavg)) ..."
        settings='{}'
        [ "$server" != tollgate ] && settings="$PEER_SETTINGS"
        if [ "$ROOT" = realistic ]; then
            # shellcheck disable=SC2046
            LSPBENCH_DIR="$TMP" python3 "$HERE/tests/bench/keystrokes.py" --json --edits "$EDITS" \
                --timeout "$TIMEOUT" --label "$size $server" --root "$dir" --settings "$settings" \
                -- $(server_cmd "$server")
        else
            # shellcheck disable=SC2046
            python3 "$LSPBENCH" --json --edits "$EDITS" --timeout "$TIMEOUT" --check-edits-applied \
                --label "$size $server" --root "$dir" --file "$dir/pipeline.yaml" --settings "$settings" \
                -- $(server_cmd "$server")
        fi | python3 -c '
import json, sys
r = json.load(sys.stdin); r["load"] = open("/proc/loadavg").read().split()[0]; print(json.dumps(r))' >>"$RESULTS"
    done
done

echo
python3 - "$RESULTS" "$FLOORS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
floors = dict(l.split() for l in open(sys.argv[2]) if l.strip())
by = {tuple(r["label"].split()): r for r in rows}
def f(v):
    return "-" if v is None else (f"{v:,.1f}" if isinstance(v, float) else f"{v:,}")
head = ["stages", "lines", "server", "init ms", "open ms", "chg p50", "chg p95", "chg max", "RSS MB",
        "diags", "load", "p95 vs tollgate", "p95 / parse floor"]
table = [head]
for r in rows:
    size, server = r["label"].split()
    t = by.get((size, "tollgate"))
    p95 = r.get("change_p95_ms")
    ratio = "-"
    if server != "tollgate" and t and t.get("change_p95_ms") and p95:
        ratio = f"{p95 / t['change_p95_ms']:.1f}x slower"
    floor = float(floors.get(size, "nan") or "nan")
    vs_floor = f"{p95 / floor:.2f}x" if p95 and floor == floor and floor > 0 else "-"
    table.append([size, f(r["file_lines"]), server, f(r["init_ms"]), f(r["open_ms"]), f(r.get("change_p50_ms")),
                  f(p95), f(r.get("change_max_ms")), f(r["peak_rss_mb"]),
                  f'{r["open_diagnostics"]}/{r.get("final_diagnostics", "-")}', r["load"], ratio, vs_floor])
w = [max(len(str(row[i])) for row in table) for i in range(len(head))]
print("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(table[0])) + " |")
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for row in table[1:]:
    print("| " + " | ".join(str(c).rjust(w[i]) for i, c in enumerate(row)) + " |")
print()
print("bare-parse floor (saphyr event loop, best wall ms of 10): " +
      ", ".join(f"{k} stages {float(v):.1f} ms" for k, v in floors.items() if v))
print("(diags: at open / after the edits; load: 1-minute load average when the run ended)")
print("(lspbench.py with its send stamped before the write; see lsp.sh)")
kinded = [r for r in rows if r.get("kinds")]
if kinded:
    print()
    print("keystroke p50 / p95 / max ms by edit kind (n edits):")
    kinds = sorted({k for r in kinded for k in r["kinds"]})
    print("| stages | server | " + " | ".join(kinds) + " |")
    print("|---|---|" + "---|" * len(kinds))
    for r in kinded:
        size, server = r["label"].split()
        cells = []
        for k in kinds:
            s = r["kinds"].get(k)
            cells.append("-" if not s else f'{s["p50"]:.1f} / {s["p95"]:.1f} / {s["max"]:.1f} ({s["n"]})')
        print(f"| {size} | {server} | " + " | ".join(cells) + " |")
PY
