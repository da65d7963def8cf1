#!/usr/bin/env python3
"""The agent guard as an agent runs it: a new `tollgate hook claude-code` process per tool call,
the event on stdin, timed from spawn to exit (what the agent waits for).

  python3 tests/bench/hook.py [--calls 200] [--bin target/release/tollgate] [--sizes 0,1000,5000]
                              [--only "Edit of the matrix"]

`--sizes` picks the projects (0 is the real fixture); `--only` keeps the rows whose name (project
and event, as printed) holds the text, and builds only the projects those rows need.

Projects: the real fixture (tests/fixtures/agent-app-factory) and generated pipelines of 1,000
and 5,000 stages (a matrix row per stage), each with stage `code` running, a scope, committed to
git. Events: PreToolUse Write inside the box (allowed: nothing on stdout) and outside it (refused),
an Edit of the matrix (judged by the box it leaves), PostToolUse after Bash and Stop (a full
analysis with git, as `tollgate check`). Targets (SPEC 8): PreToolUse p95 <= 10 ms on the real
fixture, <= 60 ms at 5,000 stages.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(REPO, "tests/fixtures/agent-app-factory")
STATE = {"version": 1, "status": "running", "currentStage": "code", "completedStages": [],
         "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}]}
SCOPE = 'version: 1\nid: bench\nrevision: 1\nstage: code\nallow:\n  - path: "artifacts/**"\n'


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generated(root, stages):
    """A pipeline of `stages` stages (one of them `code`) and a matrix row for each."""
    lines = ["pipeline:", "  max_attempts: 2", "stages:"]
    rows = ["| Agent | 可读取目录 | 可写入目录 | 说明 |", "| --- | --- | --- | --- |"]
    for i in range(stages):
        sid = "code" if i == stages // 2 else f"stage{i:05d}"
        prev = f"artifacts/stage{i - 1:05d}/out.md" if i else "input/idea.md"
        lines += [f"  - id: {sid}", f"    description: generated stage {i}", f"    agent: agents/{sid}.agent.md",
                  "    inputs:", f"      - {prev}", "    outputs:", f"      - artifacts/{sid}/",
                  "    exit_criteria:", "      - the output exists", "    on_failure:", "      action: retry"]
        rows.append(f"| **{sid}** | `artifacts/` | `artifacts/{sid}/` | generated |")
        write(os.path.join(root, "agents", f"{sid}.agent.md"), f"# {sid}\n")
    write(os.path.join(root, "pipeline.yaml"), "\n".join(lines) + "\n")
    write(os.path.join(root, "policies/capability.matrix.md"), "# Matrix\n\n" + "\n".join(rows) + "\n")
    return "artifacts/code/", "artifacts/stage00000/"


def project(base, stages):
    root = os.path.join(base, f"p{stages or 'fixture'}")
    if stages:
        inside, outside = generated(root, stages)
    else:
        shutil.copytree(FIXTURE, root)
        inside, outside = "artifacts/backend/", "artifacts/prd/"
    write(os.path.join(root, ".factory/state.json"), json.dumps(STATE, indent=2) + "\n")
    write(os.path.join(root, ".factory/scope.yaml"), SCOPE)
    write(os.path.join(root, inside, "main.ts"), "export {}\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "-c", "commit.gpgsign=false", *args],
                       cwd=root, check=True, capture_output=True)
    return root, inside, outside


def events(root, inside, outside):
    common = {"session_id": "bench", "cwd": root, "permission_mode": "acceptEdits"}
    pre = lambda path, extra: json.dumps(dict(common, hook_event_name="PreToolUse", tool_name=extra[0],
                                              tool_input=dict({"file_path": os.path.join(root, path)}, **extra[1])))
    return {
        "PreToolUse Write, allowed": pre(inside + "new.ts", ("Write", {"content": "export const a = 1\n"})),
        "PreToolUse Write, refused": pre(outside + "x.md", ("Write", {"content": "x\n"})),
        "PreToolUse Edit of the matrix": pre("policies/capability.matrix.md",
                                              ("Edit", {"old_string": "| 说明 |", "new_string": "| notes |", "replace_all": False})),
        "PostToolUse Bash": json.dumps(dict(common, hook_event_name="PostToolUse", tool_name="Bash",
                                            tool_input={"command": "ls"}, tool_response={})),
        "Stop": json.dumps(dict(common, hook_event_name="Stop", stop_hook_active=False)),
    }


def time_calls(binary, stdin, calls):
    out = []
    data = stdin.encode()
    for _ in range(calls):
        t0 = time.perf_counter()
        p = subprocess.run([binary, "hook", "claude-code"], input=data, capture_output=True)
        out.append((time.perf_counter() - t0) * 1000)
        if p.returncode != 0:
            sys.exit(f"hook exited {p.returncode}: {p.stderr.decode()}")
    return out, p.stdout.decode()


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/tollgate"))
    ap.add_argument("--sizes", default="0,1000,5000", help="0 = the real fixture")
    ap.add_argument("--only", default="", help="run only the rows whose 'project event' name holds this text")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"]
    print(f"hook benchmark: {a.calls} calls per row, {os.cpu_count()} cores, load {' '.join(load)} (before)")
    print(f"{'project':<22} {'event':<32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  answer")
    targets = []
    ran = 0
    with tempfile.TemporaryDirectory() as base:
        for size in [int(s) for s in a.sizes.split(",")]:
            name = "real fixture" if not size else f"{size:,} stages"
            wanted = lambda label: a.only in f"{name} {label}"
            if not any(wanted(label) for label in events("", "", "")):
                continue
            root, inside, outside = project(base, size)
            for label, stdin in events(root, inside, outside).items():
                if not wanted(label):
                    continue
                ran += 1
                times, stdout = time_calls(binary, stdin, a.calls)
                answer = "nothing" if not stdout else json.loads(stdout).get("hookSpecificOutput", {}).get(
                    "permissionDecision") or json.loads(stdout).get("decision")
                print(f"{name:<22} {label:<32} {statistics.median(times):>8.1f} {p95(times):>8.1f} {max(times):>8.1f}  {answer}",
                      flush=True)
                if label.startswith("PreToolUse"):
                    targets.append((name, label, p95(times), 10 if not size else (60 if size >= 5000 else None)))
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"]
    print(f"load after: {' '.join(load)}")
    if a.only and not ran:
        sys.exit(f"no row's name holds {a.only!r}")
    missed = [(n, l, v, t) for n, l, v, t in targets if t is not None and v > t]
    for n, l, v, t in missed:
        print(f"target missed: {n}, {l}: p95 {v:.1f} ms > {t} ms")
    print("targets: " + ("met" if not missed else f"{len(missed)} missed"))


if __name__ == "__main__":
    main()
