"""Conversations and structural checks shared by the history tests (built here, not read from disk)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from headroom_integrations.engine.tokens.tokenizer import Tokenizer

TOKENIZER = Tokenizer("gpt-4o")

FILLER = [
    "Sounds good, let me know how the weekend goes and whether the weather holds up for the hike.",
    "I spent most of the afternoon reorganising the garage shelves and sorting old paint cans.",
    "The bakery on the corner started selling sourdough again, which made the whole street smell great.",
    "We watched a documentary about deep sea creatures and the lighting tricks they use to hunt.",
]


def tokens(messages: Sequence[Any]) -> int:
    return int(TOKENIZER.count_messages(list(messages)))


def chat(turns: int, *, system: str | None = "You are a helpful assistant.") -> list[dict[str, Any]]:
    """A plain user/assistant chat of ``turns`` exchanges with distinct filler text."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Turn {i}: {FILLER[i % len(FILLER)]}"})
        messages.append({"role": "assistant", "content": f"Reply {i}: {FILLER[(i + 1) % len(FILLER)]}"})
    return messages


def tool_step(call_id: str, name: str, arguments: dict[str, Any], result: str) -> list[dict[str, Any]]:
    """An assistant tool call and its result (one unit)."""
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]


def assert_tool_pairs_intact(messages: Sequence[dict[str, Any]]) -> None:
    """Every tool result follows its call's assistant message and every call has its results."""
    open_calls: set[str] = set()
    for index, msg in enumerate(messages):
        if msg.get("role") == "tool":
            assert msg.get("tool_call_id") in open_calls, f"orphan tool result at {index}"
            open_calls.discard(msg["tool_call_id"])
            continue
        assert not open_calls, f"tool calls without results before message {index}: {open_calls}"
        for call in msg.get("tool_calls") or ():
            open_calls.add(call["id"])
        content = msg.get("content")
        if isinstance(content, list):
            for block in content:
                if block.get("type") == "tool_use":
                    nxt = messages[index + 1] if index + 1 < len(messages) else {}
                    results = [b.get("tool_use_id") for b in nxt.get("content") or () if isinstance(b, dict)]
                    assert block["id"] in results, f"tool_use {block['id']} lost its result"
    assert not open_calls, f"tool calls without results at the end: {open_calls}"


def assert_valid_opening(messages: Sequence[dict[str, Any]]) -> None:
    """After the system message the conversation never opens on a tool result."""
    rest = [m for m in messages if m.get("role") not in ("system", "developer")]
    assert rest, "conversation is empty"
    assert rest[0].get("role") != "tool"


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A system message, then user turns each followed by tool steps and an assistant reply."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are an ops agent."}]
    call = 0
    for turn in range(draw(st.integers(1, 6))):
        messages.append({"role": "user", "content": f"Question {turn}: {draw(st.sampled_from(FILLER))}"})
        for _ in range(draw(st.integers(0, 3))):
            call += 1
            size = draw(st.integers(1, 40))
            body = json.dumps([{"id": f"ORD-{call}{i:03d}", "status": "ok"} for i in range(size)])
            messages.extend(tool_step(f"call_{call}", "lookup", {"n": call}, body))
        messages.append({"role": "assistant", "content": draw(st.sampled_from(FILLER))})
    messages.append({"role": "user", "content": "So what is the status now?"})
    return messages
