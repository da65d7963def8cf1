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
The server, its log and its refusals are ../agent_e2e.py's; here only the Messages API.
"""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from agent_e2e import Mock, serve  # noqa: E402


# ----------------------------------------------------------------------------- the wire format
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
class Handler(Mock):
    server_version = "mock-anthropic/1"

    def extra_headers(self):
        return {"request-id": "req_mock_" + uuid.uuid4().hex[:12]}

    def _generic(self, method):
        raw, body = self.body()
        self.unhandled({"kind": "unhandled", "method": method, "path": self.path, "headers": dict(self.headers),
                        "body": body if body is not None else raw.decode("utf-8", "replace")},
                       {"type": "error", "error": {"type": "not_found_error", "message": "mock: no such endpoint"}})

    def do_GET(self):
        self._generic("GET")

    def do_HEAD(self):
        self.log({"kind": "unhandled", "method": "HEAD", "path": self.path, "headers": dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        path = self.path.split("?")[0]
        if not path.endswith("/v1/messages") and not path.endswith("/v1/messages/count_tokens"):
            return self._generic("POST")
        raw, body = self.body()
        body = body or {}
        if path.endswith("/count_tokens"):
            self.log({"kind": "count_tokens", "path": self.path, "headers": dict(self.headers), "body": body})
            return self.send(200, {"input_tokens": 100})
        main = is_main_loop(body)
        msgs = body.get("messages") or []
        step = sum(1 for m in msgs if m.get("role") == "assistant")
        if main:
            # The model's turns: each a list of content blocks (text or tool_use).
            steps = self.turns()
            blocks = steps[min(step, len(steps) - 1)]
        else:
            blocks = [{"type": "text", "text": "mock side answer"}]
        msg = make_message(body.get("model"), materialise(blocks))
        self.log({"kind": "main" if main else "side", "step": step if main else None,
                  "path": self.path, "headers": dict(self.headers), "body": body, "response": msg})
        if body.get("stream"):
            self.send(200, stream_body(msg), ctype="text/event-stream")
        else:
            self.send(200, msg)


if __name__ == "__main__":
    serve(Handler)
