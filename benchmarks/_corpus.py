"""What every benchmark needs from the evaluation corpus, defined once.

Loading cases (by source, kind and a per-source limit), the text a case's
``must_keep`` groups are checked against (as the corpus README defines it),
must_keep retention, the four-message conversation a tool output arrives in,
percentiles, timing, and a fixed-width table printer. One definition keeps
every benchmark's numbers comparable: a group counts as kept by the same rule
and a p95 means the same thing everywhere.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from headroom_integrations.engine.messages import message_text

__all__ = [
    "DEFAULT_CORPUS",
    "DEFAULT_QUERY",
    "LATENCY_COLUMNS",
    "RETENTION_COLUMNS",
    "Tally",
    "by_source",
    "case_text",
    "kept_groups",
    "load_cases",
    "pct",
    "percentile",
    "retention",
    "serialise",
    "table",
    "timed",
    "tool_conversation",
]

Case = dict[str, Any]
T = TypeVar("T")

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
# The user turn of a tool output whose case has no query.
DEFAULT_QUERY = "Summarize the tool output."
_SYSTEM_PROMPT = "You are a helpful assistant. Use the tools to answer."
_CALL_ID = "call_0"


def load_cases(
    corpus: Path,
    *,
    sources: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    limit: int | None = None,
) -> list[Case]:
    """Cases of ``corpus/*.jsonl`` in file and line order, optionally only some sources and kinds.

    ``limit`` keeps at most that many (matching) cases per source.
    """
    cases: list[Case] = []
    for path in sorted(Path(corpus).glob("*.jsonl")):
        if sources and path.stem not in sources:
            continue
        taken = 0
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                case = json.loads(line)
                if kinds and case.get("kind") not in kinds:
                    continue
                if limit is not None and taken >= limit:
                    break
                cases.append(case)
                taken += 1
    return cases


def by_source(cases: Iterable[Case]) -> dict[str, list[Case]]:
    """Cases grouped by source, sources and cases in their original order."""
    grouped: dict[str, list[Case]] = {}
    for case in cases:
        grouped.setdefault(case["source"], []).append(case)
    return grouped


def serialise(messages: Iterable[Any]) -> str:
    """Messages as ``role: text`` blocks joined by blank lines (tool-call names and arguments included)."""
    return "\n\n".join(f"{m.get('role', '')}: {message_text(m)}" for m in messages)


def case_text(case: Mapping[str, Any]) -> str:
    """The context of a case: the tool output, the documents joined by blank lines, or the
    conversation history (without the final question) serialised by :func:`serialise`."""
    if case["kind"] == "tool_output":
        return str(case["content"])
    if case["kind"] == "documents":
        return "\n\n".join(doc["text"] for doc in case["documents"])
    return serialise(case["messages"][:-1])


def kept_groups(text: str, must_keep: Sequence[Sequence[str]]) -> list[bool]:
    """Per must_keep group: does any of its strings occur verbatim in ``text``."""
    return [any(s in text for s in group) for group in must_keep]


def retention(text: str, must_keep: Sequence[Sequence[str]]) -> int:
    """How many must_keep groups ``text`` keeps."""
    return sum(kept_groups(text, must_keep))


def tool_conversation(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A tool-output case as an agent sends it: system, the user's query, the assistant's
    tool call and the tool result (last)."""
    return [
        {"role": "system", "content": _SYSTEM_PROMPT},
        {"role": "user", "content": case.get("query") or DEFAULT_QUERY},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": _CALL_ID,
                    "type": "function",
                    "function": {"name": case.get("tool_name") or "tool", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": _CALL_ID, "content": case["content"]},
    ]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``fn(*args, **kwargs)`` and the milliseconds it took."""
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, (time.perf_counter() - started) * 1000.0


def pct(num: float, den: float) -> str:
    """``num / den`` as a percentage with one decimal; ``-`` when ``den`` is zero."""
    return f"{100.0 * num / den:.1f}%" if den else "-"


# Table columns of :meth:`Tally.retention_cells` and :meth:`Tally.latency_cells`.
RETENTION_COLUMNS = [("groups kept", 11), ("retention", 9), ("full", 7)]
LATENCY_COLUMNS = [("p50 ms", 7), ("p95 ms", 7)]


@dataclass
class Tally:
    """Cases, must_keep retention, tokens before/after and latency summed over cases.

    Benchmarks with more to count subclass it with extra numeric fields; :meth:`merge` adds them too.
    """

    cases: int = 0
    groups: int = 0
    kept: int = 0
    full: int = 0
    before: int = 0
    after: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)

    def add(self, case: Mapping[str, Any], text: str, *, before: int = 0, after: int = 0, ms: float = 0.0) -> int:
        """Count one case whose output is ``text``; returns its kept groups."""
        kept = kept_groups(text, case["must_keep"])
        self.cases += 1
        self.groups += len(kept)
        self.kept += sum(kept)
        self.full += all(kept)
        self.before += before
        self.after += after
        self.ms.append(ms)
        self.misses += [(case["id"], group[0]) for group, ok in zip(case["must_keep"], kept, strict=True) if not ok]
        return sum(kept)

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts (and lists) to this tally."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def retention(self) -> float:
        return self.kept / self.groups if self.groups else 0.0

    @property
    def reduction(self) -> float:
        return 1.0 - self.after / self.before if self.before else 0.0

    @property
    def missed_cases(self) -> list[str]:
        """Ids of the cases that lost a group, in order, once each."""
        return list(dict.fromkeys(case_id for case_id, _ in self.misses))

    def retention_cells(self) -> list[str]:
        """``kept/groups``, retention and ``full/cases`` cells (:data:`RETENTION_COLUMNS`)."""
        return [f"{self.kept}/{self.groups}", f"{self.retention:.1%}", f"{self.full}/{self.cases}"]

    def latency_cells(self) -> list[str]:
        """p50 and p95 milliseconds cells (:data:`LATENCY_COLUMNS`)."""
        return [f"{percentile(self.ms, 0.5):.1f}", f"{percentile(self.ms, 0.95):.1f}"]


def table(columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[object] | None], *, left: int = 1) -> str:
    """A fixed-width table: ``columns`` are (title, width); the first ``left`` columns are
    left-aligned, the others right-aligned; a ``None`` row draws a rule."""

    def line(cells: Sequence[object]) -> str:
        parts = [
            f"{cell!s:<{width}}" if i < left else f"{cell!s:>{width}}"
            for i, (cell, (_, width)) in enumerate(zip(cells, columns, strict=True))
        ]
        return " ".join(parts).rstrip()

    header = line([title for title, _ in columns])
    rule = "-" * len(header)
    return "\n".join([header, rule, *(rule if row is None else line(row) for row in rows)])
