#!/usr/bin/env python3
"""The agent guard end to end: the real Claude Code CLI, offline against mock_anthropic.py,
with the hooks `tollgate setup claude-code` installs, on the real fixture with stage `code`
running. Each case is a fresh project, HOME and mock; the mock plays a scripted model.

usage: e2e.py CLAUDE_BIN TOLLGATE_BIN FIXTURE_DIR WORKDIR
Prints PASS/FAIL per check; exit 1 when any check fails. Per-case runs (requests.jsonl,
stdout.jsonl, stderr.txt) are kept under WORKDIR/runs/<case>/.
"""
import json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from agent_e2e import STATE, agent_env, case_dir, check, finish, project, ran, read, run, setup, write  # noqa: E402

KIT = os.path.dirname(os.path.abspath(__file__))
CLAUDE, TOLLGATE, FIXTURE = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = os.path.abspath(sys.argv[4])
RUNS = os.path.join(WORK, "runs")
# Keep Claude Code off the network: no telemetry, autoupdate or title calls.
QUIET_ENV = {"DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
             "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1"}
MATRIX_ROW = "| `artifacts/backend/`, `artifacts/client/` | 根据"
DONE = [{"type": "text", "text": "E2E-FINAL: done."}]


def run_case(name, turns, status="running", client=True, sandbox=False, deny=None, files=None, rules="deny",
             mode="acceptEdits", trusted=False):
    """One case: the project committed; then `tollgate setup claude-code [--sandbox]`, or with
    `deny` (a list of permission rules) no hook at all: `.claude/settings.json` holds only
    `permissions.<rules>` (`deny` by default), so Claude Code's own rules alone decide."""
    d = case_dir(RUNS, name)
    proj = project(FIXTURE, d, status, client, files)
    if deny is not None:
        write(os.path.join(proj, ".claude/settings.json"), json.dumps({"permissions": {rules: deny}}, indent=2) + "\n")
    else:
        setup(TOLLGATE, proj, "claude-code", ".claude/settings.json", sandbox)
    home = os.path.join(d, "home")
    os.makedirs(home)
    if trusted:
        # The person accepted the workspace trust dialog for this project (Claude Code records it
        # in ~/.claude.json); without it, a project's `allow` rules are not applied at all.
        write(os.path.join(home, ".claude.json"), json.dumps({"projects": {proj: {"hasTrustDialogAccepted": True}}}))
    cmd = [CLAUDE, "-p", "build the stage", "--output-format", "stream-json", "--verbose",
           "--permission-mode", mode]
    r = run(d, os.path.join(KIT, "mock_anthropic.py"), proj, turns + [DONE], cmd, lambda port: agent_env(
        port, ("ANTHROPIC_", "CLAUDE"), **QUIET_ENV, HOME=home, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}",
        ANTHROPIC_API_KEY="dummy"))
    reqs = r["reqs"]
    result = next((e for e in r["events"] if e.get("type") == "result"), {})
    main = [q for q in reqs if q["kind"] == "main"]
    ran(name, r, len(main))
    return dict(proj=proj, rc=r["rc"], err=r["err"], result=result, main=main,
                connects=[q["target"] for q in reqs if q["kind"] == "proxy_connect"])


def user_blocks(c, step):
    """The content blocks of the last user message the model received at `step`."""
    for r in c["main"]:
        if r["step"] == step:
            m = r["body"]["messages"][-1]
            return m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
    return []


def tool_result(c, step):
    return next((b for b in user_blocks(c, step) if b.get("type") == "tool_result"), {})


def text_of(block):
    content = block.get("content")
    if isinstance(content, list):
        return "".join(x.get("text", "") for x in content if isinstance(x, dict))
    return content or ""


def texts(c, step):
    return [b.get("text", "") for b in user_blocks(c, step) if b.get("type") == "text"]


def write_call(path, content):
    return [{"type": "tool_use", "name": "Write", "input": {"file_path": "__PROJECT__/" + path, "content": content}}]


