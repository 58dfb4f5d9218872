"""``--json`` on compress, simulate, stats and retrieve: one JSON document with the keys the README lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from tests.support.fixtures import api_json, tool_conversation


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conv.json").write_text(json.dumps(tool_conversation(api_json(300))), encoding="utf-8")


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_compress_then_stats_then_retrieve_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compress", "conv.json", "--json"]) == 0
    compressed = _json(capsys)
    assert {"tokens_before", "tokens_after", "tokens_saved", "refs", "store", "metrics", "cost_saved"} <= set(
        compressed
    )
    assert compressed["tokens_saved"] == compressed["tokens_before"] - compressed["tokens_after"] > 0
    assert main(["stats", "--json"]) == 0
    stats = _json(capsys)
    assert stats["period"] == "week"
    assert stats["summary"]["total_requests"] == 1
    assert stats["summary"]["total_tokens_saved"] == compressed["tokens_saved"]
    ref = compressed["refs"][0]
    assert main(["retrieve", ref, "--json"]) == 0
    retrieved = _json(capsys)
    assert retrieved["ref"] == ref and retrieved["query"] is None and retrieved["content"]


def test_simulate_json_lists_every_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "conv.json", "--json", "--model", "not-a-model"]) == 0
    plan = _json(capsys)
    (conversation,) = plan["conversations"]
    assert len(conversation["stable_prefix_hash"]) == 64  # the fixture has a system prompt
    assert conversation["waste_signals"]["total"] >= conversation["tokens_saved"] > 0
    assert "no price for model not-a-model" in conversation["estimated_savings"]
    assert plan["totals"]["tokens_saved"] == conversation["tokens_saved"]


def _documented_keys() -> dict[str, set[str]]:
    """Top-level keys per command from the README's --json table (nested keys sit in parentheses)."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    keys = {}
    for command, cell in re.findall(r"^\| `(compress|simulate|stats|retrieve)` \| (.+) \|$", readme, re.MULTILINE):
        depth, flat = 0, []
        for char in cell:
            depth += char == "("
            flat.append(char if depth == 0 else "")
            depth -= char == ")"
        keys[command] = set(re.findall(r"`([a-z_]+)`", "".join(flat)))
    return keys


def test_every_json_document_has_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    documented = _documented_keys()
    assert set(documented) == {"compress", "simulate", "stats", "retrieve"}
    assert main(["compress", "conv.json", "--json"]) == 0
    compressed = _json(capsys)
    assert set(compressed) == documented["compress"]
    assert main(["simulate", "conv.json", "--json"]) == 0
    assert set(_json(capsys)) == documented["simulate"]
    assert main(["stats", "--json"]) == 0
    assert set(_json(capsys)) == documented["stats"]
    assert main(["retrieve", compressed["refs"][0], "--json"]) == 0
    assert set(_json(capsys)) == documented["retrieve"]
