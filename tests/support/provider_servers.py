"""A loopback HTTP server speaking the OpenAI chat-completions and Anthropic messages wire formats.

The real ``openai`` and ``anthropic`` SDKs are pointed at it (``base_url``), so
tests exercise the SDKs' own request building, response parsing and streaming.
It records every request it received (path, headers, JSON body) and answers
deterministically: a text reply, or a tool call when the test scripts one.

Anthropic prompt caching is modelled: the prefix up to each ``cache_control``
breakpoint (tools, then system, then messages; markers themselves excluded)
is remembered, and a later request whose breakpoint prefix was seen reports
``cache_read_input_tokens``; new prefix bytes are reported as
``cache_creation_input_tokens`` (in the response, and in a stream's
``message_start`` and cumulative ``message_delta`` usage, as the API sends
them). Token counts are ``len(json) // 4``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ProviderServer", "Recorded", "strip_cache_control"]

CREATED = 1_765_000_000


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, sort_keys=True)) // 4)


def strip_cache_control(value: Any) -> Any:
    """``value`` without any ``cache_control`` key, at any depth."""
    if isinstance(value, dict):
        return {k: strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [strip_cache_control(v) for v in value]
    return value


def _breakpoint_prefixes(body: dict[str, Any]) -> list[str]:
    """The serialized request prefix ending at each cache_control breakpoint, in order."""
    parts: list[Any] = []
    prefixes: list[str] = []
    for tool in body.get("tools") or []:
        parts.append(("tool", strip_cache_control(tool)))
        if isinstance(tool, dict) and tool.get("cache_control"):
            prefixes.append(json.dumps(parts, sort_keys=True))
    system = body.get("system")
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else (system or [])
    for block in blocks:
        parts.append(("system", strip_cache_control(block)))
        if isinstance(block, dict) and block.get("cache_control"):
            prefixes.append(json.dumps(parts, sort_keys=True))
    for message in body.get("messages") or []:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
        for block in blocks:
            parts.append((message.get("role"), strip_cache_control(block)))
            if isinstance(block, dict) and block.get("cache_control"):
                prefixes.append(json.dumps(parts, sort_keys=True))
    return prefixes


class ProviderServer:
    """``with ProviderServer() as server:`` serves on ``server.openai_base_url`` / ``server.anthropic_base_url``.

    ``reply`` (settable) decides the assistant's answer from a request body:
    return a string for a text reply or ``{"tool": name, "input": {...}}`` for a tool call.
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.reply: Callable[[dict[str, Any]], Any] = lambda body: "ok"
        self.openai_cached_tokens = 0
        self.anthropic_usages: list[dict[str, int]] = []  # the usage each /v1/messages answer reported
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """Bodies of the requests received on ``path`` (e.g. ``/v1/chat/completions``), in order."""
        return [r.body for r in self.requests if r.path == path]

    # -- wire formats --------------------------------------------------------------------------

    def _openai(self, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        answer = self.reply(body)
        usage = {
            "prompt_tokens": _tokens(body.get("messages")),
            "completion_tokens": 3,
            "total_tokens": _tokens(body.get("messages")) + 3,
            "prompt_tokens_details": {"cached_tokens": self.openai_cached_tokens},
        }
        if isinstance(answer, dict):
            call = {
                "id": "call_srv_1",
                "type": "function",
                "function": {"name": answer["tool"], "arguments": json.dumps(answer["input"])},
            }
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": answer}, "stop"
        response = {
            "id": "chatcmpl-srv-1",
            "object": "chat.completion",
            "created": CREATED,
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage,
        }
        return response, finish

    def _openai_stream(self, body: dict[str, Any]) -> list[str]:
        response, finish = self._openai(body)
        message = response["choices"][0]["message"]
        base = {
            "id": "chatcmpl-srv-1",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": body.get("model"),
        }
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        if message.get("tool_calls"):
            call = message["tool_calls"][0]
            deltas.append({"tool_calls": [{"index": 0, **call}]})
        else:
            deltas += [{"content": piece} for piece in (message["content"][:1], message["content"][1:]) if piece]
        chunks = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": response["usage"]})
        return [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]

    def _anthropic_usage(self, body: dict[str, Any]) -> dict[str, int]:
        prefixes = _breakpoint_prefixes(body)
        with self._lock:
            read = max((len(p) // 4 for p in prefixes if p in self._cache), default=0)
            created = 0
            if prefixes and prefixes[-1] not in self._cache:
                created = max(0, len(prefixes[-1]) // 4 - read)
            self._cache.update(prefixes)
        total = _tokens({"tools": body.get("tools"), "system": body.get("system"), "messages": body.get("messages")})
        usage = {
            "input_tokens": max(1, total - read - created),
            "output_tokens": 3,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": created,
        }
        with self._lock:
            self.anthropic_usages.append(usage)
        return usage

    def _anthropic(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.reply(body)
        if isinstance(answer, dict):
            call_id = f"toolu_srv_{len(self.bodies('/v1/messages'))}"  # unique per request, as the API's are
            content = [{"type": "tool_use", "id": call_id, "name": answer["tool"], "input": answer["input"]}]
            stop = "tool_use"
        else:
            content, stop = [{"type": "text", "text": answer}], "end_turn"
        return {
            "id": "msg_srv_1",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self._anthropic_usage(body),
        }

    def _anthropic_stream(self, body: dict[str, Any]) -> list[str]:
        message = self._anthropic(body)
        start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                opening, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
            else:
                opening = {**block, "input": {}}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            events += [
                ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}),
                ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
                ("content_block_stop", {"type": "content_block_stop", "index": index}),
            ]
        events += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                    "usage": message["usage"],  # cumulative, cache figures included (as the API sends them)
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"{}")
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append(Recorded(path, {k.lower(): v for k, v in self.headers.items()}, body))
                if path == "/v1/chat/completions":
                    if body.get("stream"):
                        self._send(200, "".join(server._openai_stream(body)).encode(), "text/event-stream")
                    else:
                        self._send(200, json.dumps(server._openai(body)[0]).encode(), "application/json")
                elif path == "/v1/messages":
                    if body.get("stream"):
                        self._send(200, "".join(server._anthropic_stream(body)).encode(), "text/event-stream")
                    else:
                        self._send(200, json.dumps(server._anthropic(body)).encode(), "application/json")
                elif path == "/v1/messages/count_tokens":
                    tokens = _tokens({"system": body.get("system"), "messages": body.get("messages")})
                    self._send(200, json.dumps({"input_tokens": tokens}).encode(), "application/json")
                else:
                    error = {"error": {"type": "not_found", "message": f"no route {path}"}}
                    self._send(404, json.dumps(error).encode(), "application/json")

        return Handler
