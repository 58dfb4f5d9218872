"""Every position the CLI prints is 1-based: messages, conversations, JSONL lines and columns, retrieved lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from tests.support.fixtures import api_json, tool_conversation


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_the_tool_message_and_conversations_are_counted_from_one(capsys: pytest.CaptureFixture[str]) -> None:
    conversation = tool_conversation(api_json(200))
    assert conversation[3]["role"] == "tool"  # the 4th message
    lines = "".join(json.dumps({"messages": conversation}) + "\n" for _ in range(2))
    Path("two.jsonl").write_text(lines, encoding="utf-8")
    assert main(["compress", "two.jsonl", "--no-metrics"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+tool\s+list_orders", out, re.MULTILINE)
    assert rows == [("1", "4"), ("2", "4")]
    assert main(["simulate", "two.jsonl"]) == 0
    assert re.findall(r"^\s+(\d+)\s+[\d,]+\s+[\d,]+", capsys.readouterr().out, re.MULTILINE)[:2] == ["1", "2"]
    assert main(["simulate", "two.jsonl", "--json"]) == 0
    assert [c["conversation"] for c in json.loads(capsys.readouterr().out)["conversations"]] == [1, 2]


def test_input_errors_name_one_based_positions(capsys: pytest.CaptureFixture[str]) -> None:
    good = json.dumps({"messages": [{"role": "user", "content": "x"}]})
    Path("bad.jsonl").write_text(f"{good}\n{good}\n{{bad\n", encoding="utf-8")
    assert main(["compress", "bad.jsonl", "--no-metrics"]) == 1
    assert "bad.jsonl:3:2: invalid JSON" in capsys.readouterr().err
    Path("list.json").write_text(json.dumps([[{"role": "user", "content": "x"}], [{"content": "x"}]]))
    assert main(["compress", "list.json", "--no-metrics"]) == 1
    assert 'list.json conversation 2: message 1 has no "role" string' in capsys.readouterr().err
