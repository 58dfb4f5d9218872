"""What the three MCP tools do, against one shared CCR store and metrics store.

Kept apart from the MCP wiring so the behaviour reads (and is tested) as plain
Python; a failure the caller can fix raises :class:`ToolError`, which the SDK
turns into an ``isError`` result the model can read.
"""

from __future__ import annotations

import threading
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from ..engine.ccr.store import CompressionStore, retrieve
from ..engine.compress import CompressResult, compress
from ..engine.errors import CacheError, HeadroomError
from ..engine.metrics import MetricsStore

__all__ = ["HeadroomTools"]

_TOOL_CALL_ID = "headroom_mcp"


class HeadroomTools:
    """The tools' state: the stores (shared with other processes through SQLite) and this session's totals."""

    def __init__(self, store_url: str) -> None:
        self.store = CompressionStore(url=store_url)
        self.metrics_store = MetricsStore(store_url)
        self._lock = threading.Lock()
        self._session = {"calls": 0, "tokens_before": 0, "tokens_after": 0, "tokens_saved": 0}

    def compress(
        self,
        text: str | None,
        messages: list[dict[str, Any]] | None,
        query: str | None,
        model: str,
        tool_name: str | None,
    ) -> dict[str, Any]:
        if (text is None) == (messages is None):
            raise ToolError("pass exactly one of `text` (one tool output) or `messages` (a conversation)")
        # A raw text travels as one tool result: the kind of content the engine compresses.
        as_text = messages is None
        conversation = (
            [{"role": "tool", "tool_call_id": _TOOL_CALL_ID, "name": tool_name or "tool", "content": text}]
            if as_text
            else messages
        )
        try:
            result = compress(
                conversation or [],
                model,
                query=query if query is not None else ("" if as_text else None),
                store=self.store,
                metrics_store=self.metrics_store,
                integration="mcp",
                record_kind="tool_result" if as_text else "model_call",
            )
        except HeadroomError as exc:
            raise ToolError(f"cannot compress: {exc.message}") from None
        self._count(result)
        answer: dict[str, Any] = (
            {"compressed_text": result.messages[0]["content"]} if as_text else {"messages": result.messages}
        )
        answer.update(
            refs=list(result.refs),
            tokens_before=result.tokens_before,
            tokens_after=result.tokens_after,
            tokens_saved=result.tokens_saved,
            savings_percent=result.savings_percent,
            transforms_applied=list(result.transforms_applied),
        )
        if not result.transforms_applied:
            answer["unchanged_because"] = sorted(set(result.reasons.values()) | set(result.warnings)) or ["unchanged"]
        return answer

    def _count(self, result: CompressResult) -> None:
        with self._lock:
            self._session["calls"] += 1
            self._session["tokens_before"] += result.tokens_before
            self._session["tokens_after"] += result.tokens_after
            self._session["tokens_saved"] += result.tokens_saved

    def retrieve(self, ref: str, query: str | None) -> str:
        try:
            return retrieve(ref, query, store=self.store, metrics_store=self.metrics_store)
        except CacheError as exc:
            raise ToolError(exc.message) from None

    def stats(self) -> dict[str, Any]:
        summary = self.metrics_store.get_summary()
        with self._lock:
            session = dict(self._session)
        return {
            "session": session,
            # the model calls' totals; tool results (this server's text compressions among them) in by_kind
            "stored": {
                **summary.totals(),
                "by_integration": {k: v.tokens_saved for k, v in summary.by_integration.items()},
            },
            "store": self.store.stats().to_dict(),
        }

    def close(self) -> None:
        self.store.close()
        self.metrics_store.close()
