"""Which items of one JSON collection survive: rules first, then rank within a budget.

Kept whatever the budget: the first/last items (orientation; fewer when the
query names its target), items holding an exact query identifier and items
that report an error - what the agent needs. Everything else that qualifies
(relevant to the query, anomalous, a change point, a rare value) competes for
the remaining budget by importance. The budget shrinks when items are
near-identical (the dropped ones add little) and grows back to
``max_items_after_crush`` for diverse data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ...config import SmartCrusherConfig
from ...relevance import RelevanceScorer
from ._signals import ItemSignals, analyze_items

__all__ = ["select_items"]

# Relevance counts double next to the structural signals: the query is the task.
_RELEVANCE_WEIGHT = 2.0
# Must-keep items (identifier matches, errors) beyond the budget are capped at
# this multiple of max_items_after_crush: past that the "match" is not selective.
_MUST_KEEP_FACTOR = 3
# With a query that names its target, notable items beyond it fill at most this share.
_FOCUSED_SHARE = 0.1
# An item scoring at least this share of the best keyword score counts as relevant, whatever
# the absolute score: BM25 scores of short queries against long items are small but still rank.
_RELATIVE_RELEVANCE = 0.5


def _budget(config: SmartCrusherConfig, diversity: float) -> int:
    """Near-identical items (diversity ~0) get half the budget, diverse ones all of it."""
    floor = config.keep_first + config.keep_last
    scaled = round(config.max_items_after_crush * (0.5 + 0.5 * max(0.0, min(1.0, diversity))))
    return max(floor, min(config.max_items_after_crush, scaled))


def _identifier_hits(texts: Sequence[str], identifiers: Sequence[str]) -> set[int]:
    """Items containing a selective query identifier verbatim.

    An identifier found in more than half of the items does not pick anything
    out; and when the query holds a sharper identifier (an event id next to
    a user name), the broad one only adds relevance, not must-keep items.
    """
    n_items = len(texts)
    found: list[list[int]] = []
    for identifier in identifiers:
        hits = [i for i, text in enumerate(texts) if identifier in text]
        if hits and len(hits) <= max(1, n_items // 2):
            found.append(hits)
    if not found:
        return set()
    limit = max(3, 2 * min(len(hits) for hits in found))
    return {i for hits in found if len(hits) <= limit for i in hits}


def _cap_must_keep(must: set[int], matched: set[int], signals: ItemSignals, rank: Any, cap: int) -> set[int]:
    """Pathological must-keep sets: identifier matches first, then errors not seen yet."""
    if len(must) <= cap:
        return must
    seen: set[str] = set()
    novelty: dict[int, int] = {}
    for i in sorted(must):
        message = signals.strong_errors.get(i, "")
        novelty[i] = 0 if i in matched else (1 if message not in seen else 2)
        seen.add(message)
    return set(sorted(must, key=lambda i: (novelty[i], *rank(i)))[:cap])


def _fill(groups: Sequence[Sequence[int]], kept: set[int], room: int) -> list[int]:
    """One representative per kind of item (rarest kinds first) while room lasts."""
    chosen: list[int] = []
    for group in groups:
        if len(chosen) >= room:
            break
        if kept.isdisjoint(group):
            chosen.append(group[0])
    return chosen


def select_items(
    items: Sequence[Any],
    texts: Sequence[str] | None,
    query: str,
    identifiers: Sequence[str],
    scorer: RelevanceScorer,
    config: SmartCrusherConfig,
) -> tuple[int, ...]:
    """Indices (ascending) of the items to keep; ``texts`` (one per item) are needed only with a query.

    When the query names what it wants (an identifier, or an item clearly
    relevant), the kept set stays focused: those items plus a few notable
    ones. When it does not, the budget is spent on notable items and then on
    one representative of each kind of item, since the agent's need is unknown.
    """
    n_items = len(items)
    signals = analyze_items(
        items,
        anomaly_std=config.anomaly_std_threshold,
        variance_threshold=config.variance_threshold,
        preserve_errors=config.preserve_errors,
        preserve_change_points=config.preserve_change_points,
    )
    budget = _budget(config, signals.diversity)
    cap = _MUST_KEEP_FACTOR * config.max_items_after_crush
    relevance = [0.0] * n_items
    matched: set[int] = set()
    if texts is not None and query.strip():
        matched = _identifier_hits(texts, identifiers)
        # Exact identifiers decide first; keyword relevance ranks only when they do not
        # (no match, or more matches than can all be kept).
        if not matched or len(matched) > cap:
            relevance = [float(s) for s in scorer.score_items(list(texts), query)]
    top = max(relevance, default=0.0)
    # Keyword matches count relative to the best one: a short query scores low in absolute
    # terms against long items, yet the items sharing its rare words are what it asks for.
    floor = min(config.relevance_threshold, _RELATIVE_RELEVANCE * top) if top > 0 else config.relevance_threshold
    hits = [i for i in range(n_items) if relevance[i] >= floor] if top > 0 else []
    # Words most items share pick nothing out; otherwise the best keyword matches are kept,
    # up to the normal budget (exact identifiers alone may go beyond it).
    keyword_hits = (
        set()
        if len(hits) > n_items // 2
        else set(sorted(hits, key=lambda i: (-relevance[i], i))[: config.max_items_after_crush])
    )
    specific = bool(matched) or top >= config.relevance_threshold

    first, last = config.keep_first, config.keep_last
    if specific:
        first, last = min(first, config.focused_keep_ends), min(last, config.focused_keep_ends)
    kept = set(range(min(first, n_items))) | set(range(max(0, n_items - last), n_items))

    def rank(i: int) -> tuple[float, int]:
        return (-(_RELEVANCE_WEIGHT * relevance[i] + signals.scores.get(i, 0.0)), i)

    # Terms retrievals asked for (or a profile names) keep their items, like identifiers but never focusing.
    asked = _identifier_hits(texts, config.keep_terms) if texts is not None and config.keep_terms else set()
    must = matched | asked | keyword_hits | set(signals.strong_errors) | signals.anomalies
    kept |= _cap_must_keep(must, matched, signals, rank, cap)
    room = max(0, budget - len(kept))
    if specific:
        room = min(room, math.ceil(n_items * _FOCUSED_SHARE))
    candidates = [i for i in range(n_items) if i not in kept and (relevance[i] >= floor or i in signals.scores)]
    kept.update(sorted(candidates, key=rank)[:room])
    if not specific:
        kept.update(_fill(signals.groups, kept, budget - len(kept)))
    return tuple(sorted(kept))
