"""The invariants every entry point must keep, as reusable assertions.

* :func:`assert_valid_sequence`: every tool message the model gets answers a
  tool call it also gets (unless the input already had it orphaned), ids are
  the input's, and a kept call keeps the results the input had for it.
* :func:`assert_nothing_lost`: every JSON document in the output, with each
  marker replaced by what its ref retrieves, equals the original document;
  items kept next to a marker are an in-order subsequence of the original.
* :func:`canonical`: the bytes used to compare two runs.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, settings

from headroom_integrations import CompressionStore
from headroom_integrations.engine.messages import iter_text_slots

__all__ = [
    "FUZZ",
    "assert_message_intact",
    "assert_nothing_lost",
    "assert_refs_retrievable",
    "assert_valid_sequence",
    "canonical",
    "refs_in",
]

# Derandomized (the same examples on every machine, no example database), no deadline (two
# shared cores make timings noisy); each test sets its own max_examples to keep the suite short.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

_OMITTED, _REF = "_headroom_omitted", "_headroom_ref"
_MARKER_KEYS = {_OMITTED, _REF, "_headroom_hint"}
_TEXT_MARKER = re.compile(r"\[\.\.\. (\d+) (\w+) omitted[^\]]*?; (?:headroom_retrieve )?ref=([0-9a-f]+) \.\.\.\]")
_ANY_REF = re.compile(r'; (?:headroom_retrieve )?ref=([0-9a-f]{8,})|"_headroom_ref": ?"([0-9a-f]{8,})"')


def canonical(value: Any) -> str:
    """Deterministic text of a value (surrogates escaped, keys sorted)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=repr)


def refs_in(text: str) -> list[str]:
    return [a or b for a, b in _ANY_REF.findall(text)]


def _calls(message: Mapping[str, Any]) -> list[str]:
    return [str(c.get("id")) for c in message.get("tool_calls") or () if isinstance(c, Mapping)]


def _result_id(message: Mapping[str, Any]) -> str | None:
    if message.get("role") in ("tool", "function") and message.get("tool_call_id") is not None:
        return str(message["tool_call_id"])
    return None


def assert_valid_sequence(sent: Sequence[Mapping[str, Any]], original: Sequence[Mapping[str, Any]]) -> None:
    """``sent`` (OpenAI-format dicts) is a valid reduction of ``original``."""
    input_calls = Counter(c for m in original for c in _calls(m))
    input_results = Counter(r for m in original if (r := _result_id(m)) is not None)
    sent_results = Counter(r for m in sent if (r := _result_id(m)) is not None)
    seen_calls: set[str] = set()
    for message in sent:
        seen_calls.update(_calls(message))
        result = _result_id(message)
        if result is None:
            continue
        assert sent_results[result] <= input_results[result], f"tool result {result} duplicated or invented"
        if input_calls[result]:
            assert result in seen_calls, f"tool result {result} sent without its call"
    for call in {c for m in sent for c in _calls(m)}:
        assert input_calls[call], f"tool call {call} invented"
        assert sent_results[call] == input_results[call], f"call {call} kept without its results"


def _parse(text: str) -> Any:
    return json.loads(text)


def _retrieved(store: CompressionStore, ref: str) -> str:
    return store.retrieve(ref)


def _is_subsequence(kept: list[str], items: list[str]) -> bool:
    position = iter(items)
    return all(any(k == item for item in position) for k in kept)


def _expand(value: Any, store: CompressionStore) -> Any:
    """``value`` with every Headroom marker replaced by what its ref retrieves."""
    if isinstance(value, dict):
        if _REF in value and _OMITTED in value:
            original = _expand(_parse(_retrieved(store, value[_REF])), store)
            assert isinstance(original, dict), "an object marker must retrieve an object"
            for key, kept in value.items():
                if key not in _MARKER_KEYS:
                    assert canonical(_expand(kept, store)) == canonical(original[key]), f"kept key {key} changed"
            return original
        return {k: _expand(v, store) for k, v in value.items()}
    if isinstance(value, list):
        ref = None
        kept: list[str] = []
        for item in value:
            if isinstance(item, dict) and _REF in item and set(item) <= _MARKER_KEYS:
                ref = item[_REF]
            elif isinstance(item, str) and (match := _TEXT_MARKER.fullmatch(item)) and match.group(2) == "items":
                ref = match.group(3)
            else:
                kept.append(canonical(_expand(item, store)))
        if ref is None:
            return [_expand(item, store) for item in value]
        original = _expand(_parse(_retrieved(store, ref)), store)
        assert isinstance(original, list), "an array marker must retrieve an array"
        assert _is_subsequence(kept, [canonical(item) for item in original]), "kept items are not original items"
        return original
    if isinstance(value, str):
        match = _TEXT_MARKER.search(value)
        if match and match.group(2) == "chars":
            original = _retrieved(store, match.group(3))
            head, tail = value[: match.start()].rstrip(" "), value[match.end() :].lstrip(" ")
            assert original.startswith(head) and original.endswith(tail), "a cut string kept foreign text"
            return original
    return value


