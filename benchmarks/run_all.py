"""Run every ``benchmarks/bench_*.py`` on one corpus, one after another (``make bench``).

Usage: ``python benchmarks/run_all.py [corpus_dir] [--only NAME] [--timeout SECONDS]``.
Each benchmark runs in its own interpreter (so one cannot skew another's
timings or memory) with the corpus path as its argument; its output is
printed as it comes, under a header. A closing table gives every script's
exit status and wall time; the exit status is non-zero when any failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
# Benchmarks measure the offline package: nothing may be downloaded or reported home.
_OFFLINE = {"AGNO_TELEMETRY": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _run(script: Path, corpus: Path, timeout: float) -> tuple[str, float]:
    """Run one benchmark with its output going straight to ours; (status, seconds)."""
    print(f"\n{'=' * 100}\n{script.name}  (corpus: {corpus})\n{'=' * 100}", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(script), str(corpus)], cwd=REPO, env={**os.environ, **_OFFLINE}, timeout=timeout
        )
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        status = f"timeout after {timeout:g} s"
    return status, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    parser.add_argument("--only", action="append", default=[], help="run scripts whose name contains this")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per script")
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"run_all: corpus directory not found: {corpus}", file=sys.stderr)
        return 2
    scripts = [s for s in sorted(HERE.glob("bench_*.py")) if not args.only or any(o in s.name for o in args.only)]
    if not scripts:
        print(f"run_all: no benchmark matches {args.only}", file=sys.stderr)
        return 2
    results = [(script.name, *_run(script, corpus, args.timeout)) for script in scripts]
    width = max(len(name) for name, _, _ in results)
    print(f"\n{'=' * 100}\n{'script':<{width}}  {'status':<22}{'seconds':>9}")
    for name, status, seconds in results:
        print(f"{name:<{width}}  {status:<22}{seconds:>9.1f}")
    return 0 if all(status == "ok" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
