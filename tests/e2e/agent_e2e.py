"""What the agent suites (claude-code/, codex/, gemini-cli/) share: reporting checks, the case's
project and its run of the real CLI against a mock (for each e2e.py), and the mock's server,
its log and its refusal of any traffic beyond it (for each mock_*.py).

Each suite keeps what is its agent's own: its events, its API's wire format, its cases.
stdlib only. A suite imports it with its parent folder put first on sys.path.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ----------------------------------------------------------------------------- the suites

# The run's state: stage `code` running, the stages before it done.
STATE = {
    "version": 1, "status": "running", "currentStage": "code",
    "completedStages": ["bootstrap", "prd", "ui", "tech"],
    "stageHistory": [{"stageId": "code", "status": "running", "startTime": "2026-01-29T10:00:00Z", "attempts": 1}],
}
failures = []  # the names of the checks that failed, for the last line and the exit status


def check(name, ok, detail=""):
    """Print PASS or FAIL for one check (with `detail` when it fails), and remember a failure."""
    if not ok:
        failures.append(name)
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  -- {detail}" if detail and not ok else ""), flush=True)


def finish(suite):
    """The last line (all passed, or which failed), then exit 1 when any check failed."""
    print(f"{suite} e2e: {'all passed' if not failures else str(len(failures)) + ' failed: ' + ', '.join(failures)}")
    sys.exit(1 if failures else 0)


def write(path, text):
    """Write `text` to `path` (UTF-8), its folders made as needed."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def read(path):
    """The text of `path` (UTF-8)."""
    with open(path, encoding="utf-8") as f:
        return f.read()


def git(proj, *args):
    """Run git in `proj` as a fixed, unsigned author (the machine's own config must not matter);
    its stdout. Fails on a non-zero exit."""
    return subprocess.run(["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "-c",
                           "commit.gpgsign=false", *args], cwd=proj, check=True, capture_output=True, text=True).stdout


