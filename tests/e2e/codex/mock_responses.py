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
The server, its log and its refusals are ../agent_e2e.py's; here only the Responses API.
"""
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from agent_e2e import Mock, serve  # noqa: E402

MODEL_ITEMS = ("function_call", "custom_tool_call", "local_shell_call")


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


class Handler(Mock):
    def do_GET(self):
        if self.path.rstrip("/").endswith("/models") and not self.path.startswith("http://"):
            self.log({"kind": "get", "path": self.path, "headers": dict(self.headers)})
            return self.send(200, {"object": "list", "data": [], "models": []})
        self.unhandled({"kind": "get", "path": self.path, "headers": dict(self.headers)},
                       {"error": {"message": "mock: no such endpoint"}})

    def do_POST(self):
        raw, body = self.body()
        if self.path.startswith("http://") or not self.path.rstrip("/").endswith("/responses") or body is None:
            return self.unhandled({"kind": "unhandled", "path": self.path, "headers": dict(self.headers),
                                   "body": body if body is not None else raw[:2000].decode("utf-8", "replace")},
                                  {"error": {"message": "mock: no such endpoint"}})
        if is_main_loop(body):
            turns = self.turns()
            step = step_of(body)
            items = [materialise(turns[min(step, len(turns) - 1)])]
            kind = "main"
        else:
            step, kind = None, "side"
            items = [materialise({"type": "message", "text": "ok"})]
        self.log({"kind": kind, "step": step, "path": self.path, "headers": dict(self.headers), "body": body,
                  "answer": items})
        self.send(200, stream(body.get("model"), items), "text/event-stream")


if __name__ == "__main__":
    serve(Handler)
