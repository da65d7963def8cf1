#!/usr/bin/env python3
"""Scripted mock of the Anthropic Messages API, for driving a real Claude Code CLI offline.

stdlib only; binds to 127.0.0.1 only.

  python3 mock_anthropic.py --script turns.json --project /abs/project --log req.jsonl \
      [--port 0] [--port-file port.txt]

Every request (method, path, headers, parsed JSON body) is appended to --log as one JSON line.
The server also accepts HTTP CONNECT (so it can be set as HTTPS_PROXY): it logs the target
host and refuses the tunnel (403), which shows any traffic Claude Code tries beyond the mock.

Main-loop requests (those whose `tools` list includes Write or Bash) are answered from the
script (--script), step = number of assistant messages already in the request history; past
its end, the last turn is repeated.
Any other POST /v1/messages (side requests: quota probe, titles, prefix detection...) gets a
short plain-text answer with stop_reason end_turn.
"""
import argparse
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOG_LOCK = threading.Lock()


# ----------------------------------------------------------------------------- the script
def scenario_steps():
    """The model's turns, from --script: a JSON list of turns, each a list of content blocks
    (text or tool_use); `__PROJECT__` in any string is replaced by the project's path."""
    with open(ARGS.script, encoding="utf-8") as f:
        text = f.read()
    return json.loads(text.replace("__PROJECT__", ARGS.project))


# ----------------------------------------------------------------------------- helpers
def log_record(rec):
    rec["t"] = round(time.time(), 3)
    with LOG_LOCK:
        with open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def is_main_loop(body):
    names = {t.get("name") for t in (body.get("tools") or []) if isinstance(t, dict)}
    return bool(names & {"Write", "Bash"})


def materialise(blocks):
    out = []
    for b in blocks:
        b = dict(b)
        if b["type"] == "tool_use":
            b["id"] = "toolu_mock_" + uuid.uuid4().hex[:20]
        out.append(b)
    return out


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream_body(msg):
    """Build the full SSE byte stream for a message (message_start ... message_stop)."""
    start = dict(msg, content=[], stop_reason=None, stop_sequence=None,
                 usage={"input_tokens": msg["usage"]["input_tokens"], "output_tokens": 1})
    parts = [sse("message_start", {"type": "message_start", "message": start})]
    for i, b in enumerate(msg["content"]):
        if b["type"] == "text":
            parts.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": {"type": "text", "text": ""}}))
            text = b["text"]
            for chunk in (text[: len(text) // 2], text[len(text) // 2:]):
                parts.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                         "delta": {"type": "text_delta", "text": chunk}}))
        elif b["type"] == "tool_use":
            parts.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": {"type": "tool_use", "id": b["id"],
                                                                       "name": b["name"], "input": {}}}))
            js = json.dumps(b["input"])
            for chunk in (js[: len(js) // 2], js[len(js) // 2:]):
                parts.append(sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                         "delta": {"type": "input_json_delta",
                                                                   "partial_json": chunk}}))
        parts.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    parts.append(sse("message_delta", {"type": "message_delta",
                                       "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                                       "usage": {"output_tokens": msg["usage"]["output_tokens"]}}))
    parts.append(sse("message_stop", {"type": "message_stop"}))
    return "".join(parts).encode("utf-8")


def make_message(model, blocks):
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return {"id": "msg_mock_" + uuid.uuid4().hex[:20], "type": "message", "role": "assistant",
            "model": model or "mock-model", "content": blocks, "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}


# ----------------------------------------------------------------------------- handler
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-anthropic/1"

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
        self.send_header("request-id", "req_mock_" + uuid.uuid4().hex[:12])
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

    def _generic(self, method):
        raw, body = self._read_body()
        log_record({"kind": "unhandled", "method": method, "path": self.path,
                    "headers": dict(self.headers), "body": body if body is not None else raw.decode("utf-8", "replace")})
        if self.path.startswith("http://"):  # absolute-form => proxied plain HTTP
            self._send(403, {"error": "mock proxy refuses"})
        else:
            self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": "mock: no such endpoint"}})

    def do_GET(self):
        self._generic("GET")

    def do_HEAD(self):
        log_record({"kind": "unhandled", "method": "HEAD", "path": self.path, "headers": dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        path = self.path.split("?")[0]
        if not path.endswith("/v1/messages") and not path.endswith("/v1/messages/count_tokens"):
            return self._generic("POST")
        raw, body = self._read_body()
        body = body or {}
        if path.endswith("/count_tokens"):
            log_record({"kind": "count_tokens", "path": self.path, "headers": dict(self.headers), "body": body})
            return self._send(200, {"input_tokens": 100})
        main = is_main_loop(body)
        msgs = body.get("messages") or []
        step = sum(1 for m in msgs if m.get("role") == "assistant")
        if main:
            steps = scenario_steps()
            blocks = steps[min(step, len(steps) - 1)]
        else:
            blocks = [{"type": "text", "text": "mock side answer"}]
        msg = make_message(body.get("model"), materialise(blocks))
        log_record({"kind": "main" if main else "side", "step": step if main else None,
                    "path": self.path, "headers": dict(self.headers), "body": body, "response": msg})
        if body.get("stream"):
            self._send(200, stream_body(msg), ctype="text/event-stream")
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
