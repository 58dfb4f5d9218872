"""SearchCompressor: grep/rg hits grouped by file, capped per file, every file still named."""

from __future__ import annotations

import functools

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.search import (
    CONTEXT,
    MATCH,
    SEPARATOR,
    SearchCompressor,
    parse_search_results,
)

from ._content_support import MARKER, kept_lines_in_order, restore, run_compressor


def _grep() -> str:
    lines = [f"src/app/models.py:{10 + i}:    total = compute_total(order_{i})\n" for i in range(3)]
    lines += [
        f"src/app/views.py:{100 + 7 * i}:        value = compute_total(cart_{i}, discount={i})\n" for i in range(40)
    ]
    lines += [f"tests/test_totals.py:{5 + i}:    assert compute_total(sample_{i}) == {i}\n" for i in range(4)]
    return "".join(lines)


_run = functools.partial(run_compressor, SearchCompressor())


def test_caps_matches_per_file_and_names_what_was_cut() -> None:
    text = _grep()
    out, ctx = _run(text)
    assert out.modified and ctx.count(out.text) < ctx.count(text) * 0.5
    assert kept_lines_in_order(out.text, text)
    views = [ln for ln in out.text.splitlines() if ln.startswith("src/app/views.py:")]
    assert len(views) == 5  # search_max_matches_per_file
    assert "lines omitted from src/app/views.py" in out.text
    # Small files are whole, and files keep their original order.
    for i in range(3):
        assert f"src/app/models.py:{10 + i}:" in out.text
    assert out.text.index("src/app/models.py") < out.text.index("src/app/views.py") < out.text.index("tests/")


def test_per_file_cap_follows_config() -> None:
    out, _ = _run(_grep(), search_max_matches_per_file=2)
    assert sum(1 for ln in out.text.splitlines() if ln.startswith("src/app/views.py:")) == 2


def test_query_relevance_picks_which_matches_stay() -> None:
    out, _ = _run(_grep(), query="where is compute_total called with cart_33?")
    assert "src/app/views.py:331:        value = compute_total(cart_33, discount=33)" in out.text


def test_markers_resolve_through_a_real_store() -> None:
    store = CompressionStore()
    text = _grep()
    out, _ = _run(text, store=store)
    assert restore(out.text, store) == text


def test_context_lines_follow_their_match_and_separators_stay_between_kept_groups() -> None:
    groups = []
    for i in range(12):
        n = 20 * i + 10
        groups.append(
            f"lib/core.py-{n - 1}-def helper_{i}():\n"
            f"lib/core.py:{n}:    return registry.lookup('key_{i}')\n"
            f"lib/core.py-{n + 1}-\n"
        )
    text = "--\n".join(groups)
    parsed = parse_search_results(text.splitlines())
    assert [p.kind for p in parsed[:4]] == [CONTEXT, MATCH, CONTEXT, SEPARATOR]
    out, _ = _run(text)
    assert out.modified
    assert "lib/core.py-9-def helper_0():" in out.text  # context of a kept match
    assert "def helper_11()" not in out.text  # context of a dropped match goes with it
    assert kept_lines_in_order(out.text, text)


def test_plain_path_text_form_and_many_files_each_stay_named() -> None:
    text = "".join(
        f"pkg/module_{f:02d}/handlers.py:    log.warning('retry {k} for {f}')\n" for f in range(60) for k in range(8)
    )
    out, _ = _run(text)
    assert out.modified
    for f in range(60):
        assert f"pkg/module_{f:02d}/handlers.py" in out.text  # a kept line or a marker names every file
    for m in MARKER.finditer(out.text):
        assert "from pkg/module_" in m.group(0)


def test_not_search_output_is_left_alone() -> None:
    prose = "This is a paragraph about totals.\n" * 30
    out, _ = _run(prose)
    assert not out.modified and out.text == prose and "not grep-style" in (out.reason or "")


def test_deterministic_and_fails_open() -> None:
    text = _grep()
    assert _run(text, query="cart")[0].text == _run(text, query="cart")[0].text
    out, _ = _run(12345)  # type: ignore[arg-type]
    assert not out.modified and "failed open" in (out.reason or "")
