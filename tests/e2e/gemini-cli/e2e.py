#!/usr/bin/env python3
"""The agent guard end to end: the real Gemini CLI, offline against mock_gemini.py, with the
hooks `tollgate setup gemini-cli` installs, on the real fixture with stage `code` running.
Each case is a fresh project, HOME and mock; the mock plays a scripted model.

usage: e2e.py GEMINI_BIN TOLLGATE_BIN FIXTURE_DIR WORKDIR
Prints PASS/FAIL per check; exit 1 when any check fails. Per-case runs (requests.jsonl,
stdout.jsonl, stderr.txt) are kept under WORKDIR/runs/<case>/.
"""
import json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from agent_e2e import STATE, agent_env, case_dir, check, finish, project, ran, read, run, setup, write  # noqa: E402

KIT = os.path.dirname(os.path.abspath(__file__))
GEMINI, TOLLGATE, FIXTURE = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = os.path.abspath(sys.argv[4])
RUNS = os.path.join(WORK, "runs")
# The person's own settings, in the throwaway HOME: an API key login (the key is a dummy; the
# base URL comes from GOOGLE_GEMINI_BASE_URL), and nothing that phones home.
USER_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}
# A fixed model: `auto` would first ask a classifier model for a route (a JSON side request).
MODEL = "gemini-2.5-flash"
MATRIX_ROW = "| `artifacts/backend/`, `artifacts/client/` | 根据"
DONE = [{"text": "E2E-FINAL: done."}]


def run_case(name, turns, status="running", client=True):
    """One case: the project committed, then `tollgate setup gemini-cli` as a user runs it,
    committed too; then `gemini -p` on it."""
    d = case_dir(RUNS, name)
    proj = project(FIXTURE, d, status, client)
    setup(TOLLGATE, proj, "gemini-cli", ".gemini/settings.json")
    home = os.path.join(d, "home")
    # The person trusts the project folder (without trust Gemini CLI ignores the project's
    # settings, hooks included, and turns --approval-mode yolo back to default).
    write(os.path.join(home, ".gemini/settings.json"), json.dumps(USER_SETTINGS, indent=2) + "\n")
    write(os.path.join(home, ".gemini/trustedFolders.json"), json.dumps({proj: "TRUST_FOLDER"}, indent=2) + "\n")
    # A subagent's conversation (its first prompt carries E2E-SUBAGENT) has turns of its own.
    script_turns = dict(turns, main=turns["main"] + [DONE]) if isinstance(turns, dict) else turns + [DONE]
    tmp = os.path.join(d, "tmp")
    os.makedirs(tmp)
    cmd = [GEMINI, "-p", "build the stage", "--model", MODEL, "--approval-mode", "yolo", "--output-format",
           "stream-json"]
    r = run(d, os.path.join(KIT, "mock_gemini.py"), proj, script_turns, cmd, lambda port: agent_env(
        port, ("GEMINI_", "GOOGLE_", "CLOUD_SHELL"), HOME=home, GOOGLE_GEMINI_BASE_URL=f"http://127.0.0.1:{port}",
        GEMINI_API_KEY="dummy", TMPDIR=tmp), stdin=subprocess.DEVNULL)
    reqs = r["reqs"]
    main = [q for q in reqs if q["kind"] == "main"]
    ran(name, r, len(main))
    return dict(proj=proj, rc=r["rc"], err=r["err"], events=r["events"], main=main, reqs=reqs,
                sub=[q for q in reqs if q["kind"] == "sub"],
                connects=[q["target"] for q in reqs if q["kind"] == "proxy_connect"])


def last_user_parts(c, step, who="main"):
    """The parts of the last user turn the model received at `step` (the mock numbers a
    request by the model turns before it), in the main conversation or the subagent's."""
    for r in c[who]:
        if r["step"] == step:
            return r["body"]["contents"][-1].get("parts", [])
    return []


def function_response(c, step, who="main"):
    return next((p["functionResponse"]["response"] for p in last_user_parts(c, step, who) if "functionResponse" in p),
                {})


def texts(c, step):
    return [p["text"] for p in last_user_parts(c, step) if "text" in p]


def tool_results(c):
    return [e for e in c["events"] if e.get("type") == "tool_result"]


def call(name, **args):
    return [{"functionCall": {"name": name, "args": args}}]


def write_call(path, content):
    return call("write_file", file_path=path, content=content)


