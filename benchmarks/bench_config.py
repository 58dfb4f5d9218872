"""What the documented, mutable configuration costs on the hot path.

Usage: python benchmarks/bench_config.py

Times building a HeadroomConfig, one checked assignment, ``validate()`` (run
by every ``compress()``), ``with_changes`` (an independent copy, as the
LangChain fitting makes per call) and a re-sent agent hop through
``compress()`` (the compressor cache hits, so config costs dominate). Medians
of many repetitions; wall-clock on a shared machine.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from _corpus import tool_conversation

from headroom_integrations import CompressionStore, HeadroomConfig, compress


def _median_us(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def main() -> None:
    config = HeadroomConfig()
    rows = [{"id": i, "name": f"item {i}", "status": "ok"} for i in range(300)]
    messages = tool_conversation({"query": "find item 42", "tool_name": "search", "content": json.dumps(rows)})
    store = CompressionStore(url="memory://")
    compress(messages, config=config, store=store)  # warm the compressor cache

    def assign() -> None:
        config.smart_crusher.min_tokens_to_crush = 200

    results = [
        ("HeadroomConfig()", _median_us(HeadroomConfig, 2000)),
        ("one checked assignment", _median_us(assign, 20000)),
        ("config.validate()", _median_us(config.validate, 5000)),
        ("config.with_changes(...)", _median_us(lambda: config.with_changes(default_mode="audit"), 2000)),
        ("compress() re-sent hop (cache hit)", _median_us(lambda: compress(messages, config=config, store=store), 500)),
    ]
    width = max(len(name) for name, _ in results)
    print(f"{'operation':<{width}}  median us")
    print("-" * (width + 11))
    for name, us in results:
        print(f"{name:<{width}}  {us:9.1f}")


if __name__ == "__main__":
    main()
