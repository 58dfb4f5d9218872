"""Savings metrics: records, both file backends, concurrent writers, summary math."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from headroom_integrations.engine.config import HeadroomMode
from headroom_integrations.engine.errors import ConfigurationError, ValidationError
from headroom_integrations.engine.metrics import (
    GroupTotals,
    MetricsStore,
    RequestMetrics,
    summarize,
)
from headroom_integrations.engine.models import PRICES_AS_OF, price_for
from headroom_integrations.engine.savings import PartSavings


def _metrics(i: int, **overrides: object) -> RequestMetrics:
    values: dict[str, object] = {
        "request_id": f"req-{i}",
        "timestamp": 1_700_000_000.0 + i,
        "model": "gpt-4o",
        "mode": "optimize",
        "tokens_before": 1000 + i,
        "tokens_after": 400,
        "transforms": ("smart_crusher:50->10",),
        "refs": (f"ref{i}",),
        "compression_ms": 1.5,
        "tool_names": ("search",),
        "integration": "langchain",
    }
    values.update(overrides)
    return RequestMetrics(**values)  # type: ignore[arg-type]


def _urls(tmp_path: Path) -> dict[str, str]:
    return {
        "memory": "memory://",
        "sqlite": f"sqlite:///{tmp_path / 'metrics.db'}",
        "jsonl": f"jsonl:///{tmp_path / 'metrics.jsonl'}",
    }


@pytest.fixture(params=["memory", "sqlite", "jsonl"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    with MetricsStore(_urls(tmp_path)[request.param]) as s:
        yield s


# -- RequestMetrics --------------------------------------------------------------------------


def test_request_metrics_round_trips_through_json() -> None:
    m = _metrics(3, provider="openai", mode=HeadroomMode.AUDIT, tool_names=["a", "b"])
    assert m.mode == "audit"
    assert m.tool_names == ("a", "b")
    assert m.tokens_saved == 603
    data = json.loads(json.dumps(m.to_dict()))
    assert data["tokens_saved"] == 603
    assert RequestMetrics.from_dict(data) == m


def test_tokens_saved_is_negative_when_a_request_grew() -> None:
    assert _metrics(0, tokens_before=100, tokens_after=120).tokens_saved == -20


@pytest.mark.parametrize(
    "overrides",
    [
        {"tokens_before": -1},
        {"tokens_after": 1.5},
        {"tokens_before": True},
        {"timestamp": float("nan")},
        {"compression_ms": -2.0},
        {"transforms": "smart_crusher"},
        {"tool_names": (1, 2)},
        {"model": None},
        {"provider": 3},
    ],
)
def test_invalid_request_metrics_are_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _metrics(0, **overrides)


def test_from_dict_rejects_missing_fields() -> None:
    with pytest.raises(ValidationError):
        RequestMetrics.from_dict({"request_id": "x"})


# -- stores ----------------------------------------------------------------------------------


def test_get_metrics_is_newest_first_with_limit(store: MetricsStore) -> None:
    for i in (2, 0, 1, 4, 3):
        store.record(_metrics(i))
    assert [m.request_id for m in store.get_metrics()] == ["req-4", "req-3", "req-2", "req-1", "req-0"]
    assert [m.request_id for m in store.get_metrics(limit=2)] == ["req-4", "req-3"]
    assert store.get_metrics(limit=0) == []
    assert store.get_metrics()[0] == _metrics(4)


def test_equal_timestamps_list_most_recently_recorded_first(store: MetricsStore) -> None:
    store.record(_metrics(1, request_id="first"))
    store.record(_metrics(1, request_id="second"))
    assert [m.request_id for m in store.get_metrics()] == ["second", "first"]


def test_time_window_is_half_open(store: MetricsStore) -> None:
    for i in range(10):
        store.record(_metrics(i))
    t0 = 1_700_000_000.0
    window = store.get_metrics(start_time=t0 + 3, end_time=t0 + 6)
    assert [m.request_id for m in window] == ["req-5", "req-4", "req-3"]
    summary = store.get_summary(start_time=t0 + 3, end_time=t0 + 6)
    assert summary.total_requests == 3
    assert summary.total_tokens_before == 1003 + 1004 + 1005
    assert store.get_summary(start_time=t0 + 100).total_requests == 0


def test_summary_math_checked_by_hand(store: MetricsStore) -> None:
    store.record(
        _metrics(
            0,
            model="gpt-4o",
            tokens_before=1000,
            tokens_after=250,
            provider="openai",
            transforms=("smart_crusher:40->8", "log:900->60", "smart_crusher:10->3"),
            tool_names=("search", "db"),
            tools=(PartSavings("db", 1, 600, 100, 40, 8), PartSavings("search", 2, 300, 50, 910, 63)),
            compression_ms=2.0,
        )
    )
    store.record(
        _metrics(
            1,
            model="claude-sonnet-4",
            tokens_before=2000,
            tokens_after=1000,
            provider="anthropic",
            transforms=("log:100->20",),
            tool_names=("db",),
            tools=(PartSavings("db", 1, 1900, 900, 100, 20),),
            integration="agno",
            compression_ms=3.0,
        )
    )
    store.record(
        _metrics(2, model="gpt-4o", tokens_before=0, tokens_after=0, transforms=(), tool_names=(), compression_ms=0.5)
    )
    s = store.get_summary()
    assert s.total_requests == 3
    assert (s.total_tokens_before, s.total_tokens_after, s.total_tokens_saved) == (3000, 1250, 1750)
    # Mean of after/before over requests with tokens: (0.25 + 0.5) / 2.
    assert s.avg_compression_ratio == pytest.approx(0.375)
    assert s.savings_ratio == pytest.approx(1750 / 3000)
    # gpt-4o input $2.50/M, claude $3.00/M (the shared price table).
    assert price_for("gpt-4o").input_per_million == 2.50
    assert price_for("claude-sonnet-4").input_per_million == 3.00
    assert s.total_cost_saved_usd == pytest.approx(750 * 2.50 / 1e6 + 1000 * 3.00 / 1e6)
    assert s.prices_as_of == PRICES_AS_OF
    assert s.total_compression_ms == pytest.approx(5.5)
    assert s.by_model["gpt-4o"] == GroupTotals(2, 1000, 250, 750, pytest.approx(750 * 2.5e-6))
    assert s.by_model["claude-sonnet-4"].tokens_saved == 1000
    # A request counts once per transform name, however many times it ran.
    assert s.by_transform["smart_crusher"].requests == 1
    assert s.by_transform["log"] == GroupTotals(2, 3000, 1250, 1750, pytest.approx(s.total_cost_saved_usd))
    # Each tool is credited with its own results' tokens, not the whole request's.
    assert list(s.by_tool) == ["db", "search"]
    assert s.by_tool["db"] == GroupTotals(2, 2500, 1000, 1500, pytest.approx(500 * 2.5e-6 + 1000 * 3e-6))
    assert s.by_tool["search"] == GroupTotals(1, 300, 50, 250, pytest.approx(250 * 2.5e-6))
    assert s.by_provider["anthropic"].tokens_before == 2000
    assert set(s.by_provider) == {"anthropic", "openai"}
    assert s.by_integration["agno"].requests == 1
    assert s.by_integration["langchain"].requests == 2


def test_empty_summary() -> None:
    s = summarize([])
    assert (s.total_requests, s.total_tokens_saved) == (0, 0)
    assert (s.avg_compression_ratio, s.savings_ratio) == (1.0, 0.0)
    assert s.total_cost_saved_usd == 0.0


def test_summary_does_not_depend_on_order() -> None:
    records = [_metrics(i, model=m, tokens_after=i * 7) for i, m in enumerate(["gpt-4o", "o3", "x"] * 20)]
    assert summarize(records) == summarize(list(reversed(records)))


def test_backends_give_identical_results(tmp_path: Path) -> None:
    records = [
        _metrics(
            i,
            model=["gpt-4o", "claude-opus-4", "mystery"][i % 3],
            timestamp=1.0 + (i % 7) / 3,
            tokens_after=(i * 37) % 900,
            compression_ms=i / 7,
            provider=["a", None][i % 2],
        )
        for i in range(60)
    ]
    results = []
    for url in _urls(tmp_path).values():
        with MetricsStore(url) as s:
            for r in records:
                s.record(r)
            results.append(
                (
                    s.get_summary(),
                    s.get_summary(start_time=1.5, end_time=2.5),
                    s.get_metrics(limit=25),
                    s.get_metrics(start_time=2.0, limit=None),
                )
            )
    assert results[0] == results[1] == results[2]


def test_file_stores_survive_a_restart(tmp_path: Path) -> None:
    for name in ("sqlite", "jsonl"):
        url = _urls(tmp_path)[name]
        with MetricsStore(url) as s:
            s.record(_metrics(1))
        with MetricsStore(url) as s:
            assert s.get_metrics() == [_metrics(1)]


def test_jsonl_skips_a_broken_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "m.jsonl"
    with MetricsStore(f"jsonl:///{path}") as s:
        s.record(_metrics(1))
        with open(path, "a") as f:
            f.write('{"request_id": "half\n')
        s.record(_metrics(2))
        assert [m.request_id for m in s.get_metrics()] == ["req-2", "req-1"]
    assert "malformed line 2" in caplog.text


@pytest.mark.parametrize("url", ["ftp://x", "sqlite://", "sqlite:///", "jsonl:relative", 5, "memory://x"])
def test_bad_url_is_a_configuration_error(url: object) -> None:
    with pytest.raises(ConfigurationError):
        MetricsStore(url)  # type: ignore[arg-type]


def test_bad_arguments_are_rejected(store: MetricsStore) -> None:
    with pytest.raises(ValidationError):
        store.record({"request_id": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.get_metrics(limit=-1)
    with pytest.raises(ValidationError):
        store.get_summary(start_time="yesterday")  # type: ignore[arg-type]


# -- concurrency -----------------------------------------------------------------------------


def test_concurrent_threads_lose_nothing(store: MetricsStore) -> None:
    def write(worker: int) -> None:
        for i in range(50):
            store.record(_metrics(worker * 1000 + i))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = store.get_metrics(limit=None)
    assert len(got) == 400
    assert len({m.request_id for m in got}) == 400


def _write_from_process(url: str, worker: int, count: int) -> None:
    with MetricsStore(url) as s:
        for i in range(count):
            s.record(_metrics(worker * 1000 + i, model="o3"))


@pytest.mark.parametrize("backend", ["sqlite", "jsonl"])
def test_concurrent_processes_lose_nothing(tmp_path: Path, backend: str) -> None:
    url = _urls(tmp_path)[backend]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_from_process, args=(url, w, 75)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with MetricsStore(url) as s:
        assert s.get_summary().total_requests == 300
        assert len({m.request_id for m in s.get_metrics(limit=None)}) == 300
    if backend == "jsonl":
        lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
        assert len(lines) == 300
        assert all(json.loads(line)["model"] == "o3" for line in lines)
