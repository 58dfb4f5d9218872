"""A store that cannot take what a compressor would drop: the content stays, the call goes through."""

from __future__ import annotations

import json

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from tests.support.fixtures import api_json, tool_conversation


def _broken_store() -> CompressionStore:
    store = CompressionStore()
    store.close()  # every put now raises StorageError
    return store


def _tool_text(messages: list[object]) -> str:
    return str(next(m["content"] for m in messages if m["role"] == "tool"))  # type: ignore[index]


def test_nothing_is_dropped_that_could_not_be_stored() -> None:
    messages = tool_conversation(api_json(300), "Why did order 48137 fail?")
    result = compress(messages, "gpt-4o", store=_broken_store())
    assert result.refs == [] and result.transforms_applied == []
    assert _tool_text(result.messages) == _tool_text(messages)
    assert "_headroom_ref" not in json.dumps(result.messages)


def test_compression_resumes_when_the_store_works_again() -> None:
    messages = tool_conversation(api_json(300), "Why did order 48137 fail?")
    compress(messages, "gpt-4o", store=_broken_store())
    store = CompressionStore()
    result = compress(messages, "gpt-4o", store=store)  # the kept-whole output was not cached
    assert result.refs and all(ref in store for ref in result.refs)


def test_history_is_kept_whole_when_the_dropped_turns_cannot_be_stored() -> None:
    messages = tool_conversation(api_json(300), "Why did order 48137 fail?")
    history = [{"role": "user", "content": f"earlier question {i} " * 40} for i in range(30)] + messages
    fitted = compress(history, "gpt-4o", store=CompressionStore(), token_budget=2_000)
    assert len(fitted.messages) < len(history), "with a working store the budget drops turns"
    result = compress(history, "gpt-4o", store=_broken_store(), token_budget=2_000)
    assert result.refs == []
    assert len(result.messages) == len(history)
    assert [m["content"] for m in result.messages] == [m["content"] for m in history]
