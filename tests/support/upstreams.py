"""A loopback fake of the OpenAI chat-completions and Anthropic messages APIs, for pass-through tests.

A real HTTP server (stdlib ``http.server``, one thread per connection) that
answers in each provider's wire format, streams SSE when asked
(``"stream": true``), and records every request it received: path, headers
and parsed body. The reply text is fixed, so tests compare bytes exactly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["REPLY_TEXT", "FakeUpstream", "Received", "anthropic_events", "openai_chunks"]

REPLY_TEXT = "The order failed: payment gateway timeout."
_PIECES = ("The order failed: ", "payment gateway ", "timeout.")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


def _openai_reply(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY_TEXT},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
    }


def openai_chunks(model: str) -> list[bytes]:
    """The SSE events of a streamed chat completion, as sent."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model}
    deltas = [{"role": "assistant", "content": ""}, *({"content": p} for p in _PIECES)]
    events = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


def _anthropic_reply(model: str) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": REPLY_TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 8},
    }


def anthropic_events(model: str) -> list[bytes]:
    """The SSE events of a streamed Anthropic message, as sent."""
    start = {
        **_anthropic_reply(model),
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 10, "output_tokens": 0},
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        *(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
            )
            for p in _PIECES
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 8},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read self.server.received
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        self.server.record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        path = self.path.split("?", 1)[0]
        model = body.get("model", "") if isinstance(body, dict) else ""
        stream = isinstance(body, dict) and bool(body.get("stream"))
        if path.endswith("/chat/completions"):
            self._answer(openai_chunks(model) if stream else _openai_reply(model))
        elif path.endswith("/v1/messages"):
            self._answer(anthropic_events(model) if stream else _anthropic_reply(model))
        else:
            self._answer({"error": {"type": "not_found", "message": self.path}}, status=404)

    def _answer(self, payload: dict[str, Any] | list[bytes], status: int = 200) -> None:
        self.send_response(status)
        self.send_header("x-fake-upstream", "1")
        if isinstance(payload, dict):
            data = json.dumps(payload).encode()
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        # A stream: no length, chunk by chunk, the connection closes at the end.
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for event in payload:
            self.wfile.write(event)
            self.wfile.flush()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connect at once in the load test and the benchmark

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self._lock = threading.Lock()

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)


class FakeUpstream:
    """``with FakeUpstream() as up:`` serves on ``up.url`` (loopback, a free port) until the block ends."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-upstream", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def received(self) -> list[Received]:
        with self._server._lock:
            return list(self._server.received)

    def __enter__(self) -> FakeUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __iter__(self) -> Iterator[Received]:
        return iter(self.received)
