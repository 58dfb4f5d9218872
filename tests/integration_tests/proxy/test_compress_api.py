"""``/v1/compress``, ``/v1/retrieve``, ``/v1/stats``, ``/health``, ``/metrics`` over real HTTP."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx
import pytest

from headroom_integrations import CompressionStore, MetricsStore
from headroom_integrations.proxy import ProxySettings
from tests.support.fixtures import api_json, app_log, tool_conversation

from .conftest import API_KEY, Proxy

BEARER = {"authorization": f"Bearer {API_KEY}"}


def _compress(proxy: Proxy, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(proxy.url + "/v1/compress", json=body, headers=BEARER, timeout=30, **kwargs)


def test_compress_returns_the_savings_and_a_ref_that_retrieves_the_original(proxy: Proxy) -> None:
    messages = tool_conversation(api_json(300))
    response = _compress(proxy, {"messages": messages, "model": "gpt-4o"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "messages",
        "tokens_before",
        "tokens_after",
        "tokens_saved",
        "savings_percent",
        "transforms_applied",
        "refs",
        "compression_ms",
    }
    assert body["tokens_saved"] == body["tokens_before"] - body["tokens_after"] > 10_000
    assert body["savings_percent"] > 90
    assert body["transforms_applied"][0].startswith("smart_crusher")
    # Only the tool result changed; the failing order the question names survived.
    assert [m["role"] for m in body["messages"]] == [m["role"] for m in messages]
    assert body["messages"][:3] == messages[:3]
    assert "48137" in body["messages"][3]["content"]
    assert response.headers["x-headroom-tokens-saved"] == str(body["tokens_saved"])

    retrieved = httpx.post(proxy.url + "/v1/retrieve", json={"ref": body["refs"][0]}, headers=BEARER)
    assert retrieved.status_code == 200
    assert json.loads(retrieved.json()["content"]) == json.loads(messages[3]["content"])
    # The ref lives in the SQLite store: another process (here a fresh handle) reads it too.
    with CompressionStore(url=proxy.settings.store_url) as store:
        assert body["refs"][0] in store


def test_compress_is_deterministic(proxy: Proxy) -> None:
    body = {"messages": tool_conversation(app_log(1500), "which batch failed to flush?"), "model": "gpt-4o"}
    first, second = _compress(proxy, body).json(), _compress(proxy, body).json()
    assert first["messages"] == second["messages"] and first["refs"] == second["refs"]
    assert "9f3ac2" in first["messages"][3]["content"]


def test_retrieve_with_a_query_returns_only_matching_items(proxy: Proxy) -> None:
    ref = _compress(proxy, {"messages": tool_conversation(api_json(300))}).json()["refs"][0]
    content = httpx.post(proxy.url + "/v1/retrieve", json={"ref": ref, "query": "48402"}, headers=BEARER).json()
    assert "48402" in content["content"] and "48010" not in content["content"]
    # The retrieval is feedback for the tool whose output was cut.
    (event,) = [e for e in proxy.engine.metrics_store.feedback_events() if e["event"] == "retrieval"]
    assert (event["ref"], event["tool"], event["terms"]) == (ref, "list_orders", ["48402"])


def test_unknown_ref_is_a_404_with_a_reason(proxy: Proxy) -> None:
    response = httpx.post(proxy.url + "/v1/retrieve", json={"ref": "0" * 24}, headers=BEARER)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "ref_not_found"
    assert "never stored" in response.json()["error"]["message"]


def test_options_reach_the_engine(proxy: Proxy) -> None:
    messages = tool_conversation(api_json(300))
    audit = _compress(proxy, {"messages": messages, "mode": "audit"}).json()
    assert audit["messages"] == messages and audit["tokens_saved"] == 0 and audit["mode"] == "audit"
    config = {"smart_crusher": {"min_tokens_to_crush": 10**6}, "content": {"min_tokens_to_compress": 10**6}}
    untouched = _compress(proxy, {"messages": messages, "config": config}).json()
    assert untouched["messages"] == messages and untouched["transforms_applied"] == []
    budgeted = _compress(proxy, {"messages": messages * 3, "token_budget": 2_000}).json()
    assert budgeted["tokens_after"] <= 2_000 < budgeted["tokens_before"]


@pytest.mark.parametrize(
    ("body", "status", "error_type"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_request"),
        (b'{"model": "gpt-4o"}', 400, "invalid_request"),
        (b'{"messages": "hi"}', 400, "invalid_request"),
        (b'{"messages": [], "token_budget": "big"}', 400, "invalid_request"),
        (b'{"messages": [], "token_budget": 0}', 400, "configuration_error"),
        (b'{"messages": [], "mode": "turbo"}', 400, "configuration_error"),
        (b'{"messages": [], "config": {"smart_crusher": {"keep_first": -1}}}', 400, "configuration_error"),
        (b'{"messages": [], "config": {"no_such_option": 1}}', 400, "configuration_error"),
    ],
)
def test_bad_requests_get_a_clear_error_type(proxy: Proxy, body: bytes, status: int, error_type: str) -> None:
    response = httpx.post(proxy.url + "/v1/compress", content=body, headers=BEARER)
    assert response.status_code == status
    assert response.json()["error"]["type"] == error_type
    assert response.json()["error"]["message"]


def test_configuration_errors_name_the_field(proxy: Proxy) -> None:
    body = {"messages": [], "config": {"smart_crusher": {"keep_first": -1}}}
    details = _compress(proxy, body).json()["error"]["details"]
    assert "keep_first" in details["field"]


def test_odd_content_fails_open_with_the_original_messages(proxy: Proxy) -> None:
    messages: list[Any] = [
        1,
        "text",
        None,
        {"role": "tool", "content": {"not": "a string"}},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
        {"role": "tool", "tool_call_id": "x", "content": "\x00\x01binary" * 500},
    ]
    response = _compress(proxy, {"messages": messages})
    assert response.status_code == 200
    assert response.json()["messages"] == messages
    assert response.json()["tokens_saved"] == 0


def test_request_over_the_size_limit_is_413(start_proxy: Any) -> None:
    proxy = start_proxy(max_body_bytes=10_000)
    big = json.dumps({"messages": tool_conversation(api_json(300))}).encode()
    assert httpx.post(proxy.url + "/v1/compress", content=big).status_code == 413

    def chunks() -> Any:  # no content-length: the limit is enforced while reading
        yield big[:8_000]
        yield big[8_000:]

    response = httpx.post(proxy.url + "/v1/compress", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"] == {
        "type": "request_too_large",
        "message": "request body exceeds 10000 bytes",
        "details": {"max_body_bytes": 10_000},
    }
    assert httpx.post(proxy.url + "/v1/compress", json={"messages": []}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"x-headroom-api-key": API_KEY + "x"}, {"authorization": API_KEY}],
)
def test_missing_or_wrong_key_is_401(proxy: Proxy, headers: dict[str, str]) -> None:
    for method, path in (("POST", "/v1/compress"), ("POST", "/v1/retrieve"), ("GET", "/v1/stats"), ("GET", "/metrics")):
        response = httpx.request(method, proxy.url + path, json={"messages": []}, headers=headers)
        assert response.status_code == 401, path
        assert response.json()["error"]["type"] == "authentication_error"


def test_either_key_header_is_accepted_and_health_is_open(proxy: Proxy) -> None:
    for headers in (BEARER, {"x-headroom-api-key": API_KEY}):
        assert httpx.post(proxy.url + "/v1/compress", json={"messages": []}, headers=headers).status_code == 200
    health = httpx.get(proxy.url + "/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_PROXY_API_KEY", "from-env")
    assert ProxySettings.with_env_key().api_key == "from-env"
    assert ProxySettings.with_env_key(api_key="given").api_key == "given"
    monkeypatch.delenv("HEADROOM_PROXY_API_KEY")
    assert ProxySettings.with_env_key().api_key is None
    assert "from-env" not in repr(ProxySettings(api_key="from-env"))
    assert os.environ.get("HEADROOM_PROXY_API_KEY") is None


def test_unknown_route_is_a_json_404(proxy: Proxy) -> None:
    response = httpx.get(proxy.url + "/v1/nothing")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"


def _metric(text: str, name: str, **labels: str) -> float:
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(label_text)}\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{label_text}}} not in metrics"
    return float(match.group(1))


def test_stats_and_metrics_add_up_what_was_answered(proxy: Proxy) -> None:
    saved = 0
    for n in (100, 200, 300):
        saved += _compress(proxy, {"messages": tool_conversation(api_json(n))}).json()["tokens_saved"]
    _compress(proxy, {"messages": "bad"})
    stats = httpx.get(proxy.url + "/v1/stats", headers=BEARER).json()
    assert stats["process"]["tokens_saved"] == saved
    assert stats["stored_totals"]["tokens_saved"] == saved and stats["stored_totals"]["requests"] == 3
    assert stats["store"]["entries"] >= 3

    text = httpx.get(proxy.url + "/metrics", headers=BEARER).text
    assert _metric(text, "headroom_proxy_tokens_saved_total", route="compress") == saved
    assert _metric(text, "headroom_proxy_requests_total", route="compress", status="200") == 3
    assert _metric(text, "headroom_proxy_requests_total", route="compress", status="400") == 1
    assert _metric(text, "headroom_proxy_request_duration_seconds_count", route="compress") == 4
    assert _metric(text, "headroom_proxy_request_duration_seconds_bucket", route="compress", le="+Inf") == 4
    assert "# TYPE headroom_proxy_request_duration_seconds histogram" in text
    with MetricsStore(proxy.settings.store_url) as metrics:
        assert metrics.get_summary().by_integration["proxy:compress"].tokens_saved == saved
