"""detect_waste: each signal finds its own kind of waste and nothing in clean text."""

from __future__ import annotations

import base64
import json

from headroom_integrations.engine.history import WasteSignals, detect_waste

from ._history_support import TOKENIZER


def _tool(content: str) -> list[dict]:
    return [
        {"role": "user", "content": "Check it."},
        {"role": "tool", "tool_call_id": "c1", "content": content},
    ]


def test_clean_conversation_has_no_waste() -> None:
    messages = [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "What is the capital of Portugal?"},
        {"role": "assistant", "content": "Lisbon."},
    ]
    signals = detect_waste(messages, TOKENIZER)
    assert signals == WasteSignals() and signals.total == 0


def test_indented_json_with_nulls_is_bloat_and_compact_json_is_not() -> None:
    records = [{"id": i, "name": f"item {i}", "owner": None, "tags": None} for i in range(40)]
    bloated = detect_waste(_tool(json.dumps(records, indent=4)), TOKENIZER)
    compact = detect_waste(
        _tool(json.dumps([{"id": i, "name": f"item {i}"} for i in range(40)], separators=(",", ":"))),
        TOKENIZER,
    )
    assert bloated.json_bloat > 200 and compact.json_bloat == 0
    assert bloated.whitespace == 0 and bloated.repetition == 0  # JSON layout is counted once, as bloat


def test_html_markup_and_scripts_are_noise() -> None:
    page = (
        "<html><head><script>var tracking = {id: 1, send: function() { return 42; }};</script>"
        "<style>.a{color:red}</style></head>"
        "<body><div class='x'><p>Refund policy: 30 days.</p></div></body></html>"
    )
    signals = detect_waste(_tool(page), TOKENIZER)
    text_only = int(TOKENIZER.count_text("Refund policy: 30 days."))
    assert signals.html_noise > 30
    assert signals.html_noise < int(TOKENIZER.count_text(page)) - text_only + 5


def test_base64_blobs_are_counted() -> None:
    blob = base64.b64encode(bytes(range(256)) * 3).decode()
    signals = detect_waste(_tool(f"attachment: data:image/png;base64,{blob} end"), TOKENIZER)
    assert signals.base64 >= int(TOKENIZER.count_text(blob)) * 0.9
    assert detect_waste(_tool("a" * 300), TOKENIZER).base64 == 0  # no mixed alphabet: not base64


def test_whitespace_runs_and_repeated_lines() -> None:
    log = "\n".join(["worker started processing the nightly batch"] * 10 + ["total:          10      \n\n\n\n"])
    signals = detect_waste(_tool(log), TOKENIZER)
    line_tokens = int(TOKENIZER.count_text("worker started processing the nightly batch"))
    assert signals.repetition == 9 * line_tokens
    assert signals.whitespace > 0


def test_dynamic_values_count_only_in_the_system_prompt() -> None:
    system = [
        {"role": "system", "content": "Today is 2025-06-02T10:00:00Z. Session id: ab12cd34ef56."},
        {"role": "user", "content": "Meet on 2025-06-03 at 10:30?"},
    ]
    signals = detect_waste(system, TOKENIZER)
    assert signals.dynamic_dates > 0
    assert detect_waste(system[1:], TOKENIZER).dynamic_dates == 0
    assert signals.to_dict()["total"] == signals.total


def test_malformed_messages_are_skipped() -> None:
    assert detect_waste([None, {"role": "tool"}, "x", {"content": ["y"]}], TOKENIZER).total == 0  # type: ignore[list-item]
    assert detect_waste("not a list", TOKENIZER).total == 0  # type: ignore[arg-type]
