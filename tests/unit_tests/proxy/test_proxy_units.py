"""Proxy building blocks: settings validation, the Prometheus text, the Anthropic wire round trip."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom_integrations import ConfigurationError

pytest.importorskip("fastapi", reason="the proxy extra is not installed")

from headroom_integrations.proxy import ProxySettings  # noqa: E402
from headroom_integrations.proxy.prometheus import LATENCY_BUCKETS_S, ProxyMetrics  # noqa: E402
from headroom_integrations.proxy.wire import ANTHROPIC, OPENAI  # noqa: E402


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 70_000),
        ("port", True),
        ("upstream_openai", "api.openai.com"),
        ("upstream_anthropic", "ftp://x"),
        ("api_key", ""),
        ("store_url", "headroom.db"),
        ("max_body_bytes", 0),
        ("upstream_timeout_s", 0),
        ("config", {"smart_crusher": {}}),
    ],
)
def test_bad_settings_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ProxySettings(**{field: value})
    assert caught.value.details["field"] == field and caught.value.details["allowed"]


def test_settings_normalise_urls_and_hide_the_key() -> None:
    settings = ProxySettings(upstream_openai="http://127.0.0.1:9000/v1/", api_key="s3cret")
    assert settings.upstream_openai == "http://127.0.0.1:9000/v1"
    assert "s3cret" not in repr(settings)


def test_prometheus_text_counts_and_buckets() -> None:
    metrics = ProxyMetrics()
    for seconds in (0.0005, 0.003, 0.003, 100.0):
        metrics.observe_request("compress", 200, seconds)
    metrics.observe_request("openai", 502, 0.01)
    metrics.observe_compression("compress", 1000, 250, 12.5)
    text = metrics.render()
    assert 'headroom_proxy_requests_total{route="compress",status="200"} 4' in text
    assert 'headroom_proxy_requests_total{route="openai",status="502"} 1' in text
    assert 'headroom_proxy_tokens_saved_total{route="compress"} 750' in text
    buckets = re.findall(r'request_duration_seconds_bucket\{route="compress",le="([^"]+)"\} (\d+)', text)
    assert [le for le, _ in buckets] == [*map(repr, LATENCY_BUCKETS_S), "+Inf"]
    counts = [int(n) for _, n in buckets]
    assert counts == sorted(counts) and counts[0] == 1 and counts[2] == 3 and counts[-2] == 3 and counts[-1] == 4
    assert 'headroom_proxy_request_duration_seconds_count{route="compress"} 4' in text
    assert metrics.snapshot()["tokens_saved"] == 750 and metrics.snapshot()["requests"] == 5


_text = st.text(max_size=20)
_block = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": _text}),
    st.fixed_dictionaries(
        {"type": st.just("tool_use"), "id": _text, "name": _text, "input": st.dictionaries(_text, _text)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("tool_result"),
            "tool_use_id": _text,
            "content": st.one_of(_text, st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": _text}))),
        }
    ),
)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]), "content": st.one_of(_text, st.lists(_block))}
)
_system = st.one_of(st.none(), _text, st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": _text})))


@given(
    system=_system,
    messages=st.lists(_message, max_size=5),
    extra=st.dictionaries(st.sampled_from(["max_tokens", "tools", "metadata"]), _text),
)
def test_wire_formats_round_trip_every_field_and_block(system: Any, messages: list[Any], extra: dict[str, Any]) -> None:
    body = {"model": "claude-x", "messages": messages, **extra, **({} if system is None else {"system": system})}
    for wire in (ANTHROPIC, OPENAI):
        carried = wire.messages(body)
        assert carried is not None
        assert wire.rebuild(body, carried) == body
    if system is not None:
        assert ANTHROPIC.messages(body)[0] == {"role": "system", "content": system}


def test_a_body_without_a_messages_list_has_nothing_to_compress() -> None:
    assert ANTHROPIC.messages({"messages": "hi"}) is None and OPENAI.messages({}) is None
