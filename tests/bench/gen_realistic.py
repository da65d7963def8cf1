#!/usr/bin/env python3
"""Writes a realistic factory root of N stages (deterministic for a seed).

Unlike a bare pipeline.yaml, every stage here has its agent file and a row in
the capability matrix (Chinese headers, backticked paths, as the real project
writes them), and about one stage in seven carries its own `permissions`. So
the checks that a bare pipeline skips (agent files, matrix rows, permissions,
inputs produced upstream) all run, and a clean root has no findings.

  python3 tests/bench/gen_realistic.py --stages 5000 -o /tmp/root
"""

import argparse
import os
import random

AREAS = ["auth", "billing", "search", "onboarding", "notifications", "analytics",
         "payments", "inventory", "profile", "admin", "reporting", "checkout"]
KINDS = ["prd", "ux", "architecture", "api", "schema", "backend", "frontend", "tests", "docs"]
ACTIONS = ["retry", "pause", "rollback"]
PROSE = ["Draft the flow so that the next stage can start without questions.",
         "Keep the public API backwards compatible; 不修改上游产物。",
         "Use only the artifacts listed as inputs, and say which ones were read.",
         "Write the result so a reviewer can check it in ten minutes."]


def stage(i, rnd, outputs):
    kind = KINDS[i % len(KINDS)]
    area = AREAS[(i // len(KINDS)) % len(AREAS)]
    sid = f"{kind}-{area}-{i:05d}"
    out_dir = f"artifacts/{sid}/"
    outs = [f"{out_dir}{kind}.md"] + ([f"{out_dir}notes.md"] if rnd.random() < 0.3 else [])
    ins = rnd.sample(outputs, min(len(outputs), rnd.randint(0, 2))) if outputs else []
    return sid, kind, out_dir, outs, ins


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--out", required=True, help="the root folder to write (created)")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(os.path.join(a.out, "agents"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "policies"), exist_ok=True)

    lines = ["version: 1", "", "pipeline:", "  name: realistic-bench", "  mode: checkpoint",
             "  max_attempts: 2", "", "stages:"]
    rows = []
    outputs = []
    agents = set()
    for i in range(a.stages):
        sid, kind, out_dir, outs, ins = stage(i, rnd, outputs)
        agent = f"agents/{kind}.agent.md"
        agents.add(agent)
        lines += [f"  - id: {sid}",
                  "    description: >",
                  f"      {rnd.choice(PROSE)}",
                  f"    agent: {agent}"]
        lines += ["    inputs: []"] if not ins else ["    inputs:"] + [f"      - {p}" for p in ins]
        lines += ["    outputs:"] + [f"      - {p}" for p in outs]
        lines += ["    exit_criteria:", f"      - {kind}.md exists", "      - 每个需求都有验收标准"]
        if i % 7 == 3:
            lines += ["    permissions:", f"      read: [{out_dir}]", f"      write: [{out_dir}]"]
        else:
            rows.append(f"| **{sid}** | `input/` | `{out_dir}` | 仅写入自己的目录 |")
        if i % 5 == 0:
            lines += ["    on_failure:", f"      action: {ACTIONS[i % 3]}", "      message: 重试一次，然后暂停"]
        lines.append("")
        outputs += outs

    with open(os.path.join(a.out, "pipeline.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(a.out, "policies", "capability.matrix.md"), "w", encoding="utf-8") as f:
        f.write("# Agent 能力边界矩阵\n\n| Agent | 可读取目录 | 可写入目录 | 说明 |\n| --- | --- | --- | --- |\n")
        f.write("\n".join(rows) + "\n")
    for agent in sorted(agents):
        with open(os.path.join(a.out, agent), "w", encoding="utf-8") as f:
            f.write(f"# {os.path.basename(agent)}\n\nDo the stage's work, write only its outputs.\n")


if __name__ == "__main__":
    main()
