#!/usr/bin/env python3
"""Scripted mock of the Gemini API (generativelanguage v1beta), for driving a real Gemini CLI
offline.

stdlib only; binds to 127.0.0.1 only.

  python3 mock_gemini.py --script turns.json --project /abs/project --log req.jsonl \
      [--port 0] [--port-file port.txt]

Every request (method, path, headers, parsed JSON body) is appended to --log as one JSON line.
The server also accepts HTTP CONNECT (so it can be set as HTTPS_PROXY): it logs the target
host and refuses the tunnel (403), which shows any traffic Gemini CLI tries beyond the mock.

Main-loop requests (`models/{model}:streamGenerateContent` or `:generateContent` whose
`tools` declare `write_file` or `run_shell_command`) are answered from the script (--script),
step = number of `model` turns already in `contents`; past its end, the last turn is repeated.
The script may also be `{"main": [...], "sub": [...]}`: a conversation whose first user text
carries E2E-SUBAGENT (a subagent's, started by `invoke_agent`) plays the `sub` turns.
Any other generate request (routing, next-speaker checks, titles...) gets a short plain-text
answer; `:countTokens` gets a count; anything else a 404.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOG_LOCK = threading.Lock()


def scenario_steps():
    """The model's turns, from --script: a JSON list of turns, each a list of parts
    (`{"text": ...}` or `{"functionCall": {"name", "args"}}`); `__PROJECT__` in any string is
    replaced by the project's path."""
    with open(ARGS.script, encoding="utf-8") as f:
        text = f.read()
    return json.loads(text.replace("__PROJECT__", ARGS.project))


def log_record(rec):
    rec["t"] = round(time.time(), 3)
    with LOG_LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def tool_names(body):
    names = set()
    for t in body.get("tools") or []:
        for d in (t or {}).get("functionDeclarations") or []:
            names.add(d.get("name"))
    return names


def is_main_loop(body):
    return bool(tool_names(body) & {"write_file", "run_shell_command"})


SUBAGENT_MARK = "E2E-SUBAGENT"


def first_user_text(contents):
    for c in contents:
        if c.get("role") == "user":
            return "".join(p.get("text", "") for p in c.get("parts") or [] if isinstance(p, dict))
    return ""


def response(parts, model):
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
        "modelVersion": model,
        "responseId": "mock-" + str(int(time.time() * 1000)),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-gemini/1"

    def log_message(self, fmt, *a):  # keep stderr quiet; everything goes to the JSONL log
        pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return raw, json.loads(raw) if raw else None
        except Exception:
            return raw, None

    def _send(self, code, payload, ctype="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_CONNECT(self):  # used only when the mock is also set as HTTPS_PROXY
        log_record({"kind": "proxy_connect", "method": "CONNECT", "target": self.path,
                    "headers": dict(self.headers)})
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _generic(self, method, body=None):
        log_record({"kind": "unhandled", "method": method, "path": self.path,
                    "headers": dict(self.headers), "body": body})
        if self.path.startswith("http://"):  # absolute-form => proxied plain HTTP
            self._send(403, {"error": "mock proxy refuses"})
        else:
            self._send(404, {"error": {"code": 404, "message": "mock: no such endpoint", "status": "NOT_FOUND"}})

    def do_GET(self):
        self._generic("GET")

    def do_POST(self):
        path = self.path.split("?")[0]
        raw, body = self._read_body()
        body = body if isinstance(body, dict) else {}
        model = path.rsplit("/", 1)[-1].split(":")[0]
        if path.endswith(":countTokens"):
            log_record({"kind": "count_tokens", "path": self.path, "headers": dict(self.headers), "body": body})
            return self._send(200, {"totalTokens": 100})
        if not (path.endswith(":streamGenerateContent") or path.endswith(":generateContent")):
            return self._generic("POST", body or raw.decode("utf-8", "replace"))
        main = is_main_loop(body)
        contents = body.get("contents") or []
        step = sum(1 for c in contents if c.get("role") == "model")
        sub = main and SUBAGENT_MARK in first_user_text(contents)
        if main:
            steps = scenario_steps()
            if isinstance(steps, dict):
                steps = steps["sub" if sub else "main"]
            parts = steps[min(step, len(steps) - 1)]
        else:
            parts = [{"text": "mock side answer"}]
        msg = response(parts, model)
        log_record({"kind": ("sub" if sub else "main") if main else "side", "step": step if main else None,
                    "path": self.path, "headers": dict(self.headers), "body": body, "response": msg})
        if path.endswith(":streamGenerateContent"):
            self._send(200, f"data: {json.dumps(msg, ensure_ascii=False)}\r\n\r\n".encode("utf-8"),
                       ctype="text/event-stream")
        else:
            self._send(200, msg)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ARGS = ap.parse_args()
    ARGS.project = os.path.abspath(ARGS.project)
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    port = srv.server_address[1]
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, ARGS.port_file)
    print(f"mock listening on 127.0.0.1:{port} script={ARGS.script}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
