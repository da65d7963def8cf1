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
The server, its log and its refusals are ../agent_e2e.py's; here only the Gemini API.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from agent_e2e import Mock, serve  # noqa: E402


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


class Handler(Mock):
    server_version = "mock-gemini/1"

    def _generic(self, method, body=None):
        self.unhandled({"kind": "unhandled", "method": method, "path": self.path, "headers": dict(self.headers),
                        "body": body},
                       {"error": {"code": 404, "message": "mock: no such endpoint", "status": "NOT_FOUND"}})

    def do_GET(self):
        self._generic("GET")

    def do_POST(self):
        path = self.path.split("?")[0]
        raw, body = self.body()
        body = body if isinstance(body, dict) else {}
        model = path.rsplit("/", 1)[-1].split(":")[0]
        if path.endswith(":countTokens"):
            self.log({"kind": "count_tokens", "path": self.path, "headers": dict(self.headers), "body": body})
            return self.send(200, {"totalTokens": 100})
        if not (path.endswith(":streamGenerateContent") or path.endswith(":generateContent")):
            return self._generic("POST", body or raw.decode("utf-8", "replace"))
        main = is_main_loop(body)
        contents = body.get("contents") or []
        step = sum(1 for c in contents if c.get("role") == "model")
        sub = main and SUBAGENT_MARK in first_user_text(contents)
        if main:
            # The model's turns: each a list of parts (`{"text": ...}` or
            # `{"functionCall": {"name", "args"}}`); or {"main": [...], "sub": [...]}.
            steps = self.turns()
            if isinstance(steps, dict):
                steps = steps["sub" if sub else "main"]
            parts = steps[min(step, len(steps) - 1)]
        else:
            parts = [{"text": "mock side answer"}]
        msg = response(parts, model)
        self.log({"kind": ("sub" if sub else "main") if main else "side", "step": step if main else None,
                  "path": self.path, "headers": dict(self.headers), "body": body, "response": msg})
        if path.endswith(":streamGenerateContent"):
            self.send(200, f"data: {json.dumps(msg, ensure_ascii=False)}\r\n\r\n".encode("utf-8"),
                      ctype="text/event-stream")
        else:
            self.send(200, msg)


if __name__ == "__main__":
    serve(Handler)