def case_dir(runs, name):
    """A fresh folder for the case `name` under `runs` (a previous run's is removed)."""
    d = os.path.join(runs, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def project(fixture, d, status="running", client=True, files=None):
    """The real fixture in `d`/proj, stage `code` running (or `status`), its inputs and outputs
    in place (`artifacts/client/` only with `client`), plus `files` ({path: text}), committed."""
    proj = os.path.join(d, "proj")
    shutil.copytree(fixture, proj)
    write(os.path.join(proj, ".factory/state.json"), json.dumps(dict(STATE, status=status), indent=2) + "\n")
    write(os.path.join(proj, "artifacts/prd/prd.md"), "# PRD\n")
    write(os.path.join(proj, "artifacts/backend/src/app.ts"), "export {}\n")
    if client:
        write(os.path.join(proj, "artifacts/client/App.tsx"), "export {}\n")
    for rel, text in (files or {}).items():
        write(os.path.join(proj, rel), text)
    git(proj, "init", "-q")
    git(proj, "add", "-A")
    git(proj, "commit", "-qm", "base")
    return proj


def setup(tollgate, proj, agent, written, sandbox=False):
    """`tollgate setup <agent> [--sandbox]` in `proj` as a user runs it, then `written` (what it
    wrote) committed: the settings are the person's, committed like the rest of the project
    (uncommitted, they would be a change of the running stage like any other file). Its stdout."""
    out = subprocess.run([tollgate, "setup", agent, "--root", proj] + (["--sandbox"] if sandbox else []),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    git(proj, "add", written)
    git(proj, "commit", "-qm", f"tollgate setup {agent}")
    return out.stdout


def agent_env(port, drop, **more):
    """This process's environment without the variables starting with `drop` (the machine's own
    keys and settings for the agent), plus `more`, with the mock as the proxy: it refuses every
    CONNECT, so any traffic beyond it shows in its log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(more, HTTPS_PROXY=f"http://127.0.0.1:{port}", HTTP_PROXY=f"http://127.0.0.1:{port}",
               NO_PROXY="127.0.0.1,localhost")
    return env


def run(d, mock, proj, turns, cmd, env_for, stdin=None):
    """Start the mock `mock` (a mock_*.py) playing `turns`, run `cmd` in `proj` with the
    environment `env_for(port)` gives (90 s at most), stop the mock. The CLI's stdout and stderr
    are kept in `d` (stdout.jsonl, stderr.txt), the mock's log too (requests.jsonl).
    Returns rc ("timeout" when it ran out of time), out, err, reqs (the mock's log), events
    (the JSON lines of stdout) and secs (how long the CLI ran)."""
    script, reqlog, portf = (os.path.join(d, x) for x in ("turns.json", "requests.jsonl", "port"))
    write(script, json.dumps(turns, ensure_ascii=False))
    server = subprocess.Popen([sys.executable, mock, "--script", script, "--project", proj, "--log", reqlog,
                               "--port-file", portf], stderr=open(os.path.join(d, "mock.err"), "w"))
    for _ in range(200):
        if os.path.exists(portf):
            break
        time.sleep(0.05)
    env = env_for(read(portf).strip())
    t0 = time.time()
    try:
        cp = subprocess.run(cmd, cwd=proj, env=env, stdin=stdin, capture_output=True, text=True, timeout=90)
        rc, out, err = cp.returncode, cp.stdout, cp.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", (e.stdout or b"").decode(), (e.stderr or b"").decode()
    secs = time.time() - t0
    server.send_signal(signal.SIGTERM)
    server.wait(5)
    write(os.path.join(d, "stdout.jsonl"), out)
    write(os.path.join(d, "stderr.txt"), err)
    reqs = [json.loads(l) for l in open(reqlog)] if os.path.exists(reqlog) else []
    events = []
    for l in out.splitlines():
        try:
            events.append(json.loads(l))
        except ValueError:  # the CLI's lines that are not events
            pass
    return dict(rc=rc, out=out, err=err, reqs=reqs, events=events, secs=secs)


def ran(name, r, turns):
    """The line after a case's run: its exit, its time, how many model turns it took."""
    print(f"----  {name}: rc={r['rc']} {r['secs']:.1f}s, {turns} model turns", flush=True)


# ----------------------------------------------------------------------------- the mocks

class Mock(BaseHTTPRequestHandler):
    """A mock model API's handler: logs every request as a JSON line and refuses any traffic
    beyond the mock (a CONNECT, or a proxied plain-HTTP request), so that it shows in the log.
    A suite's mock adds its API's endpoints (do_POST ...)."""
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()  # the threads of one server write one log

    def log_message(self, fmt, *a):  # keep stderr quiet; everything goes to the JSONL log
        pass

    @property
    def args(self):
        """The mock's command line (--script, --project, --log)."""
        return self.server.args

    def log(self, rec):
        """Append `rec`, with the time, to the log (--log)."""
        rec["t"] = round(time.time(), 3)
        with self.lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def turns(self):
        """The model's turns from --script (read anew for each request), `__PROJECT__` in any
        string replaced by the project's path."""
        with open(self.args.script, encoding="utf-8") as f:
            text = f.read()
        return json.loads(text.replace("__PROJECT__", self.args.project))

    def body(self):
        """The request's raw body, and its JSON (None when there is none, it is compressed, or
        it is not JSON)."""
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("Content-Encoding") == "zstd":
            return raw, None
        try:
            return raw, json.loads(raw) if raw else None
        except Exception:
            return raw, None

    def extra_headers(self):
        """Headers a suite's API adds to every answer."""
        return {}

    def send(self, code, payload, ctype="application/json"):
        """Answer `code` with `payload` (bytes as they are, anything else as JSON)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in self.extra_headers().items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_CONNECT(self):  # used only as HTTPS_PROXY: a tunnel would be traffic beyond the mock
        self.log({"kind": "proxy_connect", "method": "CONNECT", "target": self.path, "headers": dict(self.headers)})
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def unhandled(self, rec, not_found):
        """Log `rec` and refuse: 403 to a proxied request (absolute-form path), else 404 with
        `not_found` (the API's own error body)."""
        self.log(rec)
        if self.path.startswith("http://"):
            self.send(403, {"error": "mock proxy refuses"})
        else:
            self.send(404, not_found)


def serve(handler):
    """Parse the mock's command line, serve `handler` on 127.0.0.1 only (--port, by default any
    free one) until killed, and write the port to --port-file (atomically: the suite polls it)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    args.project = os.path.abspath(args.project)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    srv.args = args
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"mock listening on 127.0.0.1:{port} script={args.script}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
