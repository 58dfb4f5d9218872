"""The CLI end to end on the evaluation corpus: ``compress`` over a JSONL of every case, then ``report``.

Every case becomes one JSONL line ``{"id", "query", "messages"}``: conversations
as they are, tool outputs as the four-message conversation they arrive in,
document sets as one retrieval tool result. ``headroom-integrations compress``
runs over the file in-process (SQLite store and metrics, ``-o`` output), then
``simulate`` over the same file, then the HTML and Markdown reports are
generated from the recorded metrics. Per source it prints tokens before/after
as the CLI recorded them, must_keep retention in the written output, and
p50/p95 engine milliseconds; then throughput and report timings.

Usage: ``python benchmarks/bench_cli.py [corpus_dir] [--limit N]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import DEFAULT_CORPUS, Tally, by_source, load_cases, pct, serialise, table, timed, tool_conversation

from headroom_integrations.cli import main
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.reports import generate_report, load_report_data


def _line(case: dict[str, Any]) -> dict[str, Any]:
    """The JSONL line a user would feed the CLI for ``case``."""
    if case["kind"] == "conversation":
        messages = case["messages"]
    elif case["kind"] == "documents":
        joined = "\n\n".join(doc["text"] for doc in case["documents"])
        messages = tool_conversation({**case, "content": joined, "tool_name": "retrieve_documents"})
    else:
        messages = tool_conversation(case)
    return {"id": case["id"], "query": case.get("query") or None, "messages": messages}


def _run(argv: list[str]) -> tuple[int, float]:
    """Exit code and wall milliseconds of one in-process CLI run (its table is not printed)."""
    with contextlib.redirect_stdout(io.StringIO()):
        code, ms = timed(main, argv)
    return code, ms


def run(corpus: Path, limit: int | None) -> None:
    cases = load_cases(corpus, limit=limit)
    work = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    source_file, output = work / "corpus.jsonl", work / "compressed.jsonl"
    url = f"sqlite:///{work / 'headroom.db'}"
    with source_file.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(_line(case), ensure_ascii=False) + "\n")

    code, compress_ms = _run(["compress", str(source_file), "--store", url, "-o", str(output), "--max-rows", "1"])
    assert code == 0, f"compress exited {code}"
    simulate_code, simulate_ms = _run(["simulate", str(source_file), "--max-rows", "1"])
    assert simulate_code == 0, f"simulate exited {simulate_code}"

    with MetricsStore(url) as metrics:
        records = metrics.get_metrics(limit=None)[::-1]  # oldest first: one per line, in file order
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(written) == len(cases)
    tallies: dict[str, Tally] = {}
    index = {case["id"]: i for i, case in enumerate(cases)}
    for source, group in by_source(cases).items():
        tally = tallies.setdefault(source, Tally())
        for case in group:
            i = index[case["id"]]
            messages = written[i]["messages"]
            text = serialise(messages[:-1] if case["kind"] == "conversation" else messages)
            tally.add(
                case, text, before=records[i].tokens_before, after=records[i].tokens_after, ms=records[i].compression_ms
            )
    total = Tally()
    for tally in tallies.values():
        total.merge(tally)

    columns = [
        ("source", 10),
        ("cases", 6),
        ("tokens before", 14),
        ("tokens after", 13),
        ("saved", 7),
        ("kept groups", 12),
        ("retention", 10),
        ("all kept", 9),
        ("p50 ms", 8),
        ("p95 ms", 8),
    ]

    def row(name: str, t: Tally) -> list[object]:
        return [
            name,
            t.cases,
            f"{t.before:,}",
            f"{t.after:,}",
            pct(t.before - t.after, t.before),
            *t.retention_cells(),
            *t.latency_cells(),
        ]

    print(f"headroom-integrations compress over {len(cases)} corpus cases ({corpus})\n")
    print(table(columns, [*(row(s, t) for s, t in tallies.items()), None, row("all", total)]))

    reports = {}
    for fmt in ("html", "markdown"):
        text, ms = timed(generate_report, url, fmt, "all")
        reports[fmt] = (len(text.encode()), ms)
    started = time.perf_counter()
    load_report_data(url, "all")
    data_ms = (time.perf_counter() - started) * 1000.0
    engine_ms = sum(r.compression_ms for r in records)
    print()
    print(
        table(
            [("step", 34), ("value", 22)],
            [
                ["compress: wall time", f"{compress_ms / 1000:.2f} s"],
                ["compress: conversations / s", f"{len(cases) / (compress_ms / 1000):.1f}"],
                ["compress: engine share of wall time", pct(engine_ms, compress_ms)],
                ["simulate: wall time", f"{simulate_ms / 1000:.2f} s"],
                ["report data (all records)", f"{data_ms:.1f} ms"],
                ["report html", f"{reports['html'][1]:.1f} ms, {reports['html'][0]:,} B"],
                ["report markdown", f"{reports['markdown'][1]:.1f} ms, {reports['markdown'][0]:,} B"],
            ],
        )
    )


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="at most N cases per source")
    args = parser.parse_args()
    run(args.corpus, args.limit)


if __name__ == "__main__":
    _cli()
