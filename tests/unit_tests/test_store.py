"""The CCR store: refs, bounds, expiry, concurrency, persistence and query filtering."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from headroom_integrations.engine.ccr import store as store_module
from headroom_integrations.engine.ccr.markers import content_ref
from headroom_integrations.engine.ccr.store import (
    CompressionStore,
    get_default_store,
    retrieve,
    set_default_store,
)
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.errors import CacheError, ConfigurationError, StorageError, ValidationError


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'ccr.db'}"


def _store(url: str, clock: FakeClock | None = None, **config: object) -> CompressionStore:
    return CompressionStore(CCRConfig(**config), url=url, clock=clock or FakeClock())  # type: ignore[arg-type]


def _miss_status(store: CompressionStore, ref: str) -> str:
    with pytest.raises(CacheError) as info:
        store.get(ref)
    assert ref in str(info.value)
    return str(info.value.details["status"])


# -- basics ----------------------------------------------------------------------------------


def test_put_get_retrieve_round_trip(url: str) -> None:
    clock = FakeClock(500.0)
    content = "héllo wörld \U0001f600 and a lone surrogate \udcff"
    with _store(url, clock, store_ttl_seconds=60) as s:
        ref = s.put(content, kind="lines", metadata={"tool": "bash", "n": 3})
        assert ref == content_ref(content)
        entry = s.get(ref)
        assert (entry.ref, entry.content, entry.kind) == (ref, content, "lines")
        assert dict(entry.metadata) == {"tool": "bash", "n": 3}
        assert (entry.created_at, entry.expires_at) == (500.0, 560.0)
        assert s.retrieve(ref) == content
        assert ref in s and "nope" not in s and 42 not in s
        assert len(s) == 1
        with pytest.raises(TypeError):
            entry.metadata["tool"] = "x"  # type: ignore[index]


def test_put_is_idempotent_and_refreshes(url: str) -> None:
    clock = FakeClock()
    with _store(url, clock, store_ttl_seconds=10) as s:
        ref = s.put("same", metadata={"a": 1})
        clock.now += 8
        assert s.put("same", kind="lines") == ref
        entry = s.get(ref)
        assert (entry.created_at, entry.expires_at, entry.kind) == (1000.0, 1018.0, "lines")
        assert dict(entry.metadata) == {"a": 1}
        s.put("same", metadata={"b": 2})
        assert dict(s.get(ref).metadata) == {"b": 2}
        assert len(s) == 1


def test_refs_are_stable_across_processes() -> None:
    content = "ids 7 and ünïcode"
    code = (
        "import sys; from headroom_integrations.engine.ccr.markers import content_ref; print(content_ref(sys.argv[1]))"
    )
    out = subprocess.run([sys.executable, "-c", code, content], capture_output=True, text=True, check=True)
    with CompressionStore() as s:
        assert s.put(content) == out.stdout.strip()


def test_bad_put_arguments_are_rejected() -> None:
    with CompressionStore() as s:
        with pytest.raises(ValidationError):
            s.put(b"bytes")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            s.put("x", kind="")
        with pytest.raises(ValidationError):
            s.put("x", metadata=["not", "a", "mapping"])  # type: ignore[arg-type]


# -- expiry, eviction and misses ---------------------------------------------------------------


def test_ttl_expiry_with_fake_clock(url: str) -> None:
    clock = FakeClock()
    with _store(url, clock, store_ttl_seconds=10) as s:
        ref = s.put("short lived")
        other = s.put("refreshed")
        clock.now += 9.9
        assert s.get(ref).content == "short lived"
        s.put("refreshed")
        clock.now += 0.1
        assert ref not in s
        assert len(s) == 1
        assert _miss_status(s, ref) == "expired"
        assert s.retrieve(other) == "refreshed"
        assert s.stats().expirations == 1


def test_expired_entries_are_purged_and_remembered(url: str) -> None:
    clock = FakeClock()
    with _store(url, clock, store_ttl_seconds=5) as s:
        refs = [s.put(f"entry {i}") for i in range(3)]
        clock.now += 6
        assert s.stats().entries == 0
        assert [_miss_status(s, r) for r in refs] == ["expired"] * 3


def test_lru_eviction_by_entries(url: str) -> None:
    with _store(url, store_max_entries=3) as s:
        a, b, c = (s.put(x) for x in ("a", "b", "c"))
        s.get(a)
        d = s.put("d")
        assert b not in s and all(r in s for r in (a, c, d))
        assert _miss_status(s, b) == "evicted"
        stats = s.stats()
        assert (stats.entries, stats.evictions) == (3, 1)


def test_lru_eviction_by_bytes(url: str) -> None:
    with _store(url, store_max_bytes=1024) as s:
        first, second = s.put("a" * 400), s.put("b" * 400)
        s.get(first)
        third = s.put("c" * 400)
        assert second not in s and first in s and third in s
        assert s.stats().bytes <= 1024
        with pytest.raises(ValidationError):
            s.put("d" * 2000)
        assert first in s and third in s


def test_unknown_deleted_and_cleared_refs(url: str) -> None:
    with _store(url) as s:
        assert _miss_status(s, "0" * 24) == "unknown"
        ref = s.put("gone soon")
        assert s.delete(ref) is True
        assert s.delete(ref) is False
        assert _miss_status(s, ref) == "deleted"
        s.put("x")
        s.clear()
        assert len(s) == 0
        assert _miss_status(s, ref) == "unknown"
        with pytest.raises(CacheError):
            s.get(None)  # type: ignore[arg-type]
        assert s.stats().misses == 4


def test_closed_store_raises_storage_error(url: str) -> None:
    s = _store(url)
    s.close()
    s.close()
    with pytest.raises(StorageError):
        s.put("x")


# -- concurrency and persistence -------------------------------------------------------------


def test_many_threads_put_and_get(url: str) -> None:
    errors: list[BaseException] = []
    with _store(url, store_max_entries=10_000) as s:
        shared = s.put("shared content")

        def work(worker: int) -> None:
            try:
                for i in range(60):
                    ref = s.put(f"worker {worker} item {i}")
                    assert s.get(ref).content == f"worker {worker} item {i}"
                    assert s.retrieve(shared) == "shared content"
            except BaseException as exc:  # reported below, not swallowed
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        stats = s.stats()
        assert (stats.entries, stats.hits, stats.misses) == (8 * 60 + 1, 2 * 8 * 60, 0)


def _put_from_process(url: str, worker: int) -> None:
    with CompressionStore(CCRConfig(store_max_entries=10_000), url=url) as s:
        for i in range(50):
            s.put(f"process {worker} item {i}", kind="lines", metadata={"worker": worker})


def test_processes_write_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_put_from_process, args=(url, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with CompressionStore(url=url) as s:
        assert len(s) == 200
        entry = s.get(content_ref("process 3 item 49"))
        assert (entry.content, entry.kind) == ("process 3 item 49", "lines")
        assert dict(entry.metadata) == {"worker": 3}


def test_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'ccr.db'}"
    with CompressionStore(url=url) as s:
        ref = s.put('{"a": [1, 2]}', kind="json", metadata={"tool": "api"})
        gone = s.put("deleted before restart")
        s.delete(gone)
    with CompressionStore(url=url) as s:
        entry = s.get(ref)
        assert (entry.content, entry.kind, dict(entry.metadata)) == ('{"a": [1, 2]}', "json", {"tool": "api"})
        assert _miss_status(s, gone) == "deleted"


# -- query filtering -------------------------------------------------------------------------


def _issues() -> list[dict[str, object]]:
    issues: list[dict[str, object]] = [
        {
            "number": 1300 + i,
            "repo": "octo/widgets",
            "title": f"Widget polish {i}",
            "score": 1.50,
            "body": "Minor styling of the settings page",
        }
        for i in range(30)
    ]
    issues[11]["body"] = "Segfault in the flux capacitor on startup"
    issues[23]["body"] = "Flux capacitor leaks memory"
    return issues


def test_json_query_returns_matching_items_byte_for_byte() -> None:
    with CompressionStore() as s:
        compact = s.put(json.dumps(_issues()).replace("1.5,", "1.50,"), kind="json")
        out = s.retrieve(compact, "what about issue 1311 in octo/widgets?")
        assert json.loads(out) == [_issues()[11]]
        assert '"score": 1.50' in out  # original number spelling kept
        assert [i["number"] for i in json.loads(s.retrieve(compact, "flux capacitor"))] == [1311, 1323]


def test_json_query_filters_the_array_inside_an_object() -> None:
    with CompressionStore() as s:
        ref = s.put(json.dumps({"total_count": 30, "items": _issues()}, indent=2), kind="json")
        out = s.retrieve(ref, "segfault on startup")
        assert json.loads(out) == [_issues()[11]]
        assert out.startswith("[\n") and "\n    " in out


def test_json_query_without_match_gives_a_note() -> None:
    with CompressionStore() as s:
        ref = s.put(json.dumps(_issues()), kind="json")
        out = s.retrieve(ref, "kubernetes ingress")
        assert out.startswith("[no match") and ref in out and "30 items" in out


def test_malformed_json_falls_back_to_lines() -> None:
    with CompressionStore() as s:
        ref = s.put('{"broken": \nline two has the needle\n', kind="json")
        assert s.retrieve(ref, "needle") == "2: line two has the needle"


def test_lines_query_returns_numbered_matches() -> None:
    log = "\n".join(
        [f"2024-05-01 INFO GET /api/items/{i} 200" for i in range(40)]
        + ["2024-05-01 ERROR pool exhausted: connection refused by db-7.internal"]
        + [f"2024-05-01 INFO GET /api/users/{i} 200" for i in range(40)]
    )
    with CompressionStore() as s:
        ref = s.put(log, kind="lines")
        expected = "41: 2024-05-01 ERROR pool exhausted: connection refused by db-7.internal"
        assert s.retrieve(ref, "why was the connection refused?") == expected
        assert s.retrieve(ref, "db-7.internal") == expected
        assert s.retrieve(ref, "/api/users/3").startswith("45: ")
        assert s.retrieve(ref, "") == log


def test_text_query_returns_paragraphs_or_sentences() -> None:
    paragraphs = (
        "The billing service charges cards nightly.\n\n"
        "Refunds are processed by the ledger team within five days.\n\n"
        "The mobile app caches receipts offline."
    )
    sentences = "Alice moved to Lisbon in 2019. She adopted a cat named Pixel. Work kept her busy."
    with CompressionStore() as s:
        assert s.retrieve(s.put(paragraphs), "how long do refunds take?") == (
            "Refunds are processed by the ledger team within five days."
        )
        assert s.retrieve(s.put(sentences, kind="text"), "what is the cat called") == ("She adopted a cat named Pixel.")


def test_filtering_failure_returns_the_whole_content(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("scorer exploded")

    monkeypatch.setattr(store_module, "filter_content", broken)
    with CompressionStore() as s:
        ref = s.put("line one\nline two", kind="lines")
        assert s.retrieve(ref, "two") == "line one\nline two"
    assert "scorer exploded" in caplog.text


def test_filtered_output_is_deterministic(tmp_path: Path) -> None:
    doc = json.dumps({"items": _issues()})
    outs = set()
    for url in ("memory://", f"sqlite:///{tmp_path / 'd.db'}"):
        with CompressionStore(url=url) as s:
            outs.add(s.retrieve(s.put(doc, kind="json"), "flux capacitor"))
    assert len(outs) == 1


# -- module level and configuration ----------------------------------------------------------


def test_default_store_and_module_retrieve() -> None:
    try:
        set_default_store(None)
        default = get_default_store()
        assert get_default_store() is default
        ref = default.put("kept by default")
        assert retrieve(ref) == "kept by default"
        with CompressionStore() as own:
            own_ref = own.put("kept elsewhere")
            assert retrieve(own_ref, store=own) == "kept elsewhere"
            with pytest.raises(CacheError):
                retrieve(own_ref)
            set_default_store(own)
            assert retrieve(own_ref) == "kept elsewhere"
        with pytest.raises(ConfigurationError):
            set_default_store("memory://")  # type: ignore[arg-type]
    finally:
        set_default_store(None)
    assert store_module.get_default_store() is not default


@pytest.mark.parametrize(
    "kwargs",
    [
        {"store_max_entries": 0},
        {"store_max_bytes": 10},
        {"store_ttl_seconds": 0.5},
        {"store_ttl_seconds": float("nan")},
        {"enabled": "yes"},
        {"store_max_entries": 2.5},
    ],
)
def test_invalid_ccr_config_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        CCRConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"config": {"store_max_entries": 5}},
        {"url": "ftp://localhost"},
        {"url": "sqlite://"},
        {"clock": 12.0},
    ],
)
def test_invalid_store_arguments_are_configuration_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        CompressionStore(**kwargs)  # type: ignore[arg-type]
