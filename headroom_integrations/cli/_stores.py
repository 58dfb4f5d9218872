"""Commands that read the stores: ``report``, ``stats`` and ``retrieve``.

None of them creates a store: pointing one at a path where nothing was
recorded is an error, not a new empty database.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..engine.ccr.store import CompressionStore
from ..engine.errors import StorageError
from ..reports import FORMATS, PERIODS, generate_report, load_report_data
from ..reports._data import existing_store_path
from ._common import DEFAULT_PERIOD, DEFAULT_STORE
from ._table import render_titled

__all__ = ["add_parsers"]

_STATS_TABLES = (
    "totals",
    "by_transform",
    "by_tool",
    "by_model",
    "by_provider",
    "by_integration",
    "learned_adjustments",
)
_MARKDOWN_SUFFIXES = (".md", ".markdown")


def add_parsers(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report",
        help="write a savings report (HTML with charts, or Markdown)",
        description="Savings over a period from the metrics store: totals, tokens over time, by transform, "
        "by tool, by model, latency and estimated cost saved.",
    )
    report.add_argument("--store", default=DEFAULT_STORE, help=f"metrics store URL (default: {DEFAULT_STORE})")
    report.add_argument(
        "--period", choices=PERIODS, default=DEFAULT_PERIOD, help=f"time window (default: {DEFAULT_PERIOD})"
    )
    report.add_argument(
        "--format", choices=FORMATS, help="html or markdown (default: markdown for a .md output, else html)"
    )
    report.add_argument("-o", "--output", help="write the report here (default: stdout)")
    report.set_defaults(run=_report)

    stats = subparsers.add_parser("stats", help="print savings totals", description="Savings totals in the terminal.")
    stats.add_argument("--store", default=DEFAULT_STORE, help=f"metrics store URL (default: {DEFAULT_STORE})")
    stats.add_argument(
        "--period", choices=PERIODS, default=DEFAULT_PERIOD, help=f"time window (default: {DEFAULT_PERIOD})"
    )
    stats.add_argument("--json", action="store_true", help="print machine-readable JSON (keys in the README)")
    stats.set_defaults(run=_stats)

    retrieve = subparsers.add_parser(
        "retrieve",
        help="print content that compression dropped, by ref",
        description="Get back an original that compression replaced, from a SQLite-backed store.",
    )
    retrieve.add_argument("ref", help="a ref printed by compress (or found in a compressed message)")
    retrieve.add_argument("--query", help="only the parts of the original that match this")
    retrieve.add_argument("--store", default=DEFAULT_STORE, help=f"CCR store URL (default: {DEFAULT_STORE})")
    retrieve.add_argument("--json", action="store_true", help='print {"ref", "query", "content"} as JSON')
    retrieve.set_defaults(run=_retrieve)


def _report(args: argparse.Namespace) -> int:
    fmt = args.format or (
        "markdown" if args.output and Path(args.output).suffix.lower() in _MARKDOWN_SUFFIXES else "html"
    )
    text = generate_report(args.store, fmt, args.period)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")  # created with the user's umask
    except OSError as exc:
        raise StorageError(f"cannot write {args.output}: {exc.strerror or exc}", {"file": args.output}) from None
    print(f"wrote {fmt} report to {args.output}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    data = load_report_data(args.store, args.period)
    if args.json:
        document = {
            "store": args.store,
            "period": args.period,
            "start": data.start,
            "end": data.end,
            # "summary" holds the model calls' totals; summary.by_kind has each kind's (never added together)
            "headline_kind": "model_call",
            "summary": data.summary.to_dict(),
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return 0
    print(f"Savings in {args.store}, {data.window_text}\n")
    print("\n\n".join(render_titled(t) for t in data.tables() if t.key.partition(".")[0] in _STATS_TABLES))
    print(f"\n{data.footnote}")  # the price date, and which models have no price
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    existing_store_path(args.store, ("sqlite", "memory"), "CompressionStore")
    with CompressionStore(url=args.store) as store:
        text = store.retrieve(args.ref, args.query)
    if args.json:
        print(json.dumps({"ref": args.ref, "query": args.query, "content": text}, indent=2, sort_keys=True))
        return 0
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
