"""Cold start: what the first ``compress()`` in a fresh process costs, import and warm-up apart.

Each row runs in a new interpreter: the package import, the tokenizer's
warm-up (loading the model's BPE ranks, which any exact count needs once per
process), then the first ``compress()`` on one corpus case of a source (wall
time around the call and the result's own ``compression_ms``), then a second
call on another case of that source (warm). The first call's one-time setup
(compressor modules loading on first use) is its ``warmup_ms``, kept out of
its ``compression_ms``. Conversation rows run with a token budget, so the
history manager runs too.

Usage: ``python benchmarks/bench_cold_start.py [corpus_dir]``
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _corpus import DEFAULT_CORPUS, table

_CHILD = r"""
import json, sys, time
started = time.perf_counter()
from headroom_integrations.engine.compress import compress
imported = (time.perf_counter() - started) * 1000.0
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer
started = time.perf_counter()
get_tokenizer("gpt-4o").count_text("warm up")
warm = (time.perf_counter() - started) * 1000.0
sys.path.insert(0, sys.argv[3])
from _corpus import load_cases, tool_conversation
cases = load_cases(sys.argv[1], sources=[sys.argv[2]])[:2]
def messages(case):
    return tool_conversation(case) if case["kind"] == "tool_output" else case["messages"]
budget = lambda case: None if case["kind"] == "tool_output" else max(1, int(len(json.dumps(case["messages"])) / 16))
from headroom_integrations.engine.ccr.store import CompressionStore
store = CompressionStore()
t0 = time.perf_counter(); first = compress(messages(cases[0]), token_budget=budget(cases[0]), store=store)
first_wall = (time.perf_counter() - t0) * 1000.0
t0 = time.perf_counter(); second = compress(messages(cases[1]), token_budget=budget(cases[1]), store=store)
second_wall = (time.perf_counter() - t0) * 1000.0
timings = [first_wall, first.compression_ms, first.warmup_ms, second_wall, second.compression_ms]
print(json.dumps([imported, warm, *timings]))
"""


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    here = str(Path(__file__).resolve().parent)
    rows = []
    for source in ("swe", "cidiff", "github", "tau-bench", "locomo"):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(corpus), source, here], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(f"{source}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
        imported, warm, first_wall, first_ms, first_warmup, second_wall, second_ms = json.loads(
            done.stdout.strip().splitlines()[-1]
        )
        rows.append(
            [
                source,
                f"{imported:.0f}",
                f"{warm:.0f}",
                f"{first_wall:.0f}",
                f"{first_ms:.0f}",
                f"{first_warmup:.0f}",
                f"{second_wall:.1f}",
                f"{second_ms:.1f}",
            ]
        )
    columns = [
        ("source", 10),
        ("import ms", 9),
        ("tokenizer warm-up ms", 20),
        ("1st call ms", 11),
        ("1st compression_ms", 18),
        ("1st warmup_ms", 13),
        ("2nd call ms", 11),
        ("2nd compression_ms", 18),
    ]
    print(f"cold start per fresh process ({corpus})\n")
    print(table(columns, rows))
    print("\nconversations (tau-bench, locomo) run with a token budget, so the history manager runs too.")
    print("1st call = the first compress() after import and tokenizer warm-up; compressor modules load on first use,")
    print("timed as its warmup_ms and not in its compression_ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
