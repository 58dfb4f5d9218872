"""``compression_ms`` is compression: a process's one-time setup is reported apart, as ``warmup_ms``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from headroom_integrations.engine.metrics import RequestMetrics, summarize
from headroom_integrations.engine.warmup import first_use, spent
from headroom_integrations.reports import generate_report

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.metrics import MetricsStore
from tests.support.fixtures import api_json, app_log, tool_conversation
store = MetricsStore(sys.argv[2])
rows = []
for output in (api_json(300), api_json(301), app_log(600)):
    started = time.perf_counter()
    result = compress(tool_conversation(output), metrics_store=store)
    rows.append([result.compression_ms, result.warmup_ms, (time.perf_counter() - started) * 1000.0])
store.close()
print(json.dumps(rows))
"""


def test_the_first_call_reports_its_setup_apart_and_later_calls_pay_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-c", _CHILD, root, url], capture_output=True, text=True, check=True)
    (first_ms, first_warm, first_wall), (_, second_warm, _), (_, log_warm, _) = json.loads(done.stdout)
    assert first_warm > 0  # encoding data, the router and the JSON compressor load on first use
    assert first_ms + first_warm <= first_wall + 0.5  # the two are parts of the call, not overlapping
    assert second_warm == 0.0  # the same kind of content again: nothing left to load
    assert log_warm > 0  # the log compressor loads the first time a log arrives
    report = generate_report(url, "markdown", "all")
    assert "| One-time warm-up, not in compression time |" in report


def test_nested_first_use_blocks_count_once() -> None:
    before = spent()
    with first_use(), first_use():  # a compressor loading its scorer's data, say
        time.sleep(0.05)
    assert 50 <= spent() - before < 100  # counted once, not once per level


def test_rows_keep_the_warm_up_apart_from_compression() -> None:
    row = RequestMetrics("r", 1.0, "gpt-4o", "optimize", 100, 50, compression_ms=3.0, warmup_ms=80.0)
    again = RequestMetrics.from_dict(json.loads(json.dumps(row.to_dict())))
    assert again.warmup_ms == 80.0 and again.compression_ms == 3.0
    summary = summarize([row, RequestMetrics("s", 2.0, "gpt-4o", "optimize", 100, 50, compression_ms=4.0)])
    assert summary.total_compression_ms == 7.0 and summary.total_warmup_ms == 80.0
