"""Batch part counting: exactly the counts of the part regex, so BM25 scores do not move."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.config import RelevanceScorerConfig
from headroom_integrations.engine.relevance import BM25Scorer, _part_counts, bm25
from headroom_integrations.engine.relevance._part_counts import PartCounts
from headroom_integrations.engine.relevance.base import squash
from headroom_integrations.engine.relevance.identifiers import identifier_pattern
from headroom_integrations.engine.relevance.tokens import query_terms, text_parts

# Characters each part rule turns on: cases, digits, separators, Latin-1 and other letters,
# non-Latin-1 digits and KELVIN SIGN (counted by the regex), sigma forms, a combining mark,
# a lone surrogate, and the byte the encoder uses as a stand-in.
_TRICKY = list("aAbBkKzZ09_ -.\n\u212a\u0130éÉªµ²\x85\xa0ß×–’σΣς\u0301\ud800元٣x1")
_tricky_text = st.text(alphabet=st.sampled_from(_TRICKY), max_size=30)


def _assert_same_as_regex(texts: list[str], extra_terms: list[str]) -> None:
    counts = PartCounts(texts)
    bags = [Counter(text_parts(text)) for text in texts]
    assert counts.lengths == [sum(bag.values()) for bag in bags]
    for term in sorted(set().union(*bags, extra_terms)):
        assert counts.counts(term) == [bag[term] for bag in bags], term


@settings(max_examples=150, deadline=None)
@given(st.lists(_tricky_text, min_size=1, max_size=6), _tricky_text)
def test_counts_equal_the_part_regex_on_tricky_text(texts: list[str], query: str) -> None:
    _assert_same_as_regex(texts, text_parts(query))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_counts_equal_the_part_regex_on_any_text(texts: list[str]) -> None:
    _assert_same_as_regex(texts, [])


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("getUserName(self)", ["get", "user", "name", "self"]),
        ("HTTPServer ABCdé ABé", ["http", "server", "ab", "cdé", "ab", "é"]),
        ("2024-05-01T00:00:00Z ORD_123", ["2024", "05", "01", "t", "00", "00", "00", "z", "ord", "123"]),
        ("fooFoo uU", ["foo", "foo", "u", "u"]),  # the same part twice with no separator between
    ],
)
def test_named_shapes_count_like_the_regex(text: str, parts: list[str]) -> None:
    assert text_parts(text) == parts
    counts = PartCounts([text, "unrelated"])
    assert counts.lengths == [len(parts), 1]
    for part, expected in Counter(parts).items():
        assert counts.counts(part) == [expected, 0]


def test_many_chunks_and_regex_only_texts_keep_every_item_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_part_counts, "_CHUNK_BYTES", 24)  # a few items per chunk
    texts = [f"user{i} logged in as User_{i % 3}" for i in range(40)]
    texts[7] = "5\u212a ahead user7"  # KELVIN SIGN lower-cases to ASCII "k"
    texts[21] = "user21 paid \u0663\u0664 dinar"  # Arabic-Indic digits
    texts[30] = ""
    _assert_same_as_regex(texts, ["k", "user", "3", "٣٤"])


def _reference_bm25(items: list[str], query: str, config: RelevanceScorerConfig) -> list[float]:
    """The textbook computation on text_parts, one item at a time (what BM25Scorer must equal)."""
    terms = query_terms(query)
    bags = [Counter(text_parts(item)) for item in items]
    lengths = [sum(bag.values()) for bag in bags]
    rows = []
    for item, bag in zip(items, bags, strict=True):
        wholes = [
            len(identifier_pattern(whole).findall(item)) if whole in item.lower() else 0 for whole in terms.wholes
        ]
        rows.append([bag[part] for part in terms.parts] + wholes)
    n, avg = len(items), sum(lengths) / len(items)
    idfs = [
        math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for df in (sum(1 for r in rows if r[k]) for k in range(len(rows[0])))
    ]
    k1, b = config.bm25_k1, config.bm25_b
    scores = []
    for length, row in zip(lengths, rows, strict=True):
        norm = k1 * (1.0 - b + b * length / avg)
        raw = sum(idf * tf * (k1 + 1.0) / (tf + norm) for idf, tf in zip(idfs, row, strict=True) if tf)
        scores.append(squash(raw / sum(idfs)) if any(row) else 0.0)
    return scores


_RECORDS = [
    json.dumps(
        {
            "id": f"evt-{i:05d}",
            "service": ["api", "billing", "auth"][i % 3],
            "level": "ERROR" if i % 9 == 0 else "INFO",
            "message": f"handled request {i} for user u{(i * 13) % 50} in région eu-{i % 3}",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    for i in range(60)
]
_PROSE = [
    "The Aztec Empire flourished in central Mexico during the Late Postclassic era.",
    "Inca rulers built roads across the Andes; the network spanned 40,000 km.",
    "Tenochtitlán was founded in 1325 on an island in Lake Texcoco.",
    "The Spanish conquest (1519–1521) ended the empire's rule.",
    "Cuzco served as the Inca capital until the 1530s.",
]
_CODE = [
    "def getUserName(self): return self.user_name",
    "class HTTPServerError(Exception): pass",
    "2024-05-01T12:00:00Z ERROR PaymentService timeout after 3000ms for ORD-10442",
    "user_id=u1234 status=500 path=/api/v1/orders",
]


@pytest.mark.parametrize(
    ("items", "query"),
    [
        (_RECORDS, "slow billing requests for user u12 in région"),
        (_RECORDS, "what happened to event evt-00042?"),
        (_PROSE, "During which era did the Aztec and Incan empires thrive?"),
        (_CODE, "why does getUserName fail with HTTPServerError for ORD-10442"),
        (_CODE + _PROSE, "user u1234 status 500"),
    ],
)
def test_bm25_scores_are_the_textbook_floats(items: list[str], query: str) -> None:
    config = RelevanceScorerConfig()
    assert BM25Scorer(config).evidence(items, query).base == _reference_bm25(items, query, config)


def test_items_scored_again_reuse_their_counts_with_the_same_result() -> None:
    scorer = BM25Scorer()
    scorer.evidence(_PROSE, "Inca roads")  # keeps the counts of these items
    again = scorer.evidence(_PROSE, "Aztec capital in 1325")
    bm25._COUNTS_CACHE.clear()
    assert again == scorer.evidence(_PROSE, "Aztec capital in 1325")
    assert again.base[2] > 0 and again.base[1] == 0.0
