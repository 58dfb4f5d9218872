"""``headroom-integrations compress FILE``: compress, store what was dropped, record savings, explain."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from typing import Any

from ..engine.ccr.store import CompressionStore
from ..engine.compress import CompressResult, compress
from ..engine.config import HeadroomConfig
from ..engine.metrics import MetricsStore, cost_saved_text
from ..reports.numbers import fmt_int, fmt_ms, fmt_pct, pct_of
from ._common import DEFAULT_STORE, add_input_command, interrupted_exit, load_config, open_input, run_each
from ._inputs import Conversation
from ._outputs import ResultWriter
from ._table import render_table

__all__ = ["add_parser", "run"]

_SHOWN_REFS = 5
_SHOWN_REASONS = 8


def add_parser(subparsers: Any) -> None:
    parser = add_input_command(
        subparsers,
        "compress",
        run,
        help="compress conversations and show the savings",
        description="Compress a conversation (or many), print what was saved and why, keep every dropped "
        "original retrievable by ref, and record the savings for `report`.",
    )
    parser.add_argument("-o", "--output", help="write the compressed result here ('-' for stdout)")
    parser.add_argument(
        "--store",
        help=f"where dropped content is kept for `retrieve` (default: {DEFAULT_STORE}, or the config's store_url)",
    )
    parser.add_argument("--metrics", help="where savings are recorded for `report` (default: the --store database)")
    parser.add_argument("--no-metrics", action="store_true", help="do not record savings")


def _store_urls(args: argparse.Namespace, config: HeadroomConfig) -> tuple[str, str | None]:
    """(CCR store URL, metrics URL or None): both default to one SQLite file, in separate tables."""
    store_url = args.store or config.store_url or DEFAULT_STORE
    metrics_url = None if args.no_metrics else (args.metrics or store_url)
    return store_url, metrics_url


def _shape(text: str) -> str:
    """``text`` with its numbers masked: "3 tokens" and "111 tokens" are the same reason to add up."""
    return re.sub(r"\d+", "N", text)


class _Tally:
    """Adds up compress results: per text part rows, per transform, unchanged reasons, totals."""

    def __init__(self, model: str, max_rows: int, multi: bool) -> None:
        self.model = model
        self.max_rows = max_rows
        self.multi = multi
        self.conversations = self.before = self.after = self.hidden_rows = 0
        self.millis = 0.0
        self.estimated = False
        self.rows: list[tuple[str, ...]] = []
        self.by_transform: dict[str, list[int]] = {}
        self.reasons: dict[str, list[int]] = {}
        self.refs: dict[str, None] = {}  # insertion-ordered set
        self.warnings: dict[str, tuple[str, int]] = {}  # shape -> (first example, count)

    def add(self, number: int, result: CompressResult) -> None:
        self.conversations += 1
        self.before += result.tokens_before
        self.after += result.tokens_after
        self.millis += result.compression_ms
        self.estimated = self.estimated or result.tokens_estimated
        self.refs.update(dict.fromkeys(result.refs))
        for warning in result.warnings:
            example, count = self.warnings.get(_shape(warning), (warning, 0))
            self.warnings[_shape(warning)] = (example, count + 1)
        for report in result.message_reports:
            if report.family:
                group = self.by_transform.setdefault(report.family, [0, 0, 0])
                group[0] += 1
                group[1] += report.tokens_before
                group[2] += report.tokens_after
            else:
                reason = _shape(report.reason or "unchanged")
                entry = self.reasons.setdefault(reason, [0, 0])
                entry[0] += 1
                entry[1] += report.tokens_before
            if len(self.rows) >= self.max_rows:
                self.hidden_rows += 1
                continue
            saved = report.tokens_before - report.tokens_after
            row = (
                str(report.index + 1),  # 1-based, like every position the CLI prints
                report.kind,
                report.tool_name or "",
                fmt_int(report.tokens_before),
                fmt_int(report.tokens_after),
                fmt_int(saved),
                report.transform or f"unchanged: {report.reason}",
            )
            self.rows.append((str(number), *row) if self.multi else row)

    def render(self, source_label: str, store_url: str, metrics_url: str | None) -> str:
        out = [f"{source_label}: {fmt_int(self.conversations)} conversation(s) for {self.model}", ""]
        for section in (self._messages(), self._transforms(), self._reasons()):
            if section:
                out += [*section, ""]
        out.append(self._totals(store_url, metrics_url))
        return "\n".join(out)

    def as_json(self, source_label: str, store_url: str, metrics_url: str | None) -> str:
        saved = self.before - self.after
        document = {
            "source": source_label,
            "model": self.model,
            "conversations": self.conversations,
            "tokens_before": self.before,
            "tokens_after": self.after,
            "tokens_saved": saved,
            "tokens_estimated": self.estimated,
            "cost_saved": cost_saved_text(saved, self.model),
            "compression_ms": round(self.millis, 3),
            "by_transform": {
                name: {"parts": n, "tokens_before": b, "tokens_after": a}
                for name, (n, b, a) in self.by_transform.items()
            },
            "refs": list(self.refs),
            "store": store_url,
            "metrics": metrics_url,
            "warnings": [example for example, _ in self.warnings.values()],
        }
        return json.dumps(document, indent=2, sort_keys=True)

    def _messages(self) -> list[str]:
        if not self.rows:
            return []
        headers: tuple[str, ...] = ("msg", "kind", "tool", "before", "after", "saved", "transform / why unchanged")
        numeric: tuple[bool, ...] = (True, False, False, True, True, True, False)
        if self.multi:
            headers, numeric = ("conv", *headers), (True, *numeric)
        lines = ["Per message (tool results and other compressible text)", render_table(headers, self.rows, numeric)]
        if self.hidden_rows:
            lines.append(f"... {fmt_int(self.hidden_rows)} more rows (totals below; --max-rows shows more)")
        return lines

    def _transforms(self) -> list[str]:
        if not self.by_transform:
            return []
        most_saved_first = sorted(self.by_transform.items(), key=lambda i: (i[1][2] - i[1][1], i[0]))
        rows = [
            (name, fmt_int(n), fmt_int(b), fmt_int(a), fmt_int(b - a), fmt_pct(pct_of(b - a, b)))
            for name, (n, b, a) in most_saved_first
        ]
        headers = ("transform", "parts", "before", "after", "saved", "saved %")
        return ["By transform", render_table(headers, rows, (False, True, True, True, True, True))]

    def _reasons(self) -> list[str]:
        if not self.reasons:
            return []
        ranked = sorted(self.reasons.items(), key=lambda i: (-i[1][0], i[0]))
        rows = [(reason, fmt_int(n), fmt_int(t)) for reason, (n, t) in ranked[:_SHOWN_REASONS]]
        lines = ["Left unchanged, by reason", render_table(("reason", "parts", "tokens"), rows, (False, True, True))]
        if len(ranked) > _SHOWN_REASONS:
            lines.append(f"... {len(ranked) - _SHOWN_REASONS} more reasons")
        return lines

    def _totals(self, store_url: str, metrics_url: str | None) -> str:
        saved = self.before - self.after
        rows = [
            ("tokens before", fmt_int(self.before) + (" (estimated)" if self.estimated else "")),
            ("tokens after", fmt_int(self.after)),
            ("tokens saved", f"{fmt_int(saved)} ({fmt_pct(pct_of(saved, self.before))})"),
            ("est. cost saved", cost_saved_text(saved, self.model)),
            ("compression time", fmt_ms(self.millis)),
            ("refs stored", f"{fmt_int(len(self.refs))} in {store_url}"),
        ]
        lines = ["Totals", render_table(None, rows, (False, False))]
        shown = list(self.refs)[:_SHOWN_REFS]
        lines += [f"  ref {ref}" for ref in shown]
        if len(self.refs) > len(shown):
            lines.append(f"  ... and {fmt_int(len(self.refs) - len(shown))} more")
        for _, (example, count) in sorted(self.warnings.items()):
            lines.append(f"warning: {example}" + (f" (and {count - 1} like it)" if count > 1 else ""))
        # memory:// lives only as long as this process: no later command can read it.
        if shown and not store_url.startswith("memory:"):
            lines.append(f"Get dropped content back: headroom-integrations retrieve {shown[0]} --store {store_url}")
        if metrics_url and not metrics_url.startswith("memory:"):
            lines.append(f"Savings recorded in {metrics_url}: headroom-integrations report --store {metrics_url}")
        return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, stdin_taken=args.file == "-")
    source = open_input(args)
    store_url, metrics_url = _store_urls(args, config)
    tally = _Tally(args.model, args.max_rows, multi=source.total > 1)
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(CompressionStore(config.ccr, url=store_url))
        metrics = stack.enter_context(MetricsStore(metrics_url)) if metrics_url else None
        writer = stack.enter_context(ResultWriter(args.output, source.kind))

        def handle(conversation: Conversation) -> None:
            result = compress(
                conversation.messages,
                args.model,
                query=args.query or conversation.query,
                token_budget=args.token_budget,
                config=config,
                store=store,
                metrics_store=metrics,
                integration="cli",
                record_kind="tool_result" if source.kind == "tool_output" else "model_call",
            )
            writer.add(conversation, result.messages)
            tally.add(conversation.number, result)

        done = run_each(source, args, handle)
        writer.finish()
    # With `-o -` the compressed result owns stdout, so the summary goes to stderr.
    render = tally.as_json if args.json else tally.render
    print(render(str(source.path), store_url, metrics_url), file=sys.stderr if args.output == "-" else sys.stdout)
    kept = f"; {args.output} holds those" if args.output and args.output != "-" else ""
    return interrupted_exit(done, source.total, f"{kept}; the stores hold exactly their refs and metrics")
