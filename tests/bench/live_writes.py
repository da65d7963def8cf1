#!/usr/bin/env python3
"""Live edit checks on a large git repository (issue 4's benchmark).

Builds a git repository holding the example project plus N generated files
(default 100,000), then:
  1. times `git status` on it (the floor) and tollgate's initial changed-path
     scan (initialize -> first diagnostics of the run, the scan included);
  2. writes W files (default 50), one at a time, under artifacts/prd/ (outside
     stage `code`'s permissions) and times each write -> `unauthorized-write`
     published on that file's URI. The client declares no dynamic registration
     of file watching, so the server watches the disk itself, as it must for
     such clients;
  3. reads the server's peak RSS.

  python3 tests/bench/live_writes.py [--files 100000] [--writes 50] [--server target/release/tollgate]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "peer"))
from lspbench import BenchError, LspClient, percentile  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def make_repo(dest: Path, files: int) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "example", dest)
    gen = dest / "artifacts" / "backend" / "src" / "gen"
    per_dir = 1000
    for i in range(files):
        d = gen / f"d{i // per_dir:03d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.ts").write_text(f"export const v{i} = {i};\n")
    git = ["git", "-C", str(dest), "-c", "user.name=bench", "-c", "user.email=b@b"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "base"], check=True)
    subprocess.run(git + ["status", "--porcelain"], check=True, capture_output=True)  # warm the index


def time_git_status(dest: Path, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(["git", "-C", str(dest), "status", "--porcelain=v2", "-z", "--untracked-files=all"],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def capabilities():
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {"configuration": True, "workspaceFolders": True,
                      "didChangeWatchedFiles": {"dynamicRegistration": False}},
        "textDocument": {"publishDiagnostics": {"versionSupport": True},
                         "synchronization": {"dynamicRegistration": False}},
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=100_000)
    p.add_argument("--writes", type=int, default=50)
    p.add_argument("--server", default=str(REPO / "target" / "release" / "tollgate"))
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tollgate-live-"))
    root = tmp / "project"
    try:
        t = time.perf_counter()
        make_repo(root, args.files)
        setup_s = time.perf_counter() - t
        git_status = time_git_status(root)

        root_uri = root.as_uri()
        client = LspClient([args.server, "lsp"], {"tollgate": {}}, root_uri, "project")
        try:
            t0 = time.perf_counter()
            rid, _ = client.request("initialize", {
                "processId": os.getpid(), "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "project"}],
                "capabilities": capabilities()})
            client.wait_response(rid, args.timeout, "the initialize result")
            client.notify("initialized", {})
            summary_uri = (root / "pipeline.yaml").as_uri()
            # The first publish for pipeline.yaml comes after the initial changed-path scan.
            received, _ = client.wait_for(
                lambda m: m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == summary_uri, args.timeout, "the first diagnostics")
            scan_s = received - t0

            latencies = []
            for i in range(args.writes):
                path = root / "artifacts" / "prd" / f"agent-note-{i:03d}.md"
                uri = path.as_uri()
                sent = time.perf_counter()
                path.write_text(f"# note {i}\n")
                received, _ = client.wait_for(
                    lambda m, uri=uri: m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri
                    and any(d.get("code") == "unauthorized-write" for d in m["params"]["diagnostics"]),
                    args.timeout, f"unauthorized-write on {path.name}")
                latencies.append(received - sent)
            rss_kb = client.peak_rss_kb()
            rid, _ = client.request("shutdown", None)
            client.wait_response(rid, args.timeout, "shutdown")
            client.notify("exit", None)
        finally:
            client.kill()

        result = {
            "files": args.files, "writes": args.writes, "repo_setup_s": round(setup_s, 1),
            "git_status_ms": round(git_status * 1000, 1),
            "initial_scan_to_first_diagnostics_ms": round(scan_s * 1000, 1),
            "scan_vs_git_status": round(scan_s / git_status, 2),
            "write_to_diagnostic_p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "write_to_diagnostic_p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "write_to_diagnostic_max_ms": round(max(latencies) * 1000, 1),
            "peak_rss_mb": round((rss_kb or 0) / 1024, 1),
            "load_average": os.getloadavg()[0],
        }
        if args.json:
            print(json.dumps(result))
        else:
            for k, v in result.items():
                print(f"{k:40} {v}")
    except BenchError as e:
        print(f"live_writes: {e}", file=sys.stderr)
        sys.exit(2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
