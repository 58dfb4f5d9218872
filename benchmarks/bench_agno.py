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
import os
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("AGNO_TELEMETRY", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _corpus import DEFAULT_CORPUS, DEFAULT_QUERY, Tally, by_source, load_cases, table, timed  # noqa: E402
from agno.agent import Agent  # noqa: E402

from headroom_integrations.agno import (  # noqa: E402
    HeadroomAgnoModel,
    HeadroomCompressionManager,
    HeadroomPostHook,
    HeadroomToolHook,
)
from headroom_integrations.engine.ccr.store import CompressionStore  # noqa: E402
from headroom_integrations.engine.config import HeadroomConfig  # noqa: E402
from headroom_integrations.engine.relevance import bm25  # noqa: E402
from headroom_integrations.engine.tokens import tokenizer  # noqa: E402
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer  # noqa: E402
from tests.support.scripted_agno_model import ScriptedAgnoModel  # noqa: E402

PATHS = ("agno", "model", "manager", "hook")
TOKENIZER = get_tokenizer("gpt-4o")


@dataclass
class Stats(Tally):
    honest: int = 0

    def cells(self) -> list[object]:
        return [
            self.cases,
            f"{self.before:,} -> {self.after:,}",
            f"{self.reduction:.1%}",
            f"{self.retention:.1%}",
            f"{self.full / self.cases:.1%}",
            f"{self.honest}/{self.cases}",
            *self.latency_cells(),
        ]


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
        return Agent(model=inner, tools=[tool], tool_hooks=[hook], post_hooks=[HeadroomPostHook(hook)], telemetry=False)
    return Agent(model=inner, tools=[tool], telemetry=False)


def _reported_saved(path: str, output: Any) -> int | None:
    metrics = output.metrics.additional_metrics or {}
    key = {"model": "headroom_tokens_saved"}.get(path, "headroom_tool_results_tokens_saved")
    return None if path == "agno" else int(metrics.get(key, 0))


def _forget_counts() -> None:
    """Empty the engine's text-keyed caches, so every path times a tool output it has never seen."""
    tokenizer._CACHE.clear()
    bm25._COUNTS_CACHE.clear()


def run_case(case: dict[str, Any], path: str) -> tuple[str, float, int | None]:
    """What the provider read of the tool result, the run's wall time (ms) and the reported savings."""
    _forget_counts()
    name = str(case.get("tool_name") or "tool").replace("-", "_")
    inner = ScriptedAgnoModel(id="gpt-4o", plan=[[(name, {})]])
    agent = _agent(path, inner, _tool(name, case["content"]))
    output, elapsed = timed(agent.run, case.get("query") or DEFAULT_QUERY)
    read = inner.calls[1].texts("tool")[0]
    return read, elapsed, _reported_saved(path, output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--source", action="append", help="only these sources (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="at most N cases per source")
    args = parser.parse_args(argv)

    tallies: dict[tuple[str, str], Stats] = defaultdict(Stats)
    cases = load_cases(Path(args.corpus), sources=args.source, kinds=("tool_output",), limit=args.limit)
    for source, source_cases in by_source(cases).items():
        for case in source_cases:
            original = TOKENIZER.count_text(case["content"])
            baseline_ms = 0.0
            for path in PATHS:
                read, ms, reported = run_case(case, path)
                baseline_ms = ms if path == "agno" else baseline_ms
                after = TOKENIZER.count_text(read)
                for key in ((source, path), ("ALL", path)):
                    stats = tallies[key]
                    stats.add(case, read, before=original, after=after, ms=ms - baseline_ms)
                    stats.honest += reported is None or reported == original - after
    _print(tallies)


def _print(tallies: dict[tuple[str, str], Stats]) -> None:
    columns = [
        ("source", 10),
        ("path", 8),
        ("cases", 5),
        ("tool tokens read", 25),
        ("saved", 7),
        ("must_keep", 9),
        ("all kept", 8),
        ("reported=measured", 17),
        ("+ms p50", 8),
        ("+ms p95", 8),
    ]
    order = sorted(tallies, key=lambda key: (key[0] == "ALL", key[0], PATHS.index(key[1])))
    print(table(columns, [[*key, *tallies[key].cells()] for key in order], left=2))


if __name__ == "__main__":
    main()
