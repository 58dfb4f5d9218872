"""``HeadroomCompressionManager``: Headroom in Agno's own tool-result compression slot.

``Agent(compress_tool_results=True, compression_manager=HeadroomCompressionManager())``
makes Agno store Headroom's version of each tool result in
``Message.compressed_content`` and send that to the provider, while the session
keeps the original ``content``. Unlike Agno's default manager this makes no
LLM call: compression is the engine's, deterministic and fast, so every new
tool result is compressed before the very next provider call (no batching
threshold needed), against the results before it as the provider got them (so a file
viewed again becomes a pointer plus what changed). Setting ``compress_tool_results_limit`` or
``compress_token_limit`` brings Agno's thresholds back.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agno.compression.manager import CompressionManager
from agno.models.base import Model
from agno.models.message import Message

from ..engine.ccr.store import RETRIEVE_TOOL_NAME
from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.models import resolve_model
from ..engine.options import EngineOptions, off_loop, text_size
from ..engine.savings import SavingsTracker
from ..engine.tool_results import ToolOutput, compress_tool_outputs
from ._convert import to_engine_messages, turn_queries
from ._savings import add_to_run_metrics

__all__ = ["HeadroomCompressionManager"]

logger = logging.getLogger(__name__)

# Tool-message ids already looked at and left alone, remembered so they are not redone every hop.
_SEEN_LIMIT = 65_536


def _before(messages: Sequence[Message], first: Message) -> list[Message]:
    """The messages before ``first``: what the model saw before the due results (a repeat points there)."""
    for index, message in enumerate(messages):
        if message is first:
            return list(messages[:index])
    return []


def _model_id(model: Any) -> str:
    return resolve_model(model.id if isinstance(model, Model) else model)


@dataclass
class HeadroomCompressionManager(CompressionManager):
    """A ``CompressionManager`` that fills ``compressed_content`` with the engine's output."""

    config: HeadroomConfig | None = None
    mode: HeadroomMode | None = None
    store: Any = None
    metrics_store: Any = None
    tool_profiles: dict[str, Any] | None = None
    _options: EngineOptions = field(default_factory=EngineOptions, init=False, repr=False)
    _tracker: SavingsTracker = field(default_factory=SavingsTracker, init=False, repr=False)
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        # Agno's default of batching three results exists to save LLM calls; there are none here.
        self._options = EngineOptions.build(
            config=self.config,
            mode=self.mode,
            store=self.store,
            metrics_store=self.metrics_store,
            tool_profiles=self.tool_profiles,
            integration="agno",
        )
        self.config, self.mode = self._options.config, self._options.mode

    def get_savings_summary(self) -> dict[str, Any]:
        """Tool-result compressions, tokens before/after/saved and transforms so far."""
        return self._tracker.summary()

    # --- which tool results are due ------------------------------------------------

    def _pending(self, messages: Sequence[Message]) -> list[Message]:
        with self._lock:
            return [m for m in messages if m.role == "tool" and m.compressed_content is None and m.id not in self._seen]

    def _mark_seen(self, messages: Sequence[Message]) -> None:
        with self._lock:
            for message in messages:
                self._seen[message.id] = None
                self._seen.move_to_end(message.id)
            while len(self._seen) > _SEEN_LIMIT:
                self._seen.popitem(last=False)

    def _uses_agno_thresholds(self) -> bool:
        return self.compress_tool_results_limit is not None or self.compress_token_limit is not None

    def should_compress(
        self,
        messages: list[Message],
        tools: list[Any] | None = None,
        model: Model | None = None,
        response_format: Any = None,
    ) -> bool:
        if self._uses_agno_thresholds():
            return super().should_compress(messages, tools, model, response_format)
        return self.compress_tool_results and bool(self._pending(messages))

    async def ashould_compress(self, *args: Any, **kwargs: Any) -> bool:
        if self._uses_agno_thresholds():
            return await super().ashould_compress(*args, **kwargs)
        return self.should_compress(*args, **kwargs)

    # --- compression ----------------------------------------------------------------

    def compress(self, messages: list[Message], run_metrics: Any = None) -> None:
        """Fill ``compressed_content`` of every new tool result the engine can shrink."""
        if not self.compress_tool_results:
            return
        pending = self._pending(messages)
        due = [m for m in pending if isinstance(m.content, str) and m.tool_name != RETRIEVE_TOOL_NAME]
        if due:
            try:
                self._compress(due, turn_queries(messages, due), run_metrics, _before(messages, due[0]))
            except Exception as exc:  # fail open: Agno sends the original results
                logger.warning("headroom compression manager failed open: %r", exc)
        self._mark_seen(pending)

    async def acompress(self, messages: list[Message], run_metrics: Any = None) -> None:
        pending = text_size(m.content for m in self._pending(messages))
        await off_loop(pending, self.compress, messages, run_metrics)

    def _compress(self, due: list[Message], queries: list[str], run_metrics: Any, earlier: list[Message]) -> None:
        out = compress_tool_outputs(
            [ToolOutput(str(m.content), m.tool_name, m.tool_call_id, q) for m, q in zip(due, queries, strict=True)],
            query="",
            options=self._options,
            model=_model_id(self.model),
            earlier=to_engine_messages(earlier, use_compressed_content=True),
        )
        if out.savings is None:
            return
        self._tracker.record(out.savings)
        add_to_run_metrics(run_metrics, out.savings, "tool_results")
        if not self._options.changes_messages:
            return
        for message, text, changed in zip(due, out.contents, out.changed, strict=True):
            if changed:
                message.compressed_content = text
                self.stats["tool_results_compressed"] = self.stats.get("tool_results_compressed", 0) + 1
                self.stats["original_size"] = self.stats.get("original_size", 0) + len(str(message.content))
                self.stats["compressed_size"] = self.stats.get("compressed_size", 0) + len(text)
        self.stats["headroom_tokens_saved"] = self.stats.get("headroom_tokens_saved", 0) + out.savings.tokens_saved
