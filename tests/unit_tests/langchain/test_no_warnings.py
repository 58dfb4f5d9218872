"""A user's suite run with ``-W error`` passes: normal use of the package raises no warning at all.

LangChain marks its beta and deprecation warnings as shown once per process, so
an earlier test could hide one: the flows run in a fresh interpreter, with
every warning an error after the imports (importing langchain_core resets its
own categories to "default", which would win over ``-W error``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_FLOWS = '''
import warnings
from collections.abc import Sequence

from langchain.agents import create_agent
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.langchain import (
    HeadroomChatMessageHistory,
    HeadroomChatModel,
    HeadroomMiddleware,
    create_pre_model_hook,
    create_retrieve_tool,
)
from tests.support.fixtures import api_json
from tests.support.scripted_chat_model import ScriptedChatModel

warnings.simplefilter("error")


class ListHistory(BaseChatMessageHistory):
    """A user's own history (subclasses are not deprecated; LangChain's in-memory class is)."""

    def __init__(self) -> None:
        self.stored: list[BaseMessage] = []

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return list(self.stored)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.stored.extend(messages)

    def clear(self) -> None:
        self.stored.clear()


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


class Answer(BaseModel):
    order: int


store = CompressionStore()
model = HeadroomChatModel(ScriptedChatModel(), token_budget=2_000, store=store)
conversation = [
    SystemMessage("You are a support agent."),
    HumanMessage("Why did order 48137 fail?"),
    AIMessage("", tool_calls=[{"name": "list_orders", "args": {}, "id": "c1"}]),
    ToolMessage(api_json(300), tool_call_id="c1", name="list_orders"),
]
model.invoke(conversation)
list(model.stream(conversation))
model.batch([conversation, conversation])
model.bind_tools([list_orders, create_retrieve_tool(store)]).invoke(conversation)
model.with_structured_output(Answer).invoke("Which order: 48137?")
model.get_num_tokens_from_messages(conversation)

agent = create_agent(
    ScriptedChatModel(),
    [list_orders],
    system_prompt="You are a support agent.",
    middleware=[HeadroomMiddleware(store=store, token_budget=1_500)],
    checkpointer=InMemorySaver(),
)
agent.invoke({"messages": [{"role": "user", "content": "List orders of 'customer-6865'"}]},
             {"configurable": {"thread_id": "t"}})

history = HeadroomChatMessageHistory(ListHistory(), token_budget=500, store=store)
for turn in range(6):
    history.add_messages([HumanMessage(f"Question {turn}. " * 30), AIMessage(f"Answer {turn}. " * 30)])
history.add_messages([HumanMessage("And now?")])
model.invoke(history.messages)
history.stats

create_pre_model_hook(token_budget=500, store=store).invoke({"messages": history.full_messages})
print("ok")
'''


def test_normal_chat_model_middleware_and_memory_use_raises_no_warning() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _FLOWS], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
