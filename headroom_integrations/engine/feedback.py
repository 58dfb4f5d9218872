"""Retrievals teach the compressor: a local, deterministic, bounded feedback loop.

When the model calls ``headroom_retrieve`` it says that a cut went too far.
The loop has three parts, all in the metrics store (no network, no model):

* **Recorded.** Each tool output the engine cuts for the first time is an
  ``output`` event (tool, the refs it names, the content key of the part and
  the adjustment it was compressed with); each retrieval is a ``retrieval``
  event (the ref, the tool and the JSON path that produced it, read from the
  ref's entry in the compression store, the query's terms). Recording fails
  open: a metrics error never breaks a retrieval or a compression.
* **Learned.** From the store's newest :data:`MAX_EVENTS` events: per tool,
  over its last :data:`WINDOW_OUTPUTS` cut outputs,
  ``rate = retrievals of their refs / outputs``. With at least
  :data:`MIN_RETRIEVALS` retrievals and ``rate >= RATE_THRESHOLD`` the tool's
  crusher item budget is multiplied by :func:`budget_factor` (2x, 3x from a
  rate of 1, at most :data:`MAX_FACTOR` x from a rate of 2; never above
  :data:`MAX_ITEMS`), and items holding a term the retrievals asked for
  (at most :data:`MAX_TERMS`, most asked first) are always kept. Both act on JSON
  outputs (the crusher's settings).
* **Applied once.** ``compress()`` reads the adjustments when a tool output is
  first compressed and remembers that decision (in the process and, through
  the ``output`` event, in the store), so a result already sent is never
  re-compressed differently and prompt caches keep hitting. A first
  compression is a pure function of (input, config, store state): no clock is
  involved; a later one repeats the first decision.

``SmartCrusherConfig.use_feedback_hints`` False stops applying adjustments;
``CCRConfig.feedback_enabled`` False stops recording events.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._lru import LRUCache
from .config import SmartCrusherConfig
from .errors import StorageError

__all__ = [
    "MAX_EVENTS",
    "MAX_FACTOR",
    "MAX_ITEMS",
    "MAX_TERMS",
    "MIN_RETRIEVALS",
    "RATE_THRESHOLD",
    "WINDOW_OUTPUTS",
    "FeedbackLog",
    "FeedbackOnly",
    "Feedback",
    "LearnedAdjustment",
    "Snapshot",
    "budget_factor",
    "decision_key",
    "feedback_log",
    "learn",
    "query_terms",
    "record_retrieval",
    "snapshot",
]

logger = logging.getLogger(__name__)

WINDOW_OUTPUTS = 50  # a tool's most recent cut outputs that its rate is measured over
MAX_EVENTS = 5_000  # newest feedback events a store keeps in view (bounds memory and the learning step)
RATE_THRESHOLD = 0.5  # retrievals per cut output above which a tool's outputs keep more
MIN_RETRIEVALS = 2  # one retrieval is an accident, two a pattern
MAX_FACTOR = 4  # the item budget grows at most this many times
MAX_ITEMS = 200  # and never beyond this many items
MAX_TERMS = 8  # terms always kept per tool

_TERM = re.compile(r"[^\s,;\"'`()\[\]{}<>=]+")
_STOPWORDS = frozenset(
    "the and for with that this from what which where when who how are was were all any get show find "
    "item items list value values field fields about into only more less than".split()
)


@runtime_checkable
class FeedbackLog(Protocol):
    """What the loop needs of a metrics store: append an event, and the :func:`snapshot` of the newest ones."""

    def record_feedback(self, event: Mapping[str, Any]) -> None: ...

    def feedback_snapshot(self) -> Snapshot: ...


def query_terms(query: str | None) -> tuple[str, ...]:
    """The words of a retrieval query worth keeping items for (3+ characters, no stopwords), in order."""
    if not isinstance(query, str):
        return ()
    terms = (t.strip(".:-/") for t in _TERM.findall(query))
    kept = (t for t in terms if len(t) >= 3 and t.lower() not in _STOPWORDS)
    return tuple(dict.fromkeys(kept))[:MAX_TERMS]


def budget_factor(rate: float, retrievals: int) -> int:
    """How many times a tool's item budget grows for its retrieval rate (1: not at all)."""
    if retrievals < MIN_RETRIEVALS or rate < RATE_THRESHOLD:
        return 1
    if rate < 2 * RATE_THRESHOLD:
        return 2
    return 3 if rate < 4 * RATE_THRESHOLD else MAX_FACTOR


