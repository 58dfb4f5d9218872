"""CacheAligner: dynamic values leave the stable prefix, nothing is lost, the prefix hash is stable."""

from __future__ import annotations

import copy
import hashlib
import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.config import CacheAlignerConfig
from headroom_integrations.engine.history import CacheAligner, TransformPipeline

SEPARATOR = CacheAlignerConfig().dynamic_tail_separator
HEADER = SEPARATOR.strip("\n")


def _system(date: str, request_id: str = "3f2a9c1e-0b1d-4c5e-8f90-123456789abc") -> list[dict]:
    prompt = (
        "You are a careful support agent for Acme.   \n"
        "\n\n\n"
        f"Today is {date}.\n"
        f"Always answer politely. Request id: {request_id}. Never share secrets.\n"
        "```python\n"
        "created = '2020-01-01'   \n"
        "\n\n\n"
        "```\n"
        "Escalate refunds above $500.\n"
    )
    return [{"role": "system", "content": prompt}, {"role": "user", "content": "Where is my order?"}]


def _stable_part(text: str) -> str:
    return text.split(SEPARATOR, 1)[0]


def test_date_moves_to_labelled_tail_and_is_not_lost() -> None:
    result = CacheAligner().align(_system("Monday, June 2, 2025"))
    text = result.messages[0]["content"]
    stable, tail = text.split(SEPARATOR, 1)
    assert "June 2, 2025" not in stable
    assert "Today is Monday, June 2, 2025." in tail.splitlines()
    assert "Request id: 3f2a9c1e-0b1d-4c5e-8f90-123456789abc." in tail.splitlines()
    assert "Always answer politely. Never share secrets." in stable
    assert result.metrics.dynamic_values_moved == 2
    assert result.messages[1] == {"role": "user", "content": "Where is my order?"}


def test_prefix_hash_is_stable_across_calls_with_different_dates() -> None:
    aligner = CacheAligner()
    first = aligner.align(_system("2025-06-02T09:15:00Z", "req_a1b2c3d4e5"))
    second = aligner.align(_system("2025-06-03T17:40:12Z", "req_f6e5d4c3b2"))
    assert first.messages[0]["content"] != second.messages[0]["content"]
    assert first.metrics.stable_prefix_hash == second.metrics.stable_prefix_hash
    assert first.metrics.prefix_changed is False and first.metrics.previous_hash is None
    assert second.metrics.prefix_changed is False
    stable = _stable_part(second.messages[0]["content"])
    assert second.metrics.stable_prefix_hash == hashlib.sha256(stable.encode()).hexdigest()
    assert second.metrics.stable_prefix_bytes == len(stable.encode())
    assert second.metrics.stable_prefix_tokens > 10


def test_prefix_changed_when_static_text_changes() -> None:
    aligner = CacheAligner()
    aligner.align(_system("2025-06-02"))
    changed = _system("2025-06-02")
    changed[0]["content"] = changed[0]["content"].replace("$500", "$800")
    assert aligner.align(changed).metrics.prefix_changed is True


def test_whitespace_normalised_outside_code_fences_only() -> None:
    text = CacheAligner().align(_system("2025-06-02")).messages[0]["content"]
    stable = _stable_part(text)
    assert "Acme.\n\nAlways" in stable  # trailing spaces gone, blank-line run collapsed
    assert "created = '2020-01-01'   \n\n\n\n```" in stable  # fenced code untouched, its date too


def test_aligning_twice_changes_nothing_and_input_is_not_mutated() -> None:
    messages = _system("June 2, 2025")
    snapshot = copy.deepcopy(messages)
    aligner = CacheAligner()
    once = aligner.align(messages)
    twice = aligner.align(once.messages)
    assert messages == snapshot
    assert twice.messages == once.messages
    assert twice.metrics.stable_prefix_hash == once.metrics.stable_prefix_hash
    assert twice.metrics.dynamic_values_moved == 0


def test_output_is_deterministic_across_instances() -> None:
    a = CacheAligner().align(_system("2025-06-02 10:00:00 UTC"))
    b = CacheAligner().align(_system("2025-06-02 10:00:00 UTC"))
    assert repr(a.messages) == repr(b.messages)


def test_block_list_system_content_keeps_one_tail_in_last_block() -> None:
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": [
                {"type": "text", "text": "Current date: 2025-06-02\nYou are terse."},
                {"type": "text", "text": "Use metric units.", "cache_control": {"type": "ephemeral"}},
            ],
        },
        {"role": "user", "content": "hi"},
    ]
    blocks = CacheAligner().align(messages).messages[0]["content"]
    assert blocks[0]["text"] == "You are terse."
    assert blocks[1]["text"] == f"Use metric units.\n\n{HEADER}\nCurrent date: 2025-06-02"
    assert blocks[1]["cache_control"] == {"type": "ephemeral"}


def test_no_system_message_or_disabled_leaves_messages_alone() -> None:
    messages = [{"role": "user", "content": "Today is 2025-06-02"}]
    result = CacheAligner().align(messages)
    assert result.messages == messages and result.metrics.stable_prefix_bytes == 0
    disabled = CacheAligner(CacheAlignerConfig(enabled=False)).align(_system("2025-06-02"))
    assert disabled.messages == _system("2025-06-02")


def test_concurrent_calls_with_same_prefix_never_report_a_change() -> None:
    aligner = CacheAligner()
    changed: list[bool] = []
    lock = threading.Lock()

    def work(day: int) -> None:
        for hour in range(5):
            flag = aligner.align(_system(f"2025-06-{day:02d}T{hour:02d}:00:00Z")).metrics.prefix_changed
            with lock:
                changed.append(flag)

    threads = [threading.Thread(target=work, args=(d,)) for d in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(changed) == 40 and not any(changed)


def test_runs_as_a_pipeline_step() -> None:
    result = TransformPipeline([CacheAligner()]).transform(_system("2025-06-02"), model="gpt-4o")
    assert result.transforms_applied == ["cache_align:moved=2"]
    assert result.source_indices == [0, 1]
    assert f"{HEADER}\nToday is 2025-06-02." in result.messages[0]["content"]


_LINE = st.one_of(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
        max_size=40,
    ),
    st.sampled_from(["Today is 2025-06-02.", "Call id: abcdef123456", "x 14:05 UTC y.", "```", "   ", ""]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, max_size=12))
def test_alignment_is_idempotent_and_keeps_every_moved_value(lines: list[str]) -> None:
    messages = [{"role": "system", "content": "\n".join(lines)}]
    aligner = CacheAligner()
    once = aligner.align(messages)
    text = once.messages[0]["content"]
    for moved in once.moved:
        assert moved in text
    assert aligner.align(once.messages).messages == once.messages
