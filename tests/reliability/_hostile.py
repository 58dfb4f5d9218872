"""Hostile conversations from a seed: what real agents and broken tools send.

Every generator takes a ``random.Random`` so the same seed gives the same input
in every process (the cross-process determinism tests rely on it), and
hypothesis drives the seeds. Inputs mix what compresses (large JSON arrays of
records, logs) with what must pass through untouched: malformed / huge /
deeply nested JSON, NaN and Infinity, duplicate keys, BOMs, lone surrogates,
bytes decoded oddly, content-block lists with images and unknown block types,
tool messages without calls, calls without results, None content and unknown
roles.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

__all__ = ["SECRETS", "binary_text", "conversation", "json_payload", "tool_output"]

# Secret-looking strings planted in content; no log record may ever show them.
SECRETS = (
    "sk-proj-Q7f3kZ9wXc2LmN8pR4tV6yB1dH5jK0sA",
    "AKIAIOSFODNN7EXAMPLE",
    "password=hunter2-Tr0ub4dor&3",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
)

_STATUSES = ["delivered", "shipped", "pending", "failed", "refunded"]
_CITIES = ["Berlin", "Oslo", "Lisbon", "Austin", "Osaka", "Zürich", "Kraków", "東京"]


def _record(rng: random.Random, i: int, *, secret: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 48000 + i,
        "status": _STATUSES[0] if rng.random() < 0.8 else rng.choice(_STATUSES),
        "city": rng.choice(_CITIES),
        "amount": round(rng.uniform(1, 500), 2),
        "note": rng.choice(["", "gift", "express", "fragile item, handle with care"]),
    }
    if rng.random() < 0.05:
        record["error"] = f"payment gateway timeout on order {48000 + i}"
    if rng.random() < 0.1:
        record["tags"] = [rng.choice(["a", "b", "c"]) for _ in range(rng.randrange(0, 4))]
    if secret is not None:
        record["api_key"] = secret
    return record


def _records(rng: random.Random, n: int, secret: str | None = None) -> list[dict[str, Any]]:
    return [_record(rng, i, secret=secret if i == n // 2 else None) for i in range(n)]


def _dumps(rng: random.Random, value: Any) -> str:
    indent = rng.choice([None, 2, 1, "\t"])
    return json.dumps(value, indent=indent, ensure_ascii=rng.random() < 0.5)


def _with_specials(rng: random.Random, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records carrying NaN / Infinity (json.dumps writes them as bare tokens)."""
    for record in rng.sample(records, k=min(len(records), 3)):
        record["amount"] = rng.choice([float("nan"), float("inf"), float("-inf")])
    return records


def _duplicate_keys(rng: random.Random, n: int) -> str:
    items = [f'{{"id": {i}, "status": "ok", "status": "{rng.choice(_STATUSES)}", "n": {i}}}' for i in range(n)]
    return "[" + ", ".join(items) + "]"


def _nested(rng: random.Random) -> str:
    depth = rng.choice([40, 200, 1200, 5000])
    if rng.random() < 0.5:
        return "[" * depth + "1" + "]" * depth
    return '{"a": ' * depth + "null" + "}" * depth


def json_payload(rng: random.Random, *, secret: str | None = None) -> str:
    """A JSON(-looking) tool output, valid or not."""
    kind = rng.choice(
        ["records", "records", "wrapped", "nan", "dupes", "bom", "surrogate", "nested", "malformed", "scalars", "long"]
    )
    n = rng.randrange(25, 140)
    if kind == "records":
        return _dumps(rng, _records(rng, n, secret))
    if kind == "wrapped":
        return _dumps(rng, {"data": {"items": _records(rng, n, secret), "total": n}, "meta": {"page": 1}})
    if kind == "nan":
        return _dumps(rng, _with_specials(rng, _records(rng, n, secret)))
    if kind == "dupes":
        return _duplicate_keys(rng, n)
    if kind == "bom":
        return "\ufeff" + _dumps(rng, _records(rng, n, secret))
    if kind == "surrogate":
        records = _records(rng, n, secret)
        records[rng.randrange(n)]["note"] = rng.choice(["\ud800", "bad \udcff tail", "\udfff\ud834"])
        return json.dumps(records, ensure_ascii=rng.random() < 0.5)
    if kind == "nested":
        return _nested(rng)
    if kind == "malformed":
        text = _dumps(rng, _records(rng, n, secret))
        cut = rng.randrange(1, len(text))
        return rng.choice([text[:cut], text.replace('"', "'", 5), text[:cut] + ",]", "{" + text])
    if kind == "scalars":
        return _dumps(
            rng, [rng.choice([rng.randrange(10**6), f"item-{rng.randrange(999)}", None, True]) for _ in range(n * 3)]
        )
    return _dumps(
        rng, [{"id": i, "body": "lorem ipsum " * rng.randrange(50, 400)} for i in range(rng.randrange(3, 12))]
    )