def main():
    v = subprocess.run([GEMINI, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"gemini: {v}\ntollgate: {TOLLGATE}", flush=True)

    # 1. write_file outside the box (a relative path, as Gemini models write them): refused
    #    before the disk, the model gets the reason as the tool's error.
    c = run_case("write-prd", [write_call("artifacts/prd/sneaky.md", "# sneaky\n")])
    resp = function_response(c, 1)
    reason = resp.get("error", "")
    check("write-prd: the file never exists", not os.path.exists(os.path.join(c["proj"], "artifacts/prd/sneaky.md")))
    check("write-prd: the model receives the refusal as the tool's error, with the reason",
          reason.startswith("Tool execution blocked: unauthorized-write: stage `code` may not create "
                            "`artifacts/prd/sneaky.md` outside its write permissions: matrix row `code` allows only "
                            "`artifacts/backend/`, `artifacts/client/`")
          and "Return point: user" in reason
          and reason.endswith("Next valid step: write only inside the stage's write permissions, or stop and ask a "
                              "person: a person grants stage `code` write access to `artifacts/prd/sneaky.md`."),
          json.dumps(resp, ensure_ascii=False)[:400])
    check("write-prd: Gemini CLI reports the call as an error",
          [r.get("status") for r in tool_results(c)] == ["error"], json.dumps(tool_results(c))[:300])
    check("write-prd: the run goes on and ends", c["rc"] == 0 and len(c["main"]) == 2,
          f"rc={c['rc']} turns={len(c['main'])}")
    check("write-prd: offline (no CONNECT anywhere)", not c["connects"], str(c["connects"]))

    # 2. write_file inside the box goes through, with an absolute and with a relative path.
    #    And a replace inside the box, relative too.
    c = run_case("write-backend", [write_call("__PROJECT__/artifacts/backend/src/health.ts", "export const ok = true\n"),
                                   write_call("artifacts/backend/src/rel.ts", "export const rel = 1\n"),
                                   call("replace", file_path="artifacts/backend/src/app.ts", old_string="export {}",
                                        new_string="export const app = 1", instruction="name the app")])
    p, q, a = (os.path.join(c["proj"], "artifacts/backend/src", f) for f in ("health.ts", "rel.ts", "app.ts"))
    check("write-backend: the file (absolute path) is written", os.path.exists(p) and read(p) == "export const ok = true\n")
    check("write-backend: the file (relative path) is written", os.path.exists(q) and read(q) == "export const rel = 1\n")
    check("write-backend: the replace (relative path) is made", read(a) == "export const app = 1\n", read(a))
    check("write-backend: the three tool results are successes",
          [r.get("status") for r in tool_results(c)] == ["success"] * 3
          and not any("error" in function_response(c, i) for i in (1, 2, 3)), json.dumps(tool_results(c))[:300])

    # 3. The run's state is a control file: written.
    new_state = json.dumps(dict(STATE, lastCheckpoint="tech"), indent=2) + "\n"
    c = run_case("write-state", [write_call(".factory/state.json", new_state)])
    check("write-state: .factory/state.json is written", read(os.path.join(c["proj"], ".factory/state.json")) == new_state)
    check("write-state: no refusal", "error" not in function_response(c, 1), json.dumps(function_response(c, 1))[:300])

    #    The agent's own settings (where the hooks are): refused while the run is active.
    c = run_case("write-settings", [write_call(".gemini/settings.json", "{}\n")])
    reason = function_response(c, 1).get("error", "")
    committed = subprocess.run(["git", "show", "HEAD:.gemini/settings.json"], cwd=c["proj"], capture_output=True,
                               text=True).stdout
    check("write-settings: .gemini/settings.json keeps the hooks setup wrote, and the model is told why",
          read(os.path.join(c["proj"], ".gemini/settings.json")) == committed and "tollgate" in committed
          and reason.startswith("Tool execution blocked: permissions-widened: stage `code` may not edit the agent's "
                                "own settings `.gemini/settings.json`"), reason[:400])

    # 4. A replace that widens the matrix row of `code`: refused, the matrix unchanged.
    c = run_case("replace-matrix", [call(
        "replace", file_path="policies/capability.matrix.md", old_string=MATRIX_ROW,
        new_string="| `artifacts/backend/`, `artifacts/client/`, `artifacts/prd/` | 根据",
        instruction="let stage code write the PRD")])
    reason = function_response(c, 1).get("error", "")
    check("replace-matrix: the matrix is unchanged", read(os.path.join(c["proj"], "policies/capability.matrix.md"))
          == read(os.path.join(FIXTURE, "policies/capability.matrix.md")))
    check("replace-matrix: the model receives permissions-widened", reason.startswith(
        "Tool execution blocked: permissions-widened: stage `code` may not widen write permissions: after this write "
        "to `policies/capability.matrix.md` matrix row `code` would grant `artifacts/prd/`"), reason[:400])

    # 5. A shell redirect outside the box: written (a hook cannot stop it), reported after the command.
    c = run_case("shell-redirect", [call("run_shell_command", command="echo x > artifacts/prd/b.md",
                                         description="write b.md")])
    told = function_response(c, 1).get("output", "")
    check("shell-redirect: the file is on disk (only an OS sandbox stops a program's writes)",
          os.path.exists(os.path.join(c["proj"], "artifacts/prd/b.md")))
    check("shell-redirect: the model receives the command's own output, then the finding and the recover command",
          told.startswith("<untrusted_context>\nOutput: (empty)\n")
          and "</untrusted_context>\n\n<hook_context>tollgate: after this command, stage `code` has 1 new finding "
              "outside its box" in told
          and "- unauthorized-write: `artifacts/prd/b.md`: stage `code` created `artifacts/prd/b.md`" in told
          and "Next: tollgate recover quarantine --path artifacts/prd/b.md --stage code." in told
          and told.endswith("</hook_context>"), told[:800])
    check("shell-redirect: ending the turn with the file still there is held once, with that finding",
          len(c["main"]) == 3 and c["rc"] == 0 and "\n".join(texts(c, 2)).startswith(
              "tollgate: stage `code` cannot end its turn yet; its exit gate would not pass:\n- unauthorized-write: "
              "`artifacts/prd/b.md`"), f"turns={len(c['main'])} rc={c['rc']}")

    # 6. A command that fails after writing outside the box: Gemini CLI sends AfterTool all the same.
    c = run_case("shell-fails", [call("run_shell_command", command="echo x > artifacts/prd/c.md; false",
                                      description="write c.md, then fail")])
    told = function_response(c, 1).get("output", "")
    check("shell-fails: the command failed and the model is told of its write all the same",
          "Exit Code: 1" in told and [r.get("status") for r in tool_results(c)][:1] == ["success"]
          and "- unauthorized-write: `artifacts/prd/c.md`: stage `code` created `artifacts/prd/c.md`" in told,
          told[:800])

    # 7. A subagent (Gemini CLI's system prompt tells the model to delegate to one): its own
    #    write_file and shell commands meet the same hooks, and it hears the answers.
    c = run_case("subagent", {
        "main": [call("invoke_agent", agent_name="generalist", prompt="E2E-SUBAGENT: write the PRD notes")],
        "sub": [write_call("artifacts/prd/sub.md", "# sub\n"),
                call("run_shell_command", command="echo s > artifacts/prd/s.md", description="write s.md"),
                call("complete_task", result={"response": "E2E-SUB-DONE"})]})
    refused = function_response(c, 1, "sub").get("error", "")
    told = function_response(c, 2, "sub").get("output", "")
    check("subagent: its write_file is refused, the file never exists, and the subagent receives the reason",
          not os.path.exists(os.path.join(c["proj"], "artifacts/prd/sub.md"))
          and refused.startswith("Tool execution blocked: unauthorized-write: stage `code` may not create "
                                 "`artifacts/prd/sub.md`"), refused[:400])
    check("subagent: its shell write is reported to it after the command",
          os.path.exists(os.path.join(c["proj"], "artifacts/prd/s.md"))
          and "<hook_context>tollgate: after this command, stage `code` has 1 new finding" in told
          and "- unauthorized-write: `artifacts/prd/s.md`" in told, told[:600])
    check("subagent: it completes, and the main conversation goes on",
          "E2E-SUB-DONE" in json.dumps(function_response(c, 1), ensure_ascii=False) and c["rc"] == 0,
          json.dumps(function_response(c, 1))[:300])

    # 8. Ending the turn with a declared output missing: the model goes on once, with the reason.
    c = run_case("stop-missing-output", [[{"text": "E2E-FIRST-END: I think I am finished."}]], client=False)
    feedback = "\n".join(texts(c, 1))
    check("stop: the model gets one more turn, then the run ends", len(c["main"]) == 2 and c["rc"] == 0,
          f"turns={len(c['main'])} rc={c['rc']}")
    check("stop: the model receives the exit gate's reason as the next prompt", feedback == (
          "tollgate: stage `code` cannot end its turn yet; its exit gate would not pass:\n- missing-output: "
          "`artifacts/client/`: declared by stage `code` in pipeline.yaml; produce it.\nFix these on top of the "
          "existing artifacts (do not start over), inside the stage's box; then finish. Return point: build."),
          feedback[:400])
    check("stop: Gemini CLI shows the hold as a warning in its output",
          any(e.get("type") == "error" and e.get("severity") == "warning"
              and e.get("message", "").startswith("Agent execution blocked: tollgate: stage `code` cannot end")
              for e in c["events"]), json.dumps([e for e in c["events"] if e.get("type") == "error"])[:300])

    # 9. An idle run: everything is allowed, nothing is reported, no extra turn.
    c = run_case("idle-run", [write_call("artifacts/prd/sneaky.md", "# idle\n"),
                              call("run_shell_command", command="echo x > artifacts/prd/b.md", description="write b.md")],
                 status="idle", client=False)
    check("idle: the write_file outside the box is written",
          os.path.exists(os.path.join(c["proj"], "artifacts/prd/sneaky.md")))
    check("idle: no refusal, no report, no extra turn",
          "error" not in function_response(c, 1) and "tollgate" not in json.dumps(function_response(c, 2))
          and len(c["main"]) == 3 and c["rc"] == 0, f"turns={len(c['main'])} rc={c['rc']}")

    finish("gemini-cli")


if __name__ == "__main__":
    main()
