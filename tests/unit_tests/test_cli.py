"""The ``headroom-integrations`` command: what a user runs, sees, gets back, and the errors they hit."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headroom_integrations import CompressionStore, MetricsStore, count_tokens_messages
from headroom_integrations.cli import main
from tests.support.fixtures import api_json, app_log, tool_conversation

REPO = Path(__file__).resolve().parents[2]
ERROR_PREFIX = "headroom-integrations: error: "


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder, so the default ./headroom.db is the test's own."""
    monkeypatch.chdir(tmp_path)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a separate process, as a user's later shell session runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "headroom_integrations.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _value(output: str, label: str) -> int:
    match = re.search(rf"^{label}\s+([\d,]+)", output, re.MULTILINE)
    assert match, (label, output)
    return int(match.group(1).replace(",", ""))


def _write_conversation(path: Path, n: int = 300) -> list[dict]:
    messages = tool_conversation(api_json(n))
    path.write_text(json.dumps(messages), encoding="utf-8")
    return messages


def test_compress_prints_exact_savings_and_writes_the_result(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    messages = _write_conversation(tmp_path / "conv.json")
    assert main(["compress", "conv.json", "-o", "out.json"]) == 0
    out = capsys.readouterr().out
    compressed = json.loads((tmp_path / "out.json").read_text())
    assert _value(out, "tokens before") == count_tokens_messages(messages)
    assert _value(out, "tokens after") == count_tokens_messages(compressed)
    assert _value(out, "tokens after") < _value(out, "tokens before") // 5
    assert re.search(r"^\s+4\s+tool\s+list_orders\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+smart_crusher", out, re.MULTILINE)
    # same conversation shape, smaller tool result that still holds the failed order the user asks about
    assert [m["role"] for m in compressed] == [m["role"] for m in messages]
    assert compressed[3]["tool_call_id"] == "call_1"
    assert "payment gateway timeout on order 48137" in compressed[3]["content"]
    assert (tmp_path / "headroom.db").is_file()


def test_retrieve_from_a_later_process_gets_the_dropped_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _write_conversation(tmp_path / "conv.json")
    assert main(["compress", "conv.json", "-o", "out.json"]) == 0
    ref = re.search(r"retrieve ([0-9a-f]+) --store", capsys.readouterr().out).group(1)
    compressed = (tmp_path / "out.json").read_text()
    assert '"id": 48250' not in compressed and "48250" not in compressed
    done = _cli("retrieve", ref, "--store", "sqlite:///headroom.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 48250 in [row["id"] for row in json.loads(done.stdout)]
    filtered = _cli("retrieve", ref, "--query", "48250", "--store", "sqlite:///headroom.db", cwd=tmp_path)
    assert "48250" in filtered.stdout and len(filtered.stdout) < len(done.stdout) // 10


def test_jsonl_keeps_each_line_shape_and_records_metrics(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first = tool_conversation(api_json(200, seed=1))
    second = {
        "id": "case-7",
        "query": "Which city is order 48211 going to?",
        "messages": tool_conversation(api_json(250, seed=2), query="look at the orders"),
    }
    (tmp_path / "runs.jsonl").write_text(json.dumps(first) + "\n\n" + json.dumps(second) + "\n", encoding="utf-8")
    assert (
        main(
            [
                "compress",
                "runs.jsonl",
                "-o",
                "out.jsonl",
                "--store",
                "sqlite:///ccr.db",
                "--metrics",
                "sqlite:///metrics.db",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2 conversation(s)" in out and "By transform" in out
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert isinstance(lines[0], list) and lines[1]["id"] == "case-7" and lines[1]["query"] == second["query"]
    # the line's "query" steers compression: the order it names survives, other middle orders do not
    assert '"id": 48211' in lines[1]["messages"][3]["content"]
    assert '"id": 48212' not in lines[1]["messages"][3]["content"]
    with MetricsStore("sqlite:///metrics.db") as metrics:
        summary = metrics.get_summary()
    assert summary.total_requests == 2 and list(summary.by_integration) == ["cli"]
    assert summary.total_tokens_saved == _value(out, "tokens saved")
    with CompressionStore(url="sqlite:///ccr.db") as store:
        assert len(store) >= 2


def test_raw_tool_output_keeps_the_buried_failure(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "app.log").write_text(app_log(1500), encoding="utf-8")
    assert (
        main(
            [
                "compress",
                "app.log",
                "--as-tool-output",
                "--tool-name",
                "read_log",
                "--query",
                "why did the flush fail?",
                "-o",
                "app.min.log",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    text = (tmp_path / "app.min.log").read_text()
    assert "Failed to flush batch 9f3ac2" in text and "ConnectionResetError" in text
    assert len(text) < len(app_log(1500)) // 5
    assert "read_log" in out


def test_output_to_stdout_moves_the_summary_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    messages = _write_conversation(tmp_path / "conv.json")
    assert main(["compress", "conv.json", "-o", "-", "--store", "memory://", "--no-metrics"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == len(messages)
    assert "tokens saved" in captured.err
    assert not (tmp_path / "headroom.db").exists()


def test_simulate_shows_the_plan_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _write_conversation(tmp_path / "conv.json")
    assert main(["simulate", "conv.json"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"stable prefix hash: [0-9a-f]{64}", out)
    assert re.search(r"json_bloat\s+[1-9][\d,]*", out)
    assert re.search(r"tool:json\s+1\s+[\d,]+", out)
    assert _value(out, "tokens saved") > 0
    assert list(tmp_path.iterdir()) == [tmp_path / "conv.json"]


def test_report_and_stats_read_what_compress_recorded(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _write_conversation(tmp_path / "conv.json")
    (tmp_path / "app.log").write_text(app_log(800), encoding="utf-8")
    assert main(["compress", "conv.json"]) == 0
    assert main(["compress", "app.log", "--as-tool-output", "--tool-name", "read_log"]) == 0
    conversation_saved, log_saved = (
        int(m.replace(",", "")) for m in re.findall(r"^tokens saved\s+([\d,]+)", capsys.readouterr().out, re.MULTILINE)
    )
    assert main(["report", "-o", "report.html"]) == 0
    html = (tmp_path / "report.html").read_text()
    # the raw log was a tool output: its savings are in the tool-result tables, not the model calls'
    assert 'data-chart="by_tool.tool_result"' in html and 'data-category="read_log"' in html
    assert main(["report", "--period", "day", "-o", "report.md"]) == 0
    assert "## Savings by tool (tool results)" in (tmp_path / "report.md").read_text()
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Metric\s+Model calls\s+Tool results$", out, re.MULTILINE)
    assert re.search(r"^Requests\s+1\s+1$", out, re.MULTILINE)
    assert re.search(rf"^Tokens saved\s+{conversation_saved:,} \(.*\)\s+{log_saved:,} \(", out, re.MULTILINE)
    assert "smart_crusher" in out and "log" in out


def test_config_file_changes_what_compress_does(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _write_conversation(tmp_path / "conv.json")
    (tmp_path / "cfg.toml").write_text(
        "[headroom.smart_crusher]\nmin_tokens_to_crush = 1000000\n"
        "[headroom.content]\nmin_tokens_to_compress = 1000000\n",
        encoding="utf-8",
    )
    assert main(["compress", "conv.json", "--config", "cfg.toml", "--no-metrics"]) == 0
    out = capsys.readouterr().out
    assert _value(out, "tokens saved") == 0
    assert "unchanged:" in out


def test_token_budget_is_passed_to_the_engine(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    history = []
    for i in range(12):
        history += [
            {"role": "user", "content": f"question {i}: " + "details " * 150},
            {"role": "assistant", "content": f"answer {i}: " + "explanation " * 150},
        ]
    history.append({"role": "user", "content": "summarise"})
    (tmp_path / "long.json").write_text(json.dumps(history), encoding="utf-8")
    assert main(["compress", "long.json", "--token-budget", "5000", "--no-metrics", "--store", "memory://"]) == 0
    assert _value(capsys.readouterr().out, "tokens after") <= 5000


def test_progress_bar_only_on_a_terminal_or_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines = [json.dumps(tool_conversation(api_json(30, seed=s))) for s in range(3)]
    (tmp_path / "runs.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert main(["compress", "runs.jsonl", "--no-metrics"]) == 0
    assert "conversations" not in capsys.readouterr().err
    assert main(["compress", "runs.jsonl", "--no-metrics", "--progress"]) == 0
    assert "[##############################] 3/3 conversations" in capsys.readouterr().err


def test_doctor_reports_every_check(capsys: pytest.CaptureFixture) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for check in (
        "python",
        "tokenizer o200k_base",
        "tokenizer cl100k_base",
        "store",
        "embedding model",
        "langchain_core",
        "langgraph",
        "langsmith",
        "agno",
    ):
        assert re.search(rf"^(ok|missing)\s+{check}\b", out, re.MULTILINE), check
    assert "Core checks passed." in out


def test_doctor_fails_on_an_unusable_store(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["doctor", "--store", f"sqlite:///{tmp_path / 'file' / 'sub' / 'h.db'}"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^FAILED\s+store\b.*sqlite:///PATH", out, re.MULTILINE)
    assert "Core checks failed: store" in out


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (argv, what the error line must say)."""
    (tmp / "empty.json").write_text("  \n")
    (tmp / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp / "latin1.json").write_bytes('[{"role": "user", "content": "caf\xe9"}]'.encode("latin-1"))
    (tmp / "broken.json").write_text('[{"role": "user",\n  "content": }]')
    good = json.dumps([{"role": "user", "content": "hi"}])
    (tmp / "bad.jsonl").write_text(f"{good}\n{good}\n{{oops\n")
    (tmp / "latin1.jsonl").write_bytes(f"{good}\n".encode() + '{"role": "caf\xe9"}\n'.encode("latin-1"))
    (tmp / "number.json").write_text("42")
    (tmp / "app.log").write_text("2026-11-20 10:00:00 INFO started\n2026-11-20 10:00:01 ERROR boom\n")
    (tmp / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    (tmp / "norole.json").write_text('[{"content": "hi"}]')
    (tmp / "conv.json").write_text(good)
    (tmp / "cfg.json").write_text('{"smart_crusher": {"max_items_after_crush": 0}}')
    (tmp / "unknown.toml").write_text("[headroom]\nturbo = true\n")
    (tmp / "adir").mkdir()
    return {
        "missing file": (["compress", "nope.json"], "nope.json: cannot read"),
        "empty file": (["compress", "empty.json"], "is empty"),
        "binary file": (["compress", "binary.json"], "binary"),
        "not utf-8": (["simulate", "latin1.json"], "not UTF-8"),
        "invalid json": (["compress", "broken.json"], "broken.json:2:14: invalid JSON"),
        "bad jsonl line": (["compress", "bad.jsonl"], "bad.jsonl:3:2: invalid JSON"),
        "raw log without --as-tool-output": (["simulate", "app.log"], "add --as-tool-output"),
        "jsonl line not utf-8": (["compress", "latin1.jsonl"], "latin1.jsonl:2: is not UTF-8"),
        "wrong shape": (["compress", "number.json"], "expected a list of messages"),
        "deeply nested": (["compress", "deep.json"], "deep.json:1: JSON is nested too deeply"),
        "message without role": (["simulate", "norole.json"], 'message 1 has no "role"'),
        "directory": (["compress", "adir"], "is a directory"),
        "bad config value": (["compress", "conv.json", "--config", "cfg.json"], "max_items_after_crush"),
        "unknown config option": (["compress", "conv.json", "--config", "unknown.toml"], "turbo"),
        "bad store url": (["compress", "conv.json", "--store", "ftp://db"], "sqlite:///PATH"),
        "unknown ref": (["retrieve", "0123456789abcdef01234567", "--store", "sqlite:///ccr.db"], "no store"),
        "report without store": (["report", "--store", "sqlite:///none.db"], "no store at none.db"),
    }


BAD_CASES = [
    "missing file",
    "empty file",
    "binary file",
    "not utf-8",
    "invalid json",
    "bad jsonl line",
    "jsonl line not utf-8",
    "raw log without --as-tool-output",
    "wrong shape",
    "deeply nested",
    "message without role",
    "directory",
    "bad config value",
    "unknown config option",
    "bad store url",
    "unknown ref",
    "report without store",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_gives_one_clear_error_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv, expected = _bad_inputs(tmp_path)[case]
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(ERROR_PREFIX) and expected in lines[0], lines[0]
    assert not (tmp_path / "none.db").exists()


def test_unknown_ref_in_an_existing_store_says_why(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with CompressionStore(url="sqlite:///ccr.db") as store:
        store.put("something")
    assert main(["retrieve", "0123456789abcdef01234567", "--store", "sqlite:///ccr.db"]) == 1
    assert "was never stored here" in capsys.readouterr().err


def test_console_script_errors_have_no_traceback(tmp_path: Path) -> None:
    done = _cli("compress", "missing.json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"{ERROR_PREFIX}missing.json: cannot read: No such file or directory"]


def _read_until(stream: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while needle not in seen:
        assert time.monotonic() < deadline, f"never saw {needle!r}: {seen[-500:]!r}"
        chunk = os.read(stream, 4096)
        assert chunk, f"stream closed before {needle!r}: {seen[-500:]!r}"
        seen += chunk
    return seen


def test_ctrl_c_stops_cleanly_and_leaves_consistent_stores(tmp_path: Path) -> None:
    total = 600
    with (tmp_path / "many.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(total):
            rows = [
                {
                    "id": i * 100 + j,
                    "status": "ok" if j != 7 else "failed",
                    "owner": f"user-{i}-{j}",
                    "note": f"batch {i} item {j} processed by worker {j % 4}",
                }
                for j in range(40)
            ]
            handle.write(json.dumps(tool_conversation(json.dumps(rows), query=f"what failed in batch {i}?")) + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "headroom_integrations.cli",
            "compress",
            "many.jsonl",
            "--store",
            "sqlite:///store.db",
            "-o",
            "out.jsonl",
            "--progress",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        seen = _read_until(proc.stderr.fileno(), f"/{total} conversations".encode(), time.monotonic() + 60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err_text = (seen + err).decode()
    assert proc.returncode == 130, err_text
    assert "Traceback" not in err_text
    done = int(re.search(r"interrupted after (\d+) of 600 conversations", err_text).group(1))
    assert 0 < done < total
    assert "Totals" in out.decode()
    with sqlite3.connect(tmp_path / "store.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with MetricsStore("sqlite:///store.db") as metrics:
        assert metrics.get_summary().total_requests == done
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(written) == done
    refs = {ref for conv in written for ref in re.findall(r"\b[0-9a-f]{24}\b", conv[3]["content"])}
    assert refs
    with CompressionStore(url="sqlite:///store.db") as store:
        assert all(ref in store for ref in refs)
