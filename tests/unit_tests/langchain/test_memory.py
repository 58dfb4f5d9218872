"""HeadroomChatMessageHistory: full messages stored, a compressed budgeted view read back."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from headroom_integrations.engine.ccr.store import CompressionStore, retrieve
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import Tokenizer
from headroom_integrations.langchain._convert import to_engine_messages
from headroom_integrations.langchain.memory import HeadroomChatMessageHistory
from tests.support.fixtures import api_json, app_log
from tests.support.scripted_chat_model import ScriptedChatModel

# The brief asks for these classic history APIs; LangChain marks them deprecated in favour of LangGraph.
pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")

FAILED = "payment gateway timeout on order 48137"
SYSTEM = "You are a support agent."


class SQLiteHistory(BaseChatMessageHistory):
    """A minimal SQL-backed history, as a user would have one."""

    def __init__(self, path: Path, session: str) -> None:
        self.conn = sqlite3.connect(path)
        self.session = session
        self.conn.execute("CREATE TABLE IF NOT EXISTS messages (session TEXT, body TEXT)")

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        rows = self.conn.execute("SELECT body FROM messages WHERE session = ? ORDER BY rowid", (self.session,))
        return messages_from_dict([json.loads(body) for (body,) in rows])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT INTO messages VALUES (?, ?)",
                [(self.session, json.dumps(message_to_dict(m))) for m in messages],
            )

    def clear(self) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM messages WHERE session = ?", (self.session,))


def _conversation(turns: int = 4) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage(SYSTEM)]
    for turn in range(turns):
        call_id = f"call_{turn}"
        output = api_json(300) if turn % 2 == 0 else app_log(800)
        messages += [
            HumanMessage(f"Question {turn}: why did order 48137 fail, and what does the log say?"),
            AIMessage("", tool_calls=[{"name": "lookup", "args": {"turn": turn}, "id": call_id}]),
            ToolMessage(output, tool_call_id=call_id, name="lookup"),
            AIMessage(f"Answer {turn}: see the tool result above."),
        ]
    return messages


def _pairs_intact(messages: list[BaseMessage]) -> bool:
    calls = [c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    results = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
    return sorted(calls) == sorted(results)


def _tokens(messages: list[BaseMessage]) -> int:
    return int(Tokenizer("gpt-4o").count_messages(to_engine_messages(messages)))


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_stores_originals_and_reads_a_compressed_budgeted_view(store: CompressionStore) -> None:
    base = InMemoryChatMessageHistory()
    history = HeadroomChatMessageHistory(base, token_budget=1200, store=store)
    original = _conversation()
    history.add_messages(original)
    assert base.messages == original and history.full_messages == original
    view = history.messages
    assert _tokens(view) <= 1200 < _tokens(original)
    assert isinstance(view[0], SystemMessage) and view[0].content == SYSTEM
    assert view[-1].content == original[-1].content
    assert _pairs_intact(view)
    stats = history.stats
    assert stats["messages_stored"] == 17 and stats["messages_returned"] == len(view)
    assert stats["tokens_before"] == _tokens(original) and stats["tokens_after"] == _tokens(view)
    assert stats["tokens_saved"] > 0 and stats["refs"]
    assert all(store.retrieve(ref) for ref in stats["refs"])  # everything cut can come back


def test_without_budget_only_tool_results_shrink(store: CompressionStore) -> None:
    history = HeadroomChatMessageHistory(InMemoryChatMessageHistory(), store=store)
    original = _conversation(2)
    history.add_messages(original)
    view = history.messages
    assert [type(m) for m in view] == [type(m) for m in original]
    assert FAILED in view[3].content and len(view[3].content) < len(original[3].content) / 5
    assert [m.id for m in view] == [m.id for m in original]
    assert history.messages == view  # deterministic reads


async def test_async_reads_and_writes(store: CompressionStore) -> None:
    base = InMemoryChatMessageHistory()
    history = HeadroomChatMessageHistory(base, token_budget=1200, store=store)
    await history.aadd_messages(_conversation())
    view = await history.aget_messages()
    assert view == history.messages and _tokens(view) <= 1200
    await history.aclear()
    assert base.messages == [] and history.stats == {}


def test_sql_backed_history(tmp_path: Path, store: CompressionStore) -> None:
    base = SQLiteHistory(tmp_path / "chat.db", "s1")
    history = HeadroomChatMessageHistory(base, token_budget=1500, store=store)
    history.add_messages(_conversation())
    reopened = SQLiteHistory(tmp_path / "chat.db", "s1")
    assert [m.content for m in reopened.messages] == [m.content for m in _conversation()]
    assert _tokens(history.messages) <= 1500 and _pairs_intact(history.messages)
    history.clear()
    assert reopened.messages == []


def test_with_runnable_with_message_history(store: CompressionStore) -> None:
    histories: dict[str, HeadroomChatMessageHistory] = {}
    seed = _conversation()

    def get_history(session_id: str) -> HeadroomChatMessageHistory:
        if session_id not in histories:
            histories[session_id] = HeadroomChatMessageHistory(
                InMemoryChatMessageHistory(messages=list(seed)), token_budget=1500, store=store
            )
        return histories[session_id]

    model = ScriptedChatModel()
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    chain = RunnableWithMessageHistory(
        prompt | model, get_history, input_messages_key="question", history_messages_key="history"
    )
    config = {"configurable": {"session_id": "s"}}
    for question in ("What failed for order 48137?", "And the flush error?"):
        chain.invoke({"question": question}, config)
    sent = model.calls[-1].messages
    assert _tokens(sent[:-1]) <= 1500  # the history part of the prompt respected the budget
    stored = histories["s"].full_messages
    assert len(stored) == len(seed) + 4 and stored[: len(seed)] == seed  # everything kept in full


def test_bad_arguments_raise_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        HeadroomChatMessageHistory([])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        HeadroomChatMessageHistory(InMemoryChatMessageHistory(), token_budget=0)


def test_the_budget_wins_over_keeping_the_last_turns(store: CompressionStore) -> None:
    plan = " ".join(
        f"Item {i} of the plan needs review by the {team} team before Friday."
        for i, team in enumerate(["infra", "data", "web", "ml"] * 40)
    )
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("Plan?"),
        AIMessage(plan),
        HumanMessage("More?"),
        AIMessage(plan.replace("plan", "roadmap")),
        HumanMessage("Summarise item 7."),
    ]
    history = HeadroomChatMessageHistory(InMemoryChatMessageHistory(messages=messages), token_budget=120, store=store)
    view = history.messages
    assert _tokens(view) <= 120 < _tokens(messages)
    assert view[0].content == "Be brief." and view[-1].text.endswith("\n\nSummarise item 7.")
    # The answers went; the questions around them are joined (strict providers refuse two user turns in a row).
    assert [m.type for m in view] == ["system", "human"] and view[-1].text.startswith("Plan?\n\n[... ")


def _chat(turns: int = 12) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage("Be brief.")]
    for i in range(turns):
        messages += [HumanMessage(f"Question {i} about topic {i}. " * 20), AIMessage(f"Answer {i}, topic {i}. " * 20)]
    return [*messages, HumanMessage("Which topic came first?")]


def _note_holders(view: list[BaseMessage]) -> list[BaseMessage]:
    return [m for m in view if "messages omitted" in m.text]


@pytest.mark.parametrize("conversation", [_chat, _conversation], ids=["chat", "tool-steps"])
def test_the_note_is_never_a_second_consecutive_human_message(conversation: Any, store: CompressionStore) -> None:
    stored = conversation()
    history = HeadroomChatMessageHistory(InMemoryChatMessageHistory(messages=stored), token_budget=900, store=store)
    view = history.messages
    (holder,) = _note_holders(view)
    assert isinstance(holder, HumanMessage)
    assert not any(isinstance(a, HumanMessage) and isinstance(b, HumanMessage) for a, b in itertools.pairwise(view))
    assert sum(isinstance(m, SystemMessage) for m in view) == 1 and isinstance(view[0], SystemMessage)


def test_note_role_system_merges_the_note_into_the_system_message(store: CompressionStore) -> None:
    config = {"intelligent_context": {"note_role": "system"}}
    history = HeadroomChatMessageHistory(
        InMemoryChatMessageHistory(messages=_chat()), token_budget=900, store=store, config=config
    )
    view = history.messages
    assert _note_holders(view) == [view[0]] and view[0].text.startswith("Be brief.\n\n[... ")
    assert not any(isinstance(m, SystemMessage) for m in view[1:])  # a system message only first (Anthropic)
    with pytest.raises(ConfigurationError) as caught:
        HeadroomChatMessageHistory(InMemoryChatMessageHistory(), config={"intelligent_context": {"note_role": "ai"}})
    assert caught.value.details["field"] == "IntelligentContextConfig.note_role"
    assert caught.value.details["allowed"] == ["user", "system"]


def test_the_note_names_headroom_retrieve_only_when_the_tool_is_bound(store: CompressionStore) -> None:
    def note(**kwargs: Any) -> str:
        history = HeadroomChatMessageHistory(
            InMemoryChatMessageHistory(messages=_chat()), token_budget=900, store=store, **kwargs
        )
        (holder,) = _note_holders(history.messages)
        return holder.text

    unbound, bound = note(), note(retrieve_tool_bound=True)
    assert "headroom_retrieve" not in unbound and "; ref=" in unbound
    assert "headroom_retrieve ref=" in bound
    ref = re.search(r"ref=([0-9a-f]{24})", unbound).group(1)  # type: ignore[union-attr]
    assert "Question 0 about topic 0" in retrieve(ref, store=store)  # the ref alone brings the messages back
    with pytest.raises(ConfigurationError):
        HeadroomChatMessageHistory(InMemoryChatMessageHistory(), retrieve_tool_bound="yes")  # type: ignore[arg-type]


def test_a_budget_warning_gives_the_final_numbers(store: CompressionStore, caplog: pytest.LogCaptureFixture) -> None:
    messages = [SystemMessage("Policy clause. " * 300), *_chat(4)[1:]]
    history = HeadroomChatMessageHistory(InMemoryChatMessageHistory(messages=messages), token_budget=100, store=store)
    view = history.messages
    stats = history.stats
    (warning,) = stats["warnings"]
    returned = _tokens(view)
    assert stats["tokens_after"] == returned
    assert warning.startswith(f"budget of 100 tokens cannot be met: {returned} tokens returned ({returned - 100} over)")
    assert f"needs {returned} tokens after compression" in warning  # only the floor is left
    logged = [r.getMessage() for r in caplog.records if "cannot be met" in r.getMessage()]
    assert logged == [f"headroom: {warning}"]


def test_without_a_base_history_messages_are_kept_in_this_process(store: CompressionStore) -> None:
    history = HeadroomChatMessageHistory(token_budget=900, store=store)
    history.add_messages(_chat())
    assert history.full_messages == _chat() and _tokens(history.messages) <= 900
    history.clear()
    assert history.full_messages == [] and history.messages == []
