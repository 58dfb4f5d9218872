"""Content detection: each shape is recognised from the text; the tool name only tips close calls."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.compressors.detect import (
    ContentDetection,
    ContentType,
    detect_content_type,
    sample_lines,
)

APP_LOG = "".join(
    f"2024-03-01 10:00:{i % 60:02d},123 {'ERROR' if i % 9 == 0 else 'INFO'} [worker-{i % 3}] svc.Handler - "
    f"request {i} handled\n"
    for i in range(40)
)
GHA_LOG = "".join(f"2022-04-13T14:53:{i:02d}.7508032Z go: downloading example.com/m{i} v1.0.{i}\n" for i in range(30))
PYTEST = (
    "============================= test session starts ==============================\n"
    "collected 12 items\n\n"
    "tests/test_api.py ........F...                                            [100%]\n\n"
    "=================================== FAILURES ===================================\n"
    "________________________________ test_totals _________________________________\n"
    "E   assert 41 == 42\n"
    "=========================== short test summary info ============================\n"
    "FAILED tests/test_api.py::test_totals - assert 41 == 42\n"
    "========================= 1 failed, 11 passed in 0.12s =========================\n"
)
GREP = "".join(f"src/pkg/mod_{i % 4}.py:{10 * i + 3}:    value = helper(item_{i})\n" for i in range(20)) + (
    "src/pkg/mod_1.py-44-    # context line\n--\n"
)
PYTHON = '''import os
from typing import Any


class Repo:
    """Loads rows."""

    def __init__(self, path: str) -> None:
        self.path = path

    def load(self, key: str) -> Any:
        if not key:
            raise ValueError("empty key")
        return os.path.join(self.path, key)
'''
DIFF = (
    "diff --git a/app.py b/app.py\nindex 1a2b3c4..5d6e7f8 100644\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,4 +1,4 @@\n import os\n-rate = 0.19\n+rate = 0.2\n def f():\n     return rate\n"
)
HTML = "<!DOCTYPE html><html><head><title>Shop</title></head><body><div class='x'><p>Hello</p></div></body></html>"
CSV = "id,name,price,stock\n" + "".join(f"{i},item {i},{i * 1.5:.2f},{i % 7}\n" for i in range(30))
MARKDOWN_TABLE = "| id | name | price |\n|----|------|-------|\n" + "".join(
    f"| {i} | n{i} | {i}.0 |\n" for i in range(10)
)
PROSE = (
    "The quarterly report shows that revenue grew steadily across every region this year. "
    "Customers in the northern markets responded well to the new pricing model and renewals rose.\n\n"
    "However, the team notes that shipping delays in the spring affected a number of large orders, "
    "and it recommends that the logistics contract be reviewed before the next planning cycle.\n"
) * 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (json.dumps({"items": [{"id": i, "name": f"n{i}"} for i in range(5)]}), ContentType.JSON),
        (json.dumps([1, 2, 3]), ContentType.JSON),
        (APP_LOG, ContentType.LOG),
        (GHA_LOG, ContentType.LOG),
        (PYTEST, ContentType.LOG),
        (GREP, ContentType.SEARCH),
        (PYTHON, ContentType.CODE),
        (DIFF, ContentType.DIFF),
        (HTML, ContentType.HTML),
        (CSV, ContentType.TABULAR),
        (MARKDOWN_TABLE, ContentType.TABULAR),
        (PROSE, ContentType.PROSE),
        ("abc\x00\x01\x02" * 100, ContentType.BINARY),
        ("", ContentType.EMPTY),
        ("  \n\t\n", ContentType.EMPTY),
    ],
)
def test_each_shape_is_detected(text: str, expected: ContentType) -> None:
    detection = detect_content_type(text)
    assert detection.type is expected
    assert 0.0 <= detection.confidence <= 1.0


def test_code_language_and_numbered_listing() -> None:
    assert detect_content_type(PYTHON).language == "python"
    listing = "".join(f"{n:6d}\t{line}\n" for n, line in enumerate(PYTHON.splitlines(), start=120))
    detection = detect_content_type(listing)
    assert detection == ContentDetection(ContentType.CODE, detection.confidence, "python", True)
    assert not detect_content_type(PYTHON).numbered


def test_compiler_diagnostics_are_a_log_not_search_hits() -> None:
    diagnostics = "".join(f"internal/cmd/file{i}.go:{i + 3}:4: undeclared name: os (compile)\n" for i in range(10))
    assert detect_content_type(diagnostics).type is ContentType.LOG


def test_timestamped_delimited_records_are_a_log() -> None:
    records = "".join(
        f"20171223-22:15:{i:02d}:606|Step_LSC|30002312|onStandStepChanged {3579 + i}\n" for i in range(30)
    )
    assert detect_content_type(records).type is ContentType.LOG


def test_hint_tips_only_ambiguous_text() -> None:
    mixed = "Started by timer\nBuilding remotely on node-7\nCloning the remote Git repository\n" * 4
    assert detect_content_type(mixed).confidence < 0.75
    assert detect_content_type(mixed, hint="ci_log").type is ContentType.LOG
    # A clear shape wins over a misleading tool name.
    assert detect_content_type(json.dumps({"a": [1, 2]}), hint="ci_log").type is ContentType.JSON
    assert detect_content_type(PYTHON, hint="grep").type is ContentType.CODE
    assert detect_content_type(DIFF, hint="log_reader").type is ContentType.DIFF


def test_sample_is_bounded_on_huge_input() -> None:
    huge = APP_LOG * 20_000  # ~4 MB
    lines = sample_lines(huge)
    assert len(lines) <= 300
    assert lines[0] == APP_LOG.splitlines()[0] and lines[-1] == APP_LOG.splitlines()[-1]
    assert detect_content_type(huge).type is ContentType.LOG


def test_pathological_lines_do_not_backtrack() -> None:
    dots = ("." * 5000 + "\n") * 50
    assert detect_content_type(dots).type in tuple(ContentType)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.sampled_from([None, "bash", "ci_log", "grep", "github_api"]))
def test_never_raises_and_is_deterministic(text: str, hint: str | None) -> None:
    first = detect_content_type(text, hint)
    assert first == detect_content_type(text, hint)
    assert 0.0 <= first.confidence <= 1.0
