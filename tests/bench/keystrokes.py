#!/usr/bin/env python3
"""Keystroke -> diagnostics on pipeline.yaml, broken down by what the edit touches.

Runs lspbench.py's client and its seeded one-character scalar edits (the same
edits every server gets), and sorts each edit by the key of the scalar it hits:
`id`, `output`, `input`, `agent`, `prose` (description, exit criteria,
messages) or `other`. Prints one row per kind, then all edits together.

  python3 tests/bench/keystrokes.py --root DIR [--edits 100] [--seed 1] [--json] -- SERVER CMD...
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspbench  # noqa: E402  (the client and edit script, beside this file)

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
                out[i] = {"id": "id", "agent": "agent"}.get(key, "prose" if key in ("description", "message") else "other")
            if re.search(r":\s*$", line):
                list_key, list_indent = key, indent
        elif stripped.startswith("- ") and indent > list_indent:
            out[i] = {"outputs": "output", "inputs": "input", "exit_criteria": "prose"}.get(list_key, "other")
        elif block and stripped:
            out[i] = "prose"
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        sys.exit("usage: keystrokes.py --root DIR [--edits N] [--seed S] [--json] -- SERVER CMD...")
    split = argv.index("--")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--label", default="")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv[:split])
    server = argv[split + 1:]
    root = Path(a.root).resolve()
    path = root / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()

    client = lspbench.LspClient(server, None, root.as_uri(), root.name)
    res = {"label": a.label, "stages": text.count("\n  - id:"), "edits": a.edits}
    try:
        rid, _ = client.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": lspbench.client_capabilities()})
        client.wait_response(rid, a.timeout, "the initialize result")
        client.notify("initialized", {})
        client.settle(0.3, cap=10.0)
        version = 1
        sent = client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": version, "text": text}})
        received, _ = wait(client, uri, version, sent, a.timeout)
        res["open_ms"] = lspbench.ms(received - sent)

        script = lspbench.EditScript(text, a.seed)
        kinds = kinds_of(script.lines)
        by_kind = {}
        for _ in range(a.edits):
            change = script.next_edit()
            version += 1
            line = change["range"]["start"]["line"]
            sent = client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            received, _ = wait(client, uri, version, sent, a.timeout)
            by_kind.setdefault(kinds.get(line, "other"), []).append(received - sent)
        res["kinds"] = {k: summary(v) for k, v in sorted(by_kind.items())}
        res["all"] = summary([t for v in by_kind.values() for t in v])
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
    print(f"{a.label or 'server'}: {res['stages']} stages, open {res['open_ms']} ms, peak RSS {res['peak_rss_mb']} MB")
    print(f"  {'kind':<7} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for k, s in list(res["kinds"].items()) + [("all", res["all"])]:
        print(f"  {k:<7} {s['n']:>4} {s['p50']:>8} {s['p95']:>8} {s['max']:>8}")


def summary(times):
    return {"n": len(times), "p50": lspbench.ms(lspbench.percentile(times, 50)),
            "p95": lspbench.ms(lspbench.percentile(times, 95)), "max": lspbench.ms(max(times))}


def wait(client, uri, version, sent, timeout):
    """The publish of `uri` at `version` (one stamped before the send counts: see lsp.sh)."""
    def ours(msg):
        p = msg.get("params") or {}
        return (msg.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri
                and p.get("version") in (None, version))
    received, msg = client.wait_for(ours, timeout, f"diagnostics for version {version}")
    return max(received, sent), msg["params"].get("diagnostics", [])


if __name__ == "__main__":
    main()
