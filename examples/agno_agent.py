"""An Agno agent whose tool returns 400 orders: Headroom compresses what the model reads.

Runs offline: ``python examples/agno_agent.py``. ``OfflineModel`` stands in for
a provider; swap it for any Agno model (``OpenAIChat(id="gpt-4o")``, ``Claude(...)``).
Two ways in: ``HeadroomAgnoModel`` around the model, or Headroom in Agno's own
compression slot (``HeadroomCompressionManager``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("AGNO_TELEMETRY", "false")

from agno.agent import Agent  # noqa: E402
from agno.models.base import Model  # noqa: E402
from agno.models.message import Message  # noqa: E402
from agno.models.response import ModelResponse  # noqa: E402

from headroom_integrations.agno import (  # noqa: E402
    HeadroomAgnoModel,
    HeadroomCompressionManager,
    headroom_retrieve,
)


@dataclass
class OfflineModel(Model):
    """Calls ``list_orders`` once, then quotes the tool-result lines naming the asked-about order."""

    id: str = "offline-1"
    provider: str | None = "Offline"

    def invoke(self, messages: list[Message], compress_tool_results: bool = False, **_: Any) -> ModelResponse:
        tools = [m.get_content(compress_tool_results) for m in messages if m.role == "tool"]
        read = sum(len(str(m.content)) for m in messages if m.role != "tool") + sum(len(str(t)) for t in tools)
        if not tools:
            return ModelResponse(
                role="assistant",
                tool_calls=[
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "list_orders", "arguments": "{}"},
                    }
                ],
            )
        question = [str(m.content) for m in messages if m.role == "user"][-1]
        order = re.findall(r"\d{5}", question)[0]
        lines = [line.strip() for t in tools for line in str(t).splitlines() if order in line]
        return ModelResponse(role="assistant", content=f"{' '.join(lines)} (read {read:,} characters)")

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.invoke(*args, **kwargs)

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response


def list_orders() -> str:
    """List the shop's recent orders."""
    orders = [
        {
            "id": 48000 + i,
            "status": "delivered",
            "city": ["Oslo", "Lisbon", "Osaka"][i % 3],
            "amount_usd": round(20 + (i * 7.3) % 30, 2),
        }
        for i in range(400)
    ]
    orders[137].update(status="failed", error="payment gateway timeout on order 48137")
    return json.dumps(orders, indent=2)


QUESTION = "Why did order 48137 fail?"


def main() -> None:
    model = HeadroomAgnoModel(wrapped_model=OfflineModel())
    agent = Agent(model=model, tools=[list_orders, headroom_retrieve])
    run = agent.run(QUESTION)
    savings = run.metadata["headroom"]
    print("answer:", run.content)
    print(
        f"HeadroomAgnoModel: {savings['tokens_before']:,} -> {savings['tokens_after']:,} tokens over "
        f"{savings['calls']} model calls ({savings['savings_percent']}% saved)",
        "by",
        ", ".join(savings["transforms"]),
    )
    print("dropped rows stay retrievable by ref:", ", ".join(savings["refs"]))

    manager = HeadroomCompressionManager()
    agent = Agent(model=OfflineModel(), tools=[list_orders], compress_tool_results=True, compression_manager=manager)
    run = agent.run(QUESTION)
    print("answer:", run.content)
    saved = run.metrics.additional_metrics["headroom_tool_results_tokens_saved"]
    print(f"HeadroomCompressionManager: {saved:,} tool-result tokens saved")
    print("manager totals:", manager.get_savings_summary())

    bare = Agent(model=OfflineModel(), tools=[list_orders]).run(QUESTION)
    print("same question without Headroom:", bare.content)


if __name__ == "__main__":
    main()
