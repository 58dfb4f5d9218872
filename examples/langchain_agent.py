"""create_agent + HeadroomMiddleware + a checkpointer: several turns on one thread.

Runs offline: ``python examples/langchain_agent.py``. Swap ``OfflineAgentModel()``
for any tool-calling chat model (``ChatOpenAI(model="gpt-4o")``, ...) to use it for real.

What to look for: each tool result is compressed once and stored compressed
in the thread's state (one message per tool call, turn after turn), each
request is fitted into the token budget while the state keeps everything, and
the agent gets a dropped row back with ``headroom_retrieve``.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from _offline_agent_model import OfflineAgentModel
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations import CompressionStore
from headroom_integrations.langchain import HeadroomMiddleware


@tool
def search_orders(customer: str) -> str:
    """Search a customer's orders (returns every order, like many real APIs)."""
    orders = [
        {"id": 48000 + i, "customer": customer, "status": "delivered", "amount_usd": round(20 + (i * 7.3) % 30, 2)}
        for i in range(400)
    ]
    orders[137].update(status="failed", error="payment gateway timeout on order 48137")
    return json.dumps(orders, indent=2)


@tool
def read_service_log(service: str) -> str:
    """Read the last lines of a service log."""
    lines = [
        f"2026-11-20 10:{i // 60:02d}:{i % 60:02d} INFO {service} handled request {9000 + i} in 12ms"
        for i in range(1200)
    ]
    lines[700] = f"2026-11-20 10:11:40 ERROR {service} order 48137 rejected: gateway returned 504"
    return "\n".join(lines)


def main() -> None:
    store = CompressionStore()
    middleware = HeadroomMiddleware(token_budget=6_000, store=store)
    agent = create_agent(
        OfflineAgentModel(),
        [search_orders, read_service_log],
        system_prompt="You are a support agent. Use the tools, then answer briefly.",
        middleware=[middleware],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "ticket-48137"}}
    turns = [
        "Search orders of 'acme-corp': why did order 48137 fail?",
        "Read the service log of 'payments' around order 48137.",
        "Search orders of 'acme-corp' again for order 48137.",
    ]
    for turn, question in enumerate(turns, start=1):
        state = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
        messages = state["messages"]
        per_call = Counter(m.tool_call_id for m in messages if isinstance(m, ToolMessage))
        shape = sorted(set(per_call.values()))
        print(f"turn {turn}: {len(messages)} messages in state, tool messages per call: {shape}")
        print("  answer:", messages[-1].content[:160])

    tools = [m for m in messages if isinstance(m, ToolMessage)]
    for message in tools:
        saved = message.response_metadata["headroom"]
        print(f"{message.name}: {saved['tokens_before']:,} -> {saved['tokens_after']:,} tokens, stored compressed")

    ref = re.search(r'"_headroom_ref": "(\w+)"', tools[0].content).group(1)
    state = agent.invoke({"messages": [{"role": "user", "content": f"Retrieve {ref} for order 48399."}]}, config)
    print("retrieved by ref:", state["messages"][-2].content.replace("\n", " ")[:160])

    summary = middleware.get_savings_summary()
    tools_saved = summary["tool_results"]
    print(
        f"tool results: {tools_saved['tokens_before']:,} -> {tools_saved['tokens_after']:,} tokens "
        f"({tools_saved['savings_percent']}% saved)"
    )
    print(f"model requests checked against the 6,000-token budget: {summary['model_calls']['calls']}")


if __name__ == "__main__":
    main()