def check_reports(case, proj, rule, effective):
    """`tollgate check` reports `rule` (in `.claude/settings.json`) as `ineffective-agent-rule`, on its
    JSON string, exactly when it is not `effective`; nothing else in `.claude/`."""
    settings = read(os.path.join(proj, ".claude/settings.json"))
    quoted = json.dumps(rule)
    start = settings.index(quoted)
    line = settings[:start].count("\n")
    col = start - (settings.rfind("\n", 0, start) + 1)
    found = subprocess.run([TOLLGATE, "check", proj, "--format", "json"], capture_output=True, text=True)
    findings = [(f["code"], f["path"], f["range"]) for f in json.loads(found.stdout)["findings"]
                if f["path"].startswith(".claude/")]
    expected = [] if effective else [("ineffective-agent-rule", ".claude/settings.json", {
        "start": {"line": line, "character": col}, "end": {"line": line, "character": col + len(quoted)}})]
    check(f"{case}: tollgate check reports {'nothing' if effective else 'exactly the ineffective rule'}",
          findings == expected, str(findings))


def main():
    v = subprocess.run([CLAUDE, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"claude: {v}\ntollgate: {TOLLGATE}", flush=True)

    # 1. A Write outside the box: refused before the disk, the model gets the reason.
    c = run_case("write-prd", [write_call("artifacts/prd/sneaky.md", "# sneaky\n")])
    tr = tool_result(c, 1)
    reason = text_of(tr)
    check("write-prd: the file never exists", not os.path.exists(os.path.join(c["proj"], "artifacts/prd/sneaky.md")))
    check("write-prd: the model receives the refusal as an error tool_result", tr.get("is_error") is True, json.dumps(tr)[:300])
    check("write-prd: the reason starts with the code, names stage, rule, return point, ends with the next step",
          reason.startswith("unauthorized-write: stage `code` may not create `artifacts/prd/sneaky.md` outside its "
                            "write permissions: matrix row `code` allows only `artifacts/backend/`, `artifacts/client/`")
          and "Return point: user" in reason
          and reason.endswith("Next valid step: write only inside the stage's write permissions, or stop and ask a "
                              "person: a person grants stage `code` write access to `artifacts/prd/sneaky.md`."),
          reason)
    check("write-prd: Claude Code lists the call as a permission denial",
          [d.get("tool_name") for d in c["result"].get("permission_denials", [])] == ["Write"], json.dumps(c["result"])[:300])
    check("write-prd: offline (no CONNECT anywhere)", not c["connects"], str(c["connects"]))

    # 2. A Write inside the box goes through.
    c = run_case("write-backend", [write_call("artifacts/backend/src/health.ts", "export const ok = true\n")])
    p = os.path.join(c["proj"], "artifacts/backend/src/health.ts")
    check("write-backend: the file is written", os.path.exists(p) and read(p) == "export const ok = true\n")
    check("write-backend: the tool_result is a success", tool_result(c, 1).get("is_error") in (None, False)
          and "File created successfully" in text_of(tool_result(c, 1)), json.dumps(tool_result(c, 1))[:300])

    # 3. The run's state is a control file: written.
    new_state = json.dumps(dict(STATE, lastCheckpoint="tech"), indent=2) + "\n"
    state = "__PROJECT__/.factory/state.json"
    c = run_case("write-state", [[{"type": "tool_use", "name": "Read", "input": {"file_path": state}}],
                                 write_call(".factory/state.json", new_state)])
    check("write-state: .factory/state.json is written", read(os.path.join(c["proj"], ".factory/state.json")) == new_state)
    check("write-state: no refusal", tool_result(c, 2).get("is_error") in (None, False), json.dumps(tool_result(c, 2))[:300])

    # 4. An Edit that widens the matrix row of `code`: refused, the matrix unchanged.
    matrix = "__PROJECT__/policies/capability.matrix.md"
    c = run_case("edit-matrix", [
        [{"type": "tool_use", "name": "Read", "input": {"file_path": matrix}}],
        [{"type": "tool_use", "name": "Edit", "input": {
            "file_path": matrix, "old_string": MATRIX_ROW,
            "new_string": "| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据", "replace_all": False}}],
    ])
    tr = tool_result(c, 2)
    reason = text_of(tr)
    check("edit-matrix: the matrix is unchanged", read(os.path.join(c["proj"], "policies/capability.matrix.md"))
          == read(os.path.join(FIXTURE, "policies/capability.matrix.md")))
    check("edit-matrix: the model receives permissions-widened", tr.get("is_error") is True and reason.startswith(
        "permissions-widened: stage `code` may not widen write permissions: after this write to "
        "`policies/capability.matrix.md` matrix row `code` would grant `artifacts/prd/`"), reason)

    # 5. A shell redirect outside the box: written (a hook cannot stop it), reported after the command.
    c = run_case("bash-redirect", [[{"type": "tool_use", "name": "Bash", "input": {
        "command": "echo x > artifacts/prd/b.md", "description": "write b.md"}}]])
    told = "\n".join(texts(c, 1))
    check("bash-redirect: the file is on disk (only an OS sandbox stops a program's writes)",
          os.path.exists(os.path.join(c["proj"], "artifacts/prd/b.md")))
    check("bash-redirect: the model is told after the command, with the finding and the recover command",
          "PostToolUse:Bash hook blocking error" in told
          and "tollgate: after this command, stage `code` has 1 new finding outside its box" in told
          and "- unauthorized-write: `artifacts/prd/b.md`: stage `code` created `artifacts/prd/b.md`" in told
          and "Next: tollgate recover quarantine --path artifacts/prd/b.md --stage code." in told, told[:600])

    # 6. Stopping with a declared output missing: the model goes on once, with the reason.
    c = run_case("stop-missing-output", [[{"type": "text", "text": "E2E-FIRST-END: I think I am finished."}]],
                 client=False)
    feedback = "\n".join(texts(c, 1))
    check("stop: the model gets one more turn, then the run ends", len(c["main"]) == 2 and c["rc"] == 0,
          f"turns={len(c['main'])} rc={c['rc']}")
    check("stop: the model receives the exit gate's reason", feedback.startswith("Stop hook feedback:\ntollgate: stage "
          "`code` cannot end its turn yet; its exit gate would not pass:\n- missing-output: `artifacts/client/`: "
          "declared by stage `code` in pipeline.yaml; produce it."), feedback[:400])

    # 7. An idle run: everything is allowed, nothing is reported, no extra turn.
    c = run_case("idle-run", [write_call("artifacts/prd/sneaky.md", "# idle\n"),
                              [{"type": "tool_use", "name": "Bash", "input": {
                                  "command": "echo x > artifacts/prd/b.md", "description": "write b.md"}}]],
                 status="idle", client=False)
    check("idle: the Write outside the box is written", os.path.exists(os.path.join(c["proj"], "artifacts/prd/sneaky.md")))
    check("idle: no refusal, no report, no extra turn",
          tool_result(c, 1).get("is_error") in (None, False) and not any("tollgate" in t for t in texts(c, 2))
          and len(c["main"]) == 3 and not c["result"].get("permission_denials"), f"turns={len(c['main'])}")

    # 8. A command that fails after writing outside the box: reported through PostToolUseFailure.
    c = run_case("bash-fails", [[{"type": "tool_use", "name": "Bash", "input": {
        "command": "echo x > artifacts/prd/c.md; false", "description": "write c.md, then fail"}}]])
    told = "\n".join(texts(c, 1))
    check("bash-fails: the command failed and the model is told of its write all the same",
          tool_result(c, 1).get("is_error") is True and "PostToolUseFailure:Bash hook blocking error" in told
          and "- unauthorized-write: `artifacts/prd/c.md`: stage `code` created `artifacts/prd/c.md`" in told, told[:600])

    # 9. `setup --sandbox`: Claude Code's own sandbox (bubblewrap) holds stage `code`'s box for commands.
    c = run_case("sandbox", [[{"type": "tool_use", "name": "Bash", "input": {
        "command": "echo y > artifacts/backend/y.ts; echo x > artifacts/prd/b.md; echo s > .factory/scope.yaml; "
                   "echo n > newtop.md", "description": "write four files"}}]], sandbox=True)
    proj = c["proj"]
    out = text_of(tool_result(c, 1))
    told = "\n".join(texts(c, 1))
    check("sandbox: a write inside the box goes through", read(os.path.join(proj, "artifacts/backend/y.ts")) == "y\n")
    check("sandbox: the sandbox refuses the write outside the box; the file never exists",
          not os.path.exists(os.path.join(proj, "artifacts/prd/b.md"))
          and "artifacts/prd/b.md: Read-only file system" in out, out[:400])
    check("sandbox: the scope file stays closed inside the writable .factory/",
          not os.path.exists(os.path.join(proj, ".factory/scope.yaml")) and ".factory/scope.yaml:" in out, out[:400])
    check("sandbox: a new top-level file is not closed (only what existed is), and the hook reports it",
          os.path.exists(os.path.join(proj, "newtop.md"))
          and "- unauthorized-write: `newtop.md`: stage `code` created `newtop.md`" in told, told[:600])

    # 10. Claude Code's own deny rules, tollgate's hook not installed: which form stops a Write?
    # (`tollgate check` reports the forms that do not as `ineffective-agent-rule`.)
    content = "# denied?\n"
    for case, rule, effective in [("deny-write-rule", "Write(artifacts/prd/**)", False),
                                  ("deny-edit-rule", "Edit(artifacts/prd/**)", True),
                                  ("deny-multiedit-rule", "MultiEdit(artifacts/prd/**)", False),
                                  ("deny-notebookedit-rule", "NotebookEdit(artifacts/prd/**)", False),
                                  ("deny-write-anywhere", "Write(**)", False),
                                  ("deny-edit-anywhere", "Edit(**)", True)]:
        c = run_case(case, [write_call("artifacts/prd/denied.md", content)], status="idle", deny=[rule])
        p = os.path.join(c["proj"], "artifacts/prd/denied.md")
        tr = tool_result(c, 1)
        denials = [d.get("tool_name") for d in c["result"].get("permission_denials", [])]
        check_reports(case, c["proj"], rule, effective)
        no_known = [l for l in c["err"].splitlines() if "no known tool" in l]
        if no_known:
            print(f"      {case}: Claude Code said on stderr: {no_known[0].strip()[:200]}", flush=True)
        if effective:
            check(f"{case}: `{rule}` stops the Write: the file never exists",
                  not os.path.exists(p), read(p) if os.path.exists(p) else "")
            # Refused by the settings before any prompt: an error, not a `permission_denials` entry.
            check(f"{case}: the model receives the refusal as an error tool_result",
                  tr.get("is_error") is True
                  and "File is in a directory that is denied by your permission settings." in text_of(tr),
                  json.dumps(tr)[:300] + str(denials))
        else:
            check(f"{case}: `{rule}` does not stop the Write: the file holds exactly the bytes written",
                  os.path.exists(p) and open(p, "rb").read() == content.encode(), "absent")
            check(f"{case}: a success tool_result, no denial", tr.get("is_error") in (None, False) and not denials,
                  json.dumps(tr)[:300] + str(denials))

    # 11. A NotebookEdit of a notebook there, under a `NotebookEdit(...)` or an `Edit(...)` deny rule.
    nb_rel = "artifacts/prd/n.ipynb"
    notebook = json.dumps({"cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": ["print(1)"],
                                      "outputs": [], "execution_count": None}],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"
    nb = "__PROJECT__/" + nb_rel
    for case, rule, effective in [("notebook-deny-notebookedit-rule", "NotebookEdit(artifacts/prd/**)", False),
                                  ("notebook-deny-edit-rule", "Edit(artifacts/prd/**)", True)]:
        c = run_case(case, [[{"type": "tool_use", "name": "Read", "input": {"file_path": nb}}],
                            [{"type": "tool_use", "name": "NotebookEdit", "input": {
                                "notebook_path": nb, "cell_id": "c1", "new_source": "print(2)",
                                "edit_mode": "replace"}}]],
                     status="idle", deny=[rule], files={nb_rel: notebook})
        after = read(os.path.join(c["proj"], nb_rel))
        tr = tool_result(c, 2)
        denials = [d.get("tool_name") for d in c["result"].get("permission_denials", [])]
        check_reports(case, c["proj"], rule, effective)
        if effective:
            check(f"{case}: `{rule}` stops the NotebookEdit: the notebook keeps its bytes", after == notebook, after)
            check(f"{case}: an error tool_result, and Claude Code lists the NotebookEdit as a denial",
                  tr.get("is_error") is True and "has been denied" in text_of(tr) and denials == ["NotebookEdit"],
                  json.dumps(tr)[:300] + str(denials))
        else:
            cell = json.loads(after)["cells"][0]["source"]
            check(f"{case}: `{rule}` does not stop even a NotebookEdit: the cell now holds the new source",
                  "".join(cell) == "print(2)", after)
            check(f"{case}: a success tool_result, no denial", tr.get("is_error") in (None, False) and not denials,
                  json.dumps(tr)[:300] + str(denials))

    # 12. The same rules in `allow` (permission mode `default`: a write needs a rule, or a prompt,
    # which `-p` cannot show) and in `ask` (mode `acceptEdits`: writes go through unless a rule asks).
    for case, rules, mode, rule, trusted, effective in [
            ("allow-write-rule", "allow", "default", "Write(artifacts/prd/**)", True, False),
            ("allow-edit-rule", "allow", "default", "Edit(artifacts/prd/**)", True, True),
            ("allow-edit-rule-untrusted", "allow", "default", "Edit(artifacts/prd/**)", False, True),
            ("allow-write-tool", "allow", "default", "Write", True, True),
            ("ask-write-rule", "ask", "acceptEdits", "Write(artifacts/prd/**)", False, False),
            ("ask-edit-rule", "ask", "acceptEdits", "Edit(artifacts/prd/**)", False, True)]:
        c = run_case(case, [write_call("artifacts/prd/denied.md", content)], status="idle", deny=[rule], rules=rules,
                     mode=mode, trusted=trusted)
        p = os.path.join(c["proj"], "artifacts/prd/denied.md")
        tr = tool_result(c, 1)
        denials = [d.get("tool_name") for d in c["result"].get("permission_denials", [])]
        check_reports(case, c["proj"], rule, effective)
        written = os.path.exists(p) and open(p, "rb").read() == content.encode()
        refused = (not os.path.exists(p) and tr.get("is_error") is True and denials == ["Write"]
                   and "but you haven't granted it yet" in text_of(tr))
        # An allow rule that works lets the Write through; an ask rule that works asks, and `-p`
        # cannot answer, so the Write is refused. An untrusted project's allow rules do nothing.
        lets_through = (effective and trusted) if rules == "allow" else not effective
        what = "lets the Write through (the exact bytes)" if lets_through else "leaves the Write refused"
        check(f"{case}: `{rule}` in `{rules}`{'' if trusted or rules == 'ask' else ', project not trusted,'} {what}",
              written if lets_through else refused, json.dumps(tr)[:300] + str(denials))

    # 13. Rules that name the whole tool: `Write` and `Write(*)` in `deny` take the Write tool away
    # (not reported); `Write()` does nothing, and is not reported either (a known gap: its `Edit()`
    # form would be no better).
    for case, rule, removes in [("deny-write-tool", "Write", True), ("deny-write-star", "Write(*)", True),
                                ("deny-write-empty", "Write()", False)]:
        c = run_case(case, [write_call("artifacts/prd/denied.md", content)], status="idle", deny=[rule])
        p = os.path.join(c["proj"], "artifacts/prd/denied.md")
        tr = tool_result(c, 1)
        check_reports(case, c["proj"], rule, True)
        if removes:
            check(f"{case}: `{rule}` takes the Write tool away: the file never exists",
                  not os.path.exists(p) and tr.get("is_error") is True
                  and "No such tool available: Write" in text_of(tr), json.dumps(tr)[:300])
        else:
            check(f"{case}: `{rule}` does not stop the Write (the exact bytes)",
                  os.path.exists(p) and open(p, "rb").read() == content.encode(), json.dumps(tr)[:300])

    finish("claude-code")


if __name__ == "__main__":
    main()
