"""``HeadroomChatMessageHistory``: any chat history, stored in full, read back compressed.

Writes go to the wrapped history unchanged (SQL, a file, Redis: whatever
``base_history`` is; a list in this process when none is given), so nothing is
ever lost. Reads (``messages``, ``aget_messages``) return the view a model
should get: tool results compressed against the turn they answer, and the
history fitted into ``token_budget`` by the engine (system message kept, tool
call/result pairs kept or dropped together, what is dropped stashed and named
by one note)::

    history = HeadroomChatMessageHistory(SQLChatMessageHistory(...), token_budget=8_000)
    reply = model.invoke([*history.messages, question])

``full_messages`` reads the originals; ``stats`` tells what the last read saved.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage
from typing_extensions import Unpack

from ..engine.errors import ConfigurationError
from ..engine.options import OptionArgs, off_loop, text_size
from ._fitting import Fitted, build_view
from ._options import build_options, model_for

__all__ = ["HeadroomChatMessageHistory"]


class _MessageList(BaseChatMessageHistory):
    """Messages kept in this process (LangChain's ``InMemoryChatMessageHistory`` is deprecated)."""

    def __init__(self) -> None:
        self._messages: list[BaseMessage] = []
        self._lock = threading.Lock()

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        with self._lock:
            return list(self._messages)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        with self._lock:
            self._messages.extend(messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


class HeadroomChatMessageHistory(BaseChatMessageHistory):
    """A chat history that keeps every message and returns a compressed, budgeted view.

    Args:
        base_history: where the full messages live (any ``BaseChatMessageHistory``);
            None: a list in this process.
        token_budget: tokens the returned view may use; None: ``model``'s context
            window less ``config.intelligent_context.output_buffer_tokens``.
        model: model name for token counts and the context window (default gpt-4o).
        retrieve_tool_bound: the model this history feeds has ``headroom_retrieve``
            bound (``create_retrieve_tool(store)``). A history cannot see the model, so
            say so: only then does the note for fitted-away messages tell the model to
            call it; otherwise the note names the ref alone (``retrieve(ref)`` in your code).
        config, mode, store, metrics_store: the engine's options; where the note goes
            is ``config.intelligent_context.note_role``.
    """

    def __init__(
        self,
        base_history: BaseChatMessageHistory | None = None,
        *,
        retrieve_tool_bound: bool = False,
        **options: Unpack[OptionArgs],
    ) -> None:
        if base_history is None:
            base_history = _MessageList()
        if not isinstance(base_history, BaseChatMessageHistory):
            raise ConfigurationError(
                "base_history must be a BaseChatMessageHistory",
                {"field": "base_history", "value": type(base_history).__name__, "allowed": "BaseChatMessageHistory"},
            )
        if not isinstance(retrieve_tool_bound, bool):
            raise ConfigurationError(
                "retrieve_tool_bound must be a bool",
                {"field": "retrieve_tool_bound", "value": retrieve_tool_bound, "allowed": [True, False]},
            )
        super().__init__()
        self.base_history = base_history
        self.retrieve_tool_bound = retrieve_tool_bound
        self.options = build_options(owner="HeadroomChatMessageHistory", **options)
        self._lock = threading.Lock()
        self._stats: dict[str, Any] = {}

    # --- reads: the compressed view ---------------------------------------------

    def _view(self, stored: list[BaseMessage]) -> list[BaseMessage]:
        fitted: Fitted = build_view(
            stored, self.options, model_for(self.options), retrieve_tool=self.retrieve_tool_bound
        )
        stats: dict[str, Any] = {"messages_stored": len(stored), "messages_returned": len(fitted.messages)}
        if fitted.savings is not None:
            stats.update(fitted.savings.to_dict())
        with self._lock:
            self._stats = stats
        return fitted.messages

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The compressed, budgeted view of the stored conversation."""
        return self._view(list(self.base_history.messages))

    async def aget_messages(self) -> list[BaseMessage]:
        stored = list(await self.base_history.aget_messages())
        return await off_loop(text_size(m.content for m in stored), self._view, stored)

    @property
    def full_messages(self) -> list[BaseMessage]:
        """Every stored message, unchanged."""
        return list(self.base_history.messages)

    @property
    def stats(self) -> dict[str, Any]:
        """What the last read returned and saved (empty before the first read).

        ``messages_stored``/``messages_returned``, ``tokens_before``/``tokens_after``/
        ``tokens_saved``/``savings_percent``, ``transforms`` and the ``refs`` that
        bring back what was cut.
        """
        with self._lock:
            return dict(self._stats)

    # --- writes: the originals, unchanged ------------------------------------------

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.base_history.add_messages(messages)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await self.base_history.aadd_messages(messages)

    def clear(self) -> None:
        self.base_history.clear()
        with self._lock:
            self._stats = {}

    async def aclear(self) -> None:
        await self.base_history.aclear()
        with self._lock:
            self._stats = {}
