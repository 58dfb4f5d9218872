"""Headroom inside real Agno agents, on the evaluation corpus's tool outputs.

Every ``tool_output`` case becomes a real ``agno.agent.Agent`` run: an offline
scripted model (``tests/support/scripted_agno_model.py``, id ``gpt-4o`` so
counts are exact o200k) asks for the case's tool, the tool returns the raw
output, and the model reads the result on the next hop. Each case runs four
ways: plain Agno, ``HeadroomAgnoModel``, ``HeadroomCompressionManager`` and
the tool hook. Per source and path it prints the tokens of the tool result the
provider actually read, must_keep retention in that text (a group is kept when
any of its strings is in it), whether the savings Headroom reported equal the
savings measured from what the provider read, and the added run time.

Usage: ``python benchmarks/bench_agno.py [corpus_dir] [--source NAME ...] [--limit N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("AGNO_TELEMETRY", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agno.agent import Agent  # noqa: E402

from headroom_integrations.agno import (  # noqa: E402
    HeadroomAgnoModel,
    HeadroomCompressionManager,
    HeadroomPostHook,
    HeadroomToolHook,
)
from headroom_integrations.engine import tokenizer  # noqa: E402
from headroom_integrations.engine.config import HeadroomConfig  # noqa: E402
from headroom_integrations.engine.relevance import bm25  # noqa: E402
from headroom_integrations.engine.store import CompressionStore  # noqa: E402
from headroom_integrations.engine.tokenizer import Tokenizer  # noqa: E402
from tests.support.scripted_agno_model import ScriptedAgnoModel  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
PATHS = ("agno", "model", "manager", "hook")
TOKENIZER = Tokenizer("gpt-4o")


@dataclass
class Stats:
    cases: int = 0
    before: int = 0
    after: int = 0
    groups: int = 0
    kept: int = 0
    full: int = 0
    honest: int = 0
    ms: list[float] = field(default_factory=list)


def _tool(name: str, content: str) -> Callable[[], str]:
    def tool() -> str:
        """Return the tool's output."""
        return content

    tool.__name__ = name
    return tool


def _agent(path: str, inner: ScriptedAgnoModel, tool: Callable[[], str]) -> Agent:
    store = CompressionStore()
    # The engine caches outputs per (text, query, config) for the whole process; a config that
    # differs per path only in an unused entry keeps one path from reusing another's work.
    config = HeadroomConfig(model_context_limits={f"bench-{path}": 1})
    if path == "model":
        model = HeadroomAgnoModel(wrapped_model=inner, store=store, config=config)
        return Agent(model=model, tools=[tool], telemetry=False)
    if path == "manager":
        manager = HeadroomCompressionManager(store=store, config=config)
        return Agent(
            model=inner,
            tools=[tool],
            compress_tool_results=True,
            compression_manager=manager,
            telemetry=False,
        )
    if path == "hook":
        hook = HeadroomToolHook(store=store, config=config)
        return Agent(
            model=inner, tools=[tool], tool_hooks=[hook], post_hooks=[HeadroomPostHook(hook)], telemetry=False
        )
    return Agent(model=inner, tools=[tool], telemetry=False)


def _reported_saved(path: str, output: Any) -> int | None:
    metrics = output.metrics.additional_metrics or {}
    key = {"model": "headroom_tokens_saved"}.get(path, "headroom_tool_results_tokens_saved")
    return None if path == "agno" else int(metrics.get(key, 0))


def _forget_counts() -> None:
    """Empty the engine's text-keyed caches, so every path times a tool output it has never seen."""
    tokenizer._CACHE.clear()
    bm25._cached_stats.cache_clear()


def run_case(case: dict[str, Any], path: str) -> tuple[str, float, int | None]:
    """What the provider read of the tool result, the run's wall time (ms) and the reported savings."""
    _forget_counts()
    name = str(case.get("tool_name") or "tool").replace("-", "_")
    inner = ScriptedAgnoModel(id="gpt-4o", plan=[[(name, {})]])
    agent = _agent(path, inner, _tool(name, case["content"]))
    started = time.perf_counter()
    output = agent.run(case.get("query") or "Summarise the tool output.")
    elapsed = (time.perf_counter() - started) * 1000.0
    read = inner.calls[1].texts("tool")[0]
    return read, elapsed, _reported_saved(path, output)


def _load(corpus: Path, sources: list[str] | None, limit: int | None) -> dict[str, list[dict[str, Any]]]:
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for file in sorted(corpus.glob("*.jsonl")):
        if sources and file.stem not in sources:
            continue
        with file.open(encoding="utf-8") as handle:
            for line in handle:
                case = json.loads(line)
                if case["kind"] == "tool_output" and (limit is None or len(cases[file.stem]) < limit):
                    cases[file.stem].append(case)
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--source", action="append", help="only these sources (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="at most N cases per source")
    args = parser.parse_args(argv)

    table: dict[tuple[str, str], Stats] = defaultdict(Stats)
    for source, cases in _load(Path(args.corpus), args.source, args.limit).items():
        for case in cases:
            original = TOKENIZER.count_text(case["content"])
            baseline_ms = 0.0
            for path in PATHS:
                read, ms, reported = run_case(case, path)
                baseline_ms = ms if path == "agno" else baseline_ms
                after = TOKENIZER.count_text(read)
                kept = sum(any(s in read for s in group) for group in case["must_keep"])
                for key in ((source, path), ("ALL", path)):
                    stats = table[key]
                    stats.cases += 1
                    stats.before += original
                    stats.after += after
                    stats.groups += len(case["must_keep"])
                    stats.kept += kept
                    stats.full += kept == len(case["must_keep"])
                    stats.honest += reported is None or reported == original - after
                    stats.ms.append(ms - baseline_ms)
    _print(table)


def _print(table: dict[tuple[str, str], Stats]) -> None:
    header = (
        f"{'source':<10} {'path':<8} {'cases':>5} {'tool tokens read':>25} {'saved':>7} "
        f"{'must_keep':>9} {'all kept':>8} {'reported=measured':>17} {'+ms p50':>8} {'+ms p95':>8}"
    )
    print(header)
    print("-" * len(header))
    for (source, path), s in sorted(
        table.items(), key=lambda kv: (kv[0][0] == "ALL", kv[0][0], PATHS.index(kv[0][1]))
    ):
        saved = 100.0 * (s.before - s.after) / s.before if s.before else 0.0
        extra = sorted(s.ms)
        p95 = extra[min(len(extra) - 1, int(0.95 * len(extra)))]
        print(
            f"{source:<10} {path:<8} {s.cases:>5} {s.before:>11,} -> {s.after:>9,} {saved:>6.1f}% "
            f"{100.0 * s.kept / max(1, s.groups):>8.1f}% {100.0 * s.full / s.cases:>7.1f}% "
            f"{s.honest:>9}/{s.cases:<7} {statistics.median(extra):>8.1f} {p95:>8.1f}"
        )


if __name__ == "__main__":
    main()
