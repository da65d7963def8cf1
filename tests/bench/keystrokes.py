#!/usr/bin/env python3
"""Keystroke -> diagnostics on pipeline.yaml, broken down by what the edit touches.

Runs lspbench.py's client and its seeded one-character scalar edits (the same
edits every server gets), and sorts each edit by the key of the scalar it hits:
`id`, `output`, `input`, `agent`, `prose` (description, exit criteria,
messages) or `other`. Prints one row per kind, then all edits together; with
--json, one object with lspbench's fields plus `kinds`.

  python3 tests/bench/keystrokes.py --root DIR [--edits 100] [--seed 1] [--settings JSON] [--json] -- SERVER CMD...

lspbench.py is imported from $LSPBENCH_DIR (tests/bench/lsp.sh points it at its
fixed copy), else from tests/bench/peer/.
"""

import argparse
import json
import os
import re
import sys
import time
import types
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LSPBENCH_DIR") or os.path.join(HERE, "peer"))
import lspbench  # noqa: E402

KEY = re.compile(r"^\s*(?:- )?([A-Za-z_]+):")


def kinds_of(lines):
    """Maps a line index to the kind of the scalar on it."""
    out, block, list_key, list_indent = {}, None, None, -1
    for i, line in enumerate(lines):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        m = KEY.match(line)
        if m:
            key = m.group(1)
            block = key if re.search(r":\s*[>|]", line) else None
            if stripped.startswith("- ") or not re.search(r":\s*$", line):
                prose = key in ("description", "message")
                out[i] = {"id": "id", "agent": "agent"}.get(key, "prose" if prose else "other")
            if re.search(r":\s*$", line):
                list_key, list_indent = key, indent
        elif stripped.startswith("- ") and indent > list_indent:
            out[i] = {"outputs": "output", "inputs": "input", "exit_criteria": "prose"}.get(list_key, "other")
        elif block and stripped:
            out[i] = "prose"
    return out


def summary(times):
    return {"n": len(times), "p50": lspbench.ms(lspbench.percentile(times, 50)),
            "p95": lspbench.ms(lspbench.percentile(times, 95)), "max": lspbench.ms(max(times))}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        sys.exit("usage: keystrokes.py --root DIR [--edits N] [--seed S] [--settings JSON] [--json] -- SERVER CMD...")
    split = argv.index("--")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--settings", type=json.loads, default=None)
    ap.add_argument("--label", default="server")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv[:split])
    server = argv[split + 1:]
    root = Path(a.root).resolve()
    path = root / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    wait_args = types.SimpleNamespace(pull=False, timeout=a.timeout)

    client = lspbench.LspClient(server, a.settings, root.as_uri(), root.name)
    res = {"label": a.label, "file_lines": text.count("\n") + 1, "stages": text.count("\n  - id:")}
    try:
        rid, _ = client.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": lspbench.client_capabilities()})
        received, _ = client.wait_response(rid, a.timeout, "the initialize result")
        res["init_ms"] = lspbench.ms(received - client.spawn_time)
        client.notify("initialized", {})
        client.notify("workspace/didChangeConfiguration", {"settings": a.settings or {}})
        client.settle(0.3, cap=10.0)
        version = 1
        sent = client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": version, "text": text}})
        received, diags = lspbench.wait_diagnostics(client, wait_args, uri, version, sent, "diagnostics after didOpen")
        res["open_ms"] = lspbench.ms(received - sent)
        res["open_diagnostics"] = len(diags)

        script = lspbench.EditScript(text, a.seed)
        kinds = kinds_of(script.lines)
        by_kind, every = {}, []
        for _ in range(a.edits):
            change = script.next_edit()
            version += 1
            line = change["range"]["start"]["line"]
            sent = client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            received, diags = lspbench.wait_diagnostics(
                client, wait_args, uri, version, sent, f"diagnostics for edit version {version}")
            by_kind.setdefault(kinds.get(line, "other"), []).append(received - sent)
            every.append(received - sent)
        res["final_diagnostics"] = len(diags)
        res["edits"] = len(every)
        if every:
            s = summary(every)
            res.update(change_p50_ms=s["p50"], change_p95_ms=s["p95"], change_max_ms=s["max"])
        res["kinds"] = {k: summary(v) for k, v in sorted(by_kind.items())}
        rss = client.peak_rss_kb()
        res["peak_rss_mb"] = round(rss / 1024.0, 1) if rss else None
        rid, _ = client.request("shutdown", None)
        client.wait_response(rid, a.timeout, "the shutdown result")
        client.notify("exit", None)
        client.proc.wait(timeout=a.timeout)
    except lspbench.BenchError as e:
        sys.exit(f"keystrokes.py: {e}")
    finally:
        client.kill()
    if a.json:
        print(json.dumps(res))
        return
    print(f"{a.label}: {res['stages']} stages, open {res['open_ms']} ms, peak RSS {res['peak_rss_mb']} MB")
    print(f"  {'kind':<7} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    rows = list(res["kinds"].items()) + [("all", summary(every))]
    for k, s in rows:
        print(f"  {k:<7} {s['n']:>4} {s['p50']:>8} {s['p95']:>8} {s['max']:>8}")


if __name__ == "__main__":
    main()
