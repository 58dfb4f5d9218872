"""``headroom-integrations simulate FILE``: the compression plan, with no store or metrics written."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..engine.savings import describe_transform
from ..engine.simulate import SimulationResult, simulate
from ..reports.numbers import fmt_int, fmt_pct, pct_of
from ._common import add_input_command, interrupted_exit, load_config, open_input, run_each
from ._inputs import Conversation
from ._table import render_table

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    add_input_command(
        subparsers,
        "simulate",
        run,
        help="show what compress would do, writing nothing",
        description="Plan the compression without storing anything: savings, where the tokens are, "
        "waste signals and the stable prefix hash of the system prompt.",
    )


def _add(totals: dict[str, list[int]], key: str, *values: int) -> None:
    entry = totals.setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        entry[i] += value


class _Plan:
    """Adds up simulation results over conversations."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.results: list[tuple[int, SimulationResult]] = []
        self.before = self.after = self.optimized = self.hidden_rows = 0
        self.blocks: dict[str, list[int]] = {}
        self.waste: dict[str, list[int]] = {}
        self.prefixes: dict[str, list[int]] = {}  # conversations with no system prompt are not counted
        self.transforms: dict[str, list[int]] = {}
        self.records: list[dict[str, Any]] = []  # every conversation, for --json

    def add(self, number: int, result: SimulationResult) -> None:
        self.before += result.tokens_before
        self.after += result.tokens_after
        self.optimized += result.messages_optimized
        for block, counts in result.block_breakdown.items():
            _add(self.blocks, block, counts["messages"], counts["tokens"])
        for signal, tokens in result.waste_signals.to_dict().items():
            _add(self.waste, signal, tokens)
        if result.stable_prefix_hash is not None:
            _add(self.prefixes, result.stable_prefix_hash, 1)
        for transform in result.transforms:
            _add(self.transforms, describe_transform(transform)[0], 1)
        self.records.append(
            {
                "conversation": number,
                "tokens_before": result.tokens_before,
                "tokens_after": result.tokens_after,
                "tokens_saved": result.tokens_saved,
                "transforms": result.transforms,
                "waste_signals": result.waste_signals.to_dict(),
                "stable_prefix_hash": result.stable_prefix_hash,
                "cache_alignment_score": result.cache_alignment_score,
                "estimated_savings": result.estimated_savings,
            }
        )
        if len(self.results) < self.max_rows:
            self.results.append((number, result))
        else:
            self.hidden_rows += 1

    def as_json(self, source_label: str) -> str:
        totals = {"tokens_before": self.before, "tokens_after": self.after, "tokens_saved": self.before - self.after}
        document = {"source": source_label, "conversations": self.records, "totals": totals}
        return json.dumps(document, indent=2, sort_keys=True)

    def render(self, source_label: str, total: int) -> str:
        saved = self.before - self.after
        out = [f"{source_label}: plan for {fmt_int(total)} conversation(s) (simulation: nothing was stored)", ""]
        if total == 1 and self.results:
            out += self._single(self.results[0][1])
        else:
            rows = [
                (
                    str(n),
                    fmt_int(r.tokens_before),
                    fmt_int(r.tokens_after),
                    fmt_int(r.tokens_saved),
                    fmt_pct(pct_of(r.tokens_saved, r.tokens_before)),
                    fmt_int(r.waste_signals.total),
                    (r.stable_prefix_hash or "no system prompt")[:16],
                )
                for n, r in self.results
            ]
            out += [
                "Per conversation",
                render_table(
                    ("conv", "before", "after", "saved", "saved %", "waste", "prefix hash"),
                    rows,
                    (True, True, True, True, True, True, False),
                ),
            ]
            if self.hidden_rows:
                out.append(f"... {fmt_int(self.hidden_rows)} more conversations (--max-rows to show more)")
            if self.prefixes:
                common, (count,) = max(self.prefixes.items(), key=lambda i: (i[1][0], i[0]))
                out += [
                    "",
                    f"stable prefixes: {fmt_int(len(self.prefixes))} distinct; most common {common} "
                    f"({fmt_int(count)} conversations)",
                ]
        out += [
            "",
            "Where the tokens are",
            render_table(
                ("block", "messages", "tokens"),
                [(b, fmt_int(m), fmt_int(t)) for b, (m, t) in sorted(self.blocks.items())],
                (False, True, True),
            ),
        ]
        out += [
            "",
            "Waste signals (tokens compression can remove)",
            render_table(("signal", "tokens"), [(s, fmt_int(t)) for s, (t,) in self.waste.items()], (False, True)),
        ]
        transforms = ", ".join(f"{name} x{n}" for name, (n,) in sorted(self.transforms.items())) or "none"
        out += [
            "",
            "Totals",
            render_table(
                None,
                [
                    ("tokens before", fmt_int(self.before)),
                    ("tokens after", fmt_int(self.after)),
                    ("tokens saved", f"{fmt_int(saved)} ({fmt_pct(pct_of(saved, self.before))})"),
                    ("messages optimized", fmt_int(self.optimized)),
                    ("transforms", transforms),
                ],
                (False, False),
            ),
        ]
        return "\n".join(out)

    @staticmethod
    def _single(result: SimulationResult) -> list[str]:
        lines = [
            f"estimated savings: {result.estimated_savings}",
            f"stable prefix hash: {result.stable_prefix_hash or 'none (no system prompt)'}",
            f"cache alignment score: {result.cache_alignment_score:.2f} "
            "(share of the system prompt before its first dynamic value)",
        ]
        if result.reasons:
            lines += [
                "",
                "Left unchanged",
                render_table(
                    ("msg", "reason"), [(str(i), r) for i, r in sorted(result.reasons.items())], (True, False)
                ),
            ]
        return lines


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, stdin_taken=args.file == "-")
    source = open_input(args)
    plan = _Plan(args.max_rows)

    def handle(conversation: Conversation) -> None:
        result = simulate(
            conversation.messages,
            args.model,
            query=args.query or conversation.query,
            token_budget=args.token_budget,
            config=config,
        )
        plan.add(conversation.number, result)

    done = run_each(source, args, handle)
    print(plan.as_json(str(source.path)) if args.json else plan.render(str(source.path), done))
    return interrupted_exit(done, source.total)
