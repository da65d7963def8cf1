#!/usr/bin/env python3
"""Scripted mock of the OpenAI Responses API, for driving a real Codex CLI offline.

stdlib only; binds to 127.0.0.1 only.

  python3 mock_responses.py --script turns.json --project /abs/project --log req.jsonl \
      [--port 0] [--port-file port.txt]

Every request (method, path, headers, parsed JSON body) is appended to --log as one JSON line.
The server also accepts HTTP CONNECT (so it can be set as HTTPS_PROXY): it logs the target
host and refuses the tunnel (403), which shows any traffic Codex tries beyond the mock.

POST .../responses whose `tools` include apply_patch or a shell tool (the agent's main loop)
are answered from the script: a JSON list of turns, each one output item (a `message` with
text, a `function_call` or a `custom_tool_call`); step = number of model items (assistant
messages and tool calls) already in the request's `input`; past its end, the last turn is
repeated. `__PROJECT__` in any string is replaced by the project's path. Any other POST
.../responses gets a short text answer. The answer is an SSE stream: response.created,
response.output_item.added / .done, response.completed.
"""
import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOG_LOCK = threading.Lock()
MODEL_ITEMS = ("function_call", "custom_tool_call", "local_shell_call")


def log_record(rec):
    rec["t"] = round(time.time(), 3)
    with LOG_LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def scenario():
    with open(ARGS.script, encoding="utf-8") as f:
        text = f.read()
    return json.loads(text.replace("__PROJECT__", ARGS.project))


def tool_names(body):
    names = set()
    for t in body.get("tools") or []:
        if isinstance(t, dict):
            names.add(t.get("name") or t.get("type"))
    return names


def is_main_loop(body):
    return bool(tool_names(body) & {"apply_patch", "shell", "exec_command", "shell_command", "local_shell"})


def step_of(body):
    n = 0
    for item in body.get("input") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") in MODEL_ITEMS or (item.get("type") == "message" and item.get("role") == "assistant"):
            n += 1
    return n


def materialise(item):
    item = dict(item)
    if item["type"] == "message":
        item = {"type": "message", "role": "assistant", "id": "msg_" + uuid.uuid4().hex[:16],
                "status": "completed",
                "content": [{"type": "output_text", "text": item["text"], "annotations": []}]}
    elif item["type"] in ("function_call", "custom_tool_call"):
        item.setdefault("call_id", "call_" + uuid.uuid4().hex[:16])
        item.setdefault("id", ("fc_" if item["type"] == "function_call" else "ctc_") + uuid.uuid4().hex[:16])
        item.setdefault("status", "completed")
        if item["type"] == "function_call" and not isinstance(item.get("arguments"), str):
            item["arguments"] = json.dumps(item.get("arguments", {}))
    return item


def sse(event, data):
    data = dict(data, type=event)
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream(model, items):
    rid = "resp_" + uuid.uuid4().hex[:16]
    base = {"id": rid, "object": "response", "created_at": int(time.time()), "model": model or "mock-model",
            "status": "in_progress", "output": []}
    parts = [sse("response.created", {"response": base})]
    for i, item in enumerate(items):
        parts.append(sse("response.output_item.added", {"output_index": i, "item": item}))
        parts.append(sse("response.output_item.done", {"output_index": i, "item": item}))
    done = dict(base, status="completed", output=items,
                usage={"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 10,
                       "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 20})
    parts.append(sse("response.completed", {"response": done}))
    return "".join(parts).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("Content-Encoding") == "zstd":
            return raw, None
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

    def do_CONNECT(self):
        log_record({"kind": "proxy_connect", "target": self.path})
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_GET(self):
        log_record({"kind": "get", "path": self.path, "headers": dict(self.headers)})
        if self.path.startswith("http://"):
            return self._send(403, {"error": "mock proxy refuses"})
        if self.path.rstrip("/").endswith("/models"):
            return self._send(200, {"object": "list", "data": [], "models": []})
        self._send(404, {"error": {"message": "mock: no such endpoint"}})

    def do_POST(self):
        raw, body = self._read_body()
        if self.path.startswith("http://") or not self.path.rstrip("/").endswith("/responses") or body is None:
            log_record({"kind": "unhandled", "path": self.path, "headers": dict(self.headers),
                        "body": body if body is not None else raw[:2000].decode("utf-8", "replace")})
            return self._send(404, {"error": {"message": "mock: no such endpoint"}})
        if is_main_loop(body):
            turns = scenario()
            step = step_of(body)
            items = [materialise(turns[min(step, len(turns) - 1)])]
            kind = "main"
        else:
            step, kind = None, "side"
            items = [materialise({"type": "message", "text": "ok"})]
        log_record({"kind": kind, "step": step, "path": self.path, "headers": dict(self.headers), "body": body,
                    "answer": items})
        self._send(200, stream(body.get("model"), items), "text/event-stream")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        import os
        os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