def binary_text(rng: random.Random) -> str:
    """Random bytes decoded the ways broken tools do it."""
    blob = bytes(rng.randrange(256) for _ in range(rng.randrange(64, 4096)))
    how = rng.choice(["latin-1", "replace", "surrogateescape", "utf-16"])
    if how == "latin-1":
        return blob.decode("latin-1")
    if how == "utf-16":
        return blob[: len(blob) // 2 * 2].decode("utf-16-le", "surrogatepass")
    return blob.decode("utf-8", how)


def _log(rng: random.Random, secret: str | None) -> str:
    lines = [f"2026-11-20 10:{i // 60 % 60:02d}:{i % 60:02d} INFO worker-{i % 4} ok id={i}" for i in range(400)]
    lines[rng.randrange(400)] = "2026-11-20 10:03:07 ERROR flush failed: connection reset"
    if secret is not None:
        lines[rng.randrange(400)] = f"2026-11-20 10:04:00 DEBUG env {secret}"
    return "\n".join(lines)


def tool_output(rng: random.Random, *, secret: str | None = None) -> str:
    """One tool output: JSON most of the time, else logs, binary or a huge blob."""
    roll = rng.random()
    if roll < 0.6:
        return json_payload(rng, secret=secret)
    if roll < 0.75:
        return _log(rng, secret)
    if roll < 0.9:
        return binary_text(rng)
    if roll < 0.95:
        return _dumps(rng, _records(rng, rng.randrange(1500, 3000), secret))  # huge
    return rng.choice(["", " ", "null", "[]", "{}", "\ufeff", "\x00\x00", "NaN", "[NaN, Infinity, -Infinity]"])


def _image_block(rng: random.Random) -> dict[str, Any]:
    data = base64.b64encode(bytes(rng.randrange(256) for _ in range(96))).decode()
    return rng.choice(
        [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
            {"type": "image", "source_type": "url", "url": "https://example.invalid/x.png"},
        ]
    )


def _blocks(rng: random.Random, text: str) -> list[Any]:
    """A content-block list around ``text`` with images and unknown blocks."""
    blocks: list[Any] = [{"type": "text", "text": text}]
    for _ in range(rng.randrange(0, 4)):
        blocks.insert(
            rng.randrange(len(blocks) + 1),
            rng.choice(
                [
                    _image_block(rng),
                    {"type": "hologram", "payload": {"x": 1}},
                    {"no_type": True},
                    {"type": "text", "text": None},
                    {"type": "text", "text": rng.choice(["short", "\ud800", "\ufeff hi"])},
                    {"type": "thinking", "thinking": "pondering"},
                ]
            ),
        )
    return blocks


def _content(rng: random.Random, text: str) -> Any:
    roll = rng.random()
    if roll < 0.7:
        return text
    if roll < 0.9:
        return _blocks(rng, text)
    return None


def conversation(seed: int, *, secrets: bool = False) -> list[dict[str, Any]]:
    """An OpenAI-format conversation for ``seed`` (plain JSON-able dicts, except NaN floats in content text)."""
    rng = random.Random(seed)
    secret = rng.choice(SECRETS) if secrets else None
    question = rng.choice(
        ["Why did order 48077 fail?", "summarise", "", "what is \ud800?", f"check {secret or 'status'} please"]
    )
    messages: list[dict[str, Any]] = []
    if rng.random() < 0.7:
        messages.append({"role": "system", "content": "You are a support agent. " + (secret or "")})
    messages.append({"role": "user", "content": _content(rng, question)})
    for turn in range(rng.randrange(1, 4)):
        calls = [
            {"id": f"call_{turn}_{i}", "type": "function", "function": {"name": f"tool_{i}", "arguments": "{}"}}
            for i in range(rng.randrange(1, 3))
        ]
        messages.append({"role": "assistant", "content": rng.choice([None, "", "Let me look."]), "tool_calls": calls})
        for call in calls:
            if rng.random() < 0.85:  # else: a call without a result
                result = tool_output(rng, secret=secret if rng.random() < 0.5 else None)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call["id"],
                        "name": call["function"]["name"],
                        "content": _content(rng, result) if rng.random() < 0.3 else result,
                    }
                )
        if rng.random() < 0.15:  # a tool message without a call
            messages.append({"role": "tool", "tool_call_id": f"orphan_{turn}", "content": tool_output(rng)})
        if rng.random() < 0.1:
            messages.append({"role": rng.choice(["developer", "critic", "observer"]), "content": "note " + question})
        if rng.random() < 0.3:
            messages.append({"role": "assistant", "content": "Checking more."})
            messages.append({"role": "user", "content": _content(rng, question)})
    return messages