def assert_nothing_lost(original: Any, sent: Any, store: CompressionStore) -> None:
    """JSON arrays (and objects, strings) in ``sent`` expand back to ``original`` through the store."""
    if not isinstance(original, str) or not isinstance(sent, str) or sent == original:
        return
    try:
        before = _parse(original)
    except (ValueError, RecursionError):
        return  # not JSON to Python's parser (or too deep for it): only refs must resolve
    if "_headroom_ref" not in sent and not _ANY_REF.search(sent):
        assert _parse(sent) == before, "JSON changed without a marker (only lossless compaction may do that)"
        return
    try:
        parsed = _parse(sent)
    except ValueError:
        # A whole tool step cut to a digest under a hard budget: a ref it names must hold the original.
        # The ref may hold the step's first compression, whose own refs hold the rest: follow the chain.
        refs = re.findall(r"ref=([0-9a-f]{8,})", sent)
        assert refs, "JSON sent as non-JSON without a ref to the original"
        for ref in refs:
            try:
                assert_nothing_lost(original, _retrieved(store, ref), store)
                return
            except (AssertionError, ValueError):
                continue
        raise AssertionError("no ref holds the original") from None
    assert canonical(_expand(parsed, store)) == canonical(before)


def assert_refs_retrievable(texts: Sequence[str], store: CompressionStore) -> None:
    for text in texts:
        for ref in refs_in(text):
            store.get(ref)  # CacheError when a marker names a ref the store cannot serve


def _slots(message: Any) -> dict[Any, str]:
    return {slot.path: slot.text for slot in iter_text_slots([message])} if isinstance(message, Mapping) else {}


# The one note fitting leaves for dropped history; it may be merged into a kept message.
_HISTORY_NOTE = re.compile(
    r"\[\.\.\. \d+ messages omitted \(\d+ tokens, to fit the context budget[^\]]*?\); "
    r"(?:headroom_retrieve )?ref=[0-9a-f]+ \.\.\.\]"
)


def _without_history_note(message: Mapping[str, Any]) -> Mapping[str, Any]:
    """``message`` with a merged history note taken out (the rest must then be the original's)."""
    content = message.get("content")
    if isinstance(content, str) and _HISTORY_NOTE.search(content):
        return {
            **message,
            "content": re.sub(r"\n\n" + _HISTORY_NOTE.pattern + r"$|^" + _HISTORY_NOTE.pattern + r"\n\n", "", content),
        }
    if isinstance(content, list):
        kept = [b for b in content if not (isinstance(b, Mapping) and _HISTORY_NOTE.fullmatch(str(b.get("text", ""))))]
        return {**message, "content": kept} if len(kept) != len(content) else message
    return message


def _without_joined_questions(original: Mapping[str, Any], sent: Mapping[str, Any]) -> Mapping[str, Any]:
    """A user message fitting joined earlier questions onto (their answers dropped), as the original's blocks."""
    content, own = sent.get("content"), original.get("content")
    if sent.get("role") != "user" or not isinstance(content, list):
        return sent
    tail = [{"type": "text", "text": own}] if isinstance(own, str) else own
    if isinstance(tail, list) and tail and len(content) > len(tail) and content[len(content) - len(tail) :] == tail:
        return {**sent, "content": own}
    return sent


def assert_message_intact(original: Any, sent: Any, store: CompressionStore) -> None:
    """``sent`` is ``original`` with only text changed (and maybe the history note merged in), and every
    changed text expands back."""
    if not isinstance(original, Mapping):
        assert sent is original or sent == original
        return
    sent = _without_joined_questions(original, _without_history_note(sent))
    for key in ("role", "tool_call_id", "tool_calls", "name"):
        assert sent.get(key) == original.get(key), f"{key} changed"
    before, after = _slots(original), _slots(sent)
    assert before.keys() == after.keys(), "the block layout changed"
    for path, text in after.items():
        assert_nothing_lost(before[path], text, store)
    assert_refs_retrievable(list(after.values()), store)