@dataclass(frozen=True)
class LearnedAdjustment:
    """What retrievals taught about one tool: its rate over the window and what its outputs keep more of."""

    tool: str
    outputs: int
    retrievals: int
    rate: float
    factor: int
    keep_terms: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    window: int = WINDOW_OUTPUTS

    @property
    def active(self) -> bool:
        return self.factor > 1

    def overrides(self, base: SmartCrusherConfig) -> dict[str, Any]:
        """Crusher overrides on top of ``base`` (the tool's config before learning); empty when inactive."""
        if not self.active:
            return {}
        # Never fewer than the tool's own budget, never grown beyond MAX_ITEMS.
        items = max(base.max_items_after_crush, min(MAX_ITEMS, base.max_items_after_crush * self.factor))
        terms = list(dict.fromkeys([*base.keep_terms, *self.keep_terms]))
        return {"max_items_after_crush": items, "keep_terms": terms}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keep_terms"] = list(self.keep_terms)
        data["paths"] = list(self.paths)
        data["keeps_more"] = self.describe()
        return data

    def describe(self) -> str:
        """What the tool's next outputs keep more of, in words."""
        if not self.active:
            return "nothing (rate below threshold)"
        terms = f"; items with {', '.join(self.keep_terms)}" if self.keep_terms else ""
        return f"{self.factor}x item budget{terms}"


def learn(events: Iterable[Mapping[str, Any]]) -> dict[str, LearnedAdjustment]:
    """Per tool, the adjustment ``events`` (newest first, as the store returns them) teach; a pure function."""
    outputs: dict[str, list[Mapping[str, Any]]] = {}
    retrievals: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for event in events:
        kind = event.get("event")
        tool = event.get("tool")
        if kind == "retrieval":
            retrievals.append(event)
        elif kind == "output" and isinstance(tool, str) and tool:
            key = str(event.get("key", ""))
            window = outputs.setdefault(tool, [])
            if key not in seen and len(window) < WINDOW_OUTPUTS:
                seen.add(key)
                window.append(event)
    owner = {str(ref): tool for tool, window in outputs.items() for e in window for ref in e.get("refs") or ()}
    counted: dict[str, list[Mapping[str, Any]]] = {}
    for event in retrievals:
        tool = owner.get(str(event.get("ref")))
        if tool is not None:
            counted.setdefault(tool, []).append(event)
    learned = {}
    for tool in sorted(outputs):
        hits = counted.get(tool, [])
        rate = len(hits) / len(outputs[tool])
        terms = Counter(t for e in hits for t in dict.fromkeys(e.get("terms") or ()) if isinstance(t, str))
        paths = sorted({str(e["path"]) for e in hits if e.get("path")})
        learned[tool] = LearnedAdjustment(
            tool=tool,
            outputs=len(outputs[tool]),
            retrievals=len(hits),
            rate=round(rate, 4),
            factor=budget_factor(rate, len(hits)),
            keep_terms=tuple(sorted(terms, key=lambda t: (-terms[t], t))[:MAX_TERMS]),
            paths=tuple(paths),
        )
    return learned


@dataclass(frozen=True)
class Snapshot:
    """What a store's feedback events say: the adjustment per tool and the decision per tool output."""

    adjustments: dict[str, LearnedAdjustment]
    decisions: dict[str, Mapping[str, Any]]


def snapshot(events: Sequence[Mapping[str, Any]]) -> Snapshot:
    """:func:`learn` plus, per output key, the overrides it was first sent with (``events`` newest first)."""
    # Newest first, so a later write of a key is overwritten by its first one.
    decisions = {str(e["key"]): e.get("overrides") or {} for e in events if e.get("event") == "output" and e.get("key")}
    return Snapshot(learn(events), decisions)


