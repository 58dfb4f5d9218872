"""``-`` means stdin (or stdout for an output) for every file the CLI takes: FILE, ``--config``, ``-o``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from tests.support.fixtures import api_json, tool_conversation

_OFF_TOML = (
    "[headroom.smart_crusher]\nmin_tokens_to_crush = 1000000\n[headroom.content]\nmin_tokens_to_compress = 1000000\n"
)
_OFF_JSON = json.dumps(
    {"smart_crusher": {"min_tokens_to_crush": 1_000_000}, "content": {"min_tokens_to_compress": 1_000_000}}
)


@pytest.fixture(autouse=True)
def _conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("conv.json").write_text(json.dumps(tool_conversation(api_json(200))), encoding="utf-8")


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


@pytest.mark.parametrize("config", [_OFF_TOML, _OFF_JSON], ids=["toml", "json"])
def test_config_from_stdin(config: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, config)
    assert main(["compress", "conv.json", "--config", "-", "--no-metrics", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens_saved"] == 0  # the config on stdin turned compression off
    _stdin(monkeypatch, config)
    assert main(["simulate", "conv.json", "--config", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["tokens_saved"] == 0


def test_file_and_config_cannot_both_be_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, Path("conv.json").read_text())
    assert main(["compress", "-", "--config", "-", "--no-metrics"]) == 2
    assert "FILE and --config cannot both read stdin" in capsys.readouterr().err


def test_dash_outputs_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compress", "conv.json", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[-1]["role"] == "tool" and "tokens saved" in captured.err
    assert main(["report", "-o", "-", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("# Headroom savings report (week)")
