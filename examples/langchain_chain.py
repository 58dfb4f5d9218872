"""A LangChain chain with HeadroomChatModel: the model reads a compressed tool result.

Runs offline: ``python examples/langchain_chain.py``. Swap ``OfflineChatModel()``
for any LangChain chat model (``ChatOpenAI(model="gpt-4o")``, ...) to use it for real.
"""

from __future__ import annotations

import json

from _offline_model import OfflineChatModel
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from headroom_integrations.langchain import HeadroomChatModel


def orders_tool_output(n: int = 400) -> str:
    """What a REST tool returns: n orders, one of them failed."""
    orders = [
        {
            "id": 48000 + i,
            "status": "delivered",
            "city": ["Oslo", "Lisbon", "Osaka"][i % 3],
            "amount_usd": round(20 + (i * 7.3) % 30, 2),
        }
        for i in range(n)
    ]
    orders[137].update(status="failed", error="payment gateway timeout on order 48137")
    return json.dumps(orders, indent=2)


def main() -> None:
    history = [
        ("system", "You are a support agent."),
        ("human", "Check the recent orders."),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "list_orders", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": orders_tool_output()},
    ]
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    model = HeadroomChatModel(OfflineChatModel())
    chain = prompt | model

    reply = chain.invoke({"history": history, "question": "Why did order 48137 fail?"})
    print("answer:", reply.content)
    savings = reply.response_metadata["headroom"]
    print(
        f"tokens: {savings['tokens_before']:,} -> {savings['tokens_after']:,} "
        f"({savings['savings_percent']}% saved) by {', '.join(savings['transforms'])}"
    )
    print("dropped rows stay retrievable by ref:", ", ".join(savings["refs"]))

    bare = (prompt | OfflineChatModel()).invoke({"history": history, "question": "Why did order 48137 fail?"})
    print("same question without Headroom:", bare.content)
    print("running totals:", model.get_savings_summary())


if __name__ == "__main__":
    main()