def decision_key(tool: str | None, call_id: str | None, text: str) -> str:
    """Which tool output a decision belongs to: its tool, its call and its content."""
    digest = hashlib.sha256()
    for piece in (tool or "", call_id or "", text):
        digest.update(piece.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()[:32]


_Decision = tuple[tuple[str, Any], ...]
# Decisions this process made, per metrics store and decision key: a result compressed once keeps its adjustment.
_DECIDED: weakref.WeakKeyDictionary[Any, LRUCache[str, _Decision]] = weakref.WeakKeyDictionary()
_DECIDED_LOCK = threading.Lock()
_DECIDED_MAX = 100_000


def _decided(log: FeedbackLog) -> LRUCache[str, _Decision]:
    with _DECIDED_LOCK:
        memo = _DECIDED.get(log)
        if memo is None:
            memo = _DECIDED[log] = LRUCache(_DECIDED_MAX)
        return memo


@dataclass
class Feedback:
    """The adjustments in force for one ``compress()`` call, and the decisions already made."""

    log: FeedbackLog | None
    adjustments: dict[str, LearnedAdjustment] = field(default_factory=dict)
    stored: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, log: FeedbackLog | None) -> Feedback:
        """The store's state, read once per call; a store that cannot be read teaches nothing."""
        if log is None:
            return cls(None)
        try:
            state = log.feedback_snapshot()
        except StorageError as exc:  # the store reports its own outage; compression goes on, nothing learned
            logger.debug("could not read headroom feedback: %s", exc.message)
            return cls(log)
        except Exception as exc:  # fail open: compression goes on as if nothing was learned
            logger.warning("could not read headroom feedback: %s", type(exc).__name__)
            return cls(log)
        return cls(log, state.adjustments, state.decisions)

    def decide(self, key: str, tool: str | None, base: SmartCrusherConfig, apply: bool) -> tuple[dict[str, Any], bool]:
        """The overrides for one tool output and whether this is its first compression.

        An earlier decision (in the store, then in this process) wins over the
        current adjustments, so the output's bytes never change once sent.
        """
        stored = self.stored.get(key)
        if stored is not None:
            return _thawed(_frozen(stored)), False
        earlier = _decided(self.log).get(key) if self.log is not None else None
        if earlier is not None:
            return _thawed(earlier), False
        adjustment = self.adjustments.get(tool or "") if apply else None
        return (adjustment.overrides(base) if adjustment is not None else {}), True

    def sent(self, tool: str | None, key: str, refs: Sequence[str], overrides: Mapping[str, Any]) -> None:
        """A tool output was first sent compressed: remember its decision, and record it when it was cut.

        The record (fail open) is the ``output`` event the rate counts and other processes decide from.
        """
        if self.log is None:
            return
        _decided(self.log).put(key, _frozen(overrides))
        if tool and refs:
            event = {"event": "output", "tool": tool, "key": key, "refs": list(refs), "overrides": dict(overrides)}
            _write(self.log, event)


def _frozen(overrides: Mapping[str, Any]) -> _Decision:
    return tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()))


def _thawed(decision: _Decision) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in decision}


def _write(log: FeedbackLog, event: dict[str, Any]) -> None:
    try:
        log.record_feedback(event)
    except StorageError as exc:  # reported by the store's outage tracker (or its file error) already
        logger.debug("could not record headroom feedback: %s", exc.message)
    except Exception as exc:  # a metrics failure never breaks the caller
        logger.warning("could not record headroom feedback: %s", type(exc).__name__)


def feedback_log(metrics_store: Any) -> FeedbackLog | None:
    """The store behind ``metrics_store`` when it keeps feedback events (a :class:`MetricsStore` does), else None.

    A sink that wraps a store (the integrations' counted sink) names it as ``feedback``.
    """
    log = getattr(metrics_store, "feedback", metrics_store)
    return log if isinstance(log, FeedbackLog) else None


class FeedbackOnly:
    """A metrics sink that takes part in the loop only, for callers that record each request themselves.

    ``compress(..., metrics_store=FeedbackOnly(store))`` reads and writes ``store``'s
    feedback but records no request row (the caller records it once the provider answered).
    """

    __slots__ = ("feedback",)

    def __init__(self, log: FeedbackLog) -> None:
        self.feedback = log

    def record(self, metrics: Any) -> None:
        """Requests are recorded by the caller."""


def record_retrieval(metrics_store: Any, store: Any, ref: str, query: str | None) -> None:
    """Record that the model retrieved ``ref`` (with ``query``): which tool and path produced it, what it asked.

    The tool and path come from the ref's entry in ``store`` (written when it
    was cut). Fails open: nothing here may break the retrieval itself.
    """
    log = feedback_log(metrics_store)
    if log is None:
        return
    tool = path = None
    try:
        metadata = store.get(ref).metadata if hasattr(store, "get") else {}
        tool, path = metadata.get("tool"), metadata.get("path")
    except Exception as exc:  # the content was served; only its provenance is unknown
        logger.debug("no provenance for ref %s: %s", ref, type(exc).__name__)
    event = {"event": "retrieval", "ref": ref, "tool": tool, "path": path, "terms": list(query_terms(query))}
    _write(log, event)
