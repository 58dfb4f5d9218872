"""What one demo agent run showed, the checks that prove it, and how it is printed.

Both agents (LangChain and Agno) produce an :class:`AgentRun`; the checks
look only at what the model was actually sent, so a compression that lost
the buried failure or the queried product would fail them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..reports.numbers import fmt_int, fmt_pct, pct_of
from .scenario import CAUSE_ISSUE, FAILURE_LINE, QUERIED_SKU, issue_record

__all__ = ["AgentRun", "CallRow", "Check", "RetrieveCall", "check_run", "format_run"]

_RULE = "-" * 96


@dataclass(frozen=True)
class CallRow:
    """One call's token counts: before (what a plain agent sends) and after (what Headroom sent)."""

    label: str
    tokens_before: int
    tokens_after: int
    transforms: tuple[str, ...] = ()
    is_tool: bool = False

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def percent(self) -> float:
        return pct_of(self.tokens_saved, self.tokens_before)


@dataclass(frozen=True)
class RetrieveCall:
    """One ``headroom_retrieve`` round trip: what the model asked for and what came back."""

    ref: str
    query: str | None
    result: str


@dataclass(frozen=True)
class AgentRun:
    """One agent's run: per-call rows, the tool results as sent to the model, retrievals, the answer.

    ``sent_tool_results`` are the tool results the answering (last) model call was sent;
    None when what the model received cannot be observed.
    """

    title: str
    rows: tuple[CallRow, ...]
    sent_tool_results: tuple[str, ...] | None
    retrievals: tuple[RetrieveCall, ...]
    answer: str

    def totals(self, *, tools: bool) -> CallRow:
        """The tool-result rows (or the model-call rows) added up."""
        chosen = [r for r in self.rows if r.is_tool == tools]
        label = f"total {_scope(tools)}"
        return CallRow(label, sum(r.tokens_before for r in chosen), sum(r.tokens_after for r in chosen))


def _scope(tools: bool) -> str:
    return "tool results" if tools else "model calls"


@dataclass(frozen=True)
class Check:
    """One claim the demo makes, and whether this run bears it out."""

    name: str
    passed: bool
    detail: str


def _retrieved_issue(run: AgentRun) -> dict[str, Any] | None:
    for call in run.retrievals:
        try:
            items = json.loads(call.result)
        except ValueError:
            continue
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("number") == CAUSE_ISSUE:
                return item
    return None


def check_run(run: AgentRun) -> list[Check]:
    """The demo's claims for ``run``: savings, survival of what matters, and a lossless round trip."""
    tools = any(r.is_tool for r in run.rows)  # else the tool results were compressed per model call
    total = run.totals(tools=tools)
    checks = [
        Check(
            f"{_scope(tools)}: more than half the tokens saved",
            total.percent > 50,
            f"{fmt_int(total.tokens_before)} -> {fmt_int(total.tokens_after)} tokens ({fmt_pct(total.percent)})",
        )
    ]
    sent = run.sent_tool_results
    if sent is not None:
        product = f'"sku": "{QUERIED_SKU}"'
        checks += [
            Check(
                "buried CI failure reached the answering model call",
                any(FAILURE_LINE in t for t in sent),
                FAILURE_LINE,
            ),
            Check("queried product reached the answering model call", any(product in t for t in sent), product),
        ]
    issue = _retrieved_issue(run)
    intact = issue == issue_record(CAUSE_ISSUE)
    found = "identical to the original" if intact else "differs from the original" if issue else "not retrieved"
    checks.append(Check("headroom_retrieve returned the dropped original", intact, f"issue #{CAUSE_ISSUE} {found}"))
    return checks


def _brief(text: str, width: int = 150, max_lines: int = 12) -> list[str]:
    """A retrieved text for the terminal: one compact line per JSON item, else its first lines."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    lines = [json.dumps(item) for item in data] if isinstance(data, list) else text.splitlines()
    return [line if len(line) <= width else line[: width - 3] + "..." for line in lines[:max_lines]]


def _table(rows: Sequence[CallRow]) -> list[str]:
    lines = [f"{'call':<26}{'before':>10}{'after':>10}{'saved':>10}{'%':>8}  transforms"]
    for row in rows:
        lines.append(
            f"{row.label:<26}{fmt_int(row.tokens_before):>10}{fmt_int(row.tokens_after):>10}"
            f"{fmt_int(row.tokens_saved):>10}{fmt_pct(row.percent):>8}  {', '.join(row.transforms) or '-'}"
        )
    return lines


def format_run(run: AgentRun, checks: Sequence[Check]) -> str:
    """The run as the demo prints it: table, answer, checks, retrievals."""
    rows = list(run.rows)
    totals = [run.totals(tools=True)] if any(r.is_tool for r in rows) else []
    lines = [_RULE, run.title, _RULE, *_table(rows + totals + [run.totals(tools=False)]), "", "answer:"]
    lines += [f"  {line}" for line in run.answer.splitlines() or ["(empty)"]]
    for call in run.retrievals:
        query = "" if call.query is None else f", query={call.query!r}"
        lines += ["", f"the model called headroom_retrieve(ref={call.ref!r}{query}); it returned:"]
        lines += [f"  {line}" for line in _brief(call.result)]
    lines += ["", "checks:"]
    lines += [f"  [{'ok' if c.passed else 'FAILED'}] {c.name}: {c.detail}" for c in checks]
    return "\n".join(lines)
