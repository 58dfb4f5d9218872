"""``retrieve --query`` numbers lines as they were numbered in the original (1-based, like ``grep -n``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from headroom_integrations.engine.ccr.store import CompressionStore
from tests.support.fixtures import app_log

_REF = re.compile(r"headroom_retrieve ref=([0-9a-f]+)")
_ID = re.compile(r"id=(\d+)")


@pytest.fixture
def log_refs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The original log's lines and the refs of the runs compress cut from it."""
    monkeypatch.chdir(tmp_path)
    text = app_log(800)
    Path("app.log").write_text(text, encoding="utf-8")
    assert main(["compress", "app.log", "--as-tool-output", "-o", "app.min.log", "--no-metrics"]) == 0
    refs = _REF.findall(Path("app.min.log").read_text(encoding="utf-8"))
    assert len(refs) >= 2  # runs cut before and after the kept error
    return text.splitlines(), refs


def test_query_lines_carry_their_original_line_numbers(
    log_refs: tuple[list[str], list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    lines, refs = log_refs
    capsys.readouterr()
    checked = 0
    with CompressionStore(url="sqlite:///headroom.db") as store:
        stored = {ref: store.retrieve(ref) for ref in refs}
    for ref, content in stored.items():
        wanted = content.splitlines()[-1]  # the run's last line: far from line 1 of the run
        request_id = _ID.search(wanted)
        if request_id is None or sum(request_id.group(1) in line for line in lines) != 1:
            continue
        assert main(["retrieve", ref, "--query", f"id={request_id.group(1)}"]) == 0
        number, _, shown = capsys.readouterr().out.rstrip("\n").partition(": ")
        assert shown == wanted
        assert lines[int(number) - 1] == wanted  # 1-based, in the original log
        checked += 1
    assert checked >= 2
    # the later run does not restart at 1: it starts where it was cut
    assert any(lines.index(content.splitlines()[0]) > 0 for content in stored.values())


def test_json_output_has_the_same_numbers(
    log_refs: tuple[list[str], list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    lines, refs = log_refs
    ref = refs[-1]
    capsys.readouterr()
    assert main(["retrieve", ref]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    request_id = _ID.search(last)
    assert request_id is not None
    assert main(["retrieve", ref, "--query", f"id={request_id.group(1)}", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    number, _, shown = document["content"].partition(": ")
    assert shown == last and lines[int(number) - 1] == last
