"""A loopback LangSmith API that records what the real ``langsmith`` client sends.

Start it, point a real ``langsmith.Client`` at it, trace with a real
``LangChainTracer`` and read back the runs as LangSmith would store them::

    with LangSmithRecorder() as recorder:
        tracer = recorder.tracer()
        model.invoke("hi", config={"callbacks": [tracer]})
        runs = recorder.wait_for_runs(tracer)

It answers ``GET /info`` (multipart ingestion on, no compression), decodes
``POST /runs/multipart`` bodies (``post.<id>``, ``post.<id>.inputs`` ...,
``patch.<id>...``), and also accepts ``POST /runs/batch``, ``POST /runs`` and
``PATCH /runs/<id>``. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.tracers import LangChainTracer
from langsmith import Client

__all__ = ["LangSmithRecorder"]

_INFO = {
    "version": "0.0.0-recorder",
    "instance_flags": {},
    "batch_ingest_config": {
        "use_multipart_endpoint": True,
        "scale_up_qsize_trigger": 1000,
        "scale_up_nthreads_limit": 1,
        "scale_down_nempty_trigger": 4,
        "size_limit": 100,
        "size_limit_bytes": 20_971_520,
    },
}


def _multipart_parts(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    """(name, decoded JSON) for each part of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            value: Any = json.loads(payload)
        except ValueError:
            value = payload
        parts.append((str(name), value))
    return parts


class LangSmithRecorder:
    """Records run creates and updates; :meth:`runs` merges them per run id."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._ops: list[tuple[str, str, dict[str, Any]]] = []  # (operation, run id, fields)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> LangSmithRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client(self) -> Client:
        return Client(api_url=self.url, api_key="recorder-key", auto_batch_tracing=True)

    def tracer(self, project_name: str = "headroom-tests") -> LangChainTracer:
        return LangChainTracer(client=self.client(), project_name=project_name)

    def _record(self, operation: str, run_id: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._ops.append((operation, run_id, fields))

    def _record_multipart(self, content_type: str, body: bytes) -> None:
        for name, value in _multipart_parts(content_type, body):
            operation, _, rest = name.partition(".")
            if operation not in ("post", "patch"):
                continue
            run_id, _, key = rest.partition(".")
            self._record(operation, run_id, {key: value} if key else dict(value))

    def _record_json(self, method: str, path: str, payload: Any) -> None:
        if path == "/runs/batch":
            for operation in ("post", "patch"):
                for run in payload.get(operation) or ():
                    self._record(operation, str(run["id"]), run)
        elif path == "/runs" and method == "POST":
            self._record("post", str(payload["id"]), payload)
        elif path.startswith("/runs/") and method == "PATCH":
            self._record("patch", path.rsplit("/", 1)[-1], payload)

    def runs(self) -> dict[str, dict[str, Any]]:
        """Every run as stored: creates first, then updates (``extra`` merged key by key)."""
        with self._lock:
            ops = sorted(self._ops, key=lambda op: op[0] != "post")
        merged: dict[str, dict[str, Any]] = {}
        for _, run_id, fields in ops:
            run = merged.setdefault(run_id, {"id": run_id})
            for key, value in fields.items():
                if key == "extra" and isinstance(value, dict):
                    extra = run.setdefault("extra", {})
                    metadata = {**extra.get("metadata", {}), **value.get("metadata", {})}
                    extra.update(value)
                    extra["metadata"] = metadata
                else:
                    run[key] = value
        return merged

    def wait_for_runs(self, tracer: LangChainTracer) -> dict[str, dict[str, Any]]:
        """Flush the tracer and its client, then return :meth:`runs`."""
        tracer.wait_for_futures()
        tracer.client.flush()
        return self.runs()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

            def _reply(self, payload: Any, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:
                recorder.requests.append(("GET", self.path))
                self._reply(_INFO if self.path.split("?")[0] == "/info" else {})

            def _write(self) -> None:
                path = self.path.split("?")[0]
                recorder.requests.append((self.command, path))
                body = self._body()
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("multipart/"):
                    recorder._record_multipart(content_type, body)
                elif body:
                    recorder._record_json(self.command, path, json.loads(body))
                self._reply({})

            do_POST = _write
            do_PATCH = _write

        return Handler
